using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Row strides and sizes of one LSTM/GRU step (blittable: no bools).</summary>
public struct CellArgs
{
    public int Batch, Hidden, HasOptional, HasBias;
    public long S0, S1, S2, S3, S4, S5, S6;
}

/// <summary>
/// Fused LSTM/GRU step kernels, one thread per (batch row, hidden unit) over all gates; every view is a sub-view
/// that the host checked to cover the rows it addresses (row b at b·stride, columns below the gate width).
/// Same maths as the cpu backend (sigmoid 1/(1+e^−x), tanh 1 − 2/(e^{2x}+1)).
/// </summary>
public static class SequenceKernels
{
    private static float Sig(float x) => 1f / (1f + MathF.Exp(-x));
    private static float Tanh(float x) => 1f - 2f / (MathF.Exp(x + x) + 1f);

    /// <summary>S0 gates, S1 c_prev, S2 c, S3 h, S4 h copy (HasOptional).</summary>
    [IlgpuKernel]
    public static void LstmForward(Index1D t, long stride, ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> c,
        ArrayView<float> h, ArrayView<float> hCopy, CellArgs a)
    {
        long n = (long)a.Batch * a.Hidden;
        int H = a.Hidden;
        for (long idx = t; idx < n; idx += stride)
        {
            long b = idx / H; int j = (int)(idx % H);
            long g = b * a.S0;
            float i = Sig(gates[g + j]), f = Sig(gates[g + H + j]), gg = Tanh(gates[g + 2 * H + j]), o = Sig(gates[g + 3 * H + j]);
            gates[g + j] = i; gates[g + H + j] = f; gates[g + 2 * H + j] = gg; gates[g + 3 * H + j] = o;
            float cv = f * cPrev[b * a.S1 + j] + i * gg;
            c[b * a.S2 + j] = cv;
            float hv = o * Tanh(cv);
            h[b * a.S3 + j] = hv;
            if (a.HasOptional != 0) hCopy[b * a.S4 + j] = hv;
        }
    }

    /// <summary>S0 gates, S1 c_prev, S2 c, S3 dh_out (HasOptional), S4 dh_rec, S5 dc (in/out), S6 dgates.</summary>
    [IlgpuKernel]
    public static void LstmBackward(Index1D t, long stride, ArrayView<float> gates, ArrayView<float> cPrev, ArrayView<float> c,
        ArrayView<float> dhOut, ArrayView<float> dhRec, ArrayView<float> dc, ArrayView<float> dGates, CellArgs a)
    {
        long n = (long)a.Batch * a.Hidden;
        int H = a.Hidden;
        for (long idx = t; idx < n; idx += stride)
        {
            long b = idx / H; int j = (int)(idx % H);
            long g = b * a.S0;
            float i = gates[g + j], f = gates[g + H + j], gg = gates[g + 2 * H + j], o = gates[g + 3 * H + j];
            float tc = Tanh(c[b * a.S2 + j]);
            float dh = dhRec[b * a.S4 + j];
            if (a.HasOptional != 0) dh += dhOut[b * a.S3 + j];
            float dct = dc[b * a.S5 + j] + dh * o * (1f - tc * tc);
            long d = b * a.S6;
            dGates[d + j] = dct * gg * i * (1f - i);
            dGates[d + H + j] = dct * cPrev[b * a.S1 + j] * f * (1f - f);
            dGates[d + 2 * H + j] = dct * i * (1f - gg * gg);
            dGates[d + 3 * H + j] = dh * tc * o * (1f - o);
            dc[b * a.S5 + j] = dct * f;
        }
    }

    /// <summary>S0 gx, S1 gh, S2 h_prev, S3 saved, S4 h, S5 h copy (HasOptional); bias (3H) when HasBias.</summary>
    [IlgpuKernel]
    public static void GruForward(Index1D t, long stride, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> bias,
        ArrayView<float> hPrev, ArrayView<float> saved, ArrayView<float> h, ArrayView<float> hCopy, CellArgs a)
    {
        long n = (long)a.Batch * a.Hidden;
        int H = a.Hidden;
        for (long idx = t; idx < n; idx += stride)
        {
            long b = idx / H; int j = (int)(idx % H);
            long x = b * a.S0, hh = b * a.S1;
            float ar = gx[x + j] + gh[hh + j], az = gx[x + H + j] + gh[hh + H + j], ghn = gh[hh + 2 * H + j];
            if (a.HasBias != 0) { ar += bias[j]; az += bias[H + j]; ghn += bias[2 * H + j]; }
            float r = Sig(ar), z = Sig(az), nn = Tanh(gx[x + 2 * H + j] + r * ghn);
            long s = b * a.S3;
            saved[s + j] = r; saved[s + H + j] = z; saved[s + 2 * H + j] = nn; saved[s + 3 * H + j] = ghn;
            float hv = nn + z * (hPrev[b * a.S2 + j] - nn);
            h[b * a.S4 + j] = hv;
            if (a.HasOptional != 0) hCopy[b * a.S5 + j] = hv;
        }
    }

    /// <summary>S0 saved, S1 h_prev, S2 dh_out (HasOptional), S3 dh_rec (in/out), S4 dgx, S5 dgh.</summary>
    [IlgpuKernel]
    public static void GruBackward(Index1D t, long stride, ArrayView<float> saved, ArrayView<float> hPrev, ArrayView<float> dhOut,
        ArrayView<float> dhRec, ArrayView<float> dGx, ArrayView<float> dGh, CellArgs a)
    {
        long n = (long)a.Batch * a.Hidden;
        int H = a.Hidden;
        for (long idx = t; idx < n; idx += stride)
        {
            long b = idx / H; int j = (int)(idx % H);
            long s = b * a.S0;
            float r = saved[s + j], z = saved[s + H + j], nn = saved[s + 2 * H + j], ghn = saved[s + 3 * H + j];
            float dh = dhRec[b * a.S3 + j];
            if (a.HasOptional != 0) dh += dhOut[b * a.S2 + j];
            float dnPre = dh * (1f - z) * (1f - nn * nn);
            float dzPre = dh * (hPrev[b * a.S1 + j] - nn) * z * (1f - z);
            float drPre = dnPre * ghn * r * (1f - r);
            long x = b * a.S4, y = b * a.S5;
            dGx[x + j] = drPre; dGx[x + H + j] = dzPre; dGx[x + 2 * H + j] = dnPre;
            dGh[y + j] = drPre; dGh[y + H + j] = dzPre; dGh[y + 2 * H + j] = dnPre * r;
            dhRec[b * a.S3 + j] = dh * z;
        }
    }
}
