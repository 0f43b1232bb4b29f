using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Training;
using static HarFromScratch.Har.Tests.Distillation.DistillTestUtil;

namespace HarFromScratch.Har.Tests.Training;

/// <summary>
/// --class-weights and --label-smoothing: the weights against hand values, and every distillation method takes its
/// label term through the run's <see cref="LabelLoss"/> (before this, distillation silently ignored --label-smoothing).
/// </summary>
public sealed class LabelLossTests
{
    [Fact]
    public void WeightsMatchHandValues()
    {
        int[] counts = [300, 100, 0, 50];   // N = 450, 3 classes present
        Assert.Null(LabelLoss.Weights("none", counts));
        var b = LabelLoss.Weights("balanced", counts)!;
        Assert.Equal([450f / 900, 450f / 300, 0f, 450f / 150], b);
        // sqrt: w ∝ 1/√n, scaled so that Σ n_c·w_c = N
        var q = LabelLoss.Weights("sqrt", counts)!;
        double mass = 300 / Math.Sqrt(300) + 100 / Math.Sqrt(100) + 50 / Math.Sqrt(50);
        Assert.Equal(450 / mass / Math.Sqrt(50), q[3], 4);
        Assert.Equal(450.0, 300 * q[0] + 100 * q[1] + 50 * q[3], 2);
        Assert.Equal(0f, q[2]);
        Assert.Contains("--class-weights: inverse", Assert.Throws<ArgumentException>(() => LabelLoss.Weights("inverse", counts)).Message);
        Assert.Contains("--class-weights", Assert.Throws<ArgumentException>(() => new TrainOptions { ClassWeights = "Balanced" }.Validate()).Message);
    }

    [Fact]
    public void RowWeightsHaveMeanOne()
    {
        var l = new LabelLoss(0f, [1f, 3f]);
        Assert.Equal([0.5f, 1.5f, 0.5f, 1.5f], l.RowWeights([0, 1, 0, 1])!);
        Assert.Null(LabelLoss.Plain.RowWeights([0, 1]));
    }

    [Fact]
    public void SoftRowWeightsOnlyWithTheOption()
    {
        Assert.Null(new LabelLoss(0f, [1f, 3f]).SoftRowWeights([0, 1]));
        Assert.Equal([0.5f, 1.5f, 0.5f, 1.5f], new LabelLoss(0f, [1f, 3f], weighSoftTerms: true).SoftRowWeights([0, 1, 0, 1])!);
        Assert.Contains("--soft-class-weights", Assert.Throws<ArgumentException>(() => new LabelLoss(0f, null, weighSoftTerms: true)).Message);
        var e = Assert.Throws<ArgumentException>(() => new TrainOptions { SoftClassWeights = true }.Validate()).Message;
        Assert.Contains("--soft-class-weights: needs --class-weights balanced or sqrt", e);
        new TrainOptions { SoftClassWeights = true, ClassWeights = "sqrt" }.Validate();
    }

    /// <summary>KD with --soft-class-weights against a hand computation from the same logits:
    /// (1 − α)·Σ w_i·CE_i / N + α·τ²·Σ w_i·KL_i / N, with w the row weights (mean 1).</summary>
    [Fact]
    public void SoftClassWeightedKdMatchesHand()
    {
        var (t, s, loss) = Build("fcn", "mlp", "kd");
        var kd = (HarFromScratch.Har.Distillation.Baselines.KdLoss)loss;
        float[] classWeights = [0.1f, 5f, 1f, 0.3f];
        using var scope = TensorScope.Begin();
        var (x, y) = Batch(8);
        t.Eval(); s.Eval();
        using var _ = GradMode.NoGrad();
        var so = s.Run(x); var to = t.Run(x);
        to = to with { Logits = to.Logits * 8f };   // a confident teacher, so that the KL term is not near 0
        float got = loss.Loss(new DistillBatch(so, to, y, 1, 4, null, new LabelLoss(0f, classWeights, weighSoftTerms: true))).Item();
        float[] zs = so.Logits.ToArray(), zt = to.Logits.ToArray();
        var w = Losses.RowWeights(y, classWeights);
        double ce = 0, kl = 0, tau = kd.Tau;
        static double[] LogSoftmax(float[] z, int row, double tau)
        {
            var v = Enumerable.Range(0, 4).Select(j => z[row * 4 + j] / tau).ToArray();
            double m = v.Max(), lse = m + Math.Log(v.Sum(a => Math.Exp(a - m)));
            return v.Select(a => a - lse).ToArray();
        }
        for (int i = 0; i < y.Length; i++)
        {
            ce += w[i] * -LogSoftmax(zs, i, 1)[y[i]];
            var logQ = LogSoftmax(zs, i, tau); var logP = LogSoftmax(zt, i, tau);
            double row = 0;
            for (int j = 0; j < 4; j++) row += Math.Exp(logP[j]) * (logP[j] - logQ[j]);
            kl += w[i] * row;
        }
        double expected = (1 - kd.Alpha) * ce / y.Length + kd.Alpha * tau * tau * kl / y.Length;
        Assert.Equal(expected, got, 4);
        // and it is not the CE-only weighting
        float ceOnly = loss.Loss(new DistillBatch(so, to, y, 1, 4, null, new LabelLoss(0f, classWeights))).Item();
        Assert.True(Math.Abs(ceOnly - got) > 1e-3 * Math.Abs(got), $"soft weights did not change KD ({ceOnly} vs {got})");
    }

    /// <summary>
    /// --soft-class-weights changes exactly the methods with soft-target terms over class logits (KD, DKD, DML, HMKD, and
    /// SMLDist's Hinton form) and leaves the feature methods — and SMLDist's smoothed rule, whose soft term is always
    /// weighted as part of its cross-entropy — unchanged.
    /// </summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void SoftClassWeightsChangeOnlyTheSoftTargetMethods(string method)
    {
        var sets = method == "smldist" ? new Dictionary<string, string> { ["schedule"] = "1" } : null;
        float[] classWeights = [0.1f, 5f, 1f, 0.3f];
        float Value(bool soft, Dictionary<string, string>? over = null)
        {
            var (t, s, loss) = Build("fcn", "mlp", method, over ?? sets);
            using var scope = TensorScope.Begin();
            var (x, y) = Batch(8);
            t.Eval(); s.Eval(); loss.Eval();
            using var _ = GradMode.NoGrad();
            // an untrained teacher is near-uniform, and so its KL to the student near 0: sharpen its logits so the soft terms weigh
            var to = t.Run(x);
            return loss.Loss(new DistillBatch(s.Run(x), to with { Logits = to.Logits * 8f }, y, 1, 4, Enumerable.Range(0, 8).ToArray(), new LabelLoss(0f, classWeights, soft))).Item();
        }
        float ceOnly = Value(false), soft = Value(true);
        if (method is "kd" or "dkd" or "dml" or "hmkd")
            Assert.True(Math.Abs(soft - ceOnly) > 1e-4 * Math.Abs(soft), $"{method}: --soft-class-weights did not change the loss ({ceOnly} vs {soft})");
        else Assert.Equal(ceOnly, soft);
        if (method == "smldist")
        {
            var hinton = new Dictionary<string, string> { ["schedule"] = "1", ["logits_rule"] = "1" };
            float a = Value(true, hinton), b = Value(false, hinton);
            Assert.True(Math.Abs(a - b) > 1e-4 * Math.Abs(a), $"smldist (Hinton form): --soft-class-weights did not change the loss ({b} vs {a})");
        }
    }

    public static IEnumerable<object[]> Methods() => DistillationMethods.All.Select(e => new object[] { e.Name });

    /// <summary>
    /// The same outputs through two identically built loss modules: uniform class weights change nothing, skewed ones change
    /// the loss (every method has a label term), and for the methods whose label term is the student's plain cross-entropy
    /// the change is exactly that term's.
    /// </summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void EveryMethodTakesItsLabelTermFromTheRunsLabelLoss(string method)
    {
        var sets = method == "smldist" ? new Dictionary<string, string> { ["schedule"] = "1" } : null;   // joint: the logits term from epoch 1
        float Value(LabelLoss? labelLoss)
        {
            var (t, s, loss) = Build("fcn", "mlp", method, sets);
            using var scope = TensorScope.Begin();
            var (x, y) = Batch(8);
            t.Eval(); s.Eval(); loss.Eval();
            using var _ = GradMode.NoGrad();
            return loss.Loss(new DistillBatch(s.Run(x), t.Run(x), y, 1, 4, Enumerable.Range(0, 8).ToArray(), labelLoss)).Item();
        }
        float plain = Value(null);
        Assert.Equal(plain, Value(new LabelLoss(0f, [2f, 2f, 2f, 2f])), 4);
        float weighted = Value(new LabelLoss(0f, [0.1f, 5f, 1f, 0.3f]));
        Assert.True(Math.Abs(weighted - plain) > 1e-3, $"{method}: class weights did not change the loss ({plain} vs {weighted})");
        if (method is "kd" or "fitnet" or "at" or "rkd" or "pkt" or "nst" or "dkd")
        {
            var smoothing = new LabelLoss(0.2f, null);
            var (_, s, built) = Build("fcn", "mlp", method, sets);
            float share = built is HarFromScratch.Har.Distillation.Baselines.KdLoss kd ? 1f - kd.Alpha : 1f;   // KD: (1-α)·CE + α·KL
            using var scope = TensorScope.Begin();
            var (x, y) = Batch(8);
            s.Eval();
            using var _g = GradMode.NoGrad();
            var logits = s.Run(x).Logits;
            double expected = plain + share * (smoothing.Of(logits, y).Item() - Losses.CrossEntropy(logits, y).Item());
            Assert.Equal(expected, Value(smoothing), 4);
        }
    }
}
