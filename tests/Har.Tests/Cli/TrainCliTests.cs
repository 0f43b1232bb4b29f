using HarFromScratch.Har.Cli;
using HarFromScratch.Har.Tests.Data;

using static HarFromScratch.Har.Tests.Cli.CliRunner;

namespace HarFromScratch.Har.Tests.Cli;

/// <summary>`har train`, `har eval`, `har models`: end to end on real UCI-HAR windows (a few batches), and clear errors.</summary>
public sealed class TrainCliTests
{

    [Fact]
    public void TrainThenEvalWritesAFullRunFolder()
    {
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var (code, o, e) = RunHar("train", "--dataset", "uci-har", "--model", "mobilenet-tiny", "--epochs", "2", "--max-batches", "3", "--batch", "32",
            "--out", run, "--data", TestData.Root, "--seed", "2");
        Assert.True(code == 0, o + e);
        Assert.Contains("epoch   2/2", o);
        Assert.Contains("test (2947 windows", o);
        (code, o, e) = RunHar("eval", "--run", run, "--data", TestData.Root, "--latency-batch", "8");
        Assert.True(code == 0, o + e);
        Assert.Contains("macro-F1", o);
        foreach (var f in new[] { "config.json", "best.safetensors", "metrics.json", "report.md", "confusion.png", "curves_loss.png", "log.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);

        // the last epoch's weights tested elsewhere: the report says which weights, and the run's own report is left as it is
        var before = File.ReadAllText(Path.Combine(run, "metrics.json"));
        var other = Path.Combine(dir.Path, "eval-last");
        (code, o, e) = RunHar("eval", "--run", run, "--checkpoint", "last", "--out", other, "--data", TestData.Root, "--latency-batch", "8");
        Assert.True(code == 0, o + e);
        Assert.Contains("the weights after the last epoch, 2 (har eval --checkpoint last)", File.ReadAllText(Path.Combine(other, "report.md")));
        Assert.Contains("har eval --checkpoint last", o);
        Assert.True(File.Exists(Path.Combine(other, "confusion.png")));
        Assert.Equal(before, File.ReadAllText(Path.Combine(run, "metrics.json")));
        Assert.DoesNotContain("--checkpoint last", File.ReadAllText(Path.Combine(run, "report.md")));

        // the same command again refuses to overwrite; --resume of a finished run just re-reports
        (code, _, e) = RunHar("train", "--dataset", "uci-har", "--model", "mobilenet-tiny", "--epochs", "2", "--max-batches", "3", "--batch", "32", "--out", run, "--data", TestData.Root, "--seed", "2");
        Assert.Equal(1, code);
        Assert.Contains("--resume", e);
        (code, _, e) = RunHar("train", "--dataset", "uci-har", "--model", "mobilenet-tiny", "--epochs", "2", "--max-batches", "3", "--batch", "32", "--out", run, "--data", TestData.Root, "--seed", "3", "--resume");
        Assert.Equal(1, code);
        Assert.Contains("options differ", e);
    }

    [Fact]
    public void EvalOfTheLastCheckpointTestsTheAveragedWeightsOfAnEmaRun()
    {
        // --select-by last with --ema tests the averaged weights after the last epoch; eval --checkpoint last must find
        // those in last.safetensors (beside the live ones kept for --resume), not the live weights
        using var dir = new TempDir();
        var run = Path.Combine(dir.Path, "run");
        var (code, o, e) = RunHar("train", "--dataset", "uci-har", "--model", "mobilenet-tiny", "--epochs", "2", "--max-batches", "3", "--batch", "32",
            "--ema", "0.9", "--select-by", "last", "--out", run, "--data", TestData.Root, "--seed", "2");
        Assert.True(code == 0, o + e);
        var other = Path.Combine(dir.Path, "eval-last");
        (code, o, e) = RunHar("eval", "--run", run, "--checkpoint", "last", "--out", other, "--data", TestData.Root, "--latency-batch", "8");
        Assert.True(code == 0, o + e);
        static (double acc, double loss) Read(string f)
        {
            using var j = System.Text.Json.JsonDocument.Parse(File.ReadAllText(f));
            return (j.RootElement.GetProperty("accuracy").GetDouble(), j.RootElement.GetProperty("test_loss").GetDouble());
        }
        Assert.Equal(Read(Path.Combine(run, "metrics.json")), Read(Path.Combine(other, "metrics.json")));
    }

    [Fact]
    public void ResumeMayChangeTheDeviceButNothingElseBesidesEpochs()
    {
        var saved = new HarFromScratch.Har.Training.TrainOptions { Dataset = "hapt", Model = "resnet1d", Epochs = 10, Seed = 2, Device = "cuda" };
        Assert.Null(TrainCommands.CheckResume(saved, saved with { Epochs = 12 }, "config.json"));
        var note = TrainCommands.CheckResume(saved, saved with { Device = "cpu" }, "config.json");
        Assert.Contains("started on cuda and continues on cpu", note);
        var e = Assert.Throws<ArgumentException>(() => TrainCommands.CheckResume(saved, saved with { Device = "cpu", Seed = 3 }, "runs/x/config.json"));
        Assert.Contains("runs/x/config.json", e.Message);
    }

    [Theory]
    [InlineData(new[] { "train", "--model", "resnet9000" }, "unknown model 'resnet9000'")]
    [InlineData(new[] { "train", "--lr", "-1" }, "--lr")]
    [InlineData(new[] { "train", "--epochs", "many" }, "many")]
    [InlineData(new[] { "train", "--optimizer", "lbfgs" }, "--optimizer")]
    [InlineData(new[] { "train", "--class-weights", "inverse" }, "--class-weights: inverse is not valid; expected none, balanced, sqrt")]
    [InlineData(new[] { "train", "--soft-class-weights" }, "--soft-class-weights: needs --class-weights balanced or sqrt")]
    [InlineData(new[] { "train", "--device", "tpu" }, "unknown device 'tpu'")]
    [InlineData(new[] { "models", "--dataset", "mnist" }, "unknown dataset 'mnist'")]
    [InlineData(new[] { "eval", "--run", "/nonexistent/run" }, "config.json")]
    [InlineData(new[] { "eval", "--run", "/nonexistent/run", "--checkpoint", "final" }, "final")]
    [InlineData(new[] { "models", "--threads", "0" }, "--threads must be at least 1, got 0")]
    [InlineData(new[] { "train", "--threads", "two" }, "two")]
    [InlineData(new[] { "profile", "--model", "mlp", "--steps", "0" }, "--steps must be at least 1, got 0")]
    [InlineData(new[] { "profile", "--model", "mlp", "--warmup-seconds", "-1" }, "--warmup-seconds must be 0 or more, got -1")]
    public void BadInputGivesAClearError(string[] args, string expected)
    {
        var (code, o, e) = RunHar(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, o + e);
    }

    [Fact]
    public void MissingDataDirectoryNamesWhatToDownload()
    {
        using var dir = new TempDir();
        var (code, _, e) = RunHar("train", "--dataset", "hapt", "--data", dir.Path, "--epochs", "1", "--out", Path.Combine(dir.Path, "r"));
        Assert.Equal(2, code);
        Assert.Contains("har data fetch hapt", e);
    }

    [Fact]
    public void ProfileWarmsUpForTheGivenTimeThenTimesEachOp()
    {
        var (code, o, e) = RunHar("profile", "--model", "mlp", "--dataset", "uci-har", "--batch", "8", "--steps", "2", "--warmup-seconds", "0.5");
        Assert.True(code == 0, e);
        var line = o.Split('\n').Single(l => l.Contains("warm-up steps"));
        int warmSteps = int.Parse(System.Text.RegularExpressions.Regex.Match(line, @"after (\d+) warm-up steps").Groups[1].Value);
        Assert.True(warmSteps > 2, $"a 0.5 s warm-up of an 8-window MLP step should take more than the minimum 2 steps: {line}");
        Assert.Contains("2 steps after", line);
        Assert.Contains("| linear |", o);
        Assert.Contains("ops account for", o);
    }

    [Fact]
    public void ModelsListsEveryModelWithSizes()
    {
        var (code, o, _) = RunHar("models", "--dataset", "hapt");
        Assert.Equal(0, code);
        Assert.Contains("mobilenet-small", o);
        Assert.Contains("resnet-lstm-an", o);
        Assert.Contains("MACs/window", o);
    }
}
