using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Vector256 forms of the activations on the hot paths of the MobileNet/CNN students (ReLU, ReLU6, clamp, leaky ReLU,
/// hard-sigmoid, hard-swish, and the derivatives of square, sigmoid, tanh, abs), with exactly the arithmetic of
/// <see cref="ElementwiseMath"/> (same comparisons; division by 6, not multiplication by 1/6), so results equal the scalar
/// definition; and the transcendental ones of the teachers (exp, sigmoid, tanh, GELU, SiLU) through <see cref="VecMath"/>,
/// within a few ulp of it. Each op is a struct so the JIT specialises and inlines the loop body. The generic scalar fallback costs
/// ~10 ns per element, which made ReLU6's backward and the mean-square loss the slowest steps of a MobileNet block.
/// </summary>
internal static unsafe class CpuActivationKernels
{
    public static bool HasForward(UnaryOp op) => Vector256.IsHardwareAccelerated &&
        op is UnaryOp.Relu6 or UnaryOp.LeakyRelu or UnaryOp.Hardsigmoid or UnaryOp.Hardswish
            or UnaryOp.Exp or UnaryOp.Sigmoid or UnaryOp.Tanh or UnaryOp.Gelu or UnaryOp.Silu;

    public static bool HasDerivative(UnaryOp op) => Vector256.IsHardwareAccelerated &&
        op is UnaryOp.Relu or UnaryOp.Relu6 or UnaryOp.Clamp or UnaryOp.LeakyRelu or UnaryOp.Hardsigmoid or UnaryOp.Hardswish
            or UnaryOp.Square or UnaryOp.Sigmoid or UnaryOp.Tanh or UnaryOp.Abs or UnaryOp.Gelu or UnaryOp.Silu;

    private interface IVecOp
    {
        /// <summary>Forward value, or the derivative f'(x) given y = f(x).</summary>
        static abstract Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b);
    }

    public static void Forward(UnaryOp op, float* x, float* y, int n, float a)
    {
        switch (op)
        {
            case UnaryOp.Relu6: Map<Relu6F>(op, x, y, n, a); break;
            case UnaryOp.LeakyRelu: Map<LeakyF>(op, x, y, n, a); break;
            case UnaryOp.Hardsigmoid: Map<HardSigmoidF>(op, x, y, n, a); break;
            case UnaryOp.Hardswish: Map<HardSwishF>(op, x, y, n, a); break;
            // transcendental: VecMath's approximations (within a few ulp of MathF), tail through the same vector code
            case UnaryOp.Exp: VecMath.Map<VecMath.ExpOp>(x, y, n); break;
            case UnaryOp.Sigmoid: VecMath.Map<VecMath.SigmoidOp>(x, y, n); break;
            case UnaryOp.Tanh: VecMath.Map<VecMath.TanhOp>(x, y, n); break;
            case UnaryOp.Gelu: VecMath.Map<VecMath.GeluOp>(x, y, n); break;
            default: VecMath.Map<VecMath.SiluOp>(x, y, n); break;
        }
    }

    private static void Map<T>(UnaryOp op, float* x, float* y, int n, float a) where T : struct, IVecOp
    {
        var va = Vector256.Create(a);
        int i = 0;
        for (; i + 8 <= n; i += 8) T.Apply(Vector256.Load(x + i), default, va, default).Store(y + i);
        for (; i < n; i++) y[i] = ElementwiseMath.Unary(op, x[i], a, 0f);
    }

    /// <summary>dx = dy · f'(x), given y = f(x).</summary>
    public static void Backward(UnaryOp op, float* x, float* y, float* dy, float* dx, int n, float a, float b)
    {
        switch (op)
        {
            case UnaryOp.Relu: Grad<ReluD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Relu6: Grad<Relu6D>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Clamp: Grad<ClampD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.LeakyRelu: Grad<LeakyD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Hardsigmoid: Grad<HardSigmoidD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Hardswish: Grad<HardSwishD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Square: Grad<SquareD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Sigmoid: Grad<SigmoidD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Tanh: Grad<TanhD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Gelu: Grad<GeluD>(op, x, y, dy, dx, n, a, b); break;
            case UnaryOp.Silu: Grad<SiluD>(op, x, y, dy, dx, n, a, b); break;
            default: Grad<AbsD>(op, x, y, dy, dx, n, a, b); break;
        }
    }

    private static void Grad<T>(UnaryOp op, float* x, float* y, float* dy, float* dx, int n, float a, float b) where T : struct, IVecOp
    {
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        int i = 0;
        for (; i + 8 <= n; i += 8)
            (Vector256.Load(dy + i) * T.Apply(Vector256.Load(x + i), Vector256.Load(y + i), va, vb)).Store(dx + i);
        for (; i < n; i++) dx[i] = dy[i] * ElementwiseMath.UnaryDerivative(op, x[i], y[i], a, b);
    }

    private static Vector256<float> Mask(Vector256<float> m) => Vector256.ConditionalSelect(m, Vector256<float>.One, Vector256<float>.Zero);

    /// <summary>x ≤ −3 → 0, x ≥ 3 → 1, else x/6 + 0.5 (as <see cref="ElementwiseMath.Hardsigmoid"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HardSigmoid(Vector256<float> v)
    {
        var mid = v / Vector256.Create(6f) + Vector256.Create(0.5f);
        var r = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(v, Vector256.Create(-3f)), Vector256<float>.Zero, mid);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(v, Vector256.Create(3f)), Vector256<float>.One, r);
    }

    private struct Relu6F : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Vector256.Min(Vector256.Max(x, Vector256<float>.Zero), Vector256.Create(6f));
    }
    private struct LeakyF : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * a);
    }
    private struct HardSigmoidF : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => HardSigmoid(x);
    }
    private struct HardSwishF : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => x * HardSigmoid(x);
    }

    private struct ReluD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Mask(Vector256.GreaterThan(x, Vector256<float>.Zero));
    }
    private struct Relu6D : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Mask(Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256.LessThan(x, Vector256.Create(6f)));
    }
    private struct ClampD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Mask(Vector256.GreaterThanOrEqual(x, a) & Vector256.LessThanOrEqual(x, b));
    }
    private struct LeakyD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, a);
    }
    private struct HardSigmoidD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(-3f)) & Vector256.LessThan(x, Vector256.Create(3f)),
                Vector256.Create(1f / 6f), Vector256<float>.Zero);
    }
    private struct HardSwishD : IVecOp
    {
        // x < −3 → 0, x > 3 → 1, else (2x + 3)/6
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b)
        {
            var mid = (Vector256.Create(2f) * x + Vector256.Create(3f)) / Vector256.Create(6f);
            var r = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-3f)), Vector256<float>.Zero, mid);
            return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(3f)), Vector256<float>.One, r);
        }
    }
    private struct SquareD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => Vector256.Create(2f) * x;
    }
    private struct SigmoidD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => y * (Vector256<float>.One - y);
    }
    private struct TanhD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => Vector256<float>.One - y * y;
    }
    private struct GeluD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => VecMath.GeluDerivative(x);
    }
    private struct SiluD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) => VecMath.SiluDerivative(x);
    }
    private struct AbsD : IVecOp
    {
        public static Vector256<float> Apply(Vector256<float> x, Vector256<float> y, Vector256<float> a, Vector256<float> b) =>
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One,
                Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -Vector256<float>.One, Vector256<float>.Zero));
    }
}
