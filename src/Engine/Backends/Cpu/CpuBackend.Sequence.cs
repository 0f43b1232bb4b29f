using System.Runtime.Intrinsics;
using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Fused LSTM/GRU step kernels: one pass over the batch rows (split over the cores), gates, activations
/// and cell arithmetic in a single Vector256 loop per row. No allocation per call.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Rows per parallel chunk: about 4k gate elements, so small steps stay on one core.</summary>
    private static long CellGrain(int hidden) => Math.Max(1, 4096 / Math.Max(hidden, 1));

    private static float* P(RowView v) => S(v.Storage).Ptr + v.Offset;

    // VecMath's float exp: .NET's Vector.Exp widens to double and made the cell kernels cost as much as the step GEMMs.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Sig(Vector256<float> x) => VecMath.Sigmoid(x);

    /// <summary>tanh(x) = 1 − 2/(e^{2x} + 1): one exp and one division, absolute error ~1e-7 (all the cell needs: its
    /// values are summed with others), saturating correctly at ±∞; cheaper than VecMath.Tanh's two-branch form.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Tanh(Vector256<float> x) => Vector256<float>.One - Vector256.Create(2f) / (VecMath.Exp(x + x) + Vector256<float>.One);

    private static float Sig(float x) => 1f / (1f + MathF.Exp(-x));
    private static float Tanh(float x) => 1f - 2f / (MathF.Exp(x + x) + 1f);

    public void LstmCellForward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy) =>
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) => LstmForwardRows(hidden, gates, cPrev, c, h, hCopy, b0, b1));

    public void LstmStepForward(int batch, int hidden, RowView hPrev, Storage whhT, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy)
    {
        int G = 4 * hidden;
        var full = IBackend.LstmRecurrentProduct(batch, hidden, hPrev, whhT, gates);
        BackendChecks.CheckGemm(full);
        float* ph = P(hPrev), pw = S(whhT).Ptr, pg = P(gates);
        // blocks of whole GEMM row tiles; each block: its rows of the product, then the cell on those rows
        StepBlocks(batch, 2L * G * hidden, (r0, r1) =>
        {
            CpuGemm.Single(full with { M = r1 - r0 }, ph + r0 * hPrev.RowStride, pw, pg + r0 * gates.RowStride, parallel: false);
            LstmForwardRows(hidden, gates, cPrev, c, h, hCopy, r0, r1);
        });
    }

    public void LstmStepBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates, Storage whh)
    {
        int G = 4 * hidden;
        var full = IBackend.LstmRecurrentGradient(batch, hidden, dGates, whh, dhRec);
        BackendChecks.CheckGemm(full);
        float* pdg = P(dGates), pw = S(whh).Ptr, pdr = P(dhRec);
        // per block: the cell reads its rows of dhRec, then the product overwrites them with the next step's input
        StepBlocks(batch, 2L * G * hidden, (r0, r1) =>
        {
            LstmBackwardRows(hidden, gates, cPrev, c, dhOut, dhRec, dc, dGates, r0, r1);
            CpuGemm.Single(full with { M = r1 - r0 }, pdg + r0 * dGates.RowStride, pw, pdr + r0 * dhRec.RowStride, parallel: false);
        });
    }

    /// <summary>Rows split over the cores at multiples of the GEMM's row tile (a split inside a tile would compute
    /// padding rows twice); one block when the whole step is small.</summary>
    private static void StepBlocks(int batch, long flopsPerRow, Action<int, int> body)
    {
        int mr = CpuGemm.MR;
        long tiles = (batch + mr - 1) / mr;
        long grain = Math.Max(1, (1L << 20) / Math.Max(flopsPerRow * mr, 1));
        CpuParallel.For(tiles, grain, (t0, t1) => body((int)(t0 * mr), (int)Math.Min(batch, t1 * mr)));
    }

    private static void LstmForwardRows(int hidden, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy, long b0, long b1)
    {
        float* pg = P(gates), pcp = P(cPrev), pc = P(c), ph = P(h);
        long sg = gates.RowStride, scp = cPrev.RowStride, sc = c.RowStride, sh = h.RowStride;
        float* pcopy = hCopy is { } hv ? P(hv) : null;
        long scopy = hCopy?.RowStride ?? 0;
        int H = hidden;
        const int w = 8;
        for (long b = b0; b < b1; b++)
        {
            float* g = pg + b * sg, cp = pcp + b * scp, cr = pc + b * sc, hr = ph + b * sh;
            float* hc = pcopy != null ? pcopy + b * scopy : null;
            int j = 0;
            for (; j <= H - w; j += w)
            {
                var i = Sig(Vector256.Load(g + j)); var f = Sig(Vector256.Load(g + H + j));
                var gg = Tanh(Vector256.Load(g + 2 * H + j)); var o = Sig(Vector256.Load(g + 3 * H + j));
                Vector256.Store(i, g + j); Vector256.Store(f, g + H + j); Vector256.Store(gg, g + 2 * H + j); Vector256.Store(o, g + 3 * H + j);
                var cv = f * Vector256.Load(cp + j) + i * gg;
                Vector256.Store(cv, cr + j);
                var hv2 = o * Tanh(cv);
                Vector256.Store(hv2, hr + j);
                if (hc != null) Vector256.Store(hv2, hc + j);
            }
            for (; j < H; j++)
            {
                float i = Sig(g[j]), f = Sig(g[H + j]), gg = Tanh(g[2 * H + j]), o = Sig(g[3 * H + j]);
                g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o;
                float cv = f * cp[j] + i * gg;
                cr[j] = cv;
                float hv2 = o * Tanh(cv);
                hr[j] = hv2;
                if (hc != null) hc[j] = hv2;
            }
        }
    }

    public void LstmCellBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates) =>
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) => LstmBackwardRows(hidden, gates, cPrev, c, dhOut, dhRec, dc, dGates, b0, b1));

    private static void LstmBackwardRows(int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates, long b0, long b1)
    {
        float* pg = P(gates), pcp = P(cPrev), pc = P(c), pdr = P(dhRec), pdc = P(dc), pdg = P(dGates);
        float* pdo = dhOut is { } dv ? P(dv) : null;
        long sg = gates.RowStride, scp = cPrev.RowStride, sc = c.RowStride, sdo = dhOut?.RowStride ?? 0,
            sdr = dhRec.RowStride, sdc = dc.RowStride, sdg = dGates.RowStride;
        int H = hidden;
        for (long b = b0; b < b1; b++)
        {
            float* g = pg + b * sg, cp = pcp + b * scp, cr = pc + b * sc, dr = pdr + b * sdr, dcr = pdc + b * sdc, dg = pdg + b * sdg;
            float* dor = pdo != null ? pdo + b * sdo : null;
            int j = 0;
            const int w = 8;
            var one = Vector256<float>.One;
            for (; j <= H - w; j += w)
            {
                var i = Vector256.Load(g + j); var f = Vector256.Load(g + H + j); var gg = Vector256.Load(g + 2 * H + j); var o = Vector256.Load(g + 3 * H + j);
                var t = Tanh(Vector256.Load(cr + j));
                var dh = Vector256.Load(dr + j);
                if (dor != null) dh += Vector256.Load(dor + j);
                var dct = Vector256.Load(dcr + j) + dh * o * (one - t * t);
                Vector256.Store(dct * gg * i * (one - i), dg + j);
                Vector256.Store(dct * Vector256.Load(cp + j) * f * (one - f), dg + H + j);
                Vector256.Store(dct * i * (one - gg * gg), dg + 2 * H + j);
                Vector256.Store(dh * t * o * (one - o), dg + 3 * H + j);
                Vector256.Store(dct * f, dcr + j);
            }
            for (; j < H; j++)
            {
                float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], t = Tanh(cr[j]);
                float dh = dr[j] + (dor != null ? dor[j] : 0f);
                float dct = dcr[j] + dh * o * (1f - t * t);
                dg[j] = dct * gg * i * (1f - i);
                dg[H + j] = dct * cp[j] * f * (1f - f);
                dg[2 * H + j] = dct * i * (1f - gg * gg);
                dg[3 * H + j] = dh * t * o * (1f - o);
                dcr[j] = dct * f;
            }
        }
    }

    public void GruCellForward(int batch, int hidden, RowView gx, RowView gh, Storage? biasHh, RowView hPrev, RowView saved, RowView h, RowView? hCopy)
    {
        float* px = P(gx), pgh = P(gh), php = P(hPrev), ps = P(saved), ph = P(h);
        float* pb = biasHh != null ? S(biasHh).Ptr : null;
        float* pcopy = hCopy is { } hv ? P(hv) : null;
        long sx = gx.RowStride, sgh = gh.RowStride, shp = hPrev.RowStride, ss = saved.RowStride, sh = h.RowStride, scopy = hCopy?.RowStride ?? 0;
        int H = hidden;
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) =>
        {
            const int w = 8;
            for (long b = b0; b < b1; b++)
            {
                float* x = px + b * sx, hh = pgh + b * sgh, hp = php + b * shp, s = ps + b * ss, hr = ph + b * sh;
                float* hc = pcopy != null ? pcopy + b * scopy : null;
                int j = 0;
                for (; j <= H - w; j += w)
                {
                    var ar = Vector256.Load(x + j) + Vector256.Load(hh + j);
                    var az = Vector256.Load(x + H + j) + Vector256.Load(hh + H + j);
                    var ghn = Vector256.Load(hh + 2 * H + j);
                    if (pb != null) { ar += Vector256.Load(pb + j); az += Vector256.Load(pb + H + j); ghn += Vector256.Load(pb + 2 * H + j); }
                    var r = Sig(ar); var z = Sig(az);
                    var n = Tanh(Vector256.Load(x + 2 * H + j) + r * ghn);
                    Vector256.Store(r, s + j); Vector256.Store(z, s + H + j); Vector256.Store(n, s + 2 * H + j); Vector256.Store(ghn, s + 3 * H + j);
                    var hv2 = n + z * (Vector256.Load(hp + j) - n);
                    Vector256.Store(hv2, hr + j);
                    if (hc != null) Vector256.Store(hv2, hc + j);
                }
                for (; j < H; j++)
                {
                    float ar = x[j] + hh[j], az = x[H + j] + hh[H + j], ghn = hh[2 * H + j];
                    if (pb != null) { ar += pb[j]; az += pb[H + j]; ghn += pb[2 * H + j]; }
                    float r = Sig(ar), z = Sig(az), n = Tanh(x[2 * H + j] + r * ghn);
                    s[j] = r; s[H + j] = z; s[2 * H + j] = n; s[3 * H + j] = ghn;
                    float hv2 = n + z * (hp[j] - n);
                    hr[j] = hv2;
                    if (hc != null) hc[j] = hv2;
                }
            }
        });
    }

    public void GruCellBackward(int batch, int hidden, RowView saved, RowView hPrev, RowView? dhOut, RowView dhRec, RowView dGx, RowView dGh)
    {
        float* ps = P(saved), php = P(hPrev), pdr = P(dhRec), pgx = P(dGx), pgh = P(dGh);
        float* pdo = dhOut is { } dv ? P(dv) : null;
        long ss = saved.RowStride, shp = hPrev.RowStride, sdo = dhOut?.RowStride ?? 0, sdr = dhRec.RowStride, sgx = dGx.RowStride, sgh = dGh.RowStride;
        int H = hidden;
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) =>
        {
            const int w = 8;
            var one = Vector256<float>.One;
            for (long b = b0; b < b1; b++)
            {
                float* s = ps + b * ss, hp = php + b * shp, dr = pdr + b * sdr, gx = pgx + b * sgx, gh = pgh + b * sgh;
                float* dor = pdo != null ? pdo + b * sdo : null;
                int j = 0;
                for (; j <= H - w; j += w)
                {
                    var r = Vector256.Load(s + j); var z = Vector256.Load(s + H + j); var n = Vector256.Load(s + 2 * H + j); var ghn = Vector256.Load(s + 3 * H + j);
                    var dh = Vector256.Load(dr + j);
                    if (dor != null) dh += Vector256.Load(dor + j);
                    var dnPre = dh * (one - z) * (one - n * n);
                    var dzPre = dh * (Vector256.Load(hp + j) - n) * z * (one - z);
                    var drPre = dnPre * ghn * r * (one - r);
                    Vector256.Store(drPre, gx + j); Vector256.Store(dzPre, gx + H + j); Vector256.Store(dnPre, gx + 2 * H + j);
                    Vector256.Store(drPre, gh + j); Vector256.Store(dzPre, gh + H + j); Vector256.Store(dnPre * r, gh + 2 * H + j);
                    Vector256.Store(dh * z, dr + j);
                }
                for (; j < H; j++)
                {
                    float r = s[j], z = s[H + j], n = s[2 * H + j], ghn = s[3 * H + j];
                    float dh = dr[j] + (dor != null ? dor[j] : 0f);
                    float dnPre = dh * (1f - z) * (1f - n * n);
                    float dzPre = dh * (hp[j] - n) * z * (1f - z);
                    float drPre = dnPre * ghn * r * (1f - r);
                    gx[j] = drPre; gx[H + j] = dzPre; gx[2 * H + j] = dnPre;
                    gh[j] = drPre; gh[H + j] = dzPre; gh[2 * H + j] = dnPre * r;
                    dr[j] = dh * z;
                }
            }
        });
    }
}
