using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Convolution geometry as a blittable kernel parameter (see <see cref="Conv1dArgs"/>).</summary>
public struct ConvGeometry
{
    public int Batch, InChannels, OutChannels, InLength, OutLength, Kernel, Stride, PadLeft, Dilation, Groups;

    public ConvGeometry(in Conv1dArgs a)
    {
        Batch = a.Batch; InChannels = a.InChannels; OutChannels = a.OutChannels; InLength = a.InLength; OutLength = a.OutLength;
        Kernel = a.Kernel; Stride = a.Stride; PadLeft = a.PadLeft; Dilation = a.Dilation; Groups = a.Groups;
    }
}

/// <summary>Pooling geometry as a blittable kernel parameter (see <see cref="Pool1dArgs"/>; CountIncludePad as 0/1).</summary>
public struct PoolGeometry
{
    public int Rows, InLength, OutLength, Kernel, Stride, PadLeft, CountIncludePad;

    public PoolGeometry(in Pool1dArgs a)
    {
        Rows = a.Rows; InLength = a.InLength; OutLength = a.OutLength; Kernel = a.Kernel; Stride = a.Stride; PadLeft = a.PadLeft;
        CountIncludePad = a.CountIncludePad ? 1 : 0;
    }
}

/// <summary>Normalisation sizes and flags (0/1) as a blittable kernel parameter. BatchNorm: (N, C, T); LayerNorm: N rows of C.</summary>
public struct NormGeometry
{
    public int N, C, T, HasWeight, HasBias, BatchStats;
    public float Eps;
}

/// <summary>
/// Convolution family kernels (issue 3): one thread per output element, grid-stride, every sum folded in a fixed order
/// (deterministic), gradients computed by gathering (no atomics). Every index is guarded by the loop bounds or an
/// explicit range test before it is used.
/// </summary>
public static class ConvKernels
{
    /// <summary>y[nb, co, to] = bias[co] + Σ_{ci in group, k} w[co, ci, k]·x[nb, ci, to·s + k·d − padL].</summary>
    [IlgpuKernel]
    public static void Conv1dForward(Index1D t, long stride, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y,
        long n, ConvGeometry g, int hasBias)
    {
        int cig = g.InChannels / g.Groups, cog = g.OutChannels / g.Groups;
        for (long j = t; j < n; j += stride)
        {
            int to = (int)(j % g.OutLength);
            long r = j / g.OutLength;
            int co = (int)(r % g.OutChannels);
            long nb = r / g.OutChannels;
            int grp = co / cog;
            float acc = hasBias != 0 ? bias[co] : 0f;
            for (int ci = 0; ci < cig; ci++)
            {
                long xb = (nb * g.InChannels + grp * cig + ci) * g.InLength;
                long wb = ((long)co * cig + ci) * g.Kernel;
                for (int k = 0; k < g.Kernel; k++)
                {
                    int pos = to * g.Stride + k * g.Dilation - g.PadLeft;
                    if (pos >= 0 && pos < g.InLength) acc += w[wb + k] * x[xb + pos];
                }
            }
            y[j] = acc;
        }
    }

    /// <summary>dx[nb, ci, pos] = Σ_{co in group, k: pos + padL − k·d = to·s} w[co, ci, k]·dy[nb, co, to].</summary>
    [IlgpuKernel]
    public static void Conv1dBackwardInput(Index1D t, long stride, ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, long n, ConvGeometry g)
    {
        int cig = g.InChannels / g.Groups, cog = g.OutChannels / g.Groups;
        for (long j = t; j < n; j += stride)
        {
            int pos = (int)(j % g.InLength);
            long r = j / g.InLength;
            int ci = (int)(r % g.InChannels);
            long nb = r / g.InChannels;
            int grp = ci / cig, cil = ci - grp * cig;
            float acc = 0f;
            for (int c = 0; c < cog; c++)
            {
                int co = grp * cog + c;
                long gb = (nb * g.OutChannels + co) * g.OutLength;
                long wb = ((long)co * cig + cil) * g.Kernel;
                for (int k = 0; k < g.Kernel; k++)
                {
                    int num = pos + g.PadLeft - k * g.Dilation;
                    if (num < 0 || num % g.Stride != 0) continue;
                    int to = num / g.Stride;
                    if (to < g.OutLength) acc += w[wb + k] * dy[gb + to];
                }
            }
            dx[j] = acc;
        }
    }

    /// <summary>dw[co, cil, k] = Σ_{nb, to} dy[nb, co, to]·x[nb, group·cig + cil, to·s + k·d − padL]; n = Cout·cig·K.</summary>
    [IlgpuKernel]
    public static void Conv1dBackwardWeight(Index1D t, long stride, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, long n, ConvGeometry g)
    {
        int cig = g.InChannels / g.Groups, cog = g.OutChannels / g.Groups;
        for (long j = t; j < n; j += stride)
        {
            int k = (int)(j % g.Kernel);
            long r = j / g.Kernel;
            int cil = (int)(r % cig);
            int co = (int)(r / cig);
            int ci = co / cog * cig + cil;
            float acc = 0f;
            for (int nb = 0; nb < g.Batch; nb++)
            {
                long gb = ((long)nb * g.OutChannels + co) * g.OutLength;
                long xb = ((long)nb * g.InChannels + ci) * g.InLength;
                for (int to = 0; to < g.OutLength; to++)
                {
                    int pos = to * g.Stride + k * g.Dilation - g.PadLeft;
                    if (pos >= 0 && pos < g.InLength) acc += dy[gb + to] * x[xb + pos];
                }
            }
            dw[j] = acc;
        }
    }

    /// <summary>s[c] = Σ_{nb, i} v[nb, c, i] over an (batch, channels, len) tensor; n = channels.</summary>
    [IlgpuKernel]
    public static void ChannelSum(Index1D t, long stride, ArrayView<float> v, ArrayView<float> s, long n, int batch, int len)
    {
        for (long c = t; c < n; c += stride)
        {
            float acc = 0f;
            for (int nb = 0; nb < batch; nb++)
            {
                long b = (nb * n + c) * len;
                for (int i = 0; i < len; i++) acc += v[b + i];
            }
            s[c] = acc;
        }
    }

    // ---------------------------------------------------------------- pooling

    [IlgpuKernel]
    public static void MaxPool1d(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, ArrayView<float> argmax, long n, PoolGeometry p)
    {
        for (long j = t; j < n; j += stride)
        {
            int to = (int)(j % p.OutLength);
            long r = j / p.OutLength;
            long xb = r * p.InLength;
            int start = to * p.Stride - p.PadLeft, best = -1;
            float v = float.NegativeInfinity;
            for (int k = 0; k < p.Kernel; k++)
            {
                int pos = start + k;
                if (pos < 0 || pos >= p.InLength) continue;
                float xv = x[xb + pos];
                if (best < 0 || xv > v || float.IsNaN(xv)) // NaN wins and stays (as the cpu backend)
                {
                    v = xv; best = pos;
                    if (float.IsNaN(xv)) break;
                }
            }
            y[j] = v;
            argmax[j] = best;
        }
    }

    /// <summary>First and last output window (inclusive) that contain input position pos.</summary>
    private static void Windows(int pos, int padL, int kernel, int stride, int outLength, out int lo, out int hi)
    {
        int num = pos + padL - kernel + 1;
        lo = num <= 0 ? 0 : (num + stride - 1) / stride;
        hi = (pos + padL) / stride;
        if (hi > outLength - 1) hi = outLength - 1;
    }

    [IlgpuKernel]
    public static void MaxPool1dBackward(Index1D t, long stride, ArrayView<float> dy, ArrayView<float> argmax, ArrayView<float> dx, long n, PoolGeometry p)
    {
        for (long j = t; j < n; j += stride)
        {
            int pos = (int)(j % p.InLength);
            long r = j / p.InLength;
            Windows(pos, p.PadLeft, p.Kernel, p.Stride, p.OutLength, out int lo, out int hi);
            float acc = 0f;
            for (int to = lo; to <= hi; to++)
                if ((int)argmax[r * p.OutLength + to] == pos) acc += dy[r * p.OutLength + to];
            dx[j] = acc;
        }
    }

    private static float AvgDivisor(PoolGeometry p, int start)
    {
        if (p.CountIncludePad != 0) return p.Kernel;
        int lo = start < 0 ? 0 : start, hi = start + p.Kernel;
        if (hi > p.InLength) hi = p.InLength;
        return hi - lo < 1 ? 1 : hi - lo;
    }

    [IlgpuKernel]
    public static void AvgPool1d(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, long n, PoolGeometry p)
    {
        for (long j = t; j < n; j += stride)
        {
            int to = (int)(j % p.OutLength);
            long xb = j / p.OutLength * p.InLength;
            int start = to * p.Stride - p.PadLeft;
            float s = 0f;
            for (int k = 0; k < p.Kernel; k++)
            {
                int pos = start + k;
                if (pos >= 0 && pos < p.InLength) s += x[xb + pos];
            }
            y[j] = s / AvgDivisor(p, start);
        }
    }

    [IlgpuKernel]
    public static void AvgPool1dBackward(Index1D t, long stride, ArrayView<float> dy, ArrayView<float> dx, long n, PoolGeometry p)
    {
        for (long j = t; j < n; j += stride)
        {
            int pos = (int)(j % p.InLength);
            long r = j / p.InLength;
            Windows(pos, p.PadLeft, p.Kernel, p.Stride, p.OutLength, out int lo, out int hi);
            float acc = 0f;
            for (int to = lo; to <= hi; to++) acc += dy[r * p.OutLength + to] / AvgDivisor(p, to * p.Stride - p.PadLeft);
            dx[j] = acc;
        }
    }

    [IlgpuKernel]
    public static void AdaptiveAvgPool1d(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, long n, int inLength, int outLength)
    {
        for (long j = t; j < n; j += stride)
        {
            int i = (int)(j % outLength);
            long xb = j / outLength * inLength;
            int lo = (int)((long)i * inLength / outLength), hi = (int)(((long)(i + 1) * inLength + outLength - 1) / outLength);
            float s = 0f;
            for (int p = lo; p < hi; p++) s += x[xb + p];
            y[j] = s / (hi - lo);
        }
    }

    [IlgpuKernel]
    public static void AdaptiveAvgPool1dBackward(Index1D t, long stride, ArrayView<float> dy, ArrayView<float> dx, long n, int inLength, int outLength)
    {
        for (long j = t; j < n; j += stride)
        {
            int pos = (int)(j % inLength);
            long r = j / inLength;
            float acc = 0f;
            for (int i = 0; i < outLength; i++)
            {
                int lo = (int)((long)i * inLength / outLength), hi = (int)(((long)(i + 1) * inLength + outLength - 1) / outLength);
                if (pos >= lo && pos < hi) acc += dy[r * outLength + i] / (hi - lo);
            }
            dx[j] = acc;
        }
    }

    // ---------------------------------------------------------------- batch norm over (N, C, T)

    /// <summary>Per channel: mean and biased variance over N and T (two passes, fixed order); n = C.</summary>
    [IlgpuKernel]
    public static void BatchNormStats(Index1D t, long stride, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> var, long n, NormGeometry g)
    {
        float count = (float)g.N * g.T;
        for (long c = t; c < n; c += stride)
        {
            float s = 0f;
            for (int nb = 0; nb < g.N; nb++)
            {
                long b = (nb * n + c) * g.T;
                for (int i = 0; i < g.T; i++) s += x[b + i];
            }
            float m = s / count;
            float q = 0f;
            for (int nb = 0; nb < g.N; nb++)
            {
                long b = (nb * n + c) * g.T;
                for (int i = 0; i < g.T; i++) { float d = x[b + i] - m; q += d * d; }
            }
            mean[c] = m;
            var[c] = q / count;
        }
    }

    [IlgpuKernel]
    public static void BatchNormForward(Index1D t, long stride, ArrayView<float> x, ArrayView<float> mean, ArrayView<float> var,
        ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, long n, NormGeometry g)
    {
        for (long j = t; j < n; j += stride)
        {
            int c = (int)(j / g.T % g.C);
            float inv = 1f / MathF.Sqrt(var[c] + g.Eps);
            float scale = (g.HasWeight != 0 ? weight[c] : 1f) * inv;
            float shift = (g.HasBias != 0 ? bias[c] : 0f) - mean[c] * scale;
            y[j] = x[j] * scale + shift;
        }
    }

    /// <summary>sums[c] = Σ dy, sums[C + c] = Σ dy·(x − mean)·inv over N and T; n = C.</summary>
    [IlgpuKernel]
    public static void BatchNormBackwardSums(Index1D t, long stride, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> var,
        ArrayView<float> sums, long n, NormGeometry g)
    {
        for (long c = t; c < n; c += stride)
        {
            float m = mean[c], inv = 1f / MathF.Sqrt(var[c] + g.Eps), sdy = 0f, sdx = 0f;
            for (int nb = 0; nb < g.N; nb++)
            {
                long b = (nb * n + c) * g.T;
                for (int i = 0; i < g.T; i++) { sdy += dy[b + i]; sdx += dy[b + i] * (x[b + i] - m); }
            }
            sums[c] = sdy;
            sums[n + c] = sdx * inv;
        }
    }

    /// <summary>dx = w·inv·(dy − Σdy/M − xhat·Σ(dy·xhat)/M) with batch statistics, else w·inv·dy.</summary>
    [IlgpuKernel]
    public static void BatchNormBackwardData(Index1D t, long stride, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> var,
        ArrayView<float> weight, ArrayView<float> sums, ArrayView<float> dx, long n, NormGeometry g)
    {
        float count = (float)g.N * g.T;
        for (long j = t; j < n; j += stride)
        {
            int c = (int)(j / g.T % g.C);
            float inv = 1f / MathF.Sqrt(var[c] + g.Eps);
            float k1 = (g.HasWeight != 0 ? weight[c] : 1f) * inv;
            if (g.BatchStats != 0)
            {
                float xhat = (x[j] - mean[c]) * inv;
                dx[j] = k1 * (dy[j] - sums[c] / count - xhat * sums[g.C + c] / count);
            }
            else dx[j] = k1 * dy[j];
        }
    }

    // ---------------------------------------------------------------- layer norm over rows of C

    /// <summary>One thread per row: mean, 1/std, normalised and affine row; n = rows.</summary>
    [IlgpuKernel]
    public static void LayerNormForward(Index1D t, long stride, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y,
        ArrayView<float> mean, ArrayView<float> rstd, long n, NormGeometry g)
    {
        for (long r = t; r < n; r += stride)
        {
            long b = r * g.C;
            float s = 0f;
            for (int i = 0; i < g.C; i++) s += x[b + i];
            float m = s / g.C, q = 0f;
            for (int i = 0; i < g.C; i++) { float d = x[b + i] - m; q += d * d; }
            float inv = 1f / MathF.Sqrt(q / g.C + g.Eps);
            mean[r] = m;
            rstd[r] = inv;
            for (int i = 0; i < g.C; i++)
            {
                float v = (x[b + i] - m) * inv;
                if (g.HasWeight != 0) v *= weight[i];
                if (g.HasBias != 0) v += bias[i];
                y[b + i] = v;
            }
        }
    }

    /// <summary>dx = inv·(gw − mean(gw) − xhat·mean(gw·xhat)), gw = dy·weight; one thread per row; n = rows.</summary>
    [IlgpuKernel]
    public static void LayerNormBackwardData(Index1D t, long stride, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> weight, ArrayView<float> dx, long n, NormGeometry g)
    {
        for (long r = t; r < n; r += stride)
        {
            long b = r * g.C;
            float m = mean[r], inv = rstd[r], sg = 0f, sgx = 0f;
            for (int i = 0; i < g.C; i++)
            {
                float gw = dy[b + i] * (g.HasWeight != 0 ? weight[i] : 1f);
                sg += gw;
                sgx += gw * (x[b + i] - m) * inv;
            }
            float mg = sg / g.C, mgx = sgx / g.C;
            for (int i = 0; i < g.C; i++)
            {
                float gw = dy[b + i] * (g.HasWeight != 0 ? weight[i] : 1f);
                dx[b + i] = inv * (gw - mg - (x[b + i] - m) * inv * mgx);
            }
        }
    }

    /// <summary>sums[i] = Σ_rows dy·xhat (weight gradient), sums[C + i] = Σ_rows dy (bias gradient); n = C; g.N = rows.</summary>
    [IlgpuKernel]
    public static void LayerNormBackwardParams(Index1D t, long stride, ArrayView<float> x, ArrayView<float> dy, ArrayView<float> mean, ArrayView<float> rstd,
        ArrayView<float> sums, long n, NormGeometry g)
    {
        for (long i = t; i < n; i += stride)
        {
            float sw = 0f, sb = 0f;
            for (int r = 0; r < g.N; r++)
            {
                float gv = dy[r * n + i];
                sw += gv * (x[r * n + i] - mean[r]) * rstd[r];
                sb += gv;
            }
            sums[i] = sw;
            sums[n + i] = sb;
        }
    }
}
