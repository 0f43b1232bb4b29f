using System.Runtime.Intrinsics;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Gemm(in GemmArgs g)
    {
        float* a = S(g.A).Ptr + g.OffsetA, b = S(g.B).Ptr + g.OffsetB, c = S(g.C).Ptr + g.OffsetC;
        CpuGemm.Batched(g, a, b, c);
    }
}

/// <summary>
/// Packed GEMM in the BLIS style: B is packed into K-by-32 column panels, A into 8-row panels, and an 8x32
/// Vector512 register tile (16 accumulators) computes each block of C with fused multiply-adds. Blocks of C
/// are spread over the cores; small batched products run one batch element per core instead.
/// </summary>
internal static unsafe class CpuGemm
{
    public const int MR = 8, NR = 32, KC = 256, MC = 128, NC = 1024;

    [ThreadStatic] private static float[]? _packA, _packB;

    private static float* Buffer(ref float[]? buf, int size)
    {
        if (buf == null || buf.Length < size) buf = GC.AllocateUninitializedArray<float>(size, pinned: true);
        return (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buf[0]);
    }

    public static void Batched(in GemmArgs g, float* a, float* b, float* c)
    {
        var args = g;
        long flopsPerItem = 2L * g.M * g.N * g.K;
        if (g.Batch > 1 && flopsPerItem < (1L << 22))
        {
            CpuParallel.For(g.Batch, Math.Max(1, (1L << 20) / Math.Max(flopsPerItem, 1)), (i0, i1) =>
            {
                for (long i = i0; i < i1; i++)
                    Single(args, a + i * args.BatchStrideA, b + i * args.BatchStrideB, c + i * args.BatchStrideC, parallel: false);
            });
            return;
        }
        for (int i = 0; i < g.Batch; i++)
            Single(g, a + i * g.BatchStrideA, b + i * g.BatchStrideB, c + i * g.BatchStrideC, parallel: flopsPerItem >= (1L << 18));
    }

    private static void Single(in GemmArgs g, float* a, float* b, float* c, bool parallel)
    {
        int m = g.M, n = g.N, k = g.K;
        if (m == 0 || n == 0) return;
        if (k == 0 || g.Alpha == 0f)
        {
            for (int i = 0; i < m; i++)
            {
                var row = new Span<float>(c + (long)i * g.Ldc, n);
                if (g.Beta == 0f) row.Clear(); else System.Numerics.Tensors.TensorPrimitives.Multiply(row, g.Beta, row);
            }
            return;
        }
        var args = g;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float* bp = Buffer(ref _packB, panels * NR * KC);
                PackB(args, b, pc, kc, jc, nc, bp);
                float beta = pc == 0 ? g.Beta : 1f;
                int mBlocks = (m + MC - 1) / MC;
                int nGroups = parallel ? Math.Clamp(2 * CpuParallel.Threads / mBlocks, 1, panels) : 1;
                int tasks = mBlocks * nGroups;
                int jcLocal = jc, pcLocal = pc;
                void Task(long t0, long t1)
                {
                    for (long t = t0; t < t1; t++)
                    {
                        int ib = (int)(t / nGroups), grp = (int)(t % nGroups);
                        int ic = ib * MC, mc = Math.Min(MC, m - ic);
                        int p0 = panels * grp / nGroups, p1 = panels * (grp + 1) / nGroups;
                        float* ap = Buffer(ref _packA, ((MC + MR - 1) / MR) * MR * KC);
                        PackA(args, a, ic, mc, pcLocal, kc, ap);
                        for (int jp = p0; jp < p1; jp++)
                        {
                            int j0 = jp * NR, nr = Math.Min(NR, nc - j0);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* cTile = c + (long)(ic + ir) * args.Ldc + jcLocal + j0;
                                Kernel(kc, ap + ir * kc, bp + jp * NR * kc, cTile, args.Ldc, args.Alpha, beta, mr, nr);
                            }
                        }
                    }
                }
                if (parallel && tasks > 1) CpuParallel.For(tasks, 1, Task);
                else Task(0, tasks);
            }
        }
    }

    /// <summary>Bp[panel][p][0..32) = B(pc+p, jc+panel*32+c), zero beyond N.</summary>
    private static void PackB(in GemmArgs g, float* b, int pc, int kc, int jc, int nc, float* bp)
    {
        int panels = (nc + NR - 1) / NR;
        for (int jp = 0; jp < panels; jp++)
        {
            int j0 = jc + jp * NR, nr = Math.Min(NR, nc - jp * NR);
            float* dst = bp + jp * NR * kc;
            for (int p = 0; p < kc; p++, dst += NR)
            {
                if (!g.TransB)
                {
                    float* src = b + (long)(pc + p) * g.Ldb + j0;
                    if (nr == NR) { Vector512.Store(Vector512.Load(src), dst); Vector512.Store(Vector512.Load(src + 16), dst + 16); }
                    else { for (int c = 0; c < nr; c++) dst[c] = src[c]; for (int c = nr; c < NR; c++) dst[c] = 0f; }
                }
                else
                {
                    float* src = b + (long)j0 * g.Ldb + pc + p;
                    for (int c = 0; c < nr; c++) dst[c] = src[(long)c * g.Ldb];
                    for (int c = nr; c < NR; c++) dst[c] = 0f;
                }
            }
        }
    }

    /// <summary>Ap[panel][p][0..8) = A(ic+panel*8+r, pc+p), zero beyond M.</summary>
    private static void PackA(in GemmArgs g, float* a, int ic, int mc, int pc, int kc, float* ap)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* dst = ap + ir * kc;
            if (!g.TransA)
            {
                for (int r = 0; r < MR; r++)
                {
                    if (r >= mr) { for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f; continue; }
                    float* src = a + (long)(ic + ir + r) * g.Lda + pc;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(pc + p) * g.Lda + ic + ir;
                    for (int r = 0; r < mr; r++) dst[p * MR + r] = src[r];
                    for (int r = mr; r < MR; r++) dst[p * MR + r] = 0f;
                }
            }
        }
    }

    private static void Kernel(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        if (Vector512.IsHardwareAccelerated) Kernel512(kc, a, b, c, ldc, alpha, beta, mr, nr);
        else KernelPortable(kc, a, b, c, ldc, alpha, beta, mr, nr);
    }

    private static void Kernel512(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += MR, b += NR)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        if (mr == MR && nr == NR)
        {
            Store(c, c00, c01, alpha, beta); Store(c + ldc, c10, c11, alpha, beta);
            Store(c + 2 * ldc, c20, c21, alpha, beta); Store(c + 3 * ldc, c30, c31, alpha, beta);
            Store(c + 4 * ldc, c40, c41, alpha, beta); Store(c + 5 * ldc, c50, c51, alpha, beta);
            Store(c + 6 * ldc, c60, c61, alpha, beta); Store(c + 7 * ldc, c70, c71, alpha, beta);
            return;
        }
        float* t = stackalloc float[MR * NR];
        c00.Store(t); c01.Store(t + 16); c10.Store(t + 32); c11.Store(t + 48);
        c20.Store(t + 64); c21.Store(t + 80); c30.Store(t + 96); c31.Store(t + 112);
        c40.Store(t + 128); c41.Store(t + 144); c50.Store(t + 160); c51.Store(t + 176);
        c60.Store(t + 192); c61.Store(t + 208); c70.Store(t + 224); c71.Store(t + 240);
        StoreEdge(t, c, ldc, alpha, beta, mr, nr);
    }

    private static void Store(float* c, Vector512<float> lo, Vector512<float> hi, float alpha, float beta)
    {
        var va = Vector512.Create(alpha);
        if (beta == 0f)
        {
            (lo * va).Store(c);
            (hi * va).Store(c + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Vector512.FusedMultiplyAdd(lo, va, Vector512.Load(c) * vb).Store(c);
            Vector512.FusedMultiplyAdd(hi, va, Vector512.Load(c + 16) * vb).Store(c + 16);
        }
    }

    private static void StoreEdge(float* t, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++)
        {
            float v = alpha * t[r * NR + j];
            c[r * ldc + j] = beta == 0f ? v : v + beta * c[r * ldc + j];
        }
    }

    /// <summary>
    /// Machines without AVX-512: same packed layout, 256-bit vectors. The 8x32 tile is computed as four 8x8 column
    /// blocks, each with its eight accumulators held in registers over the whole k loop (16 ymm registers suffice).
    /// </summary>
    private static void KernelPortable(int kc, float* a, float* b, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        float* t = stackalloc float[MR * NR];
        for (int cb = 0; cb < NR; cb += 8)
        {
            if (cb >= nr) break;
            Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            float* ap = a, bp = b + cb;
            for (int p = 0; p < kc; p++, ap += MR, bp += NR)
            {
                var bv = Vector256.Load(bp);
                c0 = Madd(Vector256.Create(ap[0]), bv, c0); c1 = Madd(Vector256.Create(ap[1]), bv, c1);
                c2 = Madd(Vector256.Create(ap[2]), bv, c2); c3 = Madd(Vector256.Create(ap[3]), bv, c3);
                c4 = Madd(Vector256.Create(ap[4]), bv, c4); c5 = Madd(Vector256.Create(ap[5]), bv, c5);
                c6 = Madd(Vector256.Create(ap[6]), bv, c6); c7 = Madd(Vector256.Create(ap[7]), bv, c7);
            }
            c0.Store(t + cb); c1.Store(t + NR + cb); c2.Store(t + 2 * NR + cb); c3.Store(t + 3 * NR + cb);
            c4.Store(t + 4 * NR + cb); c5.Store(t + 5 * NR + cb); c6.Store(t + 6 * NR + cb); c7.Store(t + 7 * NR + cb);
        }
        StoreEdge(t, c, ldc, alpha, beta, mr, nr);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Madd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, acc) : x * y + acc;
}
