using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Distillation.Hmkd;
using HarFromScratch.Har.Models;
using static HarFromScratch.Har.Tests.Distillation.DistillTestUtil;

namespace HarFromScratch.Har.Tests.Distillation.Hmkd;

/// <summary>HMKD: ensembles and loss terms against hand values, gradchecks, and mutual end-to-end steps.</summary>
public sealed class HmkdLossTests
{
    [Fact]
    public void WeightedEnsembleUsesSoftmaxWeights()
    {
        var z1 = T([1, 2], 1, 2); var z2 = T([3, -1], 1, 2);
        // a = (0, ln 3) → w = (0.25, 0.75): E = 0.25·(1,2) + 0.75·(3,−1) = (2.5, −0.25)
        var e = HmkdLoss.WeightedEnsemble([z1, z2], T([0, MathF.Log(3)], 2));
        Assert.Equal(2.5f, e.ToArray()[0], 5);
        Assert.Equal(-0.25f, e.ToArray()[1], 5);
    }

    [Fact]
    public void SelfWeightedEnsembleIsSumOfSquaresOverSum()
    {
        // S = (4, 1): E = ((1 + 9)/4, (4 + 1)/1)
        var e = HmkdLoss.SelfWeightedEnsemble([T([1, 2], 1, 2), T([3, -1], 1, 2)]);
        Assert.Equal(new[] { 2.5f, 5f }, e.ToArray());
    }

    [Fact]
    public void WithZeroCoefficientsTheLossesReduceToTheSupervisedTerms()
    {
        var (t, s, loss) = Build("resnet-lstm-an-small", "mlp", "hmkd", new() { ["alpha"] = "0", ["beta"] = "0", ["gamma"] = "0" });
        var h = (HmkdLoss)loss;
        using var scope = TensorScope.Begin();
        var (x, y) = Batch();
        t.Eval(); s.Eval();
        var so = s.Run(x); var to = t.Run(x);
        var terms = h.Compute(new DistillBatch(so, to, y, 1, 4));
        Assert.Equal(Losses.CrossEntropy(so.Logits, y).Item(), terms.Student.Item(), 5);
        Assert.NotEmpty(to.AuxLogits);
        double teacher = Losses.CrossEntropy(to.Logits, y).Item() + to.AuxLogits.Sum(a => (double)Losses.CrossEntropy(a, y).Item());
        Assert.True(terms.Teacher.Item() > teacher);    // plus the CE of the projection heads' aux logits
        Assert.Equal(Losses.CrossEntropy(terms.EnsembleLogits, y).Item(), terms.Ensemble.Item(), 5);
    }

    [Fact]
    public void DefaultsAreAlphaBetaGammaOneTauFour()
    {
        var (_, _, loss) = Build("transformer", "mobilenet-tiny", "hmkd");
        var h = (HmkdLoss)loss;
        Assert.True(h.Mutual);
        Assert.Equal((1f, 1f, 1f, 4f), (h.Alpha, h.Beta, h.Gamma, h.Tau));
        Assert.All(h.EnsembleWeights(), w => Assert.Equal(1f / h.EnsembleWeights().Length, w, 5));
    }

    [Fact]
    public void GradientsOfTheEnsemblesMatchFiniteDifferences()
    {
        var rng = new Rng(5);
        var r1 = GradCheck.Check(a => HmkdLoss.WeightedEnsemble([a[0], a[1]], a[2]), [Tensor.Randn([2, 3], rng), Tensor.Randn([2, 3], rng), Tensor.Randn([2], rng)], name: "weighted ensemble");
        Assert.True(r1.Passed, r1.Report);
        var p1 = Tensor.Rand([2, 3], rng, low: 0.5f, high: 1.5f); var p2 = Tensor.Rand([2, 3], rng, low: 0.5f, high: 1.5f);
        // S = sg(Σ z) is a stop-gradient constant (finite differences would move it), so check the analytic gradient 2z/S
        using var scope = TensorScope.Begin();
        var z = Tensor.FromArray(p1.ToArray(), p1.Shape, requiresGrad: true);
        HmkdLoss.SelfWeightedEnsemble([z, p2]).Sum().Backward();
        var s = p1.ToArray().Zip(p2.ToArray(), (a, b) => a + b).ToArray();
        var expected = p1.ToArray().Select((v, i) => 2 * v / s[i]).ToArray();
        Assert.Equal(expected, z.Grad!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        var zs = Tensor.Randn([3, 4], rng); var zt = Tensor.Randn([3, 4], rng);
        var r3 = GradCheck.Check(a => Losses.KlDivergenceWithLogits(a[0], zt, 4f), [zs], name: "tau^2 KL");
        Assert.True(r3.Passed, r3.Report);
    }

    [Theory]
    [InlineData("resnet-lstm-an-small", "mlp")]
    [InlineData("resnet-lstm-an-small", "mobilenet-tiny")]
    [InlineData("transformer", "mobilenet-tiny")]
    public void OneMutualStepChangesStudentTeacherAndEnsembleWeights(string teacher, string student)
    {
        var (t, s, loss) = Build(teacher, student, "hmkd");
        var tb = Snapshot(t); var sb = Snapshot(s); var lb = Snapshot(loss);
        float v = Step(t, s, loss, epoch: 1);
        Assert.True(float.IsFinite(v) && v > 0);
        Assert.NotEmpty(Changed(sb, s));
        Assert.NotEmpty(Changed(tb, t));
        Assert.Contains("ensemble_logits", Changed(lb, loss));
    }
}
