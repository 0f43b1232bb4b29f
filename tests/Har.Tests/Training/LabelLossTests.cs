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
