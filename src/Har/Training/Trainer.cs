using System.Diagnostics;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

/// <summary>Receives progress: after each batch and after each epoch (the console bar and tests implement it).</summary>
public interface ITrainingObserver
{
    void OnBatch(int epoch, int batch, int batches, double loss, double windowsPerSecond) { }
    void OnEpoch(EpochRecord record, bool improved) { }
    /// <summary>After <see cref="OnEpoch"/>: the validation scores of a network trained alongside the model (a mutual teacher).</summary>
    void OnCompanionEpoch(string name, EvalResult validation) { }
    void OnMessage(string message) { }
}

/// <summary>The run's end: its state, the test evaluation of the best epoch, and that of each companion network at the same epoch.</summary>
public sealed record TrainResult(TrainState State, EvalResult? Test, IReadOnlyList<(string name, EvalResult test)>? CompanionTests = null);

/// <summary>
/// The training loop shared by `har train` and `har distill`: mini-batches from the seeded loader, the
/// objective's loss, backward, optional gradient clipping, optimiser and schedule steps; validation after each
/// epoch selects the best model (never the test split); early stopping; a checkpoint after every epoch
/// (model, optimiser, generators, schedule, history), from which <c>resume</c> continues to the same result
/// on cpu; finally the best model is evaluated on the test subjects.
/// </summary>
public sealed class Trainer
{
    private readonly TrainOptions _o;
    private readonly HarDataset _data;
    private readonly HarModel _model;
    private readonly RunFiles _files;
    private readonly ITrainingObjective _objective;
    private readonly ITrainingObserver _observer;
    private readonly List<(string prefix, Module module)> _modules;
    /// <summary>What the best checkpoint holds: the model and the objective's modules, without the EMA shadows.</summary>
    private readonly List<(string prefix, Module module)> _bestModules;
    private readonly ModelEma? _ema;
    private readonly Optimizer _opt;
    private readonly ILrSchedule? _schedule;
    private readonly BatchLoader _loader;
    private readonly SensorRotation? _rotation;
    private readonly int _batchesPerEpoch;
    private List<(string name, EvalResult val)> _companionVal = [];

    public Trainer(TrainOptions options, HarDataset data, HarModel model, string runDir, ITrainingObjective? objective = null, ITrainingObserver? observer = null)
    {
        options.Validate();
        _o = options;
        _data = data;
        _model = model;
        _files = new RunFiles(runDir);
        _objective = objective ?? new SupervisedObjective(options, LabelLoss.For(options, data));
        _observer = observer ?? new NullObserver();
        _modules = [("", model), .. _objective.ExtraModules.Select(e => (e.name, e.module))];
        if (data.Train.Count == 0) throw new ArgumentException($"dataset {data.Name}: the training split is empty");
        var parameters = _modules.SelectMany(m => m.module.Parameters()).ToList();
        _opt = options.Optimizer switch
        {
            "sgd" => new Sgd(parameters, options.Lr, options.Momentum, 0f, options.WeightDecay, options.Nesterov),
            "adam" => new Adam(parameters, options.Lr, weightDecay: options.WeightDecay),
            _ => new AdamW(parameters, options.Lr, weightDecay: options.WeightDecay),
        };
        _bestModules = [.. _modules];
        if (options.Ema > 0)
        {
            _ema = new ModelEma(model, options.Ema);
            _modules.Add(("ema", _ema));   // the shadows and their step count go into last.safetensors, so --resume continues them
        }
        if (options.Augment && options.RotateDegrees > 0) _rotation = SensorRotation.For(data.Name, data.ChannelNames, data.Stats);
        _loader = new BatchLoader(data.Train, options.BatchSize, shuffle: true, seed: options.Seed, dropLast: data.Train.Count > options.BatchSize);
        _batchesPerEpoch = options.MaxBatchesPerEpoch > 0 ? Math.Min(options.MaxBatchesPerEpoch, _loader.BatchesPerEpoch) : _loader.BatchesPerEpoch;
        _schedule = options.Schedule switch
        {
            "cosine" => new CosineLr(_opt, Math.Max(1, options.Epochs * _batchesPerEpoch), options.WarmupEpochs * _batchesPerEpoch, options.MinLr),
            "step" => new StepLr(_opt, options.StepSize, options.Gamma),
            "plateau" => new ReduceLrOnPlateau(_opt, options.PlateauFactor, options.PlateauPatience, minLr: options.MinLr),
            _ => null,
        };
    }

    public RunFiles Files => _files;

    public TrainResult Run(bool resume = false, CancellationToken cancel = default)
    {
        var state = resume ? Restore() : null;
        if (!resume && File.Exists(_files.State))
            throw new InvalidOperationException($"{_files.Dir} already holds a run (state.json); pass --resume to continue it or choose another --out");
        state ??= new TrainState { Lr = _opt.Lr };
        if (!resume && File.Exists(_files.Log)) File.Delete(_files.Log);

        for (int epoch = state.EpochsDone + 1; epoch <= _o.Epochs && !state.Stopped; epoch++)
        {
            var record = RunEpoch(epoch, cancel);
            if (record == null) { _observer.OnMessage($"interrupted in epoch {epoch}; resume with --resume (continues from epoch {epoch})"); return new TrainResult(state, null); }
            if (_schedule is ReduceLrOnPlateau) _schedule.Step((float)record.ValLoss);
            else if (_schedule is StepLr) _schedule.Step();

            double metric = _o.SelectBy == "accuracy" ? record.ValAccuracy : record.ValMacroF1;
            // without a validation split, or with --select-by last, every epoch is "selected": best.safetensors then
            // holds the last epoch's (averaged) weights, which the test evaluates and eval and distill --teacher load
            bool improved = _data.Validation.Count == 0 || _o.SelectBy == "last" || metric > state.BestMetric;
            var history = new List<EpochRecord>(state.History) { record };
            int without = improved ? 0 : state.EpochsWithoutImprovement + 1;
            bool stop = _o.Patience > 0 && without >= _o.Patience;
            var meta = new Dictionary<string, string> { ["epoch"] = epoch.ToString(), ["model"] = _model.Spec.Name, ["dataset"] = _data.Name };
            if (improved)
            {
                _ema?.Swap();   // the best checkpoint holds the averaged weights (under the model's own names)
                try { RunFiles.SaveModules(_files.Best, _bestModules, meta); }
                finally { _ema?.Swap(); }
            }
            RunFiles.SaveModules(_files.Last, _modules, meta);
            RunFiles.SaveOptimizer(_files.LastOptim, _opt);
            var plateau = _schedule as ReduceLrOnPlateau;
            state = new TrainState
            {
                EpochsDone = epoch,
                BestMetric = improved ? metric : state.BestMetric,
                BestEpoch = improved ? epoch : state.BestEpoch,
                EpochsWithoutImprovement = without,
                Lr = _opt.Lr,
                ScheduleSteps = _schedule?.Steps ?? 0,
                PlateauBest = plateau?.Best ?? float.PositiveInfinity,
                PlateauBad = plateau?.BadSteps ?? 0,
                PlateauCooldown = plateau?.CooldownLeft ?? 0,
                OptimizerSteps = _opt.StepCount,
                Stopped = stop,
                Rngs = _modules.SelectMany(m => m.module.NamedRngs(m.prefix.Length == 0 ? "" : m.prefix + ".")).ToDictionary(r => r.name, r => r.rng.GetState()),
                History = history,
            };
            _files.WriteState(state);
            var line = new Dictionary<string, object>
            {
                ["type"] = "epoch", ["Epoch"] = record.Epoch, ["TrainLoss"] = record.TrainLoss, ["TrainAccuracy"] = record.TrainAccuracy,
                ["ValLoss"] = record.ValLoss, ["ValAccuracy"] = record.ValAccuracy, ["ValMacroF1"] = record.ValMacroF1, ["Lr"] = record.Lr,
                ["Seconds"] = record.Seconds, ["WindowsPerSecond"] = record.WindowsPerSecond, ["improved"] = improved,
                ["Batches"] = record.Batches, ["FullBatches"] = _loader.BatchesPerEpoch, ["TrainSeconds"] = record.TrainSeconds,
            };
            foreach (var (name, val) in _companionVal)
            {
                line[name + "_val_accuracy"] = val.Report.Accuracy;
                line[name + "_val_macro_f1"] = val.Report.MacroF1;
            }
            _files.AppendLog(line);
            _observer.OnEpoch(record, improved);
            foreach (var (name, val) in _companionVal) _observer.OnCompanionEpoch(name, val);
            if (stop) _observer.OnMessage($"early stopping: no validation improvement for {_o.Patience} epochs");
        }

        // the best epoch's weights (selected on validation subjects) are evaluated on the test subjects
        if (File.Exists(_files.Best)) RunFiles.LoadModules(_files.Best, _bestModules);
        else _ema?.Swap();   // a run finished before runs without validation wrote best.safetensors: test the last averaged weights
        var test = Evaluator.Evaluate(_model, _data.Test, _data.ClassNames);
        var companionTests = _objective.Companions.Select(c => (c.name, Evaluator.Evaluate(c.model, _data.Test, _data.ClassNames))).ToList();
        var testLine = new Dictionary<string, object> { ["type"] = "test", ["accuracy"] = test.Report.Accuracy, ["macro_f1"] = test.Report.MacroF1, ["loss"] = test.Loss, ["best_epoch"] = state.BestEpoch };
        foreach (var (name, t) in companionTests)
        {
            testLine[name + "_accuracy"] = t.Report.Accuracy;
            testLine[name + "_macro_f1"] = t.Report.MacroF1;
        }
        _files.AppendLog(testLine);
        return new TrainResult(state, test, companionTests);
    }

    private EpochRecord? RunEpoch(int epoch, CancellationToken cancel)
    {
        _model.Train();
        foreach (var (_, m) in _modules) m.Train();
        var sw = Stopwatch.StartNew();
        var augRng = new Rng(_o.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)epoch * 0xBF58476D1CE4E5B9UL);
        double lossSum = 0;
        long correct = 0, seen = 0;
        int b = 0;
        var device = _model.Device;
        foreach (var batch in _loader.Epoch(epoch))
        {
            if (b >= _batchesPerEpoch) break;
            if (cancel.IsCancellationRequested) return null;
            int n = batch.Count;
            var xs = batch.XSpan.ToArray();
            if (_o.Augment) Augmentation.Apply(xs, n, batch.Channels, batch.Time, _o, augRng, _rotation);
            var labels = batch.YSpan.ToArray();
            using (TensorScope.Begin())
            {
                var x = Tensor.FromArray(xs, [n, batch.Channels, batch.Time], device);
                _opt.ZeroGrad();
                var loss = _objective.Loss(_model, x, labels, epoch, out var logits, batch.Indices[..n]);
                float lv = loss.Item();
                if (!float.IsFinite(lv))
                    throw new InvalidOperationException($"epoch {epoch}, batch {b}: the loss is {lv}; lower --lr (now {_opt.Lr}) or set --clip-norm");
                loss.Backward();
                if (_o.ClipNorm > 0) GradClip.ClipGradNorm(_opt.Parameters, _o.ClipNorm);
                _opt.Step();
                _ema?.Update();
                if (_schedule is CosineLr) _schedule.Step();
                lossSum += lv * n;
                var pred = logits.ArgMaxLastAxis();
                for (int i = 0; i < n; i++) if (pred[i] == labels[i]) correct++;
                seen += n;
            }
            b++;
            _observer.OnBatch(epoch, b, _batchesPerEpoch, lossSum / seen, seen / sw.Elapsed.TotalSeconds);
        }
        double trainSeconds = sw.Elapsed.TotalSeconds;
        _ema?.Swap();   // validation scores the averaged weights, which are what the best checkpoint would keep
        EvalResult? val;
        try { val = _data.Validation.Count > 0 ? Evaluator.Evaluate(_model, _data.Validation, _data.ClassNames) : null; }
        finally { _ema?.Swap(); }
        _companionVal = _data.Validation.Count > 0
            ? _objective.Companions.Select(c => (c.name, Evaluator.Evaluate(c.model, _data.Validation, _data.ClassNames))).ToList()
            : [];
        return new EpochRecord(epoch, lossSum / Math.Max(seen, 1), (double)correct / Math.Max(seen, 1),
            val?.Loss ?? double.NaN, val?.Report.Accuracy ?? double.NaN, val?.Report.MacroF1 ?? double.NaN,
            _opt.Lr, sw.Elapsed.TotalSeconds, seen / Math.Max(trainSeconds, 1e-9), b, trainSeconds);
    }

    private TrainState Restore()
    {
        var state = _files.ReadState() ?? throw new InvalidOperationException($"--resume: {_files.State} not found; nothing to resume in {_files.Dir}");
        var meta = RunFiles.LoadModules(_files.Last, _modules);
        if (!meta.TryGetValue("epoch", out var e) || e != state.EpochsDone.ToString())
            throw new InvalidDataException($"{_files.Last}: holds epoch {(meta.TryGetValue("epoch", out var x) ? x : "?")}, state.json says {state.EpochsDone}");
        RunFiles.LoadOptimizer(_files.LastOptim, _opt);
        _opt.Lr = state.Lr;
        if (_schedule != null) _schedule.Steps = state.ScheduleSteps;
        if (_schedule is ReduceLrOnPlateau p) { p.Best = state.PlateauBest; p.BadSteps = state.PlateauBad; p.CooldownLeft = state.PlateauCooldown; }
        foreach (var (name, rng) in _modules.SelectMany(m => m.module.NamedRngs(m.prefix.Length == 0 ? "" : m.prefix + ".")))
            if (state.Rngs.TryGetValue(name, out var s)) rng.SetState(s);
        _observer.OnMessage($"resuming {_files.Dir} after epoch {state.EpochsDone} (best {_o.SelectBy} {state.BestMetric:F4} at epoch {state.BestEpoch})");
        return state;
    }

    private sealed class NullObserver : ITrainingObserver;
}
