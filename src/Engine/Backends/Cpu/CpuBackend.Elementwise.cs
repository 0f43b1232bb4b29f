using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    private const long ElementwiseGrain = 1 << 15;

    public void Unary(UnaryOp op, Storage x, Storage y, long n, float a = 0, float b = 0)
    {
        BackendChecks.CheckRange(x, 0, n - 1, "Unary x");
        BackendChecks.CheckRange(y, 0, n - 1, "Unary y");
        float* px = S(x).Ptr, py = S(y).Ptr;
        CpuParallel.For(n, ElementwiseGrain, (s, e) =>
        {
            if (CpuActivationKernels.HasForward(op)) { CpuActivationKernels.Forward(op, px + s, py + s, (int)(e - s), a); return; }
            var src = new ReadOnlySpan<float>(px + s, (int)(e - s));
            var dst = new Span<float>(py + s, (int)(e - s));
            switch (op)
            {
                case UnaryOp.Neg: TensorPrimitives.Negate(src, dst); break;
                case UnaryOp.Exp: TensorPrimitives.Exp(src, dst); break;
                case UnaryOp.Log: TensorPrimitives.Log(src, dst); break;
                case UnaryOp.Sqrt: TensorPrimitives.Sqrt(src, dst); break;
                case UnaryOp.Abs: TensorPrimitives.Abs(src, dst); break;
                case UnaryOp.Square: TensorPrimitives.Multiply(src, src, dst); break;
                case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(src, dst); break;
                case UnaryOp.Tanh: TensorPrimitives.Tanh(src, dst); break;
                case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(src, dst); break;
                case UnaryOp.Relu: TensorPrimitives.Max(src, 0f, dst); break;
                case UnaryOp.Relu6: TensorPrimitives.Max(src, 0f, dst); TensorPrimitives.Min(dst, 6f, dst); break;
                case UnaryOp.Clamp: TensorPrimitives.Max(src, a, dst); TensorPrimitives.Min(dst, b, dst); break;
                case UnaryOp.Affine: TensorPrimitives.Multiply(src, a, dst); TensorPrimitives.Add(dst, b, dst); break;
                default:
                    for (int i = 0; i < src.Length; i++) dst[i] = ElementwiseMath.Unary(op, src[i], a, b);
                    break;
            }
        });
    }

    public void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, long n, float a = 0, float b = 0)
    {
        foreach (var s in (ReadOnlySpan<Storage>)[x, y, dy, dx]) BackendChecks.CheckRange(s, 0, n - 1, "UnaryBackward");
        float* px = S(x).Ptr, py = S(y).Ptr, pg = S(dy).Ptr, pd = S(dx).Ptr;
        CpuParallel.For(n, ElementwiseGrain, (s, e) =>
        {
            int len = (int)(e - s);
            if (CpuActivationKernels.HasDerivative(op)) { CpuActivationKernels.Backward(op, px + s, py + s, pg + s, pd + s, len, a, b); return; }
            var g = new ReadOnlySpan<float>(pg + s, len);
            var d = new Span<float>(pd + s, len);
            switch (op)
            {
                case UnaryOp.Neg: TensorPrimitives.Negate(g, d); break;
                case UnaryOp.Affine: TensorPrimitives.Multiply(g, a, d); break;
                case UnaryOp.Exp: TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(py + s, len), d); break;
                default:
                    for (int i = 0; i < len; i++)
                        d[i] = g[i] * ElementwiseMath.UnaryDerivative(op, px[s + i], py[s + i], a, b);
                    break;
            }
        });
    }

    public void Binary(BinaryOp op, Storage a, long[] aStrides, Storage b, long[] bStrides, Storage y, int[] shape)
    {
        BackendChecks.CheckView(new StridedView(a, 0, aStrides), shape, "Binary a");
        BackendChecks.CheckView(new StridedView(b, 0, bStrides), shape, "Binary b");
        BackendChecks.CheckRange(y, 0, ShapeUtil.Numel(shape) - 1, "Binary y");
        var (sh, st) = ShapeUtil.Coalesce(shape, aStrides, bStrides, ShapeUtil.ContiguousStrides(shape));
        float* pa = S(a).Ptr, pb = S(b).Ptr, py = S(y).Ptr;
        long[] sa = st[0], sb = st[1];
        int rank = sh.Length, inner = sh[^1];
        long ia = sa[^1], ib = sb[^1];
        long rows = ShapeUtil.Numel(sh) / inner;
        CpuParallel.For(rows, Math.Max(1, ElementwiseGrain / Math.Max(inner, 1)), (r0, r1) =>
        {
            var walk = new RowOdometer(sh, sa, sb, r0);
            for (long row = r0; row < r1; row++, walk.Next())
                BinaryRow(op, pa + walk.Offset0, ia, pb + walk.Offset1, ib, py + row * inner, inner);
        });
    }

    /// <summary>One contiguous output row; operands are contiguous (stride 1), broadcast (stride 0) or strided.</summary>
    private static void BinaryRow(BinaryOp op, float* a, long sa, float* b, long sb, float* y, int n)
    {
        var dst = new Span<float>(y, n);
        if (n < 16)
        {
            // short rows (squeeze-excitation scaling, per-channel statistics): a vector call costs more than the row
            switch (op)
            {
                case BinaryOp.Add: for (int i = 0; i < n; i++) y[i] = a[i * sa] + b[i * sb]; return;
                case BinaryOp.Sub: for (int i = 0; i < n; i++) y[i] = a[i * sa] - b[i * sb]; return;
                case BinaryOp.Mul: for (int i = 0; i < n; i++) y[i] = a[i * sa] * b[i * sb]; return;
                default: for (int i = 0; i < n; i++) y[i] = ElementwiseMath.Binary(op, a[i * sa], b[i * sb]); return;
            }
        }
        if (sa == 1 && sb == 1)
        {
            var x1 = new ReadOnlySpan<float>(a, n); var x2 = new ReadOnlySpan<float>(b, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x1, x2, dst); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x1, x2, dst); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x1, x2, dst); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x1, x2, dst); return;
                case BinaryOp.Maximum: TensorPrimitives.Max(x1, x2, dst); return;
                case BinaryOp.Minimum: TensorPrimitives.Min(x1, x2, dst); return;
            }
        }
        else if (sa == 1 && sb == 0)
        {
            var x1 = new ReadOnlySpan<float>(a, n); float s = *b;
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x1, s, dst); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(x1, s, dst); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x1, s, dst); return;
                case BinaryOp.Div: TensorPrimitives.Divide(x1, s, dst); return;
            }
        }
        else if (sa == 0 && sb == 1)
        {
            var x2 = new ReadOnlySpan<float>(b, n); float s = *a;
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(x2, s, dst); return;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, x2, dst); return;
                case BinaryOp.Mul: TensorPrimitives.Multiply(x2, s, dst); return;
                case BinaryOp.Div: TensorPrimitives.Divide(s, x2, dst); return;
            }
        }
        for (int i = 0; i < n; i++) y[i] = ElementwiseMath.Binary(op, a[i * sa], b[i * sb]);
    }
}
