using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Single-precision exp, sigmoid, tanh, GELU and SiLU on eight lanes, for the cpu backend's hot loops (LSTM/GRU cells,
/// softmax, activations). .NET's Vector.Exp and TensorPrimitives.Exp widen to double for accuracy and cost 2-3 ns per
/// element on an AVX2 machine; these are the Cephes float approximations (exp: range reduction by ln 2 split in two
/// parts and a degree-6 polynomial, about 1 ulp; tanh: odd polynomial below |x| = 0.625, exp form above, about 2 ulp),
/// at a few tenths of a ns per element. NaN propagates; exp saturates to 0 below −87.3 and to +∞ above 88.7.
/// </summary>
internal static class VecMath
{
    private const float ExpHi = 88.7228391f, ExpLo = -87.3365448f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Mad(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLo)), Vector256.Create(ExpHi));
        // n = round(x / ln 2) by the 1.5·2^23 trick (n lands in the low mantissa bits; no float→int conversion, which
        // .NET makes saturating and slow); r = x − n·ln 2 with ln 2 = C1 + C2 (C1 has few bits, so n·C1 is exact)
        var magic = Vector256.Create(12582912f);
        var t = Mad(xc, Vector256.Create(1.44269504088896341f), magic);
        var n = t - magic;
        var ni = t.AsInt32() - magic.AsInt32();
        var r = Mad(n, Vector256.Create(-0.693359375f), xc);
        r = Mad(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500E-4f);
        p = Mad(p, r, Vector256.Create(1.3981999507E-3f));
        p = Mad(p, r, Vector256.Create(8.3334519073E-3f));
        p = Mad(p, r, Vector256.Create(4.1665795894E-2f));
        p = Mad(p, r, Vector256.Create(1.6666665459E-1f));
        p = Mad(p, r, Vector256.Create(5.0000001201E-1f));
        p = Mad(p, r * r, r + Vector256<float>.One);
        // 2^n by building the exponent field; n ∈ [−126, 128]: split 2^n = 2^(n/2)·2^(n−n/2) so both factors are normal
        var half = ni >> 1;
        var s1 = ((half + Vector256.Create(127)) << 23).AsSingle();
        var s2 = ((ni - half + Vector256.Create(127)) << 23).AsSingle();
        var y = p * s1 * s2;
        y = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLo)), Vector256<float>.Zero, y);
        y = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHi)), Vector256.Create(float.PositiveInfinity), y);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), y, x); // NaN in → NaN out
    }

    /// <summary>1 / (1 + e^−x): 0 and 1 at the extremes, no overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        // |x| ≥ 0.625: 1 − 2/(e^{2|x|} + 1) with the sign of x (no cancellation there)
        var big = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        big |= x & Vector256.Create(-0f); // big ≥ 0: give it the sign of x
        // |x| < 0.625: x + x³·P(x²)
        var z = x * x;
        var p = Vector256.Create(-5.70498872745E-3f);
        p = Mad(p, z, Vector256.Create(2.06390887954E-2f));
        p = Mad(p, z, Vector256.Create(-5.37397155531E-2f));
        p = Mad(p, z, Vector256.Create(1.33314422036E-1f));
        p = Mad(p, z, Vector256.Create(-3.33332819422E-1f));
        var small = Mad(p * z, x, x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, big);
    }

    private const float GeluC = 0.7978845608028654f; // sqrt(2/pi), as ElementwiseMath

    /// <summary>tanh form of GELU, as <see cref="ElementwiseMath"/>: 0.5·x·(1 + tanh(c·(x + 0.044715·x³))).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        var t = Tanh(Vector256.Create(GeluC) * Mad(Vector256.Create(0.044715f) * x, x * x, x));
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + t);
    }

    /// <summary>d GELU / dx for the tanh form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluDerivative(Vector256<float> x)
    {
        var x2 = x * x;
        var t = Tanh(Vector256.Create(GeluC) * Mad(Vector256.Create(0.044715f) * x, x2, x));
        var half = Vector256.Create(0.5f);
        var dInner = Vector256.Create(GeluC) * Mad(Vector256.Create(3f * 0.044715f), x2, Vector256<float>.One);
        return Mad(half, Vector256<float>.One + t, half * x * (Vector256<float>.One - t * t) * dInner);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x * Sigmoid(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SiluDerivative(Vector256<float> x)
    {
        var s = Sigmoid(x);
        return s * Mad(x, Vector256<float>.One - s, Vector256<float>.One);
    }

    /// <summary>dst[i] = e^src[i] (may alias); the tail goes through the same vector code, so every element's value
    /// is independent of its position and of how a parallel loop split the array.</summary>
    public static unsafe void Exp(float* src, float* dst, int n) => Map<ExpOp>(src, dst, n);

    public interface IOp { static abstract Vector256<float> Apply(Vector256<float> x); }
    public struct ExpOp : IOp { public static Vector256<float> Apply(Vector256<float> x) => Exp(x); }
    public struct SigmoidOp : IOp { public static Vector256<float> Apply(Vector256<float> x) => Sigmoid(x); }
    public struct TanhOp : IOp { public static Vector256<float> Apply(Vector256<float> x) => Tanh(x); }
    public struct GeluOp : IOp { public static Vector256<float> Apply(Vector256<float> x) => Gelu(x); }
    public struct SiluOp : IOp { public static Vector256<float> Apply(Vector256<float> x) => Silu(x); }

    public static unsafe void Map<T>(float* src, float* dst, int n) where T : struct, IOp
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) T.Apply(Vector256.Load(src + i)).Store(dst + i);
        if (i < n)
        {
            var buf = stackalloc float[8];
            for (int k = 0; k < 8; k++) buf[k] = i + k < n ? src[i + k] : 0f;
            T.Apply(Vector256.Load(buf)).Store(buf);
            for (int k = 0; i + k < n; k++) dst[i + k] = buf[k];
        }
    }
}
