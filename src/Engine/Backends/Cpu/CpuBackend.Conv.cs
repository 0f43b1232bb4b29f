using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Backends.Cpu.ConvKernels;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Convolution family on the cpu backend. Three convolution paths:
/// depthwise (one input channel per output channel): each row is a K-tap FMA stencil over zero-padded, stride-phase
/// split scratch rows, vectorised over time; pointwise (kernel 1): per batch element and group a register-tiled
/// matrix product straight on the tensors; anything else: im2col into per-thread scratch, then the same product.
/// Work is split over (batch, channel) rows or (batch, group) panels, each output written by one thread; weight
/// gradients are accumulated per channel over the batch in order, or in a fixed number of batch chunks that are
/// summed in chunk order, so results do not depend on the thread count.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    private const int MaxWeightChunks = 8;

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

    private static void Im2col(float* x, in Conv1dArgs a, float* col)
    {
        int K = a.Kernel, T = a.OutLength, L = a.InLength, s = a.Stride;
        for (int ci = 0; ci < a.InPerGroup; ci++)
        {
            float* xr = x + (long)ci * L;
            for (int k = 0; k < K; k++)
            {
                float* row = col + ((long)ci * K + k) * T;
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

    private static void GeneralForward(Conv1dArgs a, float* px, float* pw, float* pb, float* py)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, KK = Cig * a.Kernel, T = a.OutLength, L = a.InLength;
        long items = (long)a.Batch * G;
        int mBlocks = items >= 2 * CpuParallel.Threads ? 1 : Math.Clamp((Cog + 15) / 16, 1, 2 * CpuParallel.Threads);
        bool pointwise = a.IsPointwise;
        long work = (long)Cog * KK * T / mBlocks;
        CpuParallel.For(items * mBlocks, Math.Max(1, (1L << 16) / Math.Max(work, 1)), (i0, i1) =>
        {
            for (long i = i0; i < i1; i++)
            {
                long item = i / mBlocks;
                int mb = (int)(i % mBlocks);
                int n = (int)(item / G), g = (int)(item % G);
                int m0 = Cog * mb / mBlocks, m1 = Cog * (mb + 1) / mBlocks;
                float* xg = px + ((long)n * a.InChannels + (long)g * Cig) * L;
                float* b = xg;
                long ldb = L;
                if (!pointwise)
                {
                    b = Scratch(0, (long)KK * T);
                    Im2col(xg, a, b);
                    ldb = T;
                }
                long co0 = (long)g * Cog + m0;
                MatMulAB(m1 - m0, T, KK, pw + co0 * KK, KK, b, ldb, py + ((long)n * a.OutChannels + co0) * T, T, pb == null ? null : pb + co0);
            }
        });
    }

    // ---------------------------------------------------------------- convolution backward (input)

    public void Conv1dBackwardInput(in Conv1dArgs a, Storage dy, Storage w, Storage dx)
    {
        CheckConv(a);
        float* pg = S(dy).Ptr, pw = S(w).Ptr, pd = S(dx).Ptr;
        if (a.IsDepthwise) DepthwiseBackwardInput(a, pg, pw, pd);
        else GeneralBackwardInput(a, pg, pw, pd);
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

    private static void GeneralBackwardInput(Conv1dArgs a, float* pg, float* pw, float* pd)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, K = a.Kernel, KK = Cig * K, T = a.OutLength, L = a.InLength;
        // weights transposed per group: wt[g][kk][m] = w[g·Cog + m][kk]
        var keep = Pinned((long)a.OutChannels * KK, out float* wt);
        for (int g = 0; g < G; g++)
            for (int m = 0; m < Cog; m++)
                for (int kk = 0; kk < KK; kk++)
                    wt[(long)g * KK * Cog + (long)kk * Cog + m] = pw[((long)g * Cog + m) * KK + kk];
        bool pointwise = a.IsPointwise;
        long items = (long)a.Batch * G;
        CpuParallel.For(items, Math.Max(1, (1L << 16) / Math.Max((long)Cog * KK * T, 1)), (i0, i1) =>
        {
            for (long item = i0; item < i1; item++)
            {
                int n = (int)(item / G), g = (int)(item % G);
                float* gy = pg + ((long)n * a.OutChannels + (long)g * Cog) * T;
                float* dxg = pd + ((long)n * a.InChannels + (long)g * Cig) * L;
                float* wg = wt + (long)g * KK * Cog;
                if (pointwise)
                {
                    MatMulAB(Cig, T, Cog, wg, Cog, gy, T, dxg, L, null);
                    continue;
                }
                float* dcol = Scratch(0, (long)KK * T);
                MatMulAB(KK, T, Cog, wg, Cog, gy, T, dcol, T, null);
                // col2im, fixed order
                new Span<float>(dxg, Cig * L).Clear();
                for (int ci = 0; ci < Cig; ci++)
                {
                    float* xr = dxg + (long)ci * L;
                    for (int k = 0; k < K; k++)
                    {
                        float* row = dcol + ((long)ci * K + k) * T;
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
        });
        GC.KeepAlive(keep);
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
            float* acc = stackalloc float[K];
            for (long co = c0; co < c1; co++)
            {
                for (int k = 0; k < K; k++) acc[k] = 0f;
                long ci = co / mult;
                for (int n = 0; n < a.Batch; n++)
                {
                    BuildPhases(px + ((long)n * a.InChannels + ci) * L, L, a.PadLeft, a.Stride, phLen, ph);
                    float* g = pg + ((long)n * a.OutChannels + co) * T;
                    for (int k = 0; k < K; k++) acc[k] += Dot(T, g, ph + off[k]);
                }
                for (int k = 0; k < K; k++) pdw[co * K + k] = acc[k];
            }
        });
    }

    private static void GeneralBackwardWeight(Conv1dArgs a, float* px, float* pg, float* pdw)
    {
        int G = a.Groups, Cig = a.InPerGroup, Cog = a.OutPerGroup, KK = Cig * a.Kernel, T = a.OutLength, L = a.InLength, N = a.Batch;
        int chunks = Math.Min(N, MaxWeightChunks);
        long wsize = (long)a.OutChannels * KK;
        float* partial = pdw;
        float[]? keep = null;
        if (chunks > 1) keep = Pinned(chunks * wsize, out partial);
        bool pointwise = a.IsPointwise;
        CpuParallel.For((long)chunks * G, 1, (i0, i1) =>
        {
            for (long i = i0; i < i1; i++)
            {
                int c = (int)(i / G), g = (int)(i % G);
                int n0 = N * c / chunks, n1 = N * (c + 1) / chunks;
                float* dst = partial + c * wsize + (long)g * Cog * KK;
                for (int n = n0; n < n1; n++)
                {
                    float* xg = px + ((long)n * a.InChannels + (long)g * Cig) * L;
                    float* b = xg;
                    long ldb = L;
                    if (!pointwise)
                    {
                        b = Scratch(0, (long)KK * T);
                        Im2col(xg, a, b);
                        ldb = T;
                    }
                    MatMulABt(Cog, KK, T, pg + ((long)n * a.OutChannels + (long)g * Cog) * T, T, b, ldb, dst, KK, accumulate: n > n0);
                }
            }
        });
        if (keep == null) return;
        CpuParallel.For(wsize, 4096, (e0, e1) =>
        {
            var d = new Span<float>(pdw + e0, (int)(e1 - e0));
            new ReadOnlySpan<float>(partial + e0, d.Length).CopyTo(d);
            for (int c = 1; c < chunks; c++) TensorPrimitives.Add(d, new ReadOnlySpan<float>(partial + c * wsize + e0, d.Length), d);
        });
        GC.KeepAlive(keep);
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
                double s = 0;
                for (int i = 0; i < n; i++) s += Sum(t, px + ((long)i * c + ch) * t);
                float m = (float)(s / count);
                double q = 0;
                for (int i = 0; i < n; i++) q += SumSquaredDeviation(t, px + ((long)i * c + ch) * t, m);
                pm[ch] = m;
                pv[ch] = (float)(q / count);
            }
        });
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
