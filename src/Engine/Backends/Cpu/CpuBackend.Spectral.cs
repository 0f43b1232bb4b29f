using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.Intrinsics;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// FFTs vectorised across rows: a group of W = Vector&lt;float&gt;.Count rows is transposed into split re/im arrays
/// whose element j is a vector holding element j of every row, and the scalar radix-2 / Bluestein algorithm runs on
/// those vectors (so every butterfly processes W rows at once, for any n). Groups are spread over the cores.
/// Real transforms of even length use the half-length complex transform with the usual pack/unpack twiddles.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    private static readonly int W = Vector<float>.Count;

    [ThreadStatic] private static float[]? _fftScratch;

    private static float* FftScratch(int floats) => PinnedScratch.Get(ref _fftScratch, floats);

    /// <summary>Groups of W rows per parallel chunk: about 64k floats of work each.</summary>
    private static long FftGrain(int n) => Math.Max(1, (1 << 16) / Math.Max(1, n * W));

    public void Fft(Storage x, Storage y, int rows, int n, bool inverse, float scale)
    {
        if (rows == 0 || n == 0) return;
        float* px = S(x).Ptr, py = S(y).Ptr;
        var plan = FftPlan.Get(n);
        long groups = (rows + W - 1) / W;
        CpuParallel.For(groups, FftGrain(n), (g0, g1) =>
        {
            int len = plan.WorkLength;
            float* re = FftScratch(2 * len * W), im = re + len * W;
            for (long grp = g0; grp < g1; grp++)
            {
                int r0 = (int)(grp * W), lanes = Math.Min(W, rows - r0);
                bool full = lanes == W && LaneTranspose.Supported;
                if (lanes < W) { new Span<float>(re, n * W).Clear(); new Span<float>(im, n * W).Clear(); }
                if (full) LaneTranspose.Gather(px + (long)r0 * n * 2, (long)n * 2, n, re, im, plan.InputOrder);
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* src = px + (long)(r0 + l) * n * 2;
                        for (int j = 0; j < n; j++) { re[j * W + l] = src[2 * j]; im[j * W + l] = src[2 * j + 1]; }
                    }
                plan.Run(re, im, inverse, inputOrdered: full && plan.InputOrder != null);
                if (full) LaneTranspose.Scatter(re, im, n, py + (long)r0 * n * 2, (long)n * 2, scale);
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* dst = py + (long)(r0 + l) * n * 2;
                        for (int j = 0; j < n; j++) { dst[2 * j] = scale * re[j * W + l]; dst[2 * j + 1] = scale * im[j * W + l]; }
                    }
            }
        });
    }

    public void Rfft(Storage x, Storage y, int rows, int n, float scale)
    {
        if (rows == 0 || n == 0) return;
        float* px = S(x).Ptr, py = S(y).Ptr;
        var rp = RealFftPlan.Get(n);
        int m = n / 2 + 1;
        long groups = (rows + W - 1) / W;
        CpuParallel.For(groups, FftGrain(n), (g0, g1) =>
        {
            int len = rp.Complex.WorkLength, cn = rp.Complex.N;
            float* re = FftScratch(2 * len * W), im = re + len * W;
            float* ore = FftOut(2 * m * W), oim = ore + (long)m * W;
            for (long grp = g0; grp < g1; grp++)
            {
                int r0 = (int)(grp * W), lanes = Math.Min(W, rows - r0);
                bool full = lanes == W && LaneTranspose.Supported;
                if (lanes < W) { new Span<float>(re, cn * W).Clear(); new Span<float>(im, cn * W).Clear(); }
                bool ordered = full && rp.Even && rp.Complex.InputOrder != null;
                if (full && rp.Even) LaneTranspose.Gather(px + (long)r0 * n, n, cn, re, im, rp.Complex.InputOrder); // even/odd samples as re/im
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* src = px + (long)(r0 + l) * n;
                        if (rp.Even) for (int j = 0; j < cn; j++) { re[j * W + l] = src[2 * j]; im[j * W + l] = src[2 * j + 1]; }
                        else for (int j = 0; j < n; j++) { re[j * W + l] = src[j]; im[j * W + l] = 0f; }
                    }
                rp.Complex.Run(re, im, false, ordered);
                float* outRe = re, outIm = im;
                if (rp.Even && full)
                {
                    // unpack four bins at a time straight into the rows (scale folded into the halves)
                    var hs = new Vector<float>(0.5f * scale);
                    float* dst0 = py + (long)r0 * m * 2;
                    int k = 0;
                    for (; k + 4 <= m; k += 4)
                    {
                        UnpackBin(re, im, cn, rp, k, hs, out var x0r, out var x0i);
                        UnpackBin(re, im, cn, rp, k + 1, hs, out var x1r, out var x1i);
                        UnpackBin(re, im, cn, rp, k + 2, hs, out var x2r, out var x2i);
                        UnpackBin(re, im, cn, rp, k + 3, hs, out var x3r, out var x3i);
                        LaneTranspose.StoreRows(x0r.AsVector256(), x0i.AsVector256(), x1r.AsVector256(), x1i.AsVector256(),
                            x2r.AsVector256(), x2i.AsVector256(), x3r.AsVector256(), x3i.AsVector256(), dst0 + 2 * k, (long)m * 2);
                    }
                    for (; k < m; k++)
                    {
                        UnpackBin(re, im, cn, rp, k, hs, out var xr, out var xi);
                        for (int l = 0; l < W; l++) { dst0[l * (long)m * 2 + 2 * k] = xr[l]; dst0[l * (long)m * 2 + 2 * k + 1] = xi[l]; }
                    }
                    continue;
                }
                if (rp.Even)
                {
                    var half = new Vector<float>(0.5f);
                    outRe = ore; outIm = oim;
                    for (int k = 0; k <= cn; k++)
                    {
                        UnpackBin(re, im, cn, rp, k, half, out var xr, out var xi);
                        Vector.Store(xr, outRe + k * W);
                        Vector.Store(xi, outIm + k * W);
                    }
                }
                if (full) LaneTranspose.Scatter(outRe, outIm, m, py + (long)r0 * m * 2, (long)m * 2, scale);
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* dst = py + (long)(r0 + l) * m * 2;
                        for (int k = 0; k < m; k++) { dst[2 * k] = scale * outRe[k * W + l]; dst[2 * k + 1] = scale * outIm[k * W + l]; }
                    }
            }
        });
    }

    /// <summary>
    /// Bin k of the real transform from the half-length complex one Z (h = n/2 bins, W rows in lanes):
    /// X_k = E_k + w_k O_k, E = (Z_k + conj Z_{h−k})/2, O = (Z_k − conj Z_{h−k})/(2i), Z_h = Z_0; <paramref name="half"/>
    /// is 0.5 (times the output scale).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void UnpackBin(float* re, float* im, int h, RealFftPlan rp, int k, Vector<float> half, out Vector<float> xr, out Vector<float> xi)
    {
        int a = k == h ? 0 : k, b = k == 0 ? 0 : h - k; // k mod h, (h − k) mod h without dividing
        var zr = Vector.Load(re + a * W); var zi = Vector.Load(im + a * W);
        var cr = Vector.Load(re + b * W); var ci = -Vector.Load(im + b * W);
        var er = (zr + cr) * half; var ei = (zi + ci) * half;
        var or = (zi - ci) * half; var oi = (cr - zr) * half;
        var wr = new Vector<float>(rp.WRe[k]); var wi = new Vector<float>(rp.WIm[k]);
        xr = er + wr * or - wi * oi;
        xi = ei + wr * oi + wi * or;
    }

    [ThreadStatic] private static float[]? _fftOut;

    private static float* FftOut(int floats) => PinnedScratch.Get(ref _fftOut, floats);

    public void Irfft(Storage x, Storage y, int rows, int n, float scale)
    {
        if (rows == 0 || n == 0) return;
        float* px = S(x).Ptr, py = S(y).Ptr;
        var rp = RealFftPlan.Get(n);
        int m = n / 2 + 1;
        long groups = (rows + W - 1) / W;
        CpuParallel.For(groups, FftGrain(n), (g0, g1) =>
        {
            int len = rp.Complex.WorkLength, cn = rp.Complex.N;
            float* re = FftScratch(2 * len * W), im = re + len * W;
            float* xr = FftOut(2 * m * W), xi = xr + (long)m * W;
            for (long grp = g0; grp < g1; grp++)
            {
                int r0 = (int)(grp * W), lanes = Math.Min(W, rows - r0);
                bool full = lanes == W && LaneTranspose.Supported;
                if (lanes < W) { new Span<float>(xr, 2 * m * W).Clear(); }
                if (full) LaneTranspose.Gather(px + (long)r0 * m * 2, (long)m * 2, m, xr, xi);
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* src = px + (long)(r0 + l) * m * 2;
                        for (int k = 0; k < m; k++) { xr[k * W + l] = src[2 * k]; xi[k * W + l] = src[2 * k + 1]; }
                    }
                for (int l = 0; l < lanes; l++)
                {
                    xi[l] = 0f;                                 // imaginary part of DC ignored
                    if (rp.Even) xi[(m - 1) * W + l] = 0f;      // and of Nyquist
                }
                if (rp.Even)
                {
                    // Z_k = E_k + i O_k, E = (X_k + conj X_{h-k})/2, O = (X_k − conj X_{h-k})·conj(w_k)/2
                    int h = cn;
                    var half = new Vector<float>(0.5f);
                    for (int k = 0; k < h; k++)
                    {
                        var ar = Vector.Load(xr + k * W); var ai = Vector.Load(xi + k * W);
                        var br = Vector.Load(xr + (h - k) * W); var bi = -Vector.Load(xi + (h - k) * W);
                        var er = (ar + br) * half; var ei = (ai + bi) * half;
                        var dr = (ar - br) * half; var di = (ai - bi) * half;
                        var wr = new Vector<float>(rp.WRe[k]); var wi = new Vector<float>(-rp.WIm[k]);
                        var or = dr * wr - di * wi; var oi = dr * wi + di * wr;
                        Vector.Store(er - oi, re + k * W);
                        Vector.Store(ei + or, im + k * W);
                    }
                }
                else
                {
                    for (int k = 0; k < m; k++) { Vector.Store(Vector.Load(xr + k * W), re + k * W); Vector.Store(Vector.Load(xi + k * W), im + k * W); }
                    for (int k = 1; k < m; k++) { Vector.Store(Vector.Load(xr + k * W), re + (n - k) * W); Vector.Store(-Vector.Load(xi + k * W), im + (n - k) * W); }
                }
                rp.Complex.Run(re, im, true);
                if (full && rp.Even) LaneTranspose.Scatter(re, im, cn, py + (long)r0 * n, n, 2f * scale);
                else
                    for (int l = 0; l < lanes; l++)
                    {
                        float* dst = py + (long)(r0 + l) * n;
                        if (rp.Even)
                        {
                            float s2 = 2f * scale;
                            for (int j = 0; j < cn; j++) { dst[2 * j] = s2 * re[j * W + l]; dst[2 * j + 1] = s2 * im[j * W + l]; }
                        }
                        else for (int j = 0; j < n; j++) dst[j] = scale * re[j * W + l];
                    }
            }
        });
    }

    public void ComplexAbs(Storage x, Storage y, long count)
    {
        float* px = S(x).Ptr, py = S(y).Ptr;
        CpuParallel.For(count, ElementwiseGrain, (s, e) =>
        {
            for (long i = s; i < e; i++) { float a = px[2 * i], b = px[2 * i + 1]; py[i] = MathF.Sqrt(a * a + b * b); }
        });
    }

    public void ComplexAbsBackward(Storage x, Storage y, Storage dy, Storage dx, long count)
    {
        float* px = S(x).Ptr, py = S(y).Ptr, pg = S(dy).Ptr, pd = S(dx).Ptr;
        CpuParallel.For(count, ElementwiseGrain, (s, e) =>
        {
            for (long i = s; i < e; i++)
            {
                float r = py[i], f = r > 0f ? pg[i] / r : 0f;
                pd[2 * i] = f * px[2 * i]; pd[2 * i + 1] = f * px[2 * i + 1];
            }
        });
    }
}

/// <summary>
/// A complex DFT of one length, precomputed once and cached: bit-reversal table and twiddles for powers of two;
/// otherwise Bluestein's chirp-z (chirp, and the transformed convolution kernel of a power-of-two length M ≥ 2n−1).
/// <see cref="Run"/> transforms W rows at once held as split re/im arrays of vectors (element j at [j·W, j·W + W)).
/// </summary>
internal sealed unsafe class FftPlan
{
    private static readonly ConcurrentDictionary<int, FftPlan> Cache = new();
    private static readonly int W = Vector<float>.Count;

    public readonly int N;
    private readonly int[]? _rev;
    private readonly float[]? _twRe, _twIm;
    private readonly FftPlan? _sub;
    private readonly float[]? _chRe, _chIm, _bRe, _bIm;

    public static FftPlan Get(int n) => Cache.GetOrAdd(n, k => new FftPlan(k));

    /// <summary>Complex elements of scratch that <see cref="Run"/> uses (≥ N).</summary>
    public int WorkLength => _sub?.N ?? N;

    private FftPlan(int n)
    {
        if (n <= 0) throw new ArgumentException($"FFT length must be positive, got {n}");
        N = n;
        if ((n & (n - 1)) == 0)
        {
            int bits = BitOperations.Log2((uint)n);
            _rev = new int[n];
            for (int i = 0; i < n; i++) _rev[i] = bits == 0 ? 0 : (int)(ReverseBits((uint)i) >> (32 - bits));
            _twRe = new float[Math.Max(1, n / 2)]; _twIm = new float[Math.Max(1, n / 2)];
            for (int k = 0; k < n / 2; k++) { double a = -2 * Math.PI * k / n; _twRe[k] = (float)Math.Cos(a); _twIm[k] = (float)Math.Sin(a); }
            return;
        }
        int mLen = 1;
        while (mLen < 2 * n - 1) mLen <<= 1;
        _sub = Get(mLen);
        _chRe = new float[n]; _chIm = new float[n];
        for (int k = 0; k < n; k++)
        {
            long k2 = (long)k * k % (2L * n); // e^{−πi k²/n} is periodic in k² with period 2n
            double a = -Math.PI * k2 / n;
            _chRe[k] = (float)Math.Cos(a); _chIm[k] = (float)Math.Sin(a);
        }
        // b_k = conj(c_k) at k and M−k; its transform (divided by M, the inverse's normalisation) is kept
        var bre = new double[mLen]; var bim = new double[mLen];
        for (int k = 0; k < n; k++)
        {
            long k2 = (long)k * k % (2L * n);
            double a = Math.PI * k2 / n;
            bre[k] = Math.Cos(a); bim[k] = Math.Sin(a);
            if (k > 0) { bre[mLen - k] = bre[k]; bim[mLen - k] = bim[k]; }
        }
        DftPow2Double(bre, bim);
        _bRe = bre.Select(v => (float)(v / mLen)).ToArray();
        _bIm = bim.Select(v => (float)(v / mLen)).ToArray();
    }

    private static uint ReverseBits(uint v)
    {
        v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
        v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
        v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
        v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
        return (v >> 16) | (v << 16);
    }

    /// <summary>In-place forward radix-2 FFT in double (plan construction only).</summary>
    private static void DftPow2Double(double[] re, double[] im)
    {
        int n = re.Length, bits = BitOperations.Log2((uint)n);
        for (int i = 0; i < n; i++)
        {
            int j = bits == 0 ? 0 : (int)(ReverseBits((uint)i) >> (32 - bits));
            if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len / 2;
            for (int j = 0; j < half; j++)
            {
                double a = -2 * Math.PI * j / len, wr = Math.Cos(a), wi = Math.Sin(a);
                for (int k = j; k < n; k += len)
                {
                    double tr = wr * re[k + half] - wi * im[k + half], ti = wr * im[k + half] + wi * re[k + half];
                    re[k + half] = re[k] - tr; im[k + half] = im[k] - ti;
                    re[k] += tr; im[k] += ti;
                }
            }
        }
    }

    /// <summary>For power-of-two lengths the bit-reversal permutation, which a caller may apply while loading the data
    /// (then <see cref="Run"/> with inputOrdered); null otherwise.</summary>
    public int[]? InputOrder => _sub == null ? _rev : null;

    /// <summary>Unnormalised DFT (inverse: e^{+}) of W rows in place; data in elements [0, N), scratch up to <see cref="WorkLength"/>.
    /// <paramref name="inputOrdered"/>: the data were loaded in <see cref="InputOrder"/> already.</summary>
    public void Run(float* re, float* im, bool inverse, bool inputOrdered = false)
    {
        if (_sub == null) { Pow2(re, im, inverse, inputOrdered); return; }
        int n = N, m = _sub.N;
        if (inverse) for (int j = 0; j < n; j++) Vector.Store(-Vector.Load(im + j * W), im + j * W);
        for (int j = 0; j < n; j++)
        {
            var xr = Vector.Load(re + j * W); var xi = Vector.Load(im + j * W);
            var cr = new Vector<float>(_chRe![j]); var ci = new Vector<float>(_chIm![j]);
            Vector.Store(xr * cr - xi * ci, re + j * W);
            Vector.Store(xr * ci + xi * cr, im + j * W);
        }
        new Span<float>(re + n * W, (m - n) * W).Clear();
        new Span<float>(im + n * W, (m - n) * W).Clear();
        _sub.Pow2(re, im, false);
        for (int j = 0; j < m; j++)
        {
            var xr = Vector.Load(re + j * W); var xi = Vector.Load(im + j * W);
            var br = new Vector<float>(_bRe![j]); var bi = new Vector<float>(_bIm![j]);
            Vector.Store(xr * br - xi * bi, re + j * W);
            Vector.Store(xr * bi + xi * br, im + j * W);
        }
        _sub.Pow2(re, im, true);
        for (int j = 0; j < n; j++)
        {
            var xr = Vector.Load(re + j * W); var xi = Vector.Load(im + j * W);
            var cr = new Vector<float>(_chRe![j]); var ci = new Vector<float>(_chIm![j]);
            Vector.Store(xr * cr - xi * ci, re + j * W);
            var oi = xr * ci + xi * cr;
            Vector.Store(inverse ? -oi : oi, im + j * W);
        }
    }

    private void Pow2(float* re, float* im, bool inverse, bool inputOrdered = false)
    {
        int n = N;
        var rev = _rev!;
        for (int i = 0; i < n && !inputOrdered; i++)
        {
            int j = rev[i];
            if (j <= i) continue;
            var t = Vector.Load(re + i * W); Vector.Store(Vector.Load(re + j * W), re + i * W); Vector.Store(t, re + j * W);
            t = Vector.Load(im + i * W); Vector.Store(Vector.Load(im + j * W), im + i * W); Vector.Store(t, im + j * W);
        }
        // radix-2 stages merged in pairs (len L and 2L in one pass over the data: half the loads and stores); an odd
        // stage count starts with one plain len-2 stage
        int stages = BitOperations.Log2((uint)n), L = 2;
        if (stages % 2 == 1)
        {
            for (int k = 0; k < n; k += 2)
            {
                float* ar = re + k * W, ai = im + k * W, br = ar + W, bi = ai + W;
                var xr = Vector.Load(ar); var xi = Vector.Load(ai); var yr = Vector.Load(br); var yi = Vector.Load(bi);
                Vector.Store(xr + yr, ar); Vector.Store(xi + yi, ai); Vector.Store(xr - yr, br); Vector.Store(xi - yi, bi);
            }
            L = 4;
        }
        for (; 2 * L <= n; L *= 4)
        {
            int h = L >> 1, step1 = n / L, step2 = n / (2 * L);
            for (int j = 0; j < h; j++)
            {
                // stage L twiddle w1 = e^{∓2πij/L}; stage 2L twiddles w2 = e^{∓2πij/2L} and w2·(∓i) for the odd pair
                var w1r = new Vector<float>(_twRe![j * step1]); var w1i = new Vector<float>(inverse ? -_twIm![j * step1] : _twIm![j * step1]);
                var w2r = new Vector<float>(_twRe![j * step2]); var w2i = new Vector<float>(inverse ? -_twIm![j * step2] : _twIm![j * step2]);
                for (int k = j; k < n; k += 2 * L)
                {
                    float* ar = re + k * W, ai = im + k * W;
                    float* br = re + (k + h) * W, bi = im + (k + h) * W;
                    float* cr = re + (k + L) * W, ci = im + (k + L) * W;
                    float* dr = re + (k + L + h) * W, di = im + (k + L + h) * W;
                    var a_r = Vector.Load(ar); var a_i = Vector.Load(ai); var b_r = Vector.Load(br); var b_i = Vector.Load(bi);
                    var c_r = Vector.Load(cr); var c_i = Vector.Load(ci); var d_r = Vector.Load(dr); var d_i = Vector.Load(di);
                    // stage L: (a, b) and (c, d) with w1
                    var tr = w1r * b_r - w1i * b_i; var ti = w1r * b_i + w1i * b_r;
                    var a1r = a_r + tr; var a1i = a_i + ti; var b1r = a_r - tr; var b1i = a_i - ti;
                    tr = w1r * d_r - w1i * d_i; ti = w1r * d_i + w1i * d_r;
                    var c1r = c_r + tr; var c1i = c_i + ti; var d1r = c_r - tr; var d1i = c_i - ti;
                    // stage 2L: (a, c) with w2; (b, d) with w2·(−i) forward, w2·(+i) inverse
                    tr = w2r * c1r - w2i * c1i; ti = w2r * c1i + w2i * c1r;
                    Vector.Store(a1r + tr, ar); Vector.Store(a1i + ti, ai); Vector.Store(a1r - tr, cr); Vector.Store(a1i - ti, ci);
                    tr = w2r * d1r - w2i * d1i; ti = w2r * d1i + w2i * d1r;
                    // multiply by ∓i: −i·(tr + i ti) = ti − i tr; +i·(tr + i ti) = −ti + i tr
                    var ur = inverse ? -ti : ti; var ui = inverse ? tr : -tr;
                    Vector.Store(b1r + ur, br); Vector.Store(b1i + ui, bi); Vector.Store(b1r - ur, dr); Vector.Store(b1i - ui, di);
                }
            }
        }
    }
}

/// <summary>Real-transform plan of one length: the complex plan of n/2 (even n) or n (odd n) and the pack/unpack twiddles.</summary>
internal sealed class RealFftPlan
{
    private static readonly ConcurrentDictionary<int, RealFftPlan> Cache = new();

    public readonly bool Even;
    public readonly FftPlan Complex;
    /// <summary>e^{−2πik/n}, k = 0..n/2.</summary>
    public readonly float[] WRe, WIm;

    public static RealFftPlan Get(int n) => Cache.GetOrAdd(n, k => new RealFftPlan(k));

    private RealFftPlan(int n)
    {
        Even = n % 2 == 0;
        Complex = FftPlan.Get(Even ? n / 2 : n);
        WRe = new float[n / 2 + 1]; WIm = new float[n / 2 + 1];
        for (int k = 0; k <= n / 2; k++) { double a = -2 * Math.PI * k / n; WRe[k] = (float)Math.Cos(a); WIm[k] = (float)Math.Sin(a); }
    }
}
