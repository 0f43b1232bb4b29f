using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Gemm(in GemmArgs g)
    {
        BackendChecks.CheckGemm(g);
        float* a = S(g.A).Ptr + g.OffsetA, b = S(g.B).Ptr + g.OffsetB, c = S(g.C).Ptr + g.OffsetC;
        CpuGemm.Batched(g, a, b, c);
    }
}

/// <summary>
/// Packed GEMM in the BLIS style: B is packed into K-by-NR column panels, A into MR-row panels, and a register
/// tile computes each block of C with fused multiply-adds: 8x32 with Vector512 (16 accumulators of 32 zmm)
/// where AVX-512 is available, else 6x16 with Vector256 (12 accumulators of 16 ymm). Blocks of C are spread
/// over the cores; small batched products run one batch element per core instead.
/// </summary>
internal static unsafe class CpuGemm
{
    public static readonly bool Wide = Vector512.IsHardwareAccelerated;
    public static readonly int MR = Wide ? 8 : 6, NR = Wide ? 32 : 16;
    public const int KC = 256, MC = 120, NC = 1024; // MC is a multiple of both MRs

    [ThreadStatic] private static float[]? _packA, _packB, _sharedA;

    private static float* Buffer(ref float[]? buf, long size) => PinnedScratch.Get(ref buf, size);

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

    internal static void Single(in GemmArgs g, float* a, float* b, float* c, bool parallel)
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
        // Few rows reuse each packed B panel only m/MR times, so copying B costs as much as a good share of the product
        // (an LSTM step: 64 x 512 x 128). Then full panels of a row-major B are read in place (rows ldb apart) and only a
        // partial last panel is packed (zero-padded).
        bool directB = !g.TransB && m <= 2 * MC;
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int panels = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float* bp = Buffer(ref _packB, panels * NR * KC);
                PackB(args, b, pc, kc, jc, nc, bp, directB ? nc / NR : 0);
                float beta = pc == 0 ? g.Beta : 1f;
                // row blocks of at most MC rows, as many as a multiple of the thread count so no core idles at the end
                int mBlocks = (m + MC - 1) / MC;
                if (parallel && mBlocks > 1 && mBlocks % CpuParallel.Threads != 0)
                    mBlocks = (mBlocks + CpuParallel.Threads - 1) / CpuParallel.Threads * CpuParallel.Threads;
                int blockRows = ((m + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
                mBlocks = (m + blockRows - 1) / blockRows;
                int nGroups = parallel ? Math.Clamp(2 * CpuParallel.Threads / mBlocks, 1, panels) : 1;
                int tasks = mBlocks * nGroups;
                int jcLocal = jc, pcLocal = pc;
                // Several column groups share a row block: pack each block of A once, up front (in parallel over the
                // blocks), rather than once per group; otherwise each task packs its own block.
                int blockStride = blockRows * kc;
                float* shared = nGroups > 1 ? Buffer(ref _sharedA, (long)mBlocks * blockStride) : null;
                if (shared != null)
                {
                    void PackBlocks(long b0, long b1)
                    {
                        for (long ib = b0; ib < b1; ib++)
                        {
                            int ic = (int)ib * blockRows;
                            PackA(args, a, ic, Math.Min(blockRows, m - ic), pcLocal, kc, shared + ib * blockStride);
                        }
                    }
                    if (parallel && mBlocks > 1) CpuParallel.For(mBlocks, 1, PackBlocks);
                    else PackBlocks(0, mBlocks);
                }
                void Task(long t0, long t1)
                {
                    for (long t = t0; t < t1; t++)
                    {
                        int ib = (int)(t / nGroups), grp = (int)(t % nGroups);
                        int ic = ib * blockRows, mc = Math.Min(blockRows, m - ic);
                        int p0 = panels * grp / nGroups, p1 = panels * (grp + 1) / nGroups;
                        float* ap;
                        if (shared != null) ap = shared + (long)ib * blockStride;
                        else
                        {
                            ap = Buffer(ref _packA, ((MC + MR - 1) / MR) * MR * KC);
                            PackA(args, a, ic, mc, pcLocal, kc, ap);
                        }
                        for (int jp = p0; jp < p1; jp++)
                        {
                            int j0 = jp * NR, nr = Math.Min(NR, nc - j0);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mr = Math.Min(MR, mc - ir);
                                float* cTile = c + (long)(ic + ir) * args.Ldc + jcLocal + j0;
                                bool inPlace = directB && nr == NR;
                                float* bPanel = inPlace ? b + (long)pcLocal * args.Ldb + jcLocal + j0 : bp + jp * NR * kc;
                                Kernel(kc, ap + ir * kc, bPanel, inPlace ? args.Ldb : NR, cTile, args.Ldc, args.Alpha, beta, mr, nr);
                            }
                        }
                    }
                }
                if (parallel && tasks > 1) CpuParallel.For(tasks, 1, Task);
                else Task(0, tasks);
            }
        }
    }

    /// <summary>Bp[panel][p][0..NR) = B(pc+p, jc+panel*NR+c), zero beyond N, for panels from <paramref name="firstPanel"/> on.</summary>
    private static void PackB(in GemmArgs g, float* b, int pc, int kc, int jc, int nc, float* bp, int firstPanel)
    {
        int panels = (nc + NR - 1) / NR;
        for (int jp = firstPanel; jp < panels; jp++)
        {
            int j0 = jc + jp * NR, nr = Math.Min(NR, nc - jp * NR);
            float* dst = bp + jp * NR * kc;
            for (int p = 0; p < kc; p++, dst += NR)
            {
                if (!g.TransB)
                {
                    float* src = b + (long)(pc + p) * g.Ldb + j0;
                    new ReadOnlySpan<float>(src, nr).CopyTo(new Span<float>(dst, nr));
                    for (int c = nr; c < NR; c++) dst[c] = 0f;
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

    /// <summary>Ap[panel][p][0..MR) = A(ic+panel*MR+r, pc+p), zero beyond M.</summary>
    private static void PackA(in GemmArgs g, float* a, int ic, int mc, int pc, int kc, float* ap)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* dst = ap + ir * kc;
            if (!g.TransA)
            {
                if (mr == 6 && MR == 6 && Sse.IsSupported) { PackRows6(a + (long)(ic + ir) * g.Lda + pc, g.Lda, kc, dst); continue; }
                for (int r = 0; r < MR; r++)
                {
                    if (r >= mr) { for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f; continue; }
                    float* src = a + (long)(ic + ir + r) * g.Lda + pc;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
                }
            }
            else
            {
                float* src = a + (long)pc * g.Lda + ic + ir;
                if (mr == MR && MR == 6)
                {
                    // each step of k is 6 consecutive floats of a row of Aᵀ: a 16-byte and an 8-byte copy
                    for (int p = 0; p < kc; p++, src += g.Lda)
                    {
                        Vector128.Load(src).Store(dst + p * 6);
                        *(long*)(dst + p * 6 + 4) = *(long*)(src + 4);
                    }
                    continue;
                }
                if (mr == MR && MR == 8)
                {
                    for (int p = 0; p < kc; p++, src += g.Lda) Vector256.Load(src).Store(dst + p * 8);
                    continue;
                }
                for (int p = 0; p < kc; p++, src += g.Lda)
                {
                    for (int r = 0; r < mr; r++) dst[p * MR + r] = src[r];
                    for (int r = mr; r < MR; r++) dst[p * MR + r] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Six rows (ld apart) interleaved k-major: dst[p·6 + r] = row_r[p]. Four k at a time: rows 0-3 as a 4x4 transpose,
    /// rows 4-5 as pairs, then per k a 16-byte and an 8-byte store (the scalar form costs ~10% of an LSTM step).
    /// </summary>
    private static void PackRows6(float* a, long ld, int kc, float* dst)
    {
        float* r0 = a, r1 = a + ld, r2 = a + 2 * ld, r3 = a + 3 * ld, r4 = a + 4 * ld, r5 = a + 5 * ld;
        int p = 0;
        for (; p + 4 <= kc; p += 4, dst += 24)
        {
            var x0 = Vector128.Load(r0 + p); var x1 = Vector128.Load(r1 + p); var x2 = Vector128.Load(r2 + p); var x3 = Vector128.Load(r3 + p);
            var x4 = Vector128.Load(r4 + p); var x5 = Vector128.Load(r5 + p);
            var t0 = Sse.UnpackLow(x0, x1);  // r0p0 r1p0 r0p1 r1p1
            var t1 = Sse.UnpackLow(x2, x3);  // r2p0 r3p0 r2p1 r3p1
            var t2 = Sse.UnpackHigh(x0, x1); // r0p2 r1p2 r0p3 r1p3
            var t3 = Sse.UnpackHigh(x2, x3); // r2p2 r3p2 r2p3 r3p3
            var u0 = Sse.UnpackLow(x4, x5);  // r4p0 r5p0 r4p1 r5p1
            var u1 = Sse.UnpackHigh(x4, x5); // r4p2 r5p2 r4p3 r5p3
            Sse.MoveLowToHigh(t0, t1).Store(dst);       // p0: r0..r3
            *(long*)(dst + 4) = u0.AsInt64().ToScalar();  // p0: r4 r5
            Sse.MoveHighToLow(t1, t0).Store(dst + 6);   // p1: r0..r3
            *(long*)(dst + 10) = u0.AsInt64().GetElement(1);
            Sse.MoveLowToHigh(t2, t3).Store(dst + 12);  // p2
            *(long*)(dst + 16) = u1.AsInt64().ToScalar();
            Sse.MoveHighToLow(t3, t2).Store(dst + 18);  // p3
            *(long*)(dst + 22) = u1.AsInt64().GetElement(1);
        }
        for (; p < kc; p++, dst += 6)
        {
            dst[0] = r0[p]; dst[1] = r1[p]; dst[2] = r2[p]; dst[3] = r3[p]; dst[4] = r4[p]; dst[5] = r5[p];
        }
    }

    /// <summary>C tile (mr x nr) = alpha·A panel·B panel + beta·C; B panel rows are <paramref name="ldb"/> floats apart (NR when packed).</summary>
    private static void Kernel(int kc, float* a, float* b, long ldb, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        if (Wide) Kernel512(kc, a, b, ldb, c, ldc, alpha, beta, mr, nr);
        else Kernel256(kc, a, b, ldb, c, ldc, alpha, beta, mr, nr);
    }

    private static void Kernel512(int kc, float* a, float* b, long ldb, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++, a += 8, b += ldb)
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
        if (mr == 8 && nr == 32)
        {
            Store(c, c00, c01, alpha, beta); Store(c + ldc, c10, c11, alpha, beta);
            Store(c + 2 * ldc, c20, c21, alpha, beta); Store(c + 3 * ldc, c30, c31, alpha, beta);
            Store(c + 4 * ldc, c40, c41, alpha, beta); Store(c + 5 * ldc, c50, c51, alpha, beta);
            Store(c + 6 * ldc, c60, c61, alpha, beta); Store(c + 7 * ldc, c70, c71, alpha, beta);
            return;
        }
        float* t = stackalloc float[8 * 32];
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

    /// <summary>Machines without AVX-512 (AVX2 + FMA): a 6x16 tile, 12 ymm accumulators.</summary>
    private static void Kernel256(int kc, float* a, float* b, long ldb, float* c, long ldc, float alpha, float beta, int mr, int nr)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += 6, b += ldb)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00); c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10); c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20); c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30); c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40); c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50); c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        if (mr == 6 && nr == 16)
        {
            Store(c, c00, c01, alpha, beta); Store(c + ldc, c10, c11, alpha, beta); Store(c + 2 * ldc, c20, c21, alpha, beta);
            Store(c + 3 * ldc, c30, c31, alpha, beta); Store(c + 4 * ldc, c40, c41, alpha, beta); Store(c + 5 * ldc, c50, c51, alpha, beta);
            return;
        }
        float* t = stackalloc float[6 * 16];
        c00.Store(t); c01.Store(t + 8); c10.Store(t + 16); c11.Store(t + 24); c20.Store(t + 32); c21.Store(t + 40);
        c30.Store(t + 48); c31.Store(t + 56); c40.Store(t + 64); c41.Store(t + 72); c50.Store(t + 80); c51.Store(t + 88);
        StoreEdge(t, c, ldc, alpha, beta, mr, nr);
    }

    private static void Store(float* c, Vector256<float> lo, Vector256<float> hi, float alpha, float beta)
    {
        var va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            (lo * va).Store(c);
            (hi * va).Store(c + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(lo, va, Vector256.Load(c) * vb).Store(c);
            Vector256.FusedMultiplyAdd(hi, va, Vector256.Load(c + 8) * vb).Store(c + 8);
        }
    }
}
