using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Everything a GEMM kernel needs from <see cref="GemmArgs"/> except the buffers (flags as ints).</summary>
public struct GemmParams
{
    public int Batch, M, N, K;
    public float Alpha, Beta;
    public long OffsetA, BatchStrideA; public int Lda, TransA;
    public long OffsetB, BatchStrideB; public int Ldb, TransB;
    public long OffsetC, BatchStrideC; public int Ldc;

    public static GemmParams From(in GemmArgs g) => new()
    {
        Batch = g.Batch, M = g.M, N = g.N, K = g.K, Alpha = g.Alpha, Beta = g.Beta,
        OffsetA = g.OffsetA, BatchStrideA = g.BatchStrideA, Lda = g.Lda, TransA = g.TransA ? 1 : 0,
        OffsetB = g.OffsetB, BatchStrideB = g.BatchStrideB, Ldb = g.Ldb, TransB = g.TransB ? 1 : 0,
        OffsetC = g.OffsetC, BatchStrideC = g.BatchStrideC, Ldc = g.Ldc,
    };

    /// <summary>Offset of op(A)[bi](i, p).</summary>
    public readonly long IndexA(long bi, long i, long p) => OffsetA + bi * BatchStrideA + (TransA != 0 ? p * Lda + i : i * Lda + p);

    /// <summary>Offset of op(B)[bi](p, j).</summary>
    public readonly long IndexB(long bi, long p, long j) => OffsetB + bi * BatchStrideB + (TransB != 0 ? j * Ldb + p : p * Ldb + j);

    public readonly long IndexC(long bi, long i, long j) => OffsetC + bi * BatchStrideC + i * Ldc + j;
}

/// <summary>
/// Batched row-major GEMM, C = alpha * op(A) * op(B) + beta * C (C not read when beta is 0).
/// <see cref="Gemm"/> is one thread per output element and handles everything; <see cref="GemmTiled"/> stages
/// T x T tiles of A and B in shared memory (T = group size) for large products on GPUs.
/// </summary>
public static class GemmKernels
{
    /// <summary>Thread per output element (grid-stride over Batch*M*N), k summed in order.</summary>
    [IlgpuKernel]
    public static void Gemm(Index1D t, long stride, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, long n, GemmParams g)
    {
        long mn = (long)g.M * g.N;
        for (long e = t; e < n; e += stride)
        {
            long bi = e / mn, rem = e - bi * mn;
            long i = rem / g.N, j = rem - i * g.N;
            float acc = 0f;
            for (int p = 0; p < g.K; p++) acc += a[g.IndexA(bi, i, p)] * b[g.IndexB(bi, p, j)];
            long ci = g.IndexC(bi, i, j);
            c[ci] = g.Beta == 0f ? g.Alpha * acc : g.Alpha * acc + g.Beta * c[ci];
        }
    }

    /// <summary>
    /// Shared-memory tiled GEMM. Launch: grid (ceil(N/T), ceil(M/T), Batch), group (T, T), 2*T*T floats of dynamic
    /// shared memory. Each thread owns C(row, col); out-of-range tile loads read zeros, so any M, N, K work.
    /// </summary>
    [IlgpuKernel]
    public static void GemmTiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmParams g)
    {
        int tile = Group.DimX;
        int tx = Group.IdxX, ty = Group.IdxY;
        int row = Grid.IdxY * tile + ty, col = Grid.IdxX * tile + tx;
        long bi = Grid.IdxZ;
        var shared = SharedMemory.GetDynamic<float>();
        var sa = shared.SubView(0, tile * tile);
        var sb = shared.SubView(tile * tile, tile * tile);
        float acc = 0f;
        for (int k0 = 0; k0 < g.K; k0 += tile)
        {
            int ka = k0 + tx, kb = k0 + ty;
            sa[ty * tile + tx] = row < g.M && ka < g.K ? a[g.IndexA(bi, row, ka)] : 0f;
            sb[ty * tile + tx] = kb < g.K && col < g.N ? b[g.IndexB(bi, kb, col)] : 0f;
            Group.Barrier();
            for (int p = 0; p < tile; p++) acc += sa[ty * tile + p] * sb[p * tile + tx];
            Group.Barrier();
        }
        if (row < g.M && col < g.N)
        {
            long ci = g.IndexC(bi, row, col);
            c[ci] = g.Beta == 0f ? g.Alpha * acc : g.Alpha * acc + g.Beta * c[ci];
        }
    }
}
