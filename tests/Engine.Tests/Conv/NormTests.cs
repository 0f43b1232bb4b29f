using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Conv;

public class NormTests
{
    // x (2, 2, 3): channel 0 holds 1..6 over (n, t), channel 1 holds 2, 4, 6, 8, 10, 12
    private static Tensor HandInput() => Tensor.FromArray([1, 2, 3, 2, 4, 6, 4, 5, 6, 8, 10, 12], [2, 2, 3], Cpu);

    [Fact]
    public void BatchNormTrainAndEvalMatchHandComputedValues()
    {
        var bn = new BatchNorm1d(2, device: Cpu);
        bn.Weight!.CopyFrom([2f, 0.5f]);
        bn.Bias!.CopyFrom([1f, -1f]);
        var y = bn.Forward(HandInput()).ToArray();
        // channel 0: mean 3.5, biased var 17.5/6; channel 1: mean 7, biased var 70/6
        float s0 = 1f / MathF.Sqrt(17.5f / 6f + 1e-5f), s1 = 1f / MathF.Sqrt(70f / 6f + 1e-5f);
        float[] expected =
        [
            2 * (1 - 3.5f) * s0 + 1, 2 * (2 - 3.5f) * s0 + 1, 2 * (3 - 3.5f) * s0 + 1,
            0.5f * (2 - 7) * s1 - 1, 0.5f * (4 - 7) * s1 - 1, 0.5f * (6 - 7) * s1 - 1,
            2 * (4 - 3.5f) * s0 + 1, 2 * (5 - 3.5f) * s0 + 1, 2 * (6 - 3.5f) * s0 + 1,
            0.5f * (8 - 7) * s1 - 1, 0.5f * (10 - 7) * s1 - 1, 0.5f * (12 - 7) * s1 - 1,
        ];
        AssertClose(expected, y, 1e-5f, 1e-5f, "train");
        Assert.Equal(-1.92770f, y[0], 4); // 2·(−2.5)/√2.91667 + 1

        // running stats: momentum 0.1, unbiased variance (17.5/5 = 3.5, 70/5 = 14)
        AssertClose([0.35f, 0.7f], bn.RunningMean!.ToArray(), 1e-6f, 1e-6f, "running mean");
        AssertClose([0.9f + 0.35f, 0.9f + 1.4f], bn.RunningVar!.ToArray(), 1e-6f, 1e-6f, "running var");
        Assert.Equal(1f, bn.NumBatchesTracked!.Item());

        bn.Forward(HandInput());
        AssertClose([0.35f * 0.9f + 0.35f, 0.7f * 0.9f + 0.7f], bn.RunningMean!.ToArray(), 1e-6f, 1e-6f, "running mean 2");
        AssertClose([1.25f * 0.9f + 0.35f, 2.3f * 0.9f + 1.4f], bn.RunningVar!.ToArray(), 1e-5f, 1e-6f, "running var 2");

        bn.Eval();
        var ye = bn.Forward(HandInput()).ToArray();
        float rm0 = 0.665f, rv0 = 1.475f, rm1 = 1.33f, rv1 = 3.47f;
        Assert.Equal(2 * (1 - rm0) / MathF.Sqrt(rv0 + 1e-5f) + 1, ye[0], 5);
        Assert.Equal(0.5f * (12 - rm1) / MathF.Sqrt(rv1 + 1e-5f) - 1, ye[11], 5);
        AssertClose([0.665f, 1.33f], bn.RunningMean!.ToArray(), 1e-6f, 1e-6f, "eval leaves running stats");
        Assert.Equal(2f, bn.NumBatchesTracked!.Item());
    }

    [Fact]
    public void BatchNormCumulativeAverageWhenMomentumIsNull()
    {
        var bn = new BatchNorm1d(2, momentum: null, device: Cpu);
        bn.Forward(HandInput());
        bn.Forward(HandInput() * 2f);
        // mean of the two batch means: (3.5 + 7)/2, (7 + 14)/2
        AssertClose([5.25f, 10.5f], bn.RunningMean!.ToArray(), 1e-5f, 1e-6f);
    }

    [Fact]
    public void BatchNormTrainMatchesComposedOps()
    {
        var x = Randn(30, 3, 4, 7);
        var w = Randn(31, 4);
        var b = Randn(32, 4);
        var y = Tensor.BatchNorm1d(x, null, null, w, b, training: true);
        var mean = x.Mean([0, 2], keepDim: true);
        var v = x.Var([0, 2], unbiased: false, keepDim: true);
        var expected = (x - mean) / (v + 1e-5f).Sqrt() * w.Reshape(1, 4, 1) + b.Reshape(1, 4, 1);
        AssertClose(expected.ToArray(), y.ToArray(), 1e-5f, 1e-4f);
    }

    [Theory]
    [InlineData(true, 3, 4, 5)]
    [InlineData(false, 3, 4, 5)]
    [InlineData(true, 1, 3, 7)]
    [InlineData(true, 5, 3, 1)]
    public void BatchNormGradCheck(bool training, int n, int c, int t)
    {
        var x = Randn(33, n, c, t) * 2f + 1f;
        var w = Randn(34, c);
        var b = Randn(35, c);
        var rm = Randn(36, c);
        var rv = Uniform(37, 0.5f, 2f, c);
        GradCheck.Assert(p => Tensor.BatchNorm1d(p[0], training ? null : rm, training ? null : rv, p[1], p[2], training),
            [x, w, b], eps: 1e-2, atol: 2e-3, rtol: 1e-2, name: $"batchnorm train={training}");
        GradCheck.Assert(p => Tensor.BatchNorm1d(p[0], training ? null : rm, training ? null : rv, null, null, training),
            [x], eps: 1e-2, atol: 2e-3, rtol: 1e-2, name: $"batchnorm no affine train={training}");
    }

    [Fact]
    public void BatchNorm2dInput()
    {
        var x = Randn(38, 6, 3);
        GradCheck.Assert(p => Tensor.BatchNorm1d(p[0], null, null, p[1], p[2], true), [x, Randn(39, 3), Randn(40, 3)], eps: 1e-2, atol: 2e-3);
    }

    [Fact]
    public void LayerNormMatchesComposedOpsAndGradChecks()
    {
        var x = Randn(41, 2, 3, 5) * 3f + 2f;
        var w = Randn(42, 3, 5);
        var b = Randn(43, 3, 5);
        var y = Tensor.LayerNorm(x, [3, 5], w, b);
        var flat = x.Reshape(2, 15);
        var expected = ((flat - flat.Mean(1, keepDim: true)) / (flat.Var(1, unbiased: false, keepDim: true) + 1e-5f).Sqrt()).Reshape(2, 3, 5) * w + b;
        AssertClose(expected.ToArray(), y.ToArray(), 1e-5f, 1e-4f);
        GradCheck.Assert(p => Tensor.LayerNorm(p[0], [3, 5], p[1], p[2]), [x, w, b], eps: 1e-2, atol: 2e-3, name: "layernorm");
        GradCheck.Assert(p => Tensor.LayerNorm(p[0], [5]), [x], eps: 1e-2, atol: 2e-3, name: "layernorm no affine");
        var ln = new LayerNorm(5, device: Cpu);
        AssertClose(Tensor.LayerNorm(x, [5]).ToArray(), ln.Forward(x).ToArray());
    }
}
