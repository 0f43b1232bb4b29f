using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>The vectorised cpu activations equal the scalar definitions in ElementwiseMath bit for bit, kinks included.</summary>
public class ActivationKernelTests
{
    public static TheoryData<string> Ops() => new(Enum.GetNames<UnaryOp>());

    [Theory]
    [MemberData(nameof(Ops))]
    public void CpuMatchesScalarDefinition(string name)
    {
        var op = Enum.Parse<UnaryOp>(name);
        if (op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Log1p or UnaryOp.PowScalar or UnaryOp.Reciprocal) return; // domains; unchanged paths
        float a = op switch { UnaryOp.Clamp => -0.5f, UnaryOp.LeakyRelu => 0.1f, UnaryOp.Elu => 1.2f, UnaryOp.Affine => 2f, _ => 0f };
        float b = op == UnaryOp.Clamp ? 0.7f : 0f;
        var special = new float[] { -3f, 3f, 0f, 6f, -0.5f, 0.7f, -6f, 2.999f, -3.001f, 5.999f, 1e-8f, -1e-8f };
        var rnd = Randn(60, 53).ToArray().Select(v => v * 4f);
        var xs = special.Concat(rnd).ToArray(); // 65 values: vector body and scalar tail
        var x = Tensor.FromArray(xs, [xs.Length], Cpu);
        var y = x.Apply(op, a, b).ToArray();
        var dy = Randn(61, xs.Length).ToArray();
        var dx = new float[xs.Length];
        var be = Cpu.Backend;
        var yt = Tensor.FromArray(y, [xs.Length], Cpu);
        var dyt = Tensor.FromArray(dy, [xs.Length], Cpu);
        var dxt = Tensor.Zeros([xs.Length], Cpu);
        be.UnaryBackward(op, x.Storage, yt.Storage, dyt.Storage, dxt.Storage, xs.Length, a, b);
        dx = dxt.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            float ey = ElementwiseMath.Unary(op, xs[i], a, b);
            float edx = dy[i] * ElementwiseMath.UnaryDerivative(op, xs[i], ey, a, b);
            if (op is UnaryOp.Exp or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Sin or UnaryOp.Cos or UnaryOp.Gelu or UnaryOp.Silu or UnaryOp.Elu or UnaryOp.Selu)
            {
                // TensorPrimitives' transcendental approximations may differ from MathF in the last bits
                Assert.True(MathF.Abs(ey - y[i]) <= 1e-5f + 1e-5f * MathF.Abs(ey), $"{op}({xs[i]}) = {y[i]}, scalar {ey}");
                Assert.True(MathF.Abs(edx - dx[i]) <= 1e-5f + 1e-4f * MathF.Abs(edx), $"{op}'({xs[i]}) = {dx[i]}, scalar {edx}");
            }
            else
            {
                Assert.True(ey.Equals(y[i]), $"{op}({xs[i]}) = {y[i]}, scalar {ey}");
                Assert.True(edx.Equals(dx[i]), $"{op}'({xs[i]}) = {dx[i]}, scalar {edx}");
            }
        }
    }
}
