using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// DFTs as direct sums, one thread per output element (O(n) work each; simple and obviously in bounds). Angles are
/// reduced exactly as (j·k mod n) before the trigonometry, so accuracy does not degrade with n.
/// Complex values are interleaved (re, im).
/// </summary>
public static class SpectralKernels
{
    private static float Angle(long jk, int n)
    {
        long r = jk % n;
        if (2 * r > n) r -= n; // into (−n/2, n/2]: angle in (−π, π]
        return (float)(2.0 * Math.PI) * r / n;
    }

    /// <summary>y[row, k] = scale·Σ_j x[row, j]·e^{∓2πi jk/n} (inverse = 1: +).</summary>
    [IlgpuKernel]
    public static void Dft(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, int rows, int n, int inverse, float scale)
    {
        long total = (long)rows * n;
        float sign = inverse != 0 ? 1f : -1f;
        for (long idx = t; idx < total; idx += stride)
        {
            long row = idx / n; int k = (int)(idx % n);
            long xb = row * n * 2;
            float sr = 0f, si = 0f;
            for (int j = 0; j < n; j++)
            {
                float a = sign * Angle((long)j * k, n), c = MathF.Cos(a), s = MathF.Sin(a);
                float xr = x[xb + 2 * j], xi = x[xb + 2 * j + 1];
                sr += xr * c - xi * s; si += xr * s + xi * c;
            }
            y[idx * 2] = scale * sr; y[idx * 2 + 1] = scale * si;
        }
    }

    /// <summary>y[row, k] (k ≤ n/2) = scale·Σ_j x[row, j]·e^{−2πi jk/n} for real x (rows, n).</summary>
    [IlgpuKernel]
    public static void Rdft(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, int rows, int n, float scale)
    {
        int m = n / 2 + 1;
        long total = (long)rows * m;
        for (long idx = t; idx < total; idx += stride)
        {
            long row = idx / m; int k = (int)(idx % m);
            long xb = row * n;
            float sr = 0f, si = 0f;
            for (int j = 0; j < n; j++)
            {
                float a = -Angle((long)j * k, n), xv = x[xb + j];
                sr += xv * MathF.Cos(a); si += xv * MathF.Sin(a);
            }
            y[idx * 2] = scale * sr; y[idx * 2 + 1] = scale * si;
        }
    }

    /// <summary>
    /// y[row, j] = scale·(Re X_0 + Σ_{0&lt;k&lt;n/2} 2·Re(X_k e^{+2πi jk/n}) + [even n] Re X_{n/2}·(−1)^j) from the half spectrum (rows, n/2+1, 2).
    /// </summary>
    [IlgpuKernel]
    public static void IrDft(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, int rows, int n, float scale)
    {
        int m = n / 2 + 1;
        long total = (long)rows * n;
        bool even = n % 2 == 0;
        int last = even ? m - 1 : m; // bins with weight 2: 1 .. last-1
        for (long idx = t; idx < total; idx += stride)
        {
            long row = idx / n; int j = (int)(idx % n);
            long xb = row * m * 2;
            float acc = x[xb];
            for (int k = 1; k < last; k++)
            {
                float a = Angle((long)j * k, n);
                acc += 2f * (x[xb + 2 * k] * MathF.Cos(a) - x[xb + 2 * k + 1] * MathF.Sin(a));
            }
            if (even && m > 1) acc += (j % 2 == 0 ? 1f : -1f) * x[xb + 2 * (m - 1)];
            y[idx] = scale * acc;
        }
    }

    [IlgpuKernel]
    public static void ComplexAbs(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, long count)
    {
        for (long i = t; i < count; i += stride)
        {
            float a = x[2 * i], b = x[2 * i + 1];
            y[i] = MathF.Sqrt(a * a + b * b);
        }
    }

    [IlgpuKernel]
    public static void ComplexAbsBackward(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, long count)
    {
        for (long i = t; i < count; i += stride)
        {
            float r = y[i], f = r > 0f ? dy[i] / r : 0f;
            dx[2 * i] = f * x[2 * i]; dx[2 * i + 1] = f * x[2 * i + 1];
        }
    }
}
