using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// Reductions of the middle axis of (outer, r, inner). Every output is folded by one thread in index order, so
/// results are bit-identical run to run, whatever the device.
/// </summary>
public static class ReduceKernels
{
    /// <summary>y[o, i] = fold over k in [0, r) of x[o, k, i]; n = outer * inner outputs.</summary>
    [IlgpuKernel]
    public static void Reduce(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, long n, int r, int inner, ReduceOp op)
    {
        for (long j = t; j < n; j += stride)
        {
            long o = j / inner, i = j - o * inner;
            long p = o * r * inner + i;
            float acc = x[p];
            for (int k = 1; k < r; k++)
            {
                p += inner;
                acc = Combine(op, acc, x[p]);
            }
            y[j] = acc;
        }
    }

    /// <summary>
    /// First pass of a long reduction: partial[o, c, i] folds x[o, k, i] for k in chunk c ([c*chunk, min(r, (c+1)*chunk))).
    /// The partials are then reduced by <see cref="Reduce"/> as (outer, chunks, inner): a fixed order again.
    /// </summary>
    [IlgpuKernel]
    public static void ReducePartial(Index1D t, long stride, ArrayView<float> x, ArrayView<float> partial, long n,
        int r, int inner, int chunk, int chunks, ReduceOp op)
    {
        for (long j = t; j < n; j += stride)
        {
            // j = (o * chunks + c) * inner + i
            long oc = j / inner, i = j - oc * inner;
            long o = oc / chunks, c = oc - o * chunks;
            long k0 = c * chunk, k1 = k0 + chunk;
            if (k1 > r) k1 = r;
            long p = (o * r + k0) * inner + i;
            float acc = x[p];
            for (long k = k0 + 1; k < k1; k++)
            {
                p += inner;
                acc = Combine(op, acc, x[p]);
            }
            partial[j] = acc;
        }
    }

    private static float Combine(ReduceOp op, float acc, float v)
    {
        if (op == ReduceOp.Sum) return acc + v;
        if (op == ReduceOp.Max) return v > acc ? v : acc;
        return v < acc ? v : acc;
    }
}
