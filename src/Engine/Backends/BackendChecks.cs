using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Host-side range checks run by backends before touching memory: a wrong size becomes an exception naming the
/// operand, never an out-of-bounds read (on the cpu backend) or a dead process (ILGPU's CPU simulator).
/// </summary>
public static class BackendChecks
{
    /// <summary>Throws unless elements [lo, hi] lie inside the storage (an empty range, hi &lt; lo, always passes).</summary>
    public static void CheckRange(Storage s, long lo, long hi, string what)
    {
        if (hi < lo) return;
        if (lo < 0 || hi >= s.Capacity)
            throw new ArgumentOutOfRangeException(what, $"{what}: elements [{lo}, {hi}] are outside a storage of {s.Capacity} floats");
    }

    /// <summary>The lowest and highest element offset a strided walk over <paramref name="shape"/> touches.</summary>
    public static (long lo, long hi) Footprint(long offset, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides)
    {
        long lo = offset, hi = offset;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return (0, -1);
            long ext = (shape[d] - 1) * strides[d];
            if (ext > 0) hi += ext; else lo += ext;
        }
        return (lo, hi);
    }

    public static void CheckView(StridedView v, int[] shape, string what)
    {
        if (v.Strides.Length != shape.Length) throw new ArgumentException($"{what}: {v.Strides.Length} strides for a rank-{shape.Length} shape");
        var (lo, hi) = Footprint(v.Offset, shape, v.Strides);
        CheckRange(v.Storage, lo, hi, what);
    }

    /// <summary>Leading dimensions and the extents of A, B (when K &gt; 0) and C over all batch elements.</summary>
    public static void CheckGemm(in GemmArgs a)
    {
        if (a.M < 0 || a.N < 0 || a.K < 0 || a.Batch < 0) throw new ArgumentException($"Gemm: negative size (batch {a.Batch}, M {a.M}, N {a.N}, K {a.K})");
        if (a.Batch == 0 || a.M == 0 || a.N == 0) return;
        long lastBatch = a.Batch - 1;
        if (a.K > 0)
        {
            // op(A) is M x K: stored rows x cols = (TransA ? K x M : M x K)
            int ar = a.TransA ? a.K : a.M, ac = a.TransA ? a.M : a.K;
            int br = a.TransB ? a.N : a.K, bc = a.TransB ? a.K : a.N;
            if (a.Lda < ac || a.Ldb < bc) throw new ArgumentException($"Gemm: leading dimension too small (lda {a.Lda} < {ac} or ldb {a.Ldb} < {bc})");
            CheckRange(a.A, a.OffsetA + Math.Min(0, lastBatch * a.BatchStrideA), a.OffsetA + Math.Max(0, lastBatch * a.BatchStrideA) + (long)(ar - 1) * a.Lda + ac - 1, "Gemm A");
            CheckRange(a.B, a.OffsetB + Math.Min(0, lastBatch * a.BatchStrideB), a.OffsetB + Math.Max(0, lastBatch * a.BatchStrideB) + (long)(br - 1) * a.Ldb + bc - 1, "Gemm B");
        }
        if (a.Ldc < a.N) throw new ArgumentException($"Gemm: ldc {a.Ldc} < N {a.N}");
        CheckRange(a.C, a.OffsetC + Math.Min(0, lastBatch * a.BatchStrideC), a.OffsetC + Math.Max(0, lastBatch * a.BatchStrideC) + (long)(a.M - 1) * a.Ldc + a.N - 1, "Gemm C");
    }
}
