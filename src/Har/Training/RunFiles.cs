using System.Text.Json;
using HarFromScratch.Engine.IO;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

/// <summary>What a run folder's config.json holds: enough to rebuild the model and its input pipeline.</summary>
public sealed record RunConfig
{
    public required TrainOptions Train { get; init; }
    public required DataOptions Data { get; init; }
    public required ModelSpec Model { get; init; }
    public required string[] ClassNames { get; init; }
    public required string[] ChannelNames { get; init; }
    /// <summary>Normalisation fitted on the training split (applied to any input at inference).</summary>
    public ChannelStats? Stats { get; init; }
    /// <summary>Free-form settings of the objective (distillation method and coefficients).</summary>
    public Dictionary<string, string> Extra { get; init; } = new();
}

/// <summary>One epoch's figures (a line of log.jsonl and a point of the training curves). <see cref="Seconds"/> includes validation; <see cref="TrainSeconds"/> is the batches alone
/// (<see cref="Batches"/> of them), which is what `har experiment --estimate` extrapolates from.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double ValLoss, double ValAccuracy, double ValMacroF1,
    double Lr, double Seconds, double WindowsPerSecond, int Batches = 0, double TrainSeconds = 0)
{
    /// <summary>Whether the epoch was scored on validation windows: with none (--val-fraction 0) the val metrics are NaN.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool Validated => !double.IsNaN(ValAccuracy);
}

/// <summary>The resumable state of a run, written last at each epoch end (its presence commits the epoch).</summary>
public sealed record TrainState
{
    public int EpochsDone { get; init; }
    public double BestMetric { get; init; } = double.NegativeInfinity;
    public int BestEpoch { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public float Lr { get; init; }
    public int ScheduleSteps { get; init; }
    public float PlateauBest { get; init; } = float.PositiveInfinity;
    public int PlateauBad { get; init; }
    public int PlateauCooldown { get; init; }
    public int OptimizerSteps { get; init; }
    public bool Stopped { get; init; }
    public Dictionary<string, ulong[]> Rngs { get; init; } = new();
    public List<EpochRecord> History { get; init; } = new();
}

/// <summary>
/// The files of a run folder: config.json, last.safetensors (+ last.optim.safetensors), best.safetensors,
/// state.json, log.jsonl, and the reports. Every write is atomic (temporary file + rename), and state.json
/// is written after the tensors it refers to, so an interruption at any point leaves a consistent run.
/// </summary>
public sealed class RunFiles(string dir)
{
    public string Dir { get; } = Path.GetFullPath(dir);
    public string Config => Path.Combine(Dir, "config.json");
    public string State => Path.Combine(Dir, "state.json");
    public string Last => Path.Combine(Dir, "last.safetensors");
    public string LastOptim => Path.Combine(Dir, "last.optim.safetensors");
    public string Best => Path.Combine(Dir, "best.safetensors");
    public string Log => Path.Combine(Dir, "log.jsonl");

    public void WriteConfig(RunConfig c) => AtomicFile.WriteAllText(Config, JsonSerializer.Serialize(c, TrainOptions.Json));

    public RunConfig ReadConfig()
    {
        if (!File.Exists(Config)) throw new FileNotFoundException($"{Config}: not found (is '{Dir}' a run folder made by har train?)");
        try { return JsonSerializer.Deserialize<RunConfig>(File.ReadAllText(Config), TrainOptions.Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{Config}: not a valid run configuration: {e.Message}"); }
    }

    public void WriteState(TrainState s) => AtomicFile.WriteAllText(State, JsonSerializer.Serialize(s, TrainOptions.Json));

    public TrainState? ReadState()
    {
        if (!File.Exists(State)) return null;
        try { return JsonSerializer.Deserialize<TrainState>(File.ReadAllText(State), TrainOptions.Json); }
        catch (JsonException e) { throw new InvalidDataException($"{State}: not a valid training state: {e.Message}"); }
    }

    private static readonly JsonSerializerOptions LogJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public void AppendLog(object record)
    {
        Directory.CreateDirectory(Dir);
        File.AppendAllText(Log, JsonSerializer.Serialize(record, LogJson) + "\n");
    }

    /// <summary>Model parameters and buffers (and those of extra modules under their prefix) as safetensors.</summary>
    public static void SaveModules(string path, IEnumerable<(string prefix, Module module)> modules, Dictionary<string, string> metadata)
    {
        var tensors = new List<KeyValuePair<string, Engine.Tensors.Tensor>>();
        foreach (var (prefix, m) in modules)
            foreach (var (name, t) in m.StateDict())
                tensors.Add(new(prefix.Length == 0 ? name : prefix + "." + name, t));
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>Loads a checkpoint into the modules; all names and shapes are checked before anything is copied.</summary>
    public static Dictionary<string, string> LoadModules(string path, IEnumerable<(string prefix, Module module)> modules)
    {
        var content = SafeTensors.Load(path);
        var list = modules.ToList();
        var claimed = new HashSet<string>();
        var plans = new List<(Module m, Dictionary<string, float[]> values, Dictionary<string, int[]> shapes)>();
        foreach (var (prefix, m) in list)
        {
            var values = new Dictionary<string, float[]>();
            var shapes = new Dictionary<string, int[]>();
            string p = prefix.Length == 0 ? "" : prefix + ".";
            foreach (var (name, t) in content.Tensors)
            {
                if (p.Length > 0 && !name.StartsWith(p, StringComparison.Ordinal)) continue;
                if (p.Length == 0 && list.Any(o => o.prefix.Length > 0 && name.StartsWith(o.prefix + ".", StringComparison.Ordinal))) continue;
                values[name[p.Length..]] = t.Data;
                shapes[name[p.Length..]] = t.Shape;
                claimed.Add(name);
            }
            plans.Add((m, values, shapes));
        }
        var unknown = content.Tensors.Keys.Where(k => !claimed.Contains(k)).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"{path}: tensor '{unknown[0]}' belongs to no module of this model");
        // validate everything first (LoadStateDict validates before copying; run it on all modules only after all passed a dry check)
        foreach (var (m, values, shapes) in plans)
        {
            var own = m.StateDict();
            foreach (var (k, s) in shapes)
            {
                if (!own.TryGetValue(k, out var t)) throw new InvalidDataException($"{path}: tensor '{k}' is not in the model ({m.GetType().Name})");
                if (!t.Shape.SequenceEqual(s)) throw new InvalidDataException($"{path}: tensor '{k}' has shape ({string.Join(", ", s)}), the model expects ({string.Join(", ", t.Shape)})");
            }
            var missing = own.Keys.Where(k => !values.ContainsKey(k)).ToList();
            if (missing.Count > 0) throw new InvalidDataException($"{path}: lacks tensor '{missing[0]}' of the model ({missing.Count} missing)");
        }
        foreach (var (m, values, shapes) in plans) m.LoadStateDict(values, shapes);
        return content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    /// <summary>Loads a model's own tensors from a checkpoint that may also hold other modules' (adapters, a co-trained teacher).</summary>
    public static void LoadModelTensors(string path, Module model) => LoadModelTensors(path, model, averaged: false);

    /// <summary>Loads the model's tensors from a checkpoint; with <paramref name="averaged"/> each one's EMA shadow
    /// ("ema." + its name with '.' written as "__", see <see cref="Engine.Optim.ModelEma"/>) when the checkpoint has it.</summary>
    private static void LoadModelTensors(string path, Module model, bool averaged)
    {
        var content = SafeTensors.Load(path);
        var own = model.StateDict();
        var mine = new Dictionary<string, TensorData>();
        foreach (var name in own.Keys)
        {
            if (averaged && content.Tensors.TryGetValue("ema." + name.Replace(".", "__"), out var shadow)) mine[name] = shadow;
            else if (content.Tensors.TryGetValue(name, out var t)) mine[name] = t;
        }
        try { model.LoadStateDict(mine.ToDictionary(kv => kv.Key, kv => kv.Value.Data), mine.ToDictionary(kv => kv.Key, kv => kv.Value.Shape)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
    }

    /// <summary>
    /// Loads the weights a run tests, "best" (best.safetensors: the selected epoch) or "last" (after its last epoch).
    /// A run trained with --ema validates and tests its averaged weights, and last.safetensors keeps those beside the live
    /// ones (for --resume), so "last" loads the averages: the weights that run would have tested with --select-by last.
    /// </summary>
    public void LoadWeights(string checkpoint, Module model)
    {
        var path = checkpoint switch { "best" => Best, "last" => Last, _ => throw new ArgumentException($"--checkpoint: {checkpoint} is not valid; expected best or last") };
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found (has the run finished an epoch?)");
        LoadModelTensors(path, model, averaged: checkpoint == "last");
    }

    public static void SaveOptimizer(string path, Optimizer opt) =>
        SafeTensors.Save(path, opt.StateTensors().Select(s => new KeyValuePair<string, Engine.Tensors.Tensor>(s.key, s.tensor)),
            new Dictionary<string, string> { ["step_count"] = opt.StepCount.ToString() });

    public static void LoadOptimizer(string path, Optimizer opt)
    {
        var content = SafeTensors.Load(path);
        if (!content.Metadata.TryGetValue("step_count", out var sc) || !int.TryParse(sc, out var steps))
            throw new InvalidDataException($"{path}: missing step_count metadata");
        opt.LoadState(steps, content.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Data));
    }
}
