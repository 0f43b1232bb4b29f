using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Tests.Cli;
using HarFromScratch.Har.Tests.Data;
using HarFromScratch.Har.Tests.Training;

namespace HarFromScratch.Har.Tests.Models;

public class EnsembleTests
{
    private static readonly ModelSpec Spec = new("tiny", 2, 8, 3);

    private static float[] Input(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n * 2 * 8).Select(_ => (float)rng.NextNormal()).ToArray();
    }

    private static float[] Softmax(float[] logits, int n, int k)
    {
        var p = new float[logits.Length];
        for (int i = 0; i < n; i++)
        {
            double max = Enumerable.Range(0, k).Max(j => logits[i * k + j]);
            double sum = Enumerable.Range(0, k).Sum(j => Math.Exp(logits[i * k + j] - max));
            for (int j = 0; j < k; j++) p[i * k + j] = (float)(Math.Exp(logits[i * k + j] - max) / sum);
        }
        return p;
    }

    [Fact]
    public void OutputIsTheLogOfTheMembersMeanProbability()
    {
        var a = new TinyModel(Spec, new Rng(1)); var b = new TinyModel(Spec, new Rng(2));
        var ens = new EnsembleModel([a, b], null, [null, null]);
        ens.Eval();
        var x = Tensor.FromArray(Input(4, 3), [4, 2, 8], Device.Cpu);
        var pa = Softmax(a.Forward(x).ToArray(), 4, 3);
        var pb = Softmax(b.Forward(x).ToArray(), 4, 3);
        var pe = Softmax(ens.Forward(x).ToArray(), 4, 3);
        for (int i = 0; i < pe.Length; i++) Assert.Equal((pa[i] + pb[i]) / 2, pe[i], 5);
        Assert.Equal(a.ParameterCount + b.ParameterCount, ens.ParameterCount);
        Assert.Equal("ensemble(tiny+tiny)", ens.Spec.Name);
        Assert.Empty(ens.Run(x).Features);   // features belong to one network: an ensemble names none
    }

    private static readonly ChannelStats InputStats = new() { ChannelNames = ["a", "b"], Mean = [1f, -2f], Std = [2f, 0.5f] };
    private static readonly ChannelStats OwnStats = new() { ChannelNames = ["a", "b"], Mean = [0.5f, -1f], Std = [4f, 1f] };

    /// <summary>(x·σ_in + μ_in − μ_own) / σ_own per channel of (N, 2, 8) windows, written out by hand.</summary>
    private static float[] MapByHand(float[] xs)
    {
        var mapped = new float[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 8 % 2;
            mapped[i] = (xs[i] * InputStats.Std[c] + InputStats.Mean[c] - OwnStats.Mean[c]) / OwnStats.Std[c];
        }
        return mapped;
    }

    [Fact]
    public void EachMemberSeesTheInputInItsOwnNormalisation()
    {
        // the ensemble is given windows normalised with the input statistics; a member trained on another split
        // normalised with its own must receive (x·σ_in + μ_in − μ_m) / σ_m
        var m = new TinyModel(Spec, new Rng(7));
        var alone = new EnsembleModel([m], InputStats, [OwnStats]);
        alone.Eval();
        var xs = Input(3, 9);
        var mapped = MapByHand(xs);
        var expected = Softmax(m.Forward(Tensor.FromArray(mapped, [3, 2, 8], Device.Cpu)).ToArray(), 3, 3);
        var got = Softmax(alone.Forward(Tensor.FromArray(xs, [3, 2, 8], Device.Cpu)).ToArray(), 3, 3);
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 5);
        var direct = Softmax(m.Forward(Tensor.FromArray(xs, [3, 2, 8], Device.Cpu)).ToArray(), 3, 3);
        Assert.NotEqual(direct[0], got[0], 3);
    }

    [Fact]
    public void AMappedTeacherKeepsItsFeaturesAndSeesItsOwnNormalisation()
    {
        var m = new TinyModel(Spec, new Rng(7));
        Assert.Same(m, InputMappedModel.IfNeeded(m, OwnStats, OwnStats));   // same statistics: no wrapper
        var mapped = InputMappedModel.IfNeeded(m, InputStats, OwnStats);
        Assert.Equal(m.Spec, mapped.Spec);
        mapped.Eval(); m.Eval();
        var xs = Input(3, 9);
        var manual = MapByHand(xs);
        var a = mapped.Run(Tensor.FromArray(xs, [3, 2, 8], Device.Cpu));
        var b = m.Run(Tensor.FromArray(manual, [3, 2, 8], Device.Cpu));
        var la = a.Logits.ToArray(); var lb = b.Logits.ToArray();
        for (int i = 0; i < la.Length; i++) Assert.Equal(lb[i], la[i], 4);
        Assert.Equal(b.Features.Select(f => f.Name), a.Features.Select(f => f.Name));
    }

    [Fact]
    public void MembersMustShareTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => new EnsembleModel([new TinyModel(Spec, new Rng(1)), new TinyModel(Spec with { Classes = 4 }, new Rng(2))], null, [null, null]));
        Assert.Contains("4 classes", e.Message);
    }

    [Fact]
    public void HarEnsembleAndAnEnsembleTeacherEndToEnd()
    {
        using var dir = new TempDir();
        string Train(string name, int seed, params string[] extra)
        {
            var run = dir.Sub(name);
            var (code, o, e) = CliRunner.RunHar(["train", "--dataset", "uci-har", "--model", "mobilenet-tiny", "--epochs", "1", "--max-batches", "2", "--batch", "32",
                "--seed", seed.ToString(), "--out", run, "--data", TestData.Root, "-q", .. extra]);
            Assert.True(code == 0, o + e);
            return run;
        }
        var a = Train("a", 1);
        var b = Train("b", 2, "--val-fraction", "0");   // another split, so other normalisation statistics
        var c = Train("c", 3, "--stride", "32");
        var report = File.ReadAllText(Path.Combine(b, "report.md"));   // no validation windows: "-", not NaN
        Assert.DoesNotContain("NaN", report);
        Assert.Contains("| - | - | - |", report);

        var ens = dir.Sub("ens");
        var (code, o, e) = CliRunner.RunHar("ensemble", "--runs", a, b, "--out", ens, "--data", TestData.Root, "--latency-batch", "4");
        Assert.True(code == 0, o + e);
        Assert.Contains("member " + a, o);
        Assert.Contains("ensemble(mobilenet-tiny+mobilenet-tiny)", o);
        foreach (var f in new[] { "metrics.json", "report.md", "confusion.png", "ensemble.json" })
            Assert.True(File.Exists(Path.Combine(ens, f)), f);
        // each member's score through the ensemble's input mapping is the score its own eval reports
        var members = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(ens, "ensemble.json"))).RootElement.GetProperty("members");
        var evalB = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "metrics.json"))).RootElement.GetProperty("accuracy").GetDouble();
        Assert.Equal(evalB, members[1].GetProperty("accuracy").GetDouble(), 9);

        (code, o, e) = CliRunner.RunHar("ensemble", "--runs", a, c, "--out", dir.Sub("bad"), "--data", TestData.Root);
        Assert.Equal(1, code);
        Assert.Contains("--stride", o + e);
        Assert.Contains(c, o + e);
        (code, o, e) = CliRunner.RunHar("ensemble", "--runs", a, "--out", dir.Sub("one"), "--data", TestData.Root);
        Assert.Equal(1, code);
        Assert.Contains("at least 2", o + e);

        (code, o, e) = CliRunner.RunHar("distill", "--dataset", "uci-har", "--teacher", b, "--student", "mobilenet-tiny", "--method", "fitnet",
            "--epochs", "1", "--max-batches", "2", "--batch", "32", "--out", dir.Sub("fitnet-b"), "--data", TestData.Root, "-q");
        Assert.True(code == 0, o + e);   // b was trained on all subjects: its own normalisation differs from the student's
        var kd = dir.Sub("kd");
        (code, o, e) = CliRunner.RunHar("distill", "--dataset", "uci-har", "--teacher", a + "," + b, "--student", "mobilenet-tiny", "--method", "kd",
            "--epochs", "1", "--max-batches", "2", "--batch", "32", "--out", kd, "--data", TestData.Root, "-q");
        Assert.True(code == 0, o + e);
        Assert.Contains(Path.GetFullPath(a) + "," + Path.GetFullPath(b), File.ReadAllText(Path.Combine(kd, "config.json")).Replace("\\\\", "\\"));
        (code, o, e) = CliRunner.RunHar("distill", "--dataset", "uci-har", "--teacher", a + "," + b, "--student", "mobilenet-tiny", "--method", "fitnet",
            "--epochs", "1", "--max-batches", "2", "--batch", "32", "--out", dir.Sub("fitnet"), "--data", TestData.Root, "-q");
        Assert.Equal(1, code);
        Assert.Contains("kd, dkd", o + e);
    }
}
