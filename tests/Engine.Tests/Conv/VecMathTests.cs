using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>The cpu backend's float exp/sigmoid/tanh/GELU/SiLU (VecMath) against double-precision references.</summary>
public class VecMathTests
{
    private static double Gelu(double v) => 0.5 * v * (1 + Math.Tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));

    public static TheoryData<string, float, float, double> Ranges() => new()
    {
        // op, range, allowed relative error (2^-23 ≈ 1.19e-7 is one ulp near 1)
        { "Exp", -87f, 88f, 3e-7 },
        { "Exp", -1f, 1f, 3e-7 },
        { "Sigmoid", -80f, 80f, 5e-7 },
        { "Tanh", -12f, 12f, 4e-7 },
        { "Tanh", -0.7f, 0.7f, 4e-7 }, // both sides of the polynomial/exp switch at 0.625
        { "Silu", -80f, 80f, 6e-7 },
        { "Gelu", -3f, 10f, 1e-6 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void MatchesDoublePrecision(string name, float lo, float hi, double tol)
    {
        var op = Enum.Parse<UnaryOp>(name);
        Func<double, double> f = op switch
        {
            UnaryOp.Exp => Math.Exp,
            UnaryOp.Sigmoid => v => 1 / (1 + Math.Exp(-v)),
            UnaryOp.Tanh => Math.Tanh,
            UnaryOp.Silu => v => v / (1 + Math.Exp(-v)),
            _ => Gelu,
        };
        const int n = 200_003; // odd: the tail goes through the padded vector path
        var xs = new float[n];
        for (int i = 0; i < n; i++) xs[i] = lo + (hi - lo) * i / (n - 1);
        var x = Tensor.FromArray(xs, [n], Cpu);
        var y = x.Apply(op).ToArray();
        for (int i = 0; i < n; i++)
        {
            double r = f(xs[i]);
            double err = Math.Abs(y[i] - r);
            // relative where the value is representable with full precision, absolute near zero crossings
            Assert.True(err <= tol * Math.Abs(r) + 1e-30 || err <= 2e-7 * Math.Max(1, Math.Abs(xs[i])) * (op == UnaryOp.Gelu || op == UnaryOp.Silu ? 1 : 0),
                $"{op}({xs[i]:R}) = {y[i]:R}, expected {r:R} (error {err:E2})");
        }
    }

    [Fact]
    public void SpecialValuesSaturateAndNaNPropagates()
    {
        var xs = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 100f, -100f, 0f, -0f, 1e-30f };
        var x = Tensor.FromArray(xs, [xs.Length], Cpu);
        var e = x.Apply(UnaryOp.Exp).ToArray();
        Assert.True(float.IsNaN(e[0]));
        Assert.Equal([float.PositiveInfinity, 0f, float.PositiveInfinity, 0f, 1f, 1f, 1f], e[1..]);
        var s = x.Apply(UnaryOp.Sigmoid).ToArray();
        Assert.True(float.IsNaN(s[0]));
        Assert.Equal([1f, 0f, 1f, 0f, 0.5f, 0.5f, 0.5f], s[1..]);
        var t = x.Apply(UnaryOp.Tanh).ToArray();
        Assert.True(float.IsNaN(t[0]));
        Assert.Equal([1f, -1f, 1f, -1f, 0f, 0f, 1e-30f], t[1..]);
    }

    [Fact]
    public void ValueDoesNotDependOnPositionInTheArray()
    {
        // same inputs at every offset 0..8: the body and the tail must give the same bits
        var vals = Randn(5, 13).ToArray().Select(v => v * 5f).ToArray();
        float[]? first = null;
        for (int off = 0; off < 9; off++)
        {
            var xs = new float[off + vals.Length];
            vals.CopyTo(xs, off);
            var y = Tensor.FromArray(xs, [xs.Length], Cpu).Apply(UnaryOp.Tanh).ToArray()[off..];
            first ??= y;
            Assert.Equal(first, y);
        }
    }

    [Fact]
    public unsafe void ExpInPlaceOnShortRows()
    {
        for (int n = 0; n < 20; n++)
        {
            var a = Enumerable.Range(0, n).Select(i => i * 0.37f - 3f).ToArray();
            fixed (float* p = a) VecMath.Exp(p, p, n);
            for (int i = 0; i < n; i++) Assert.Equal(Math.Exp(i * 0.37f - 3f), a[i], 5e-6 * Math.Exp(i * 0.37f - 3f));
        }
    }
}
