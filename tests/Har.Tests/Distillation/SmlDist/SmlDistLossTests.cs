using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Distillation.SmlDist;
using static HarFromScratch.Har.Tests.Distillation.DistillTestUtil;

namespace HarFromScratch.Har.Tests.Distillation.SmlDist;

/// <summary>SMLDist terms against hand-computed values, gradchecks, schedules, and end-to-end steps.</summary>
public sealed class SmlDistLossTests
{
    [Fact]
    public void SmoothedConditionalRuleMatchesHandComputedValue()
    {
        // sample 0: teacher right (argmax 0 = label 0) → target softmax(softmax(z_t/|z_t|));
        // sample 1: teacher wrong (argmax 2, label 1) → target softmax(h·onehot(1)); T = 2, λ = 0.5, h = 1
        var zs = T([3, 4, 0, 1, -1, 2], 2, 3);
        var zt = T([2, 1, 0, 0.5f, 0, 1], 2, 3);
        var l = SmlDistLoss.SmoothedConditional(zs, zt, [0, 1], 2f, 0.5f, 1f);
        Assert.Equal(2.2281267844599473, l.Item(), 5);   // computed independently in double precision (python)
    }

    [Fact]
    public void HintonFormIsCrossEntropyPlusScaledKl()
    {
        var zs = T([1, 0], 1, 2); var zt = T([0, 1], 1, 2);
        var l = SmlDistLoss.Hinton(zs, zt, [0], 1f, 2f);
        double p0 = Math.Exp(1) / (Math.Exp(1) + 1);
        double ce = -Math.Log(p0);
        double kl = (1 - p0) * Math.Log((1 - p0) / p0) + p0 * Math.Log(p0 / (1 - p0));
        Assert.Equal(ce + 2 * kl, l.Item(), 5);
    }

    [Fact]
    public void StageTermIsMsePlusFrequencyMse()
    {
        // F = [1,2,3,4], G = 0: MSE 7.5; |rfft F| = [10, 2√2, 2] → λ_freq·mean(log1p²) with λ_freq = 0.5
        var l = SmlDistLoss.StageTerm(T([1, 2, 3, 4], 1, 1, 4), Tensor.Zeros(1, 1, 4), 0.5f);
        Assert.Equal(8.9598389278268, l.Item(), 4);
        Assert.Equal(7.5, SmlDistLoss.StageTerm(T([1, 2, 3, 4], 1, 1, 4), Tensor.Zeros(1, 1, 4), 0f).Item(), 5);
    }

    [Fact]
    public void MemoryKlOverSlots()
    {
        var logAs = T([0, 1], 1, 2).LogSoftmax(-1);
        var logAt = T([1, 0], 1, 2).LogSoftmax(-1);
        Assert.Equal(0.4621171572600098, SmlDistLoss.MemoryKl(logAs, logAt).Item(), 5);
        Assert.Equal(0, SmlDistLoss.MemoryKl(logAt, logAt).Item(), 6);
    }

    [Fact]
    public void GradientsOfTheNewTermsMatchFiniteDifferences()
    {
        var rng = new Rng(7);
        var zt = Tensor.Randn([3, 4], rng);
        var r1 = GradCheck.Check(a => SmlDistLoss.SmoothedConditional(a[0], zt, [0, 1, 3], 2f, 0.7f, 1f), [Tensor.Randn([3, 4], rng)], name: "smoothed conditional");
        Assert.True(r1.Passed, r1.Report);
        var g = Tensor.Randn([2, 3, 8], rng);
        var adapter = new StageAdapter(2, 5, 3, 8, rng, Device.Cpu);
        var r2 = GradCheck.Check(a => SmlDistLoss.StageTerm(adapter.Forward(a[0]), g, 1f), [Tensor.Randn([2, 2, 5], rng)], name: "stage term with adapter");
        Assert.True(r2.Passed, r2.Report);
        var head = new MemoryHead(5, 4, 3, 2, 0.5f, rng, Device.Cpu);
        var logAt = Tensor.Randn([2, 4], rng).LogSoftmax(-1);
        var r3 = GradCheck.Check(a => SmlDistLoss.MemoryKl(head.Run(a[0]).logAssociation, logAt), [Tensor.Randn([2, 5], rng)], name: "memory KL");
        Assert.True(r3.Passed, r3.Report);
        var r4 = GradCheck.Check(a => SmlDistLoss.Hinton(a[0], zt, [0, 1, 3], 4f, 1f), [Tensor.Randn([3, 4], rng)], name: "hinton");
        Assert.True(r4.Passed, r4.Report);
    }

    [Fact]
    public void ProgressiveScheduleTrainsOneStagePerEpochThenLogits()
    {
        var (_, _, loss) = Build("mobilenet-small", "mobilenet-tiny", "smldist", new() { ["stage_epochs"] = "2" });
        var s = (SmlDistLoss)loss;
        Assert.True(s.StagePairs.Count >= 2);
        Assert.Equal(0, s.ActiveStage(1));
        Assert.Equal(0, s.ActiveStage(2));
        Assert.Equal(1, s.ActiveStage(3));
        Assert.Equal(s.StagePairs.Count * 2 + 1, s.LogitsStartEpoch);
        Assert.Equal(-1, s.ActiveStage(s.LogitsStartEpoch));
        var (_, _, joint) = Build("mobilenet-small", "mobilenet-tiny", "smldist", new() { ["schedule"] = "1" });
        Assert.Equal(1, ((SmlDistLoss)joint).LogitsStartEpoch);
    }

    [Fact]
    public void StageEpochTrainsTheStudentAndLeavesTheTeacherAlone()
    {
        var (t, s, loss) = Build("mobilenet-small", "mobilenet-tiny", "smldist");
        var tb = Snapshot(t); var sb = Snapshot(s);
        float v = Step(t, s, loss, epoch: 1);
        Assert.True(float.IsFinite(v) && v > 0);
        Assert.Empty(Changed(tb, t));
        var changed = Changed(sb, s);
        Assert.Contains(changed, n => n.StartsWith("stem", StringComparison.Ordinal));
    }

    [Fact]
    public void LogitsPhaseWithMemoryChangesTheStudentAndCopiesTheTeacherMemory()
    {
        var (t, s, loss) = Build("resnet1d", "mlp", "smldist", new() { ["schedule"] = "1", ["memory_warmup"] = "0" });
        var sml = (SmlDistLoss)loss;
        Assert.Empty(sml.StagePairs);                   // an MLP has no (C, T) stages: no stage term
        var sb = Snapshot(s);
        float v = Step(t, s, loss, epoch: 1);
        Assert.True(float.IsFinite(v));
        Assert.True(sml.MemoryStarted);
        Assert.Contains("fc1.weight", Changed(sb, s));
        Assert.Equal(sml.TeacherMemory!.Patterns.Shape, sml.StudentMemory!.Patterns.Shape);
    }

    [Fact]
    public void HeadSearchLearnsAlphaOnValidationAndPrunes()
    {
        var (t, s, loss) = Build("mobilenet-small", "mobilenet-tiny+search", "smldist", new() { ["schedule"] = "1", ["search"] = "1", ["search_epochs"] = "1" });
        var hs = Assert.IsType<HeadSearchModel>(s);
        Assert.Equal(HeadSearchModel.Candidates, hs.HeadNames);
        var rng = new Rng(9);
        var val = new HarFromScratch.Har.Data.WindowSet(Tensor.Randn([10, 3, 64], rng).ToArray(), Enumerable.Range(0, 10).Select(i => i % 4).ToArray(), new int[10], 3, 64);
        var search = new HeadSearch(hs, val, 1, 1, 0.05f, 4, 1);
        ((SmlDistLoss)loss).Search = search;
        var before = hs.Alpha.ToArray();
        Step(t, s, loss, epoch: 1);
        Assert.NotEqual(before, hs.Alpha.ToArray());
        Assert.Equal(-1, hs.Chosen);
        Assert.Null(search.ChosenAtEpoch());
        Assert.Equal(hs.ParameterCount, hs.DeployedParameterCount); // during the search every head computes
        Step(t, s, loss, epoch: 2);                     // first step after the search epochs: pruned to argmax α
        var w = hs.Weights();
        Assert.Equal(Array.IndexOf(w, w.Max()), hs.Chosen);
        // after pruning only the base model and the chosen head count
        long chosenHead = hs.NamedParameters().Where(p => p.name.StartsWith("head_" + hs.ChosenHead + ".")).Sum(p => p.tensor.Numel);
        Assert.Equal(hs.Base.ParameterCount + chosenHead, hs.DeployedParameterCount);
        Assert.True(hs.DeployedParameterCount < hs.ParameterCount || hs.HeadNames.Length == 1);
        Assert.Contains(search.Log, l => l.Contains("\"chosen\""));
        Assert.Equal(2, search.ChosenAtEpoch());
    }
}
