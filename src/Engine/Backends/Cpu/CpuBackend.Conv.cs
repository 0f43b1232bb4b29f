using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Backends.Cpu.CpuConvKernels;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Convolution family on the cpu backend. Three convolution paths:
/// depthwise (one input channel per output channel): each row is a K-tap FMA stencil over zero-padded, stride-phase
/// split scratch rows, vectorised over time; pointwise (kernel 1): per batch element and group a register-tiled
/// matrix product straight on the tensors; anything else: im2col into per-thread scratch, then the same product.
/// At stride 1 the input gradient is itself such a forward convolution (of dy, with the flipped kernel). Work is split
/// over (batch, channel) rows or (batch, group) panels, each output written by one thread; weight gradients are
/// accumulated over the batch in a fixed order (dot products or the blocked GEMM, by shape), so results do not depend
/// on the thread count.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    private static float* P(Storage? s) => s == null ? null : S(s).Ptr;

    private static void CheckConv(in Conv1dArgs a)
    {
        if (a.Groups <= 0 || a.InChannels % a.Groups != 0 || a.OutChannels % a.Groups != 0)
            throw new ArgumentException($"conv1d: channels {a.InChannels}->{a.OutChannels} not divisible by groups {a.Groups}");
        if (a.Kernel <= 0 || a.Stride <= 0 || a.Dilation <= 0 || a.PadLeft < 0 || a.OutLength <= 0)
            throw new ArgumentException($"conv1d: invalid geometry {a}");
    }

    private static int Round8(int n) => (n + 7) & ~7;

    // ---------------------------------------------------------------- convolution forward

    public void Conv1d(in Conv1dArgs a, Storage x, Storage w, Storage? bias, Storage y)
    {
        CheckConv(a);
        float* px = S(x).Ptr, pw = S(w).Ptr, pb = P(bias), py = S(y).Ptr;
        if (a.IsDepthwise) DepthwiseForward(a, px, pw, pb, py);
        else GeneralForward(a, px, pw, pb, py);
    }

    /// <summary>Stride phases of a zero-padded row: phase r holds xp[i·s + r] for i &lt; phLen, xp[j] = x[j − padL].</summary>
    private static void BuildPhases(float* x, int L, int padL, int s, int phLen, float* ph)
    {
        if (s == 1)
        {
            int lead = Math.Min(padL, phLen);
            new Span<float>(ph, lead).Clear();
            int copy = Math.Max(0, Math.Min(L, phLen - padL));
            if (copy > 0) new ReadOnlySpan<float>(x, copy).CopyTo(new Span<float>(ph + padL, copy));
            int done = lead + copy;
            if (done < phLen) new Span<float>(ph + done, phLen - done).Clear();
            return;
        }
        for (int r = 0; r < s; r++)
        {
            float* dst = ph + (long)r * phLen;
            for (int i = 0; i < phLen; i++)
            {
                long j = (long)i * s + r - padL;
                dst[i] = j >= 0 && j < L ? x[j] : 0f;
            }
        }
    }

    /// <summary>Phase length and per-tap offsets of a depthwise row (see <see cref="BuildPhases"/>).</summary>
    private static int PhaseLayout(in Conv1dArgs a, int* off)
    {
        int qmax = (a.Kernel - 1) * a.Dilation / a.Stride;
        int phLen = Round8(a.OutLength) + qmax;
        for (int k = 0; k < a.Kernel; k++)
        {
            int kd = k * a.Dilation;
            off[k] = (kd % a.Stride) * phLen + kd / a.Stride;
        }
        return phLen;
    }

    private static void DepthwiseForward(Conv1dArgs a, float* px, float* pw, float* pb, float* py)
    {
        int mult = a.OutPerGroup, K = a.Kernel, L = a.InLength, T = a.OutLength;
        long rows = (long)a.Batch * a.OutChannels;
        CpuParallel.For(rows, Math.Max(1, 32768 / Math.Max((long)T * K, 1)), (r0, r1) =>
        {
            int* off = stackalloc int[K];
            int phLen = PhaseLayout(a, off);
            float* ph = Scratch(0, (long)phLen * a.Stride);
            long built = -1;
            for (long r = r0; r < r1; r++)
            {
                int n = (int)(r / a.OutChannels), co = (int)(r % a.OutChannels);
                long src = (long)n * a.InChannels + co / mult;
                if (src != built) { BuildPhases(px + src * L, L, a.PadLeft, a.Stride, phLen, ph); built = src; }
                DepthwiseRow(T, K, ph, off, pw + (long)co * K, pb == null ? 0f : pb[co], py + r * T, accumulate: false);
            }
        });
    }

    /// <summary>The product's columns of one batch element and group: its input rows themselves for a pointwise
    /// convolution, else <see cref="Im2col"/>; rows <paramref name="ldc"/> floats apart.</summary>
    private static void Columns(float* xg, in Conv1dArgs a, float* col, long ldc)
    {
        if (a.IsPointwise) CopyRows(xg, a.InLength, col, ldc, a.InPerGroup, a.OutLength);
        else Im2col(xg, a, col, ldc);
    }

    /// <summary>col[(ci·K + k)·ldc + t] = x[ci, t·s + k·d − padL] (zero outside) for the group's input channels.</summary>
    private static void Im2col(float* x, in Conv1dArgs a, float* col, long ldc)
    {
        int K = a.Kernel, T = a.OutLength, L = a.InLength, s = a.Stride;
        for (int ci = 0; ci < a.InPerGroup; ci++)
        {
            float* xr = x + (long)ci * L;
            for (int k = 0; k < K; k++)
            {
                float* row = col + ((long)ci * K + k) * ldc;
                int off = k * a.Dilation - a.PadLeft;
                if (s == 1)
                {
                    int t0 = Math.Clamp(-off, 0, T), t1 = Math.Clamp(L - off, t0, T);
                    new Span<float>(row, t0).Clear();
                    if (t1 > t0) new ReadOnlySpan<float>(xr + t0 + off, t1 - t0).CopyTo(new Span<float>(row + t0, t1 - t0));
                    new Span<float>(row + t1, T - t1).Clear();
                }
                else
                {
                    for (int t = 0; t < T; t++)
                    {
                        long j = (long)t * s + off;
                        row[t] = j >= 0 && j < L ? xr[j] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Batch elements packed side by side per product so that short sequences still fill the 16-wide register tiles.</summary>
    private static int BatchPack(int T) => T >= 64 ? 1 : Math.Max(1, 128 / Math.Max(T, 1));

    /// <summary>Copies rows of length <paramref name="len"/>: dst[r·ldd] ← src[r·lds] for r &lt; rows.</summary>
    private static void CopyRows(float* src, long lds, float* dst, long ldd, int rows, int len)
    {
        for (int r = 0; r < rows; r++) new ReadOnlySpan<float>(src + r * lds, len).CopyTo(new Span<float>(dst + r * ldd, len));
    }

    /// <summary>
    /// y_ng = W_g · col_ng (+ bias) per batch element and group; col is the input itself for pointwise convolutions. Short
    /// sequences pack several batch elements side by side (col rows of nb·T) and unpack the product.
    /// </summary>
    private static void GeneralForward(Conv1dArgs a, float* px, float* pw, float* pb, float* py)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, KK = Cig * a.Kernel, T = a.OutLength, L = a.InLength, N = a.Batch;
        int pack = BatchPack(T), packs = (N + pack - 1) / pack;
        long items = (long)packs * G;
        int mBlocks = items >= 2 * CpuParallel.Threads ? 1 : Math.Clamp((Cog + 15) / 16, 1, 2 * CpuParallel.Threads);
        bool pointwise = a.IsPointwise;
        long work = (long)Cog * KK * T * pack / mBlocks;
        CpuParallel.For(items * mBlocks, Math.Max(1, (1L << 16) / Math.Max(work, 1)), (i0, i1) =>
        {
            for (long i = i0; i < i1; i++)
            {
                long item = i / mBlocks;
                int mb = (int)(i % mBlocks);
                int pk = (int)(item / G), g = (int)(item % G);
                int n0 = pk * pack, n1 = Math.Min(N, n0 + pack), kt = (n1 - n0) * T;
                int m0 = Cog * mb / mBlocks, m1 = Cog * (mb + 1) / mBlocks;
                long co0 = (long)g * Cog + m0;
                float* bias = pb == null ? null : pb + co0;
                if (pack == 1 && pointwise)
                {
                    MatMulAB(m1 - m0, T, KK, pw + co0 * KK, KK, px + ((long)n0 * a.InChannels + (long)g * Cig) * L, L,
                        py + ((long)n0 * a.OutChannels + co0) * T, T, bias);
                    continue;
                }
                float* col = Scratch(0, (long)KK * kt);
                for (int n = n0; n < n1; n++)
                {
                    float* xg = px + ((long)n * a.InChannels + (long)g * Cig) * L;
                    Columns(xg, a, col + (long)(n - n0) * T, kt);
                }
                if (pack == 1)
                {
                    MatMulAB(m1 - m0, T, KK, pw + co0 * KK, KK, col, T, py + ((long)n0 * a.OutChannels + co0) * T, T, bias);
                    continue;
                }
                float* yp = Scratch(1, (long)(m1 - m0) * kt);
                MatMulAB(m1 - m0, kt, KK, pw + co0 * KK, KK, col, kt, yp, kt, bias);
                for (int n = n0; n < n1; n++)
                    CopyRows(yp + (long)(n - n0) * T, kt, py + ((long)n * a.OutChannels + co0) * T, T, m1 - m0, T);
            }
        });
    }

    // ---------------------------------------------------------------- convolution backward (input)

    public void Conv1dBackwardInput(in Conv1dArgs a, Storage dy, Storage w, Storage dx)
    {
        CheckConv(a);
        float* pg = S(dy).Ptr, pw = S(w).Ptr, pd = S(dx).Ptr;
        if (a.IsDepthwise) DepthwiseBackwardInput(a, pg, pw, pd);
        else if (a.Stride == 1 && a.PadLeft <= (a.Kernel - 1) * a.Dilation) BackwardInputAsForward(a, pg, pw, pd);
        else GeneralBackwardInput(a, pg, pw, pd);
    }

    /// <summary>
    /// Stride 1: dx[ci, j] = Σ_co,k w[co, ci, k]·dy[co, j − k·d + padL] is the forward convolution of dy with the kernel
    /// transposed over channels and flipped in time, left padding (K−1)·d − padL. It runs on the forward's product
    /// (contiguous weight rows, no col2im pass), about twice as fast as Wᵀ·dy read in place with a KK-float stride.
    /// </summary>
    private static void BackwardInputAsForward(Conv1dArgs a, float* pg, float* pw, float* pd)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, K = a.Kernel;
        // the calling thread's slot 3: GeneralForward's tasks use slots 0 and 1
        float* wt = Scratch(3, (long)a.InChannels * Cog * K);
        for (int g = 0; g < G; g++)
            for (int co = 0; co < Cog; co++)
                for (int ci = 0; ci < Cig; ci++)
                {
                    float* src = pw + (((long)g * Cog + co) * Cig + ci) * K;
                    float* dst = wt + (((long)g * Cig + ci) * Cog + co) * K + K - 1;
                    for (int k = 0; k < K; k++) dst[-k] = src[k];
                }
        var t = new Conv1dArgs(a.Batch, a.OutChannels, a.InChannels, a.OutLength, a.InLength, K, 1,
            (K - 1) * a.Dilation - a.PadLeft, a.Dilation, G);
        GeneralForward(t, pg, wt, null, pd);
    }

    /// <summary>
    /// dx[j] = Σ_k w[k]·dyp[j + padL − k·d + Lo], where dyp is dy spread to stride s (zeros between) and shifted by
    /// Lo = (K−1)·d: the transposed stencil as a forward depthwise row.
    /// </summary>
    private static void DepthwiseBackwardInput(Conv1dArgs a, float* pg, float* pw, float* pd)
    {
        int mult = a.OutPerGroup, K = a.Kernel, L = a.InLength, T = a.OutLength, s = a.Stride, d = a.Dilation;
        int lo = (K - 1) * d;
        int dl = Round8(L) + a.PadLeft + lo;
        long rows = (long)a.Batch * a.InChannels;
        CpuParallel.For(rows, Math.Max(1, 32768 / Math.Max((long)L * K * mult, 1)), (r0, r1) =>
        {
            int* off = stackalloc int[K];
            float* wr = stackalloc float[K];
            for (int k = 0; k < K; k++) off[k] = a.PadLeft - k * d + lo;
            float* dyp = Scratch(0, dl);
            for (long r = r0; r < r1; r++)
            {
                int n = (int)(r / a.InChannels), ci = (int)(r % a.InChannels);
                for (int m = 0; m < mult; m++)
                {
                    int co = ci * mult + m;
                    float* g = pg + ((long)n * a.OutChannels + co) * T;
                    new Span<float>(dyp, dl).Clear();
                    if (s == 1) new ReadOnlySpan<float>(g, Math.Min(T, dl - lo)).CopyTo(new Span<float>(dyp + lo, Math.Min(T, dl - lo)));
                    else for (int u = 0; u < T && (long)u * s + lo < dl; u++) dyp[u * s + lo] = g[u];
                    for (int k = 0; k < K; k++) wr[k] = pw[(long)co * K + k];
                    DepthwiseRow(L, K, dyp, off, wr, 0f, pd + r * L, accumulate: m > 0);
                }
            }
        });
    }

    /// <summary>dcol_ng = W_gᵀ · dy_ng, then col2im (fixed order) into dx; packed over the batch like the forward.</summary>
    private static void GeneralBackwardInput(Conv1dArgs a, float* pg, float* pw, float* pd)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, K = a.Kernel, KK = Cig * K, T = a.OutLength, L = a.InLength, N = a.Batch;
        bool pointwise = a.IsPointwise;
        int pack = BatchPack(T), packs = (N + pack - 1) / pack;
        long items = (long)packs * G;
        CpuParallel.For(items, Math.Max(1, (1L << 16) / Math.Max((long)Cog * KK * T * pack, 1)), (i0, i1) =>
        {
            for (long item = i0; item < i1; item++)
            {
                int pk = (int)(item / G), g = (int)(item % G);
                int n0 = pk * pack, n1 = Math.Min(N, n0 + pack), kt = (n1 - n0) * T;
                // W_gᵀ read in place: row kk of Wᵀ starts at wg + kk, consecutive m are KK apart
                float* wg = pw + (long)g * Cog * KK;
                if (pack == 1 && pointwise)
                {
                    MatMulAB(Cig, T, Cog, wg, 1, pg + ((long)n0 * a.OutChannels + (long)g * Cog) * T, T,
                        pd + ((long)n0 * a.InChannels + (long)g * Cig) * L, L, null, ka: KK);
                    continue;
                }
                float* gy = pg + ((long)n0 * a.OutChannels + (long)g * Cog) * T;
                long ldg = T;
                if (pack > 1)
                {
                    float* gp = Scratch(1, (long)Cog * kt);
                    for (int n = n0; n < n1; n++)
                        CopyRows(pg + ((long)n * a.OutChannels + (long)g * Cog) * T, T, gp + (long)(n - n0) * T, kt, Cog, T);
                    gy = gp;
                    ldg = kt;
                }
                float* dcol = Scratch(0, (long)KK * kt);
                MatMulAB(KK, kt, Cog, wg, 1, gy, ldg, dcol, kt, null, ka: KK);
                for (int n = n0; n < n1; n++)
                {
                    float* dxg = pd + ((long)n * a.InChannels + (long)g * Cig) * L;
                    float* dc = dcol + (long)(n - n0) * T;
                    if (pointwise) { CopyRows(dc, kt, dxg, L, Cig, T); continue; }
                    // col2im, fixed order
                    new Span<float>(dxg, Cig * L).Clear();
                    for (int ci = 0; ci < Cig; ci++)
                    {
                        float* xr = dxg + (long)ci * L;
                        for (int k = 0; k < K; k++)
                        {
                            float* row = dc + ((long)ci * K + k) * kt;
                            int off = k * a.Dilation - a.PadLeft;
                            int t0 = Math.Max(0, (-off + a.Stride - 1) / a.Stride);
                            for (int t = t0; t < T; t++)
                            {
                                long j = (long)t * a.Stride + off;
                                if (j >= L) break;
                                xr[j] += row[t];
                            }
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- convolution backward (weight, bias)

    public void Conv1dBackwardWeight(in Conv1dArgs a, Storage x, Storage dy, Storage dw, Storage? dbias)
    {
        CheckConv(a);
        float* px = S(x).Ptr, pg = S(dy).Ptr, pdw = S(dw).Ptr, pdb = P(dbias);
        if (a.IsDepthwise) DepthwiseBackwardWeight(a, px, pg, pdw);
        else GeneralBackwardWeight(a, px, pg, pdw);
        if (pdb != null)
        {
            int T = a.OutLength, C = a.OutChannels, N = a.Batch;
            CpuParallel.For(C, Math.Max(1, 32768 / Math.Max((long)N * T, 1)), (c0, c1) =>
            {
                for (long c = c0; c < c1; c++)
                {
                    float s = 0f;
                    for (int n = 0; n < N; n++) s += Sum(T, pg + ((long)n * C + c) * T);
                    pdb[c] = s;
                }
            });
        }
    }

    private static void DepthwiseBackwardWeight(Conv1dArgs a, float* px, float* pg, float* pdw)
    {
        int mult = a.OutPerGroup, K = a.Kernel, L = a.InLength, T = a.OutLength;
        CpuParallel.For(a.OutChannels, Math.Max(1, 32768 / Math.Max((long)a.Batch * T * K, 1)), (c0, c1) =>
        {
            int* off = stackalloc int[K];
            int phLen = PhaseLayout(a, off);
            float* ph = Scratch(0, (long)phLen * a.Stride);
            // per tap: 8 vector lanes and a scalar tail, summed over the whole batch before one horizontal sum
            float* acc = Scratch(1, 9L * K);
            for (long co = c0; co < c1; co++)
            {
                new Span<float>(acc, 9 * K).Clear();
                long ci = co / mult;
                for (int n = 0; n < a.Batch; n++)
                {
                    BuildPhases(px + ((long)n * a.InChannels + ci) * L, L, a.PadLeft, a.Stride, phLen, ph);
                    DotAccumulate(T, K, pg + ((long)n * a.OutChannels + co) * T, ph, off, acc);
                }
                for (int k = 0; k < K; k++)
                {
                    float s = 0f;
                    for (int l = 0; l < 8; l++) s += acc[k * 8 + l];
                    pdw[co * K + k] = s + acc[8 * K + k];
                }
            }
        });
    }

    /// <summary>Floats of packed dy and col per weight-gradient pack of the dot-product path (1 MB): few dispatches.</summary>
    private const long PackFloats = 1L << 18;

    /// <summary>Floats per pack of the GEMM path (2 MB): the GEMM blocks for the caches itself, so larger packs only save calls.</summary>
    private const long GemmPackFloats = 1L << 19;

    /// <summary>Time steps a dot-product pack must hold for its horizontal sums to be amortised; below, the GEMM path.</summary>
    private const int MinDotColumns = 512;

    /// <summary>
    /// dW = Σ_n dy_n · col_nᵀ. Long dot products of dy rows against col rows are fastest while a 1 MB pack holds at least
    /// 512 time steps (dots of 512+, horizontal sums amortised); past that (KK + Cout above 512 floats per step, e.g.
    /// 128→128 channels at kernel 5 or 8) packs shrink to a sample or two and the blocked GEMM is faster (1.1x at
    /// 128→128 k5, 1.3x at k8, one thread).
    /// </summary>
    private static void GeneralBackwardWeight(Conv1dArgs a, float* px, float* pg, float* pdw)
    {
        long floatsPerColumn = (long)a.InPerGroup * a.Kernel * a.Groups + a.OutChannels;
        if (floatsPerColumn * MinDotColumns > PackFloats) GemmBackwardWeight(a, px, pg, pdw);
        else DotBackwardWeight(a, px, pg, pdw);
    }

    /// <summary>
    /// dW_g = Σ_n dy_ng · col_ngᵀ, a pack of batch elements at a time, packs in batch order: first the pack's dy rows and
    /// col rows (nb·T long) are laid side by side (in parallel over batch elements), then blocks of output-channel rows
    /// (a multiple of 4, sized from the shape only) take long dot products against the shared packed columns. Every
    /// weight element is computed by one task in a fixed order, so the result does not depend on the thread count.
    /// </summary>
    private static void DotBackwardWeight(Conv1dArgs a, float* px, float* pg, float* pdw)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, KK = Cig * a.Kernel, T = a.OutLength, L = a.InLength, N = a.Batch;
        int mBlocks = Math.Clamp(Cog / 32, 1, 16);
        int rowsPerBlock = ((Cog + mBlocks - 1) / mBlocks + 3) & ~3;
        // packs of about 1 MB of packed columns (few parallel dispatches, still cache-sized); from the shape only
        long floatsPerColumn = (long)G * KK + a.OutChannels;
        int perPack = (int)Math.Clamp(PackFloats / (floatsPerColumn * Math.Max(T, 1)), 1, N);
        int ktMax = perPack * T;
        // the calling thread's scratch: the tasks below only read it
        float* colp = Scratch(2, (long)G * KK * ktMax);
        float* dyp = Scratch(3, (long)a.OutChannels * ktMax);
        for (int p0 = 0; p0 < N; p0 += perPack)
        {
            int p1 = Math.Min(N, p0 + perPack), kt = (p1 - p0) * T, first = p0;
            CpuParallel.For((long)(p1 - p0) * G, Math.Max(1, 8192 / Math.Max((long)(KK + Cog) * T, 1)), (i0, i1) =>
            {
                for (long i = i0; i < i1; i++)
                {
                    int n = first + (int)(i / G), g = (int)(i % G);
                    long off = (long)(n - first) * T;
                    CopyRows(pg + ((long)n * a.OutChannels + (long)g * Cog) * T, T, dyp + (long)g * Cog * kt + off, kt, Cog, T);
                    float* xg = px + ((long)n * a.InChannels + (long)g * Cig) * L;
                    float* cg = colp + (long)g * KK * kt + off;
                    Columns(xg, a, cg, kt);
                }
            });
            CpuParallel.For((long)G * mBlocks, 1, (i0, i1) =>
            {
                for (long i = i0; i < i1; i++)
                {
                    int g = (int)(i / mBlocks), mb = (int)(i % mBlocks);
                    int m0 = mb * rowsPerBlock, m1 = Math.Min(Cog, m0 + rowsPerBlock);
                    if (m0 >= m1) continue;
                    MatMulABt(m1 - m0, KK, kt, dyp + ((long)g * Cog + m0) * kt, kt, colp + (long)g * KK * kt, kt,
                        pdw + ((long)g * Cog + m0) * KK, KK, accumulate: first > 0);
                }
            });
        }
    }

    /// <summary>
    /// dW_g = Σ_n dy_ng · col_ngᵀ, a pack of batch elements at a time, packs in batch order. First the pack's col rows
    /// (nb·T long) are laid side by side and dy is transposed into rows of time steps (in parallel over batch elements);
    /// then the packed GEMM accumulates dW_gᵀ (KK × Cog) += col_g · dyᵀ_g, its register tiles running along the long
    /// nb·T reduction with dyᵀ read in place; the small result is transposed into dw at the end. Each element of the
    /// result is summed by one task in a fixed order, so it does not depend on the thread count.
    /// </summary>
    private static void GemmBackwardWeight(Conv1dArgs a, float* px, float* pg, float* pdw)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, KK = Cig * a.Kernel, T = a.OutLength, L = a.InLength, N = a.Batch;
        int Co = a.OutChannels;
        long floatsPerColumn = (long)G * KK + Co;
        int perPack = (int)Math.Clamp(GemmPackFloats / (floatsPerColumn * Math.Max(T, 1)), 1, N);
        int ktMax = perPack * T;
        // the calling thread's scratch: the tasks below only read it (the GEMM packs into buffers of its own)
        float* colp = Scratch(2, (long)G * KK * ktMax);
        float* dyt = Scratch(3, (long)Co * ktMax);
        float* dwt = Scratch(4, (long)G * KK * Cog);
        for (int p0 = 0; p0 < N; p0 += perPack)
        {
            int p1 = Math.Min(N, p0 + perPack), kt = (p1 - p0) * T, first = p0;
            CpuParallel.For(p1 - p0, Math.Max(1, 8192 / Math.Max(floatsPerColumn * T, 1)), (i0, i1) =>
            {
                for (long i = i0; i < i1; i++)
                {
                    int n = first + (int)i;
                    long off = i * T;
                    // dyt[(off + t)·Co + co] = dy[n, co, t]
                    LaneTranspose.TransposeRows(pg + (long)n * Co * T, T, dyt + off * Co, Co, Co, T);
                    for (int g = 0; g < G; g++)
                    {
                        float* xg = px + ((long)n * a.InChannels + (long)g * Cig) * L;
                        float* cg = colp + (long)g * KK * kt + off;
                        Columns(xg, a, cg, kt);
                    }
                }
            });
            for (int g = 0; g < G; g++)
            {
                var gemm = new GemmArgs(1, KK, Cog, kt, 1f, first > 0 ? 1f : 0f, null!, 0, 0, kt, false, null!, 0, 0, Co, false, null!, 0, 0, Cog);
                CpuGemm.Single(gemm, colp + (long)g * KK * kt, dyt + (long)g * Cog, dwt + (long)g * KK * Cog,
                    parallel: (long)KK * Cog * kt >= (1L << 17));
            }
        }
        // dw[g·Cog + co, kk] = dWᵀ_g[kk, co]
        for (int g = 0; g < G; g++)
            LaneTranspose.TransposeRows(dwt + (long)g * KK * Cog, Cog, pdw + (long)g * Cog * KK, KK, KK, Cog);
    }

    // ---------------------------------------------------------------- pooling

    public void MaxPool1d(in Pool1dArgs a, Storage x, Storage y, Storage argmax)
    {
        float* px = S(x).Ptr, py = S(y).Ptr, pi = S(argmax).Ptr;
        var p = a;
        CpuParallel.For(p.Rows, Math.Max(1, 32768 / Math.Max((long)p.OutLength * p.Kernel, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xr = px + r * p.InLength;
                for (int t = 0; t < p.OutLength; t++)
                {
                    int start = t * p.Stride - p.PadLeft, best = -1;
                    float v = float.NegativeInfinity;
                    for (int k = 0; k < p.Kernel; k++)
                    {
                        int j = start + k;
                        if (j < 0 || j >= p.InLength) continue;
                        if (best < 0 || xr[j] > v || float.IsNaN(xr[j])) { v = xr[j]; best = j; if (float.IsNaN(v)) break; }
                    }
                    py[r * p.OutLength + t] = v;
                    pi[r * p.OutLength + t] = best;
                }
            }
        });
    }

    public void MaxPool1dBackward(in Pool1dArgs a, Storage dy, Storage argmax, Storage dx)
    {
        float* pg = S(dy).Ptr, pi = S(argmax).Ptr, pd = S(dx).Ptr;
        var p = a;
        CpuParallel.For(p.Rows, Math.Max(1, 32768 / Math.Max((long)p.OutLength + p.InLength, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* d = pd + r * p.InLength;
                new Span<float>(d, p.InLength).Clear();
                for (int t = 0; t < p.OutLength; t++)
                {
                    int j = (int)pi[r * p.OutLength + t];
                    if (j >= 0) d[j] += pg[r * p.OutLength + t];
                }
            }
        });
    }

    private static float AvgDivisor(in Pool1dArgs p, int start)
    {
        if (p.CountIncludePad) return p.Kernel;
        int lo = Math.Max(start, 0), hi = Math.Min(start + p.Kernel, p.InLength);
        return Math.Max(hi - lo, 1);
    }

    public void AvgPool1d(in Pool1dArgs a, Storage x, Storage y)
    {
        float* px = S(x).Ptr, py = S(y).Ptr;
        var p = a;
        CpuParallel.For(p.Rows, Math.Max(1, 32768 / Math.Max((long)p.OutLength * p.Kernel, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xr = px + r * p.InLength;
                for (int t = 0; t < p.OutLength; t++)
                {
                    int start = t * p.Stride - p.PadLeft;
                    int lo = Math.Max(start, 0), hi = Math.Min(start + p.Kernel, p.InLength);
                    float s = 0f;
                    for (int j = lo; j < hi; j++) s += xr[j];
                    py[r * p.OutLength + t] = s / AvgDivisor(p, start);
                }
            }
        });
    }

    public void AvgPool1dBackward(in Pool1dArgs a, Storage dy, Storage dx)
    {
        float* pg = S(dy).Ptr, pd = S(dx).Ptr;
        var p = a;
        CpuParallel.For(p.Rows, Math.Max(1, 32768 / Math.Max((long)p.OutLength * p.Kernel + p.InLength, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* d = pd + r * p.InLength;
                new Span<float>(d, p.InLength).Clear();
                for (int t = 0; t < p.OutLength; t++)
                {
                    int start = t * p.Stride - p.PadLeft;
                    int lo = Math.Max(start, 0), hi = Math.Min(start + p.Kernel, p.InLength);
                    float g = pg[r * p.OutLength + t] / AvgDivisor(p, start);
                    for (int j = lo; j < hi; j++) d[j] += g;
                }
            }
        });
    }

    public void AdaptiveAvgPool1d(Storage x, Storage y, int rows, int inLength, int outLength)
    {
        float* px = S(x).Ptr, py = S(y).Ptr;
        CpuParallel.For(rows, Math.Max(1, 32768 / Math.Max((long)inLength, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xr = px + r * inLength;
                for (int i = 0; i < outLength; i++)
                {
                    int lo = (int)((long)i * inLength / outLength), hi = (int)(((long)(i + 1) * inLength + outLength - 1) / outLength);
                    py[r * outLength + i] = Sum(hi - lo, xr + lo) / (hi - lo);
                }
            }
        });
    }

    public void AdaptiveAvgPool1dBackward(Storage dy, Storage dx, int rows, int inLength, int outLength)
    {
        float* pg = S(dy).Ptr, pd = S(dx).Ptr;
        CpuParallel.For(rows, Math.Max(1, 32768 / Math.Max((long)inLength, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* d = pd + r * inLength;
                new Span<float>(d, inLength).Clear();
                for (int i = 0; i < outLength; i++)
                {
                    int lo = (int)((long)i * inLength / outLength), hi = (int)(((long)(i + 1) * inLength + outLength - 1) / outLength);
                    float g = pg[r * outLength + i] / (hi - lo);
                    for (int j = lo; j < hi; j++) d[j] += g;
                }
            }
        });
    }

    // ---------------------------------------------------------------- batch norm

    public void BatchNormStats(Storage x, Storage mean, Storage var, int n, int c, int t)
    {
        float* px = S(x).Ptr, pm = S(mean).Ptr, pv = S(var).Ptr;
        double count = (double)n * t;
        CpuParallel.For(c, Math.Max(1, 32768 / Math.Max((long)n * t, 1)), (c0, c1) =>
        {
            for (long ch = c0; ch < c1; ch++)
            {
                // one pass: sums of (x − shift) and its square, shift = the channel's first value (keeps cancellation small)
                float shift = px[ch * t];
                double s1 = 0, s2 = 0;
                for (int i = 0; i < n; i++)
                {
                    var (a, b) = ShiftedSums(t, px + ((long)i * c + ch) * t, shift);
                    s1 += a; s2 += b;
                }
                double m = s1 / count;
                pm[ch] = (float)(shift + m);
                pv[ch] = (float)Math.Max(s2 / count - m * m, 0.0);
            }
        });
    }

    /// <summary>(Σ (x − shift), Σ (x − shift)²) over a row.</summary>
    private static (float, float) ShiftedSums(int T, float* x, float shift)
    {
        var vs = System.Runtime.Intrinsics.Vector256.Create(shift);
        System.Runtime.Intrinsics.Vector256<float> a0 = default, a1 = default, q0 = default, q1 = default;
        int i = 0;
        for (; i + 16 <= T; i += 16)
        {
            var d0 = System.Runtime.Intrinsics.Vector256.Load(x + i) - vs;
            var d1 = System.Runtime.Intrinsics.Vector256.Load(x + i + 8) - vs;
            a0 += d0; a1 += d1;
            q0 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(d0, d0, q0);
            q1 = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(d1, d1, q1);
        }
        float s = System.Runtime.Intrinsics.Vector256.Sum(a0 + a1), q = System.Runtime.Intrinsics.Vector256.Sum(q0 + q1);
        for (; i < T; i++) { float d = x[i] - shift; s += d; q += d * d; }
        return (s, q);
    }

    private static float SumSquaredDeviation(int T, float* x, float mean)
    {
        var vm = System.Runtime.Intrinsics.Vector256.Create(mean);
        var acc = System.Runtime.Intrinsics.Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= T; i += 8)
        {
            var dv = System.Runtime.Intrinsics.Vector256.Load(x + i) - vm;
            acc = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(dv, dv, acc);
        }
        float s = System.Runtime.Intrinsics.Vector256.Sum(acc);
        for (; i < T; i++) { float dv = x[i] - mean; s += dv * dv; }
        return s;
    }

    /// <summary>Σ dy·(x − mean) over a row.</summary>
    private static float DotCentered(int T, float* dy, float* x, float mean)
    {
        var vm = System.Runtime.Intrinsics.Vector256.Create(mean);
        var acc = System.Runtime.Intrinsics.Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= T; i += 8)
            acc = System.Runtime.Intrinsics.Vector256.FusedMultiplyAdd(System.Runtime.Intrinsics.Vector256.Load(dy + i),
                System.Runtime.Intrinsics.Vector256.Load(x + i) - vm, acc);
        float s = System.Runtime.Intrinsics.Vector256.Sum(acc);
        for (; i < T; i++) s += dy[i] * (x[i] - mean);
        return s;
    }

    public void BatchNormForward(Storage x, Storage mean, Storage var, Storage? weight, Storage? bias, Storage y, int n, int c, int t, float eps)
    {
        float* px = S(x).Ptr, pm = S(mean).Ptr, pv = S(var).Ptr, pw = P(weight), pb = P(bias), py = S(y).Ptr;
        CpuParallel.For((long)n * c, Math.Max(1, 32768 / Math.Max(t, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                long ch = r % c;
                float inv = 1f / MathF.Sqrt(pv[ch] + eps);
                float scale = (pw == null ? 1f : pw[ch]) * inv;
                float shift = (pb == null ? 0f : pb[ch]) - pm[ch] * scale;
                ScaleShift(t, px + r * t, scale, shift, py + r * t);
            }
        });
    }

    public void BatchNormBackward(Storage x, Storage dy, Storage mean, Storage var, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias,
        int n, int c, int t, float eps, bool batchStats)
    {
        float* px = S(x).Ptr, pg = S(dy).Ptr, pm = S(mean).Ptr, pv = S(var).Ptr, pw = P(weight), pd = P(dx), pdw = P(dweight), pdb = P(dbias);
        double count = (double)n * t;
        CpuParallel.For(c, Math.Max(1, 16384 / Math.Max((long)n * t, 1)), (c0, c1) =>
        {
            for (long ch = c0; ch < c1; ch++)
            {
                float m = pm[ch], inv = 1f / MathF.Sqrt(pv[ch] + eps), w = pw == null ? 1f : pw[ch];
                double sdy = 0, sdyx = 0;
                bool needSums = pdw != null || pdb != null || (pd != null && batchStats);
                if (needSums)
                    for (int i = 0; i < n; i++)
                    {
                        long o = ((long)i * c + ch) * t;
                        sdy += Sum(t, pg + o);
                        sdyx += DotCentered(t, pg + o, px + o, m);
                    }
                float sumDy = (float)sdy, sumDyXhat = (float)(sdyx * inv);
                if (pdw != null) pdw[ch] = sumDyXhat;
                if (pdb != null) pdb[ch] = sumDy;
                if (pd == null) continue;
                // dx = dy·k1 + x·k2 + k3
                float k1 = w * inv, k2 = 0f, k3 = 0f;
                if (batchStats)
                {
                    k2 = (float)(-w * inv * inv * sumDyXhat / count);
                    k3 = (float)(-w * inv * sumDy / count) - m * k2;
                }
                for (int i = 0; i < n; i++)
                {
                    long o = ((long)i * c + ch) * t;
                    if (batchStats) ScaleShiftAdd(t, px + o, k2, k3, pg + o, k1, pd + o);
                    else ScaleShift(t, pg + o, k1, 0f, pd + o);
                }
            }
        });
    }

    // ---------------------------------------------------------------- layer norm

    public void LayerNorm(Storage x, Storage? weight, Storage? bias, Storage y, Storage mean, Storage rstd, int rows, int cols, float eps)
    {
        float* px = S(x).Ptr, pw = P(weight), pb = P(bias), py = S(y).Ptr, pm = S(mean).Ptr, pr = S(rstd).Ptr;
        CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                float* xr = px + r * cols, yr = py + r * cols;
                float m = Sum(cols, xr) / cols;
                float inv = 1f / MathF.Sqrt(SumSquaredDeviation(cols, xr, m) / cols + eps);
                pm[r] = m; pr[r] = inv;
                var dst = new Span<float>(yr, cols);
                ScaleShift(cols, xr, inv, -m * inv, yr);
                if (pw != null) TensorPrimitives.Multiply(dst, new ReadOnlySpan<float>(pw, cols), dst);
                if (pb != null) TensorPrimitives.Add(dst, new ReadOnlySpan<float>(pb, cols), dst);
            }
        });
    }

    public void LayerNormBackward(Storage x, Storage dy, Storage mean, Storage rstd, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias, int rows, int cols)
    {
        float* px = S(x).Ptr, pg = S(dy).Ptr, pm = S(mean).Ptr, pr = S(rstd).Ptr, pw = P(weight), pd = P(dx), pdw = P(dweight), pdb = P(dbias);
        if (pd != null)
            CpuParallel.For(rows, Math.Max(1, 16384 / Math.Max(cols, 1)), (r0, r1) =>
            {
                float* gw = Scratch(1, cols);
                for (long r = r0; r < r1; r++)
                {
                    float* xr = px + r * cols, gr = pg + r * cols, dr = pd + r * cols;
                    float m = pm[r], inv = pr[r];
                    var g = new Span<float>(gw, cols);
                    if (pw != null) TensorPrimitives.Multiply(new ReadOnlySpan<float>(gr, cols), new ReadOnlySpan<float>(pw, cols), g);
                    else new ReadOnlySpan<float>(gr, cols).CopyTo(g);
                    float meanG = Sum(cols, gw) / cols;
                    float meanGx = DotCentered(cols, gw, xr, m) * inv / cols;
                    // dx = inv·(g − meanG − xhat·meanGx), xhat = (x − m)·inv
                    float k2 = -inv * inv * meanGx, k3 = -inv * meanG - m * k2;
                    ScaleShiftAdd(cols, xr, k2, k3, gw, inv, dr);
                }
            });
        if (pdw == null && pdb == null) return;
        CpuParallel.For(cols, 256, (j0, j1) =>
        {
            for (long j = j0; j < j1; j++)
            {
                float sw = 0f, sb = 0f;
                for (long r = 0; r < rows; r++)
                {
                    float gv = pg[r * cols + j];
                    sw += gv * (px[r * cols + j] - pm[r]) * pr[r];
                    sb += gv;
                }
                if (pdw != null) pdw[j] = sw;
                if (pdb != null) pdb[j] = sb;
            }
        });
    }
}
