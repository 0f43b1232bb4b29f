using System.Numerics;
using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Fused LSTM/GRU step kernels: one pass over the batch rows (split over the cores), activations with
/// TensorPrimitives, the cell arithmetic in Vector&lt;float&gt; loops. No allocation per call.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Rows per parallel chunk: about 4k gate elements, so small steps stay on one core.</summary>
    private static long CellGrain(int hidden) => Math.Max(1, 4096 / Math.Max(hidden, 1));

    private static float* P(RowView v) => S(v.Storage).Ptr + v.Offset;

    public void LstmCellForward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy)
    {
        float* pg = P(gates), pcp = P(cPrev), pc = P(c), ph = P(h);
        long sg = gates.RowStride, scp = cPrev.RowStride, sc = c.RowStride, sh = h.RowStride;
        float* pcopy = hCopy is { } hv ? P(hv) : null;
        long scopy = hCopy?.RowStride ?? 0;
        int H = hidden;
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) =>
        {
            for (long b = b0; b < b1; b++)
            {
                float* g = pg + b * sg, cp = pcp + b * scp, cr = pc + b * sc, hr = ph + b * sh;
                var ifg = new Span<float>(g, 2 * H);
                TensorPrimitives.Sigmoid(ifg, ifg);
                var gg = new Span<float>(g + 2 * H, H);
                TensorPrimitives.Tanh(gg, gg);
                var oo = new Span<float>(g + 3 * H, H);
                TensorPrimitives.Sigmoid(oo, oo);
                // c = f*c_prev + i*g
                var cs = new Span<float>(cr, H);
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(g + H, H), new ReadOnlySpan<float>(cp, H), cs);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(g, H), gg, cs, cs);
                // h = o*tanh(c)
                var hs = new Span<float>(hr, H);
                TensorPrimitives.Tanh(cs, hs);
                TensorPrimitives.Multiply(hs, oo, hs);
                if (pcopy != null) hs.CopyTo(new Span<float>(pcopy + b * scopy, H));
            }
        });
    }

    public void LstmCellBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates)
    {
        float* pg = P(gates), pcp = P(cPrev), pc = P(c), pdr = P(dhRec), pdc = P(dc), pdg = P(dGates);
        float* pdo = dhOut is { } dv ? P(dv) : null;
        long sg = gates.RowStride, scp = cPrev.RowStride, sc = c.RowStride, sdo = dhOut?.RowStride ?? 0,
            sdr = dhRec.RowStride, sdc = dc.RowStride, sdg = dGates.RowStride;
        int H = hidden;
        CpuParallel.For(batch, CellGrain(hidden), (b0, b1) =>
        {
            float[]? rented = H > 1024 ? new float[H] : null;
            Span<float> tcSpan = rented ?? stackalloc float[H];
            fixed (float* tc = tcSpan)
            for (long b = b0; b < b1; b++)
            {
                float* g = pg + b * sg, cp = pcp + b * scp, cr = pc + b * sc, dr = pdr + b * sdr, dcr = pdc + b * sdc, dg = pdg + b * sdg;
                float* dor = pdo != null ? pdo + b * sdo : null;
                TensorPrimitives.Tanh(new ReadOnlySpan<float>(cr, H), tcSpan);
                int j = 0;
                int w = Vector<float>.Count;
                var one = Vector<float>.One;
                for (; j <= H - w; j += w)
                {
                    var i = Vector.Load(g + j); var f = Vector.Load(g + H + j); var gg = Vector.Load(g + 2 * H + j); var o = Vector.Load(g + 3 * H + j);
                    var t = Vector.Load(tc + j);
                    var dh = Vector.Load(dr + j);
                    if (dor != null) dh += Vector.Load(dor + j);
                    var dct = Vector.Load(dcr + j) + dh * o * (one - t * t);
                    Vector.Store(dct * gg * i * (one - i), dg + j);
                    Vector.Store(dct * Vector.Load(cp + j) * f * (one - f), dg + H + j);
                    Vector.Store(dct * i * (one - gg * gg), dg + 2 * H + j);
                    Vector.Store(dh * t * o * (one - o), dg + 3 * H + j);
                    Vector.Store(dct * f, dcr + j);
                }
                for (; j < H; j++)
                {
                    float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j], t = tc[j];
                    float dh = dr[j] + (dor != null ? dor[j] : 0f);
                    float dct = dcr[j] + dh * o * (1f - t * t);
                    dg[j] = dct * gg * i * (1f - i);
                    dg[H + j] = dct * cp[j] * f * (1f - f);
                    dg[2 * H + j] = dct * i * (1f - gg * gg);
                    dg[3 * H + j] = dh * t * o * (1f - o);
                    dcr[j] = dct * f;
                }
            }
        });
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
            for (long b = b0; b < b1; b++)
            {
                float* x = px + b * sx, hh = pgh + b * sgh, hp = php + b * shp, s = ps + b * ss, hr = ph + b * sh;
                var rz = new Span<float>(s, 2 * H);
                TensorPrimitives.Add(new ReadOnlySpan<float>(x, 2 * H), new ReadOnlySpan<float>(hh, 2 * H), rz);
                if (pb != null) TensorPrimitives.Add(rz, new ReadOnlySpan<float>(pb, 2 * H), rz);
                TensorPrimitives.Sigmoid(rz, rz);
                var ghn = new Span<float>(s + 3 * H, H);
                if (pb != null) TensorPrimitives.Add(new ReadOnlySpan<float>(hh + 2 * H, H), new ReadOnlySpan<float>(pb + 2 * H, H), ghn);
                else new ReadOnlySpan<float>(hh + 2 * H, H).CopyTo(ghn);
                var n = new Span<float>(s + 2 * H, H);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(s, H), ghn, new ReadOnlySpan<float>(x + 2 * H, H), n);
                TensorPrimitives.Tanh(n, n);
                // h = n + z*(h_prev - n)
                var hs = new Span<float>(hr, H);
                TensorPrimitives.Subtract(new ReadOnlySpan<float>(hp, H), n, hs);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(s + H, H), hs, n, hs);
                if (pcopy != null) hs.CopyTo(new Span<float>(pcopy + b * scopy, H));
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
            int w = Vector<float>.Count;
            var one = Vector<float>.One;
            for (long b = b0; b < b1; b++)
            {
                float* s = ps + b * ss, hp = php + b * shp, dr = pdr + b * sdr, gx = pgx + b * sgx, gh = pgh + b * sgh;
                float* dor = pdo != null ? pdo + b * sdo : null;
                int j = 0;
                for (; j <= H - w; j += w)
                {
                    var r = Vector.Load(s + j); var z = Vector.Load(s + H + j); var n = Vector.Load(s + 2 * H + j); var ghn = Vector.Load(s + 3 * H + j);
                    var dh = Vector.Load(dr + j);
                    if (dor != null) dh += Vector.Load(dor + j);
                    var dnPre = dh * (one - z) * (one - n * n);
                    var dzPre = dh * (Vector.Load(hp + j) - n) * z * (one - z);
                    var drPre = dnPre * ghn * r * (one - r);
                    Vector.Store(drPre, gx + j); Vector.Store(dzPre, gx + H + j); Vector.Store(dnPre, gx + 2 * H + j);
                    Vector.Store(drPre, gh + j); Vector.Store(dzPre, gh + H + j); Vector.Store(dnPre * r, gh + 2 * H + j);
                    Vector.Store(dh * z, dr + j);
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
