using HarFromScratch.Har.Data;
using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Tests.Training;

public class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("har-train-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly ModelSpec Spec = new("tiny", 2, 8, 3);

    private static TrainOptions Options(int epochs) => new()
    {
        Dataset = "synthetic", Model = "tiny", Epochs = epochs, BatchSize = 16, Lr = 1e-2f, Seed = 3, Augment = true, WarmupEpochs = 1,
    };

    private sealed class Recorder : ITrainingObserver
    {
        public List<double> BatchLosses { get; } = new();
        public (int epoch, CancellationTokenSource cts)? CancelAfterEpoch { get; init; }
        public void OnBatch(int epoch, int batch, int batches, double loss, double wps) => BatchLosses.Add(loss);
        public void OnEpoch(EpochRecord r, bool improved)
        {
            if (CancelAfterEpoch is { } c && r.Epoch == c.epoch) c.cts.Cancel();
        }
    }

    [Fact]
    public void TrainsSelectsOnValidationAndWritesTheRunFolder()
    {
        var data = SyntheticData.Make();
        var run = Path.Combine(_dir, "run");
        var rec = new Recorder();
        var result = new Trainer(Options(6), data, new TinyModel(Spec, new Rng(1)), run, observer: rec).Run();
        Assert.True(result.State.History[^1].TrainLoss < result.State.History[0].TrainLoss, "training loss did not fall");
        Assert.True(result.Test!.Report.Accuracy > 0.8, $"test accuracy {result.Test.Report.Accuracy}");
        Assert.InRange(result.State.BestEpoch, 1, 6);
        foreach (var f in new[] { "state.json", "last.safetensors", "last.optim.safetensors", "best.safetensors", "log.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        var log = File.ReadAllLines(Path.Combine(run, "log.jsonl"));
        Assert.Equal(7, log.Length);
        Assert.Contains("\"type\":\"test\"", log[^1]);
        Assert.Throws<InvalidOperationException>(() => new Trainer(Options(6), data, new TinyModel(Spec, new Rng(1)), run).Run());
    }

    [Fact]
    public void ResumeAfterInterruptionReproducesTheUninterruptedRun()
    {
        var data = SyntheticData.Make();
        var straight = new Recorder();
        var full = new Trainer(Options(4), data, new TinyModel(Spec, new Rng(1)), Path.Combine(_dir, "a"), observer: straight).Run();

        // interrupted during epoch 3 (Ctrl-C), then a fresh trainer and model (a new process) resumes
        using var cts = new CancellationTokenSource();
        var first = new Recorder { CancelAfterEpoch = (2, cts) };
        var stopped = new Trainer(Options(4), data, new TinyModel(Spec, new Rng(1)), Path.Combine(_dir, "b"), observer: first).Run(cancel: cts.Token);
        Assert.Null(stopped.Test);
        Assert.Equal(2, stopped.State.EpochsDone);
        var second = new Recorder();
        var resumed = new Trainer(Options(4), data, new TinyModel(Spec, new Rng(99)), Path.Combine(_dir, "b"), observer: second).Run(resume: true);

        Assert.Equal(straight.BatchLosses, first.BatchLosses.Concat(second.BatchLosses));
        Assert.Equal(full.State.History.Select(h => h.ValLoss), resumed.State.History.Select(h => h.ValLoss));
        Assert.Equal(full.Test!.Predictions, resumed.Test!.Predictions);
    }

    [Fact]
    public void WithEmaResumeReproducesTheRunAndTheBestCheckpointHoldsTheAverage()
    {
        var data = SyntheticData.Make();
        var o = Options(4) with { Ema = 0.9f };
        var full = new Trainer(o, data, new TinyModel(Spec, new Rng(1)), Path.Combine(_dir, "ea")).Run();
        using var cts = new CancellationTokenSource();
        new Trainer(o, data, new TinyModel(Spec, new Rng(1)), Path.Combine(_dir, "eb"), observer: new Recorder { CancelAfterEpoch = (2, cts) }).Run(cancel: cts.Token);
        var resumed = new Trainer(o, data, new TinyModel(Spec, new Rng(99)), Path.Combine(_dir, "eb")).Run(resume: true);
        Assert.Equal(full.State.History.Select(h => h.ValLoss), resumed.State.History.Select(h => h.ValLoss));
        Assert.Equal(full.Test!.Predictions, resumed.Test!.Predictions);

        // validation scored the averaged weights: the best checkpoint reproduces its epoch's validation loss, the live
        // weights of the last checkpoint do not reproduce the last epoch's
        double Val(string file)
        {
            var m = new TinyModel(Spec, new Rng(5));
            RunFiles.LoadModelTensors(Path.Combine(_dir, "ea", file), m);
            return Evaluator.Evaluate(m, data.Validation, data.ClassNames).Loss;
        }
        Assert.Equal(full.State.History[full.State.BestEpoch - 1].ValLoss, Val("best.safetensors"), 6);
        Assert.NotEqual(full.State.History[^1].ValLoss, Val("last.safetensors"), 6);
        Assert.Contains("ema.updates", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(_dir, "ea", "last.safetensors"))));
        Assert.Contains("--ema", Assert.Throws<ArgumentException>(() => (o with { Ema = 1f }).Validate()).Message);
    }

    [Fact]
    public void WithoutValidationTheLastEpochsAveragedWeightsAreSavedAsBestAndTested()
    {
        // --val-fraction 0: nothing to select on, so the last epoch is the selected one; best.safetensors must hold the
        // weights the test scored (the average with --ema), since eval and distill --teacher load that file
        var d = SyntheticData.Make();
        var data = new HarDataset
        {
            Name = d.Name, ChannelNames = d.ChannelNames, ClassNames = d.ClassNames, SamplingRateHz = d.SamplingRateHz,
            Train = d.Train, Validation = WindowSet.Empty(2, 8), Test = d.Test, Counters = d.Counters,
        };
        var run = Path.Combine(_dir, "noval");
        var result = new Trainer(Options(3) with { Ema = 0.9f }, data, new TinyModel(Spec, new Rng(1)), run).Run();
        Assert.Equal(3, result.State.BestEpoch);
        var m = new TinyModel(Spec, new Rng(5));
        RunFiles.LoadModelTensors(Path.Combine(run, "best.safetensors"), m);
        Assert.Equal(result.Test!.Predictions, Evaluator.Evaluate(m, data.Test, data.ClassNames).Predictions);
        Assert.Equal(result.Test.Loss, Evaluator.Evaluate(m, data.Test, data.ClassNames).Loss, 9);
        var live = new TinyModel(Spec, new Rng(5));
        RunFiles.LoadModelTensors(Path.Combine(run, "last.safetensors"), live);
        Assert.NotEqual(result.Test.Loss, Evaluator.Evaluate(live, data.Test, data.ClassNames).Loss, 6);
    }

    [Fact]
    public void SelectByLastTestsTheLastEpochWhileValidationIsStillScored()
    {
        var data = SyntheticData.Make();
        var run = Path.Combine(_dir, "last");
        var o = Options(4) with { Ema = 0.9f, SelectBy = "last" };
        var result = new Trainer(o, data, new TinyModel(Spec, new Rng(1)), run).Run();
        Assert.Equal(4, result.State.BestEpoch);
        Assert.All(result.State.History, h => Assert.False(double.IsNaN(h.ValAccuracy)));
        var m = new TinyModel(Spec, new Rng(5));
        RunFiles.LoadModelTensors(Path.Combine(run, "best.safetensors"), m);
        Assert.Equal(result.Test!.Loss, Evaluator.Evaluate(m, data.Test, data.ClassNames).Loss, 9);
        Assert.Contains("--select-by last", HarFromScratch.Har.Reports.RunReport.SelectedEpoch(4, result.State.History, "last"));
        Assert.Contains("validation subjects", HarFromScratch.Har.Reports.RunReport.SelectedEpoch(2, result.State.History, "macro_f1"));
        Assert.Contains("--patience", Assert.Throws<ArgumentException>(() => (o with { Patience = 3 }).Validate()).Message);
    }

    [Fact]
    public void CancellationStopsWithoutCommittingAPartialEpoch()
    {
        var data = SyntheticData.Make();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var run = Path.Combine(_dir, "c");
        var r = new Trainer(Options(3), data, new TinyModel(Spec, new Rng(1)), run).Run(cancel: cts.Token);
        Assert.Null(r.Test);
        Assert.False(File.Exists(Path.Combine(run, "state.json")));
    }

    [Fact]
    public void BadOptionsNameTheOption()
    {
        var e = Assert.Throws<ArgumentException>(() => (Options(1) with { Lr = -1 }).Validate());
        Assert.Contains("--lr", e.Message);
        Assert.Contains("--optimizer", Assert.Throws<ArgumentException>(() => (Options(1) with { Optimizer = "lbfgs" }).Validate()).Message);
        Assert.Contains("--resume", Assert.Throws<InvalidOperationException>(() =>
            new Trainer(Options(1), SyntheticData.Make(), new TinyModel(Spec, new Rng(1)), Path.Combine(_dir, "none")).Run(resume: true)).Message);
    }

    [Fact]
    public void CheckpointLoadRejectsAMismatchedModelWithoutTouchingIt()
    {
        var data = SyntheticData.Make();
        var run = Path.Combine(_dir, "d");
        new Trainer(Options(1), data, new TinyModel(Spec, new Rng(1)), run).Run();
        var other = new TinyModel(new ModelSpec("tiny", 2, 8, 4), new Rng(2));
        var before = other.Parameters().Select(p => p.ToArray()).ToList();
        var e = Assert.Throws<InvalidDataException>(() => RunFiles.LoadModules(Path.Combine(run, "best.safetensors"), [("", other)]));
        Assert.Contains("fc2.weight", e.Message);
        Assert.Equal(before, other.Parameters().Select(p => p.ToArray()).ToList());
        // identical outputs after save -> load
        var m1 = new TinyModel(Spec, new Rng(1));
        RunFiles.LoadModules(Path.Combine(run, "best.safetensors"), [("", m1)]);
        var m2 = new TinyModel(Spec, new Rng(7));
        RunFiles.LoadModules(Path.Combine(run, "best.safetensors"), [("", m2)]);
        Assert.Equal(Evaluator.Evaluate(m1, data.Test, data.ClassNames).Predictions, Evaluator.Evaluate(m2, data.Test, data.ClassNames).Predictions);
    }
}
