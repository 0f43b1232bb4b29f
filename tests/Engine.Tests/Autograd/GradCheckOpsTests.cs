using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Autograd;

/// <summary>Every differentiable op of the core checked against finite differences on the cpu backend.</summary>
public class GradCheckOpsTests
{
    private static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) =>
        GradCheck.Assert(f, inputs, atol: 2e-3, rtol: 2e-2);

    public static TheoryData<string> UnaryOps() => new(Enum.GetNames<UnaryOp>().Where(n => n is not "Sign" and not "Step"));

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary(string name)
    {
        var op = Enum.Parse<UnaryOp>(name);
        // domains: positive for log/sqrt/reciprocal/pow, away from kinks for piecewise functions
        var x = op switch
        {
            UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Reciprocal or UnaryOp.PowScalar => Uniform(1, 0.5f, 2f, 3, 7),
            UnaryOp.Log1p => Uniform(1, -0.5f, 2f, 3, 7),
            UnaryOp.Relu6 or UnaryOp.Hardswish or UnaryOp.Hardsigmoid => AwayFromZero(2, 0.05f, 3, 7) * 2.5f,
            _ => AwayFromZero(3, 0.05f, 3, 7),
        };
        (float a, float b) = op switch
        {
            UnaryOp.Clamp => (-0.5f, 0.7f),
            UnaryOp.PowScalar => (2.5f, 0f),
            UnaryOp.Affine => (-1.5f, 0.25f),
            UnaryOp.LeakyRelu => (0.1f, 0f),
            UnaryOp.Elu => (1.2f, 0f),
            _ => (0f, 0f),
        };
        if (op == UnaryOp.Clamp)
        {
            // keep values away from the clamp edges
            var d = x.ToArray().Select(v => MathF.Abs(v + 0.5f) < 0.01f || MathF.Abs(v - 0.7f) < 0.01f ? v + 0.05f : v).ToArray();
            x = Tensor.FromArray(d, x.Shape, Cpu);
        }
        Check(t => t[0].Apply(op, a, b), x);
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 3, 1 }, new[] { 1, 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 1 }, new[] { 2, 7 })]
    [InlineData(new int[0], new[] { 2, 3 })]
    public void BinaryBroadcast(int[] sa, int[] sb)
    {
        var a = Randn(10, sa);
        var b = Uniform(11, 0.5f, 2f, sb);
        Check(t => t[0] + t[1], a, b);
        Check(t => t[0] - t[1], a, b);
        Check(t => t[0] * t[1], a, b);
        Check(t => t[0] / t[1], a, b);
        Check(t => t[1].Pow(t[0]), a, b);
        Check(t => Tensor.Maximum(t[0], t[1]), a, b);
        Check(t => Tensor.Minimum(t[0], t[1]), a, b);
    }

    [Fact]
    public void ScalarOperators()
    {
        var x = Uniform(12, 0.5f, 2f, 5);
        Check(t => (t[0] * 3f + 1f - 2f) / 4f, x);
        Check(t => 2f - t[0], x);
        Check(t => 2f / t[0], x);
    }

    [Theory]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { -1 })]
    [InlineData(new[] { 0, 2 })]
    [InlineData(new[] { 1, 2 })]
    public void Reductions(int[] axes)
    {
        var x = Randn(13, 3, 4, 5);
        Check(t => t[0].Sum(axes), x);
        Check(t => t[0].Sum(axes, keepDim: true), x);
        Check(t => t[0].Mean(axes), x);
        Check(t => t[0].Max(axes), x);
        Check(t => t[0].Min(axes, keepDim: true), x);
        Check(t => t[0].Var(axes), x);
        Check(t => t[0].Var(axes, unbiased: false), x);
    }

    [Fact]
    public void ReduceAll()
    {
        var x = Randn(14, 7);
        Check(t => t[0].Sum(), x);
        Check(t => t[0].Mean(), x);
        Check(t => t[0].Max(), x);
    }

    [Fact]
    public void ShapeOps()
    {
        var x = Randn(15, 2, 3, 4);
        Check(t => t[0].Reshape(6, 4) * 2f, x);
        Check(t => t[0].Reshape(-1), x);
        Check(t => t[0].Permute(2, 0, 1), x);
        Check(t => t[0].Transpose(0, 2), x);
        Check(t => t[0].Slice(2, 1, 2), x);
        Check(t => t[0].Slice(1, 0, 2, step: 2), x);
        Check(t => t[0].Unsqueeze(1).Squeeze(1), x);
        Check(t => t[0].Expand([5, 2, 3, 4]), x);
        var y = Randn(16, 2, 1, 4);
        Check(t => Tensor.Concat([t[0], t[1]], 1), x, y);
        Check(t => Tensor.Stack([t[0], t[1] * 2f], 0), y, y);
        Check(t => t[0].Split([1, 2], 1)[1], x);
        Check(t => t[0].Flatten(1), x);
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 4, 5 })]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4, 5 })]
    [InlineData(new[] { 2, 1, 3, 4 }, new[] { 1, 2, 4, 5 })]
    public void MatMul(int[] sa, int[] sb)
    {
        Check(t => t[0].MatMul(t[1]), Randn(17, sa), Randn(18, sb));
    }

    [Fact]
    public void LinearOp()
    {
        Check(t => Tensor.Linear(t[0], t[1], t[2]), Randn(19, 2, 3, 4), Randn(20, 5, 4), Randn(21, 5));
        Check(t => Tensor.Linear(t[0], t[1]), Randn(22, 7, 4), Randn(23, 3, 4));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void Softmax(int axis)
    {
        var x = Randn(24, 3, 5, 2);
        Check(t => t[0].Softmax(axis), x);
        Check(t => t[0].LogSoftmax(axis), x);
    }

    [Fact]
    public void Losses_()
    {
        var logits = Randn(25, 4, 5);
        int[] labels = [0, 3, 4, 1];
        Check(t => Losses.CrossEntropy(t[0], labels), logits);
        Check(t => Losses.CrossEntropy(t[0], labels, labelSmoothing: 0.1f), logits);
        Check(t => Losses.CrossEntropy(t[0], labels, labelSmoothing: 0.1f, classWeights: [0.5f, 2f, 1f, 3f, 0.25f]), logits);
        Check(t => Losses.Mse(t[0], t[1]), logits, Randn(26, 4, 5));
        var p = Randn(27, 4, 5).Softmax(-1);
        Check(t => Losses.KlDivergence(t[0].LogSoftmax(-1), t[1]), logits, p);
        Check(t => Losses.KlDivergenceWithLogits(t[0], t[1], 4f), logits, Randn(28, 4, 5));
        Check(t => Losses.KlDivergence(t[0].LogSoftmax(-1), t[1], [0.25f, 2f, 1f, 0.75f]), logits, p);
        Check(t => Losses.KlDivergenceWithLogits(t[0], t[1], 4f, [0.25f, 2f, 1f, 0.75f]), logits, Randn(28, 4, 5));
    }

    [Fact]
    public void CloneAndReuse()
    {
        // one input used along several paths: gradients must accumulate
        var x = Randn(29, 3, 3);
        Check(t => t[0] * t[0] + t[0].MatMul(t[0]) + t[0].Clone().Exp(), x);
    }
}
