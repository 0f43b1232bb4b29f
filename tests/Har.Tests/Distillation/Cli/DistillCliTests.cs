using HarFromScratch.Har.Cli;
using HarFromScratch.Har.Tests.Data;

namespace HarFromScratch.Har.Tests.Distillation.Cli;

/// <summary>`har distill` end to end on real UCI-HAR windows (a few batches), and its errors.</summary>
public sealed class DistillCliTests
{
    internal static (int Code, string Out, string Err) Har(params string[] args) => HarFromScratch.Har.Tests.Cli.CliRunner.RunHar(args);

    internal static string TrainTeacher(TempDir dir, string model = "mobilenet-small")
    {
        var run = dir.Sub("teacher");
        var (code, o, e) = Har("train", "--dataset", "uci-har", "--model", model, "--epochs", "1", "--max-batches", "2", "--batch", "32", "--out", run, "--data", TestData.Root, "-q");
        Assert.True(code == 0, o + e);
        return run;
    }

    [Fact]
    public void SmlDistWithHeadSearchAndHmkdRunFromATrainedTeacher()
    {
        using var dir = new TempDir();
        var teacher = TrainTeacher(dir);
        var run = dir.Sub("sml");
        var (code, o, e) = Har("distill", "--dataset", "uci-har", "--teacher", teacher, "--student", "mobilenet-tiny", "--method", "smldist",
            "--set", "schedule=1", "--set", "search=1", "--set", "search_epochs=1", "--set", "memory_warmup=0",
            "--epochs", "2", "--max-batches", "2", "--batch", "32", "--out", run, "--data", TestData.Root);
        Assert.True(code == 0, o + e);
        Assert.Contains("epoch   2/2", o);
        Assert.Contains("head search: chose", o);
        foreach (var f in new[] { "config.json", "best.safetensors", "last.safetensors", "metrics.json", "report.md", "search.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        var config = File.ReadAllText(Path.Combine(run, "config.json"));
        Assert.Equal("mobilenet-tiny+search", System.Text.Json.JsonDocument.Parse(config).RootElement.GetProperty("Model").GetProperty("Name").GetString());
        Assert.Contains("\"method.lambda_freq\"", config);
        // eval rebuilds the student with its searched head from the run folder
        (code, o, e) = Har("eval", "--run", run, "--data", TestData.Root, "--latency-batch", "4");
        Assert.True(code == 0, o + e);
        Assert.Contains("mobilenet-tiny+search", o);
        // resume of a finished run re-reports; a different --set is refused
        (code, _, e) = Har("distill", "--dataset", "uci-har", "--teacher", teacher, "--student", "mobilenet-tiny", "--method", "smldist",
            "--set", "schedule=1", "--set", "search=1", "--set", "search_epochs=1", "--set", "memory_warmup=0", "--set", "lambda_freq=2",
            "--epochs", "2", "--max-batches", "2", "--batch", "32", "--out", run, "--data", TestData.Root, "--resume", "-q");
        Assert.Equal(1, code);
        Assert.Contains("lambda_freq", e);

        // a progressive schedule whose stages outlast --epochs would never reach the labels: refused up front
        (code, o, e) = Har("distill", "--dataset", "uci-har", "--teacher", teacher, "--student", "mobilenet-tiny", "--method", "smldist",
            "--set", "stage_epochs=3", "--epochs", "2", "--max-batches", "2", "--batch", "32", "--out", dir.Sub("short"), "--data", TestData.Root, "-q");
        Assert.Equal(1, code);
        Assert.Contains("logits phase, which starts at epoch", o + e);
        Assert.Contains("schedule=1", o + e);

        // EMA with the head search: the averaged weights run with the live chosen head (a state buffer, copied, not
        // averaged); the best checkpoint holds a whole index and eval rebuilds that head
        var ema = dir.Sub("ema");
        (code, o, e) = Har("distill", "--dataset", "uci-har", "--teacher", teacher, "--student", "mobilenet-tiny", "--method", "smldist",
            "--set", "schedule=1", "--set", "search=1", "--set", "search_epochs=1", "--set", "memory_warmup=0", "--ema", "0.99",
            "--epochs", "3", "--max-batches", "2", "--batch", "32", "--out", ema, "--data", TestData.Root, "-q");
        Assert.True(code == 0, o + e);
        var best = HarFromScratch.Engine.IO.SafeTensors.Load(Path.Combine(ema, "best.safetensors")).Tensors;
        var chosen = best.Single(t => t.Key.EndsWith("search_state")).Value.Data[0];
        Assert.True(chosen >= 0 && chosen == MathF.Round(chosen), $"search_state {chosen}");
        var lastState = HarFromScratch.Engine.IO.SafeTensors.Load(Path.Combine(ema, "last.safetensors")).Tensors
            .Where(t => t.Key.EndsWith("search_state")).Select(t => t.Value.Data[0]).ToArray();
        Assert.Equal(2, lastState.Length);                  // the model's and the EMA's copy, equal
        Assert.All(lastState, v => Assert.Equal(chosen, v));

        var mutual = dir.Sub("hmkd");
        (code, o, e) = Har("distill", "--dataset", "uci-har", "--teacher", teacher, "--student", "mlp", "--method", "hmkd", "--class-weights", "balanced", "--soft-class-weights",
            "--label-smoothing", "0.1", "--epochs", "1", "--max-batches", "2", "--batch", "32", "--out", mutual, "--data", TestData.Root, "-q");
        Assert.True(code == 0, o + e);
        Assert.True(File.Exists(Path.Combine(mutual, "metrics.json")));
        Assert.Contains("\"ClassWeights\": \"balanced\"", File.ReadAllText(Path.Combine(mutual, "config.json")));
        Assert.Contains("\"SoftClassWeights\": true", File.ReadAllText(Path.Combine(mutual, "config.json")));
        // the co-trained teacher is scored too: on validation every epoch and on test at the student's best epoch
        Assert.Matches("teacher \\(trained with it, same epoch\\): accuracy [0-9.]+ %, macro-F1", o);
        var log = File.ReadAllLines(Path.Combine(mutual, "log.jsonl"));
        Assert.Contains("\"teacher_val_macro_f1\"", log[0]);
        Assert.Contains("\"teacher_accuracy\"", log[^1]);
        Assert.DoesNotContain("teacher_", File.ReadAllText(Path.Combine(run, "log.jsonl")));   // an offline teacher is not retrained: nothing to score
        // the co-trained teacher is checkpointed under "teacher."
        Assert.Contains("teacher.", System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Combine(mutual, "last.safetensors")).AsSpan(0, 4096)));
    }

    [Fact]
    public void ListMethodsShowsCoefficientsAndDefaults()
    {
        var (code, o, _) = Har("distill", "--list-methods");
        Assert.Equal(0, code);
        Assert.Contains("smldist", o);
        Assert.Contains("hmkd (mutual", o);
        Assert.Contains("tau", o);
        Assert.Contains("lambda_freq", o);
    }

    [Theory]
    [InlineData(new[] { "distill", "--method", "magic", "--teacher", "x" }, "unknown distillation method 'magic'")]
    [InlineData(new[] { "distill", "--method", "hmkd", "--teacher", "mlp", "--set", "zeta=1" }, "no coefficient 'zeta'")]
    [InlineData(new[] { "distill", "--method", "hmkd", "--teacher", "mlp", "--set", "tau" }, "NAME=VALUE")]
    [InlineData(new[] { "distill", "--method", "smldist", "--teacher", "mobilenet-large" }, "distils a trained teacher")]
    [InlineData(new[] { "distill", "--method", "smldist", "--teacher", "/nonexistent/run" }, "neither a run folder")]
    [InlineData(new[] { "experiment", "--grid", "/nonexistent/grid.json" }, "not found")]
    public void BadInputGivesAClearError(string[] args, string expected)
    {
        var (code, o, e) = Har(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, o + e);
    }
}
