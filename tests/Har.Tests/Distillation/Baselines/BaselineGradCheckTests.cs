using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation.Baselines;
using static HarFromScratch.Har.Tests.Distillation.Baselines.BaselineFixture;

namespace HarFromScratch.Har.Tests.Distillation.Baselines;

/// <summary>
/// Gradchecks of the baseline losses over the student's logits or features (and the learned adapters where a method has
/// them). Terms with large β are checked unweighted. Terms that stop gradients into an input are checked on the part
/// that input is differentiated through (DML, CRD).
/// </summary>
public class BaselineGradCheckTests
{
    private readonly BaselineFixture _f = new();
    private Tensor SL => T(_f.SLogits, N, K);
    private Tensor S1 => T(_f.S1, N, 2, 4);
    private Tensor S2 => T(_f.S2, N, 5);
    private Tensor T1 => T(_f.T1, N, 3, 6);
    private Tensor T2 => T(_f.T2, N, 4);

    private static Tensor Rand(ulong seed, float scale, params int[] shape) => Tensor.Randn(shape, new Rng(seed), std: scale);

    [Theory]
    [InlineData("kd")]
    [InlineData("dkd")]
    public void LogitLossesOverStudentLogits(string method)
    {
        var loss = Make(method, _f.Setup());
        GradCheck.Assert(x => loss.Loss(_f.Batch(10, sLogits: x[0])), [SL], name: method);
    }

    /// <summary>With --soft-class-weights the KL terms are row-weighted; still differentiable as written.</summary>
    [Theory]
    [InlineData("kd")]
    [InlineData("dkd")]
    public void LogitLossesWithSoftClassWeights(string method)
    {
        var loss = Make(method, _f.Setup());
        var labelLoss = new HarFromScratch.Har.Training.LabelLoss(0f, Enumerable.Range(0, K).Select(c => 0.5f + c).ToArray(), weighSoftTerms: true);
        GradCheck.Assert(x => loss.Loss(_f.Batch(10, sLogits: x[0]) with { LabelLoss = labelLoss }), [SL], name: method + " soft-weighted");
    }

    [Fact]
    public void DmlEachNetworkGetsItsOwnTerms()
    {
        var dml = Make("dml", _f.Setup());
        Tensor Half(Tensor own, Tensor other) => Losses.CrossEntropy(own, _f.Labels) + Losses.KlDivergenceWithLogits(own, other, 1f);
        // each half is differentiable as written ...
        GradCheck.Assert(x => Half(x[0], x[1]), [SL, T(_f.TLogits, N, K)], checkInputs: [true, false], name: "dml student half");
        GradCheck.Assert(x => Half(x[1], x[0]), [SL, T(_f.TLogits, N, K)], checkInputs: [false, true], name: "dml teacher half");
        // ... and the joint loss gives each network exactly its own half's gradient (stop-gradient on the other)
        using var scope = TensorScope.Begin();
        var s = SL; s.RequiresGrad = true;
        var t = T(_f.TLogits, N, K); t.RequiresGrad = true;
        dml.Loss(_f.Batch(1, sLogits: s, tLogits: t)).Backward();
        var s2 = SL; s2.RequiresGrad = true;
        Half(s2, T(_f.TLogits, N, K)).Backward();
        var t2 = T(_f.TLogits, N, K); t2.RequiresGrad = true;
        Half(t2, SL).Backward();
        Assert.Equal(s2.Grad!.ToArray(), s.Grad!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(t2.Grad!.ToArray(), t.Grad!.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void FitNetOverFeaturesAndRegressor()
    {
        // maps: 1x1 conv 2 -> 3 channels, then linear interpolation 4 -> 6 steps
        GradCheck.Assert(x => FitNetLoss.Hint(x[0], x[1], x[2], x[3]), [S1, T1, Rand(1, 0.5f, 3, 2, 1), Rand(2, 0.5f, 3)],
            checkInputs: [true, false, true, true], name: "fitnet maps");
        // map student pooled against a vector teacher
        GradCheck.Assert(x => FitNetLoss.Hint(x[0], x[1], x[2], x[3]), [S1, T2, Rand(3, 0.5f, 4, 2, 1), Rand(4, 0.5f, 4)],
            checkInputs: [true, false, true, true], name: "fitnet map->vector");
    }

    [Fact]
    public void VidOverFeaturesRegressorAndVariance()
    {
        GradCheck.Assert(x =>
        {
            var (s, t) = VidLoss.Align(x[0], x[1]);
            return VidHead.Nll(s, t, x[2], x[3], x[4], x[5], 1e-5f);
        }, [S1, T1, Rand(5, 0.7f, 3, 2, 1), Rand(6, 0.7f, 3, 3, 1), Rand(7, 0.7f, 3, 3, 1), Rand(8, 0.5f, 3)],
            checkInputs: [true, false, true, true, true, true], name: "vid maps");
        GradCheck.Assert(x =>
        {
            var (s, t) = VidLoss.Align(x[0], x[1]);
            return VidHead.Nll(s, t, x[2], x[3], x[4], x[5], 1e-5f);
        }, [S2, T2, Rand(9, 0.7f, 4, 5, 1), Rand(10, 0.7f, 4, 4, 1), Rand(11, 0.7f, 4, 4, 1), Rand(12, 0.5f, 4)],
            checkInputs: [true, false, true, true, true, true], name: "vid vectors");
    }

    [Fact]
    public void AtAndNstOverStudentFeatures()
    {
        var at = (AtLoss)Make("at", _f.Setup());
        GradCheck.Assert(x => at.PairLoss(x[0], x[1]), [S1, T1], checkInputs: [true, false], name: "at maps");
        GradCheck.Assert(x => at.PairLoss(x[0], x[1]), [S2, T2], checkInputs: [true, false], name: "at vectors");
        GradCheck.Assert(x => NstLoss.PairLoss(x[0], x[1]), [S1, T1], checkInputs: [true, false], name: "nst maps");
        GradCheck.Assert(x => NstLoss.PairLoss(x[0], x[1]), [S2, T2], checkInputs: [true, false], name: "nst vectors");
    }

    [Fact]
    public void RelationalTermsOverStudentFeatures()
    {
        GradCheck.Assert(x => SpLoss.Similarity(x[0], x[1]), [S1, T1], checkInputs: [true, false], name: "sp");
        GradCheck.Assert(x =>
        {
            var (d, a) = RkdLoss.Terms(x[0], x[1]);
            return d * 25f + a * 50f;
        }, [S2, T2], checkInputs: [true, false], name: "rkd");
        GradCheck.Assert(x => PktLoss.Divergence(x[0], x[1]), [S2, T2], checkInputs: [true, false], name: "pkt");
        // CC through both trainable linear embeddings
        GradCheck.Assert(x => CcLoss.Correlation(Tensor.Linear(x[0], x[2], x[3]), Tensor.Linear(x[1], x[4], x[5])),
            [S2, T2, Rand(13, 0.5f, 6, 5), Rand(14, 0.5f, 6), Rand(15, 0.5f, 6, 4), Rand(16, 0.5f, 6)],
            checkInputs: [true, false, true, true, true, true], name: "cc");
    }

    [Fact]
    public void CrdStudentAnchorOverFeaturesAndEmbedding()
    {
        // student anchor against the (detached) teacher positive and fixed bank negatives; Z fixed
        var vt = BaselineFeatures.L2Normalize(Rand(17, 1f, N, 3), 1).Persist();
        var negatives = BaselineFeatures.L2Normalize(Rand(18, 1f, 5, 3), 1).Persist();
        GradCheck.Assert(x =>
        {
            var vs = BaselineFeatures.L2Normalize(Tensor.Linear(x[0], x[1], x[2]), 1);
            return CrdLoss.Contrast(CrdLoss.ExpScores(vs, vt, negatives, 0.5f) / 40f, 8);
        }, [S2, Rand(19, 0.5f, 3, 5), Rand(20, 0.5f, 3)], name: "crd", rtol: 2e-2);
    }

    [Fact]
    public void HelpersSmoothL1AndL2Normalize()
    {
        // (the time interpolation of FitNet is the engine's InterpolateLinear1d, gradchecked in the engine's tests)
        GradCheck.Assert(x => BaselineFeatures.SmoothL1(x[0], x[1]), [Rand(21, 1.5f, 4, 5), Rand(22, 1.5f, 4, 5)], name: "smooth l1");
        GradCheck.Assert(x => BaselineFeatures.L2Normalize(x[0], 1), [S2], name: "l2 normalize");
    }
}
