using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// Elementwise kernels. All are grid-stride loops: thread t handles t, t + stride, t + 2*stride, ... below n, where
/// stride is the launch extent (passed explicitly: the padded grid size is not the extent).
/// The maths is <see cref="ElementwiseMath"/>, the same code the cpu backend runs.
/// </summary>
public static class ElementwiseKernels
{
    [IlgpuKernel]
    public static void Fill(Index1D t, long stride, ArrayView<float> y, long offset, long n, float value)
    {
        for (long i = t; i < n; i += stride) y[offset + i] = value;
    }

    [IlgpuKernel]
    public static void Unary(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, long n, UnaryOp op, float a, float b)
    {
        for (long i = t; i < n; i += stride) y[i] = ElementwiseMath.Unary(op, x[i], a, b);
    }

    [IlgpuKernel]
    public static void UnaryBackward(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy,
        ArrayView<float> dx, long n, UnaryOp op, float a, float b)
    {
        for (long i = t; i < n; i += stride) dx[i] = dy[i] * ElementwiseMath.UnaryDerivative(op, x[i], y[i], a, b);
    }

    /// <summary>y[i] = a[offA(i)] (op) b[offB(i)]; y contiguous over n elements, operands strided (0 = broadcast).</summary>
    [IlgpuKernel]
    public static void Binary(Index1D t, long stride, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, long n,
        BinaryOp op, StridedIndex index)
    {
        for (long i = t; i < n; i += stride)
        {
            index.Offsets(i, out long oa, out long ob);
            y[i] = ElementwiseMath.Binary(op, a[oa], b[ob]);
        }
    }

    /// <summary>Binary with both operands contiguous and the same shape (the common case: no index arithmetic).</summary>
    [IlgpuKernel]
    public static void BinaryContiguous(Index1D t, long stride, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, long n, BinaryOp op)
    {
        for (long i = t; i < n; i += stride) y[i] = ElementwiseMath.Binary(op, a[i], b[i]);
    }
}
