using System.CommandLine;
using System.Globalization;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.IO;
using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Reports;
using HarFromScratch.Har.Training;
using Spectre.Console;

namespace HarFromScratch.Har.Cli;

/// <summary>`har train`, `har eval` and `har models`.</summary>
public static class TrainCommands
{
    public static readonly Option<string> DeviceOption = new("--device") { Description = "cpu, cuda, opencl, ilgpu-cpu or auto (default: $HAR_DEVICE, else cpu)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HAR_DEVICE") is { Length: > 0 } d ? d : "cpu" };
    public static readonly Option<bool> QuietOption = new("--quiet", "-q") { Description = "Print only the final summary (the JSON-lines log is still written)" };

    public static IEnumerable<Command> Build(TextWriter stdout, TextWriter stderr)
    {
        yield return BuildTrain(stdout, stderr);
        yield return BuildEval(stdout, stderr);
        yield return BuildEnsemble(stdout, stderr);
        yield return BuildModels(stdout, stderr);
        yield return BuildProfile(stdout, stderr);
    }

    private static Command BuildProfile(TextWriter stdout, TextWriter stderr)
    {
        var model = new Option<string>("--model") { Description = "Model name", DefaultValueFactory = _ => "mobilenet-small" };
        var dataset = new Option<string>("--dataset") { Description = "Input shape of this dataset: uci-har, hapt, usc-had, wisdm", DefaultValueFactory = _ => "hapt" };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Profiled training steps (after the warm-up)", DefaultValueFactory = _ => 5 };
        var warmup = new Option<double>("--warmup-seconds")
        {
            Description = "Warm-up before profiling: steps run for at least this long (at least 2 steps), so that the JIT has compiled the hot code fully, as in a training run",
            DefaultValueFactory = _ => 3,
        };
        var cmd = new Command("profile", "Time one training step (forward, backward, AdamW) per op kind: where the time goes") { model, dataset, batch, steps, warmup, DeviceOption };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            int s = p.GetValue(steps);
            double warmSeconds = p.GetValue(warmup);
            if (s < 1) throw new ArgumentException($"--steps must be at least 1, got {s}");
            if (!(warmSeconds >= 0)) throw new ArgumentException($"--warmup-seconds must be 0 or more, got {warmSeconds.ToString(CultureInfo.InvariantCulture)}");
            var (ch, len, k) = ShapeOf(p.GetValue(dataset)!);
            var device = Device.Get(p.GetValue(DeviceOption)!);
            var m = ModelCatalog.Create(new ModelSpec(p.GetValue(model)!, ch, len, k), new Rng(1), device);
            var opt = new Engine.Optim.AdamW(m.Parameters(), 1e-3f);
            int n = p.GetValue(batch);
            var rng = new Rng(2);
            var x = Engine.Tensors.TensorScope.Unscoped(() => Engine.Tensors.Tensor.Randn([n, ch, len], rng, device));
            var y = Enumerable.Range(0, n).Select(i => i % k).ToArray();
            void Step()
            {
                using var scope = Engine.Tensors.TensorScope.Begin();
                opt.ZeroGrad();
                var loss = Engine.Ops.Losses.CrossEntropy(m.Forward(x), y);
                loss.Backward();
                opt.Step();
                loss.Item();
            }
            // .NET compiles a method quickly first (tier 0) and fully only after ~30 calls and a short delay; two
            // warm-up steps profiled that first code, several times slower than a training run's steady state.
            var warm = System.Diagnostics.Stopwatch.StartNew();
            int warmSteps = 0;
            while (warmSteps < 2 || warm.Elapsed.TotalSeconds < warmSeconds) { Step(); warmSteps++; }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using (var prof = Engine.Autograd.OpProfiler.Begin())
            {
                for (int i = 0; i < s; i++) { Step(); prof.Mark(); }
                double total = sw.Elapsed.TotalMilliseconds;
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.GetValue(model)} on {p.GetValue(dataset)} input ({ch}x{len}), batch {n}, {device.Name}: {total / s:F1} ms per step (forward + backward + AdamW), {s} steps after {warmSteps} warm-up steps"));
                stdout.Write(prof.Table());
                var ops = prof.Results.Sum(r => r.forwardMs + r.backwardMs);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ops account for {ops / s:F1} ms per step; the rest ({(total - ops) / s:F1} ms) is the optimiser step, loss read-back and bookkeeping"));
            }
            return 0;
        }));
        return cmd;
    }

    private static (int channels, int length, int classes) ShapeOf(string dataset) => dataset.ToLowerInvariant() switch
    {
        "uci-har" => (9, 128, 6),
        "hapt" => (6, 128, 12),
        "usc-had" => (6, 128, 12),
        "wisdm" => (3, 128, 6),
        _ => throw new ArgumentException($"--dataset: unknown dataset '{dataset}'; expected uci-har, hapt, usc-had or wisdm"),
    };

    /// <summary>Options of a training run; shared with `har distill`.</summary>
    public sealed class TrainOptionSet
    {
        public readonly Option<string> Dataset = new("--dataset") { Description = "uci-har, hapt, usc-had or wisdm", DefaultValueFactory = _ => "hapt" };
        public readonly Option<int> Epochs = new("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 60 };
        public readonly Option<int> Batch = new("--batch") { Description = "Mini-batch size", DefaultValueFactory = _ => 64 };
        public readonly Option<float> Lr = new("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 2e-3f };
        public readonly Option<string> Optimizer = new("--optimizer") { Description = "adamw, adam or sgd", DefaultValueFactory = _ => "adamw" };
        public readonly Option<float> WeightDecay = new("--weight-decay") { Description = "Weight decay (decoupled for adamw, L2 for adam/sgd)", DefaultValueFactory = _ => 1e-2f };
        public readonly Option<float> Momentum = new("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9f };
        public readonly Option<bool> Nesterov = new("--nesterov") { Description = "Nesterov momentum (sgd)" };
        public readonly Option<string> Schedule = new("--schedule") { Description = "cosine (with warm-up, per step), step, plateau or none", DefaultValueFactory = _ => "cosine" };
        public readonly Option<int> Warmup = new("--warmup-epochs") { Description = "Linear warm-up epochs of the cosine schedule", DefaultValueFactory = _ => 1 };
        public readonly Option<int> StepSize = new("--step-size") { Description = "Epochs between decays of the step schedule", DefaultValueFactory = _ => 20 };
        public readonly Option<float> Gamma = new("--gamma") { Description = "Decay factor of the step schedule", DefaultValueFactory = _ => 0.1f };
        public readonly Option<int> PlateauPatience = new("--plateau-patience") { Description = "Epochs without validation-loss improvement before the plateau schedule decays", DefaultValueFactory = _ => 5 };
        public readonly Option<float> PlateauFactor = new("--plateau-factor") { Description = "Decay factor of the plateau schedule", DefaultValueFactory = _ => 0.5f };
        public readonly Option<float> MinLr = new("--min-lr") { Description = "Floor of the cosine and plateau schedules", DefaultValueFactory = _ => 0f };
        public readonly Option<float> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing of the cross-entropy (also of every distillation method's label term)", DefaultValueFactory = _ => 0f };
        public readonly Option<string> ClassWeights = new("--class-weights") { Description = "Cross-entropy class weights from the training split: none, balanced (N/(K·n_c)) or sqrt (1/√n_c, milder); for rare classes such as HAPT's postural transitions", DefaultValueFactory = _ => "none" };
        public readonly Option<bool> SoftClassWeights = new("--soft-class-weights") { Description = "Also weigh the distillation methods' soft-target terms (KL to the teacher's, peer's or ensemble's logits) by --class-weights, per window; har distill (har train accepts it so a grid's shared args work, and has no such term)" };
        public readonly Option<float> Ema = new("--ema") { Description = "Keep an exponential moving average of the weights with this decay (e.g. 0.999) and validate, checkpoint as best and test the averaged model (0 = off)", DefaultValueFactory = _ => 0f };
        public readonly Option<float> ClipNorm = new("--clip-norm") { Description = "Clip the global gradient norm (0 = off)", DefaultValueFactory = _ => 0f };
        public readonly Option<float> AuxWeight = new("--aux-weight") { Description = "Weight of auxiliary heads' loss (resnet-lstm-an)", DefaultValueFactory = _ => 0.3f };
        public readonly Option<bool> Augment = new("--augment") { Description = "Jitter, scaling and time-shift augmentation (off by default)" };
        public readonly Option<float> Jitter = new("--jitter") { Description = "Std of Gaussian jitter (with --augment)", DefaultValueFactory = _ => 0.03f };
        public readonly Option<float> Scale = new("--scale") { Description = "Std of per-channel scaling (with --augment)", DefaultValueFactory = _ => 0.1f };
        public readonly Option<int> Shift = new("--shift") { Description = "Largest circular time shift in samples (with --augment)", DefaultValueFactory = _ => 8 };
        public readonly Option<float> Rotate = new("--rotate") { Description = "Largest angle in degrees of a random 3-D rotation of the x/y/z sensor triads, one per window (with --augment; 0 = off)", DefaultValueFactory = _ => 0f };
        public readonly Option<int> Patience = new("--patience") { Description = "Early stopping after this many epochs without validation improvement (0 = off)", DefaultValueFactory = _ => 0 };
        public readonly Option<string> SelectBy = new("--select-by") { Description = "Validation metric that picks the best epoch: macro_f1 or accuracy; or last (test the last epoch's weights, averaged with --ema; validation is still scored)", DefaultValueFactory = _ => "macro_f1" };
        public readonly Option<ulong> Seed = new("--seed") { Description = "Seed of initialisation, shuffling, dropout and augmentation", DefaultValueFactory = _ => 1UL };
        public readonly Option<int> MaxBatches = new("--max-batches") { Description = "Train on at most this many batches per epoch (quick checks; 0 = all)", DefaultValueFactory = _ => 0 };
        public readonly Option<string?> Out = new("--out") { Description = "Run folder (default runs/DATASET-MODEL-sSEED)" };
        public readonly Option<bool> Resume = new("--resume") { Description = "Continue the interrupted run in --out" };

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Dataset, Epochs, Batch, Lr, Optimizer, WeightDecay, Momentum, Nesterov, Schedule, Warmup, StepSize, Gamma,
                         PlateauPatience, PlateauFactor, MinLr, LabelSmoothing, ClassWeights, SoftClassWeights, Ema, ClipNorm, AuxWeight, Augment, Jitter, Scale, Shift, Rotate, Patience, SelectBy, Seed,
                         MaxBatches, Out, Resume, DeviceOption, QuietOption, HarCli.NoCacheOption, HarCli.WindowOption, HarCli.StrideOption, HarCli.WindowLabelOption, HarCli.ValFractionOption, HarCli.ValSubjectsOption, HarCli.SplitSeedOption })
                c.Options.Add(o);
        }

        public TrainOptions Read(ParseResult p, string model) => new()
        {
            Dataset = p.GetValue(Dataset)!, Model = model, Epochs = p.GetValue(Epochs), BatchSize = p.GetValue(Batch), Lr = p.GetValue(Lr),
            Optimizer = p.GetValue(Optimizer)!, WeightDecay = p.GetValue(WeightDecay), Momentum = p.GetValue(Momentum), Nesterov = p.GetValue(Nesterov),
            Schedule = p.GetValue(Schedule)!, WarmupEpochs = p.GetValue(Warmup), StepSize = p.GetValue(StepSize), Gamma = p.GetValue(Gamma),
            PlateauPatience = p.GetValue(PlateauPatience), PlateauFactor = p.GetValue(PlateauFactor), MinLr = p.GetValue(MinLr),
            LabelSmoothing = p.GetValue(LabelSmoothing), ClassWeights = p.GetValue(ClassWeights)!, SoftClassWeights = p.GetValue(SoftClassWeights), Ema = p.GetValue(Ema), ClipNorm = p.GetValue(ClipNorm), AuxWeight = p.GetValue(AuxWeight), Augment = p.GetValue(Augment),
            JitterStd = p.GetValue(Jitter), ScaleStd = p.GetValue(Scale), MaxShift = p.GetValue(Shift), RotateDegrees = p.GetValue(Rotate), Patience = p.GetValue(Patience),
            SelectBy = p.GetValue(SelectBy)!, Seed = p.GetValue(Seed), Device = p.GetValue(DeviceOption)!, MaxBatchesPerEpoch = p.GetValue(MaxBatches),
        };
    }

    private static Command BuildTrain(TextWriter stdout, TextWriter stderr)
    {
        var set = new TrainOptionSet();
        var model = new Option<string>("--model") { Description = "Model name (see `har models`)", DefaultValueFactory = _ => "mobilenet-small" };
        var cmd = new Command("train", "Train a model on a dataset; checkpoints, JSON-lines log and reports go to the run folder");
        cmd.Options.Add(model);
        set.AddTo(cmd);
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var o = set.Read(p, p.GetValue(model)!);
            o.Validate();
            ModelCatalog.Find(o.Model);
            var dataOpts = HarCli.DataOptionsFrom(p);
            var outDir = p.GetValue(set.Out) ?? Path.Combine("runs", $"{o.Dataset}-{o.Model}-s{o.Seed}");
            return RunTraining(o, dataOpts, outDir, p.GetValue(set.Resume), p.GetValue(QuietOption), stdout, stderr,
                (data, device) => (ModelCatalog.Create(new ModelSpec(o.Model, data.Channels, data.WindowLength, data.NumClasses), new Rng(o.Seed), device), null, new()));
        }));
        return cmd;
    }

    /// <summary>
    /// A resumed run must use the options it started with; only --epochs may grow, and --device may change (a run
    /// started on a GPU machine can be finished on cpu, say). Returns a note when the device changed: the run goes on
    /// from the same weights, optimiser state and schedule, but is no longer bit-identical to an uninterrupted one.
    /// </summary>
    public static string? CheckResume(TrainOptions saved, TrainOptions now, string configPath)
    {
        if (saved with { Epochs = now.Epochs, Device = now.Device } != now)
            throw new ArgumentException($"--resume: the options differ from those in {configPath}; resume with the same options (only --epochs may grow, and --device may change)");
        return saved.Device == now.Device ? null
            : $"the run started on {saved.Device} and continues on {now.Device}: same weights, optimiser state and schedule, but not bit-identical to an uninterrupted run";
    }

    /// <summary>
    /// Loads the data, builds the model (and objective), writes config.json, trains with progress, then
    /// evaluates the best epoch on the test subjects and writes the reports. Shared by train and distill.
    /// </summary>
    public static int RunTraining(TrainOptions o, DataOptions dataOpts, string outDir, bool resume, bool quiet, TextWriter stdout, TextWriter stderr,
        Func<HarDataset, Device, (HarModel model, ITrainingObjective? objective, Dictionary<string, string> extra)> build)
    {
        var device = Device.Get(o.Device);
        var files = new RunFiles(outDir);
        if (resume)
        {
            var note = CheckResume(files.ReadConfig().Train, o, files.Config);
            if (note != null) stderr.WriteLine("note: " + note);
        }
        var warnings = new List<string>();
        var data = HarData.Load(o.Dataset, dataOpts, warnings);
        foreach (var w in warnings) stderr.WriteLine("warning: " + w);
        if (!quiet) stdout.WriteLine($"{data.Name}: train {data.Train.Count}, validation {data.Validation.Count}, test {data.Test.Count} windows of {data.Channels}x{data.WindowLength}, {data.NumClasses} classes ({(data.FromCache ? "cache" : "loaded")} in {data.LoadTime.TotalSeconds:F2} s)");
        var (model, objective, extra) = build(data, device);
        if (!quiet) stdout.WriteLine($"{o.Model}: {model.ParameterCount:N0} parameters, {model.MacsPerWindow():N0} MACs per window, device {device.Name}");
        files.WriteConfig(new RunConfig
        {
            Train = o, Data = dataOpts with { DataDir = null, CacheDir = null }, Model = model.Spec, ClassNames = data.ClassNames, ChannelNames = data.ChannelNames,
            Stats = data.Stats, Extra = extra,
        });

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        TrainResult result;
        try
        {
            var observer = new ConsoleProgress(stdout, quiet, o.Epochs);
            var trainer = new Trainer(o, data, model, outDir, objective, observer);
            result = observer.Run(() => trainer.Run(resume, cts.Token));
        }
        finally { Console.CancelKeyPress -= onCancel; }
        if (result.Test == null) return 130;

        var summary = Summarize(files, o, model, device, result.State.BestEpoch, result.Test, result.State.History, o.BatchSize);
        RunReport.Write(files.Dir, summary);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test ({data.Test.Count} windows, {summary.Selection}): accuracy {result.Test.Report.Accuracy:P2}, macro-F1 {result.Test.Report.MacroF1:P2}; report: {Path.Combine(files.Dir, "report.md")}"));
        foreach (var (name, t) in result.CompanionTests ?? [])
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name} (trained with it, same epoch): accuracy {t.Report.Accuracy:P2}, macro-F1 {t.Report.MacroF1:P2}"));
        return 0;
    }

    private static EvalSummary Summarize(RunFiles files, TrainOptions o, HarModel model, Device device, int bestEpoch, EvalResult test, IReadOnlyList<EpochRecord> history, int latencyBatch) => new()
    {
        Run = files.Dir, Model = o.Model, Dataset = o.Dataset, Device = device.Name, Parameters = model.DeployedParameterCount, MacsPerWindow = model.MacsPerWindow(),
        LatencyMsPerWindow = Evaluator.LatencyMs(model, 1), LatencyMsPerBatch = Evaluator.LatencyMs(model, latencyBatch), LatencyBatch = latencyBatch,
        BestEpoch = bestEpoch, TestLoss = test.Loss, Test = test.Report, History = history, Selection = RunReport.SelectedEpoch(bestEpoch, history, o.SelectBy),
    };

    private static Command BuildEval(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run folder written by har train or har distill", Required = true };
        var latencyBatch = new Option<int>("--latency-batch") { Description = "Batch size of the per-batch latency", DefaultValueFactory = _ => 64 };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best (the run's selected weights) or last (the weights after its last epoch; averaged with --ema)", DefaultValueFactory = _ => "best" };
        checkpoint.AcceptOnlyFromAmong("best", "last");
        // the run's metrics.json is what har experiment tables read: testing other weights in place would change them
        var outDir = new Option<string?>("--out") { Description = "Folder for metrics.json, report.md and the PNGs (default: the run folder; another folder leaves the run's own report as it is)" };
        var cmd = new Command("eval", "Evaluate a run on its test subjects: metrics, confusion matrix, curves, size and latency (JSON, Markdown, PNG)")
            { run, latencyBatch, checkpoint, outDir, DeviceOption };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var files = new RunFiles(p.GetValue(run)!);
            var config = files.ReadConfig();
            var device = Device.Get(p.GetValue(DeviceOption)!);
            var dataOpts = config.Data with { DataDir = p.GetValue(HarCli.DataOption), CacheDir = p.GetValue(HarCli.CacheOption) };
            var data = HarData.Load(config.Train.Dataset, dataOpts);
            var model = Distillation.SmlDist.HeadSearchModel.CreateAny(config.Model, new Rng(config.Train.Seed), device); // catalogue models and BASE+HEAD students of har distill
            var which = p.GetValue(checkpoint)!;
            files.LoadWeights(which, model);
            var test = Evaluator.Evaluate(model, data.Test, data.ClassNames);
            var state = files.ReadState();
            var history = state?.History ?? [];
            var summary = Summarize(files, config.Train, model, device, state?.BestEpoch ?? 0, test, history, p.GetValue(latencyBatch));
            if (which == "last") summary = summary with { Selection = $"the weights after the last epoch, {(history.Count > 0 ? history[^1].Epoch : 0)} (har eval --checkpoint last)" };
            var dir = p.GetValue(outDir) ?? files.Dir;
            Directory.CreateDirectory(dir);
            RunReport.Write(dir, summary);
            var inv = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Create(inv, $"{config.Train.Model} on {config.Train.Dataset} ({data.Test.Count} test windows): accuracy {test.Report.Accuracy:P2}, macro-F1 {test.Report.MacroF1:P2}"));
            foreach (var c in test.Report.PerClass)
                stdout.WriteLine(string.Create(inv, $"  {c.Name,-22} precision {c.Precision:F3}  recall {c.Recall:F3}  F1 {c.F1:F3}  ({c.Support})"));
            stdout.WriteLine(string.Create(inv, $"parameters {summary.Parameters:N0}, MACs/window {summary.MacsPerWindow:N0}, latency {summary.LatencyMsPerWindow:F3} ms/window, {summary.LatencyMsPerBatch:F2} ms/batch of {summary.LatencyBatch} on {device.Name}"));
            stdout.WriteLine($"{summary.Selection}; wrote metrics.json, report.md, confusion.png, curves_*.png in {dir}");
            return 0;
        }));
        return cmd;
    }

    private static Command BuildEnsemble(TextWriter stdout, TextWriter stderr)
    {
        var runs = new Option<string[]>("--runs") { Description = "Two or more run folders (space- or comma-separated); each is used at its best.safetensors", Required = true, AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string>("--out") { Description = "Folder for metrics.json, report.md, confusion.png and ensemble.json", Required = true };
        var latencyBatch = new Option<int>("--latency-batch") { Description = "Batch size of the per-batch latency", DefaultValueFactory = _ => 64 };
        var cmd = new Command("ensemble", "Evaluate several runs as one model (mean of their class probabilities) on the test subjects, beside each member; " +
            "`har distill --teacher RUN1,RUN2,...` distils such an ensemble") { runs, outDir, latencyBatch, DeviceOption };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var list = p.GetValue(runs)!.SelectMany(EnsembleRuns.Split).ToList();
            var configs = EnsembleRuns.ReadConfigs(list, "--runs");
            var device = Device.Get(p.GetValue(DeviceOption)!);
            var reference = configs[0];
            var data = HarData.Load(reference.Train.Dataset, reference.Data with { DataDir = p.GetValue(HarCli.DataOption), CacheDir = p.GetValue(HarCli.CacheOption) });
            var model = EnsembleRuns.Build(list, configs, data.Stats, device);
            var inv = CultureInfo.InvariantCulture;
            var members = new List<object>();
            for (int k = 0; k < list.Count; k++)
            {
                // a member alone, fed the same windows through the ensemble's mapping into its normalisation
                var r = Evaluator.Evaluate(model.Members[k], data.Test, data.ClassNames).Report;
                members.Add(new { run = Path.GetFullPath(list[k]), model = configs[k].Model.Name, accuracy = r.Accuracy, macro_f1 = r.MacroF1 });
                stdout.WriteLine(string.Create(inv, $"  member {list[k]} ({configs[k].Model.Name}): accuracy {r.Accuracy:P2}, macro-F1 {r.MacroF1:P2}"));
            }
            var test = Evaluator.Evaluate(model, data.Test, data.ClassNames);
            var dir = p.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            var summary = new EvalSummary
            {
                Run = Path.GetFullPath(dir), Model = model.Spec.Name, Dataset = reference.Train.Dataset, Device = device.Name,
                Parameters = model.ParameterCount, MacsPerWindow = model.MacsPerWindow(),
                LatencyMsPerWindow = Evaluator.LatencyMs(model, 1), LatencyMsPerBatch = Evaluator.LatencyMs(model, p.GetValue(latencyBatch)), LatencyBatch = p.GetValue(latencyBatch),
                BestEpoch = 0, TestLoss = test.Loss, Test = test.Report, History = [],
                Selection = $"mean class probability of {list.Count} runs, each at its best epoch",
            };
            RunReport.Write(dir, summary);
            AtomicFile.WriteAllText(Path.Combine(dir, "ensemble.json"), System.Text.Json.JsonSerializer.Serialize(
                new { dataset = reference.Train.Dataset, members, accuracy = test.Report.Accuracy, macro_f1 = test.Report.MacroF1 }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            stdout.WriteLine(string.Create(inv, $"{model.Spec.Name} on {reference.Train.Dataset} ({data.Test.Count} test windows): accuracy {test.Report.Accuracy:P2}, macro-F1 {test.Report.MacroF1:P2}; {summary.Parameters:N0} parameters, {summary.MacsPerWindow:N0} MACs/window"));
            stdout.WriteLine($"wrote metrics.json, report.md, confusion.png, ensemble.json in {dir}");
            return 0;
        }));
        return cmd;
    }

    private static Command BuildModels(TextWriter stdout, TextWriter stderr)
    {
        var dataset = new Option<string?>("--dataset") { Description = "Size the models for this dataset's input (uci-har: 9x128, 6 classes; hapt: 6x128, 12; usc-had: 6x128, 12; wisdm: 3x128, 6)" };
        var cmd = new Command("models", "List the models with their parameters and multiply-accumulates per window") { dataset };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var name = p.GetValue(dataset) ?? "hapt";
            var (ch, len, k) = ShapeOf(name);
            stdout.WriteLine($"models for {name} windows ({ch} channels x {len} samples, {k} classes):");
            stdout.WriteLine($"  {"name",-20} {"role",-8} {"parameters",12} {"MACs/window",14}  description");
            foreach (var e in ModelCatalog.Entries)
            {
                var info = ModelCatalog.Describe(e.Name, ch, len, k);
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {e.Name,-20} {e.Role.ToString().ToLowerInvariant(),-8} {info.Parameters,12:N0} {info.MacsPerWindow,14:N0}  {e.Description}"));
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>Progress: a live bar (epoch, batch, loss, throughput, ETA) on a terminal, one line per epoch otherwise.</summary>
    private sealed class ConsoleProgress(TextWriter stdout, bool quiet, int epochs) : ITrainingObserver
    {
        private ProgressTask? _task;
        private readonly bool _live = !quiet && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

        public TrainResult Run(Func<TrainResult> body)
        {
            if (!_live) return body();
            TrainResult? r = null;
            AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    _task = ctx.AddTask("training", maxValue: 1);
                    r = body();
                });
            return r!;
        }

        public void OnBatch(int epoch, int batch, int batches, double loss, double wps)
        {
            if (_task == null) return;
            _task.MaxValue = (double)epochs * batches;
            _task.Value = (epoch - 1) * (double)batches + batch;
            _task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{epochs} batch {batch}/{batches} loss {loss:F4} {wps:F0} win/s");
        }

        public void OnEpoch(EpochRecord r, bool improved)
        {
            if (quiet) return;
            var val = !r.Validated
                ? "no validation"   // --val-fraction 0: say so rather than print NaN
                : string.Create(CultureInfo.InvariantCulture, $"val loss {r.ValLoss:F4} acc {r.ValAccuracy:F4} macro-F1 {r.ValMacroF1:F4}");
            var line = string.Create(CultureInfo.InvariantCulture,
                $"epoch {r.Epoch,3}/{epochs}: train loss {r.TrainLoss:F4} acc {r.TrainAccuracy:F4} | {val}{(improved ? " *" : "")} | lr {r.Lr:G3} | {r.Seconds:F1} s, {r.WindowsPerSecond:F0} win/s");
            if (_live) AnsiConsole.MarkupLine(Markup.Escape(line));
            else stdout.WriteLine(line);
        }

        public void OnCompanionEpoch(string name, EvalResult v)
        {
            if (!quiet) OnMessage(string.Create(CultureInfo.InvariantCulture, $"           {name}: val acc {v.Report.Accuracy:F4} macro-F1 {v.Report.MacroF1:F4}"));
        }

        public void OnMessage(string message)
        {
            if (_live) AnsiConsole.MarkupLine(Markup.Escape(message));
            else stdout.WriteLine(message);
        }
    }
}
