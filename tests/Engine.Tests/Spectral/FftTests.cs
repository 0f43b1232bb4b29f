using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Spectral;

/// <summary>FFTs against a direct O(n²) DFT in double, round trips, and finite-difference gradients.</summary>
public class FftTests
{
    public static TheoryData<int> Lengths() => new(1, 2, 3, 5, 7, 8, 12, 16, 31, 100, 128, 129, 255, 256);

    /// <summary>Direct DFT of rows of complex values in double.</summary>
    private static (double[] re, double[] im) Dft(double[] re, double[] im, int rows, int n, bool inverse)
    {
        var r = new double[rows * n]; var i = new double[rows * n];
        double sign = inverse ? 1 : -1;
        for (int row = 0; row < rows; row++)
        for (int k = 0; k < n; k++)
        {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++)
            {
                double a = sign * 2 * Math.PI * ((long)j * k % n) / n, c = Math.Cos(a), s = Math.Sin(a);
                double xr = re[row * n + j], xi = im[row * n + j];
                sr += xr * c - xi * s; si += xr * s + xi * c;
            }
            r[row * n + k] = sr; i[row * n + k] = si;
        }
        return (r, i);
    }

    private static void Near(double expected, float actual, double tol, string what)
    {
        if (!(Math.Abs(expected - actual) <= tol)) Assert.Fail($"{what}: expected {expected}, got {actual} (tol {tol})");
    }

    private static double Tol(int n) => 2e-6 * n + 2e-5 * Math.Sqrt(n) + 1e-6;

    [Theory]
    [MemberData(nameof(Lengths))]
    public void FftAndIfftMatchDirectDft(int n)
    {
        const int rows = 11; // not a multiple of the vector width: a partial group of rows
        var x = Randn((ulong)n, rows, n, 2);
        var d = x.ToArray();
        var re = Enumerable.Range(0, rows * n).Select(k => (double)d[2 * k]).ToArray();
        var im = Enumerable.Range(0, rows * n).Select(k => (double)d[2 * k + 1]).ToArray();
        foreach (var inverse in new[] { false, true })
        {
            var (er, ei) = Dft(re, im, rows, n, inverse);
            var y = (inverse ? x.Ifft() : x.Fft()).ToArray();
            double s = inverse ? 1.0 / n : 1.0;
            for (int k = 0; k < rows * n; k++)
            {
                Near(er[k] * s, y[2 * k], Tol(n) * s, $"{(inverse ? "ifft" : "fft")} n={n} re[{k}]");
                Near(ei[k] * s, y[2 * k + 1], Tol(n) * s, $"{(inverse ? "ifft" : "fft")} n={n} im[{k}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RfftMatchesDirectDftAndIrfftInvertsIt(int n)
    {
        const int rows = 9;
        var x = Randn((ulong)n + 1000, rows, n);
        var d = x.ToArray();
        var (er, ei) = Dft(d.Select(v => (double)v).ToArray(), new double[rows * n], rows, n, false);
        var y = x.Rfft();
        int m = n / 2 + 1;
        Assert.Equal([rows, m, 2], y.Shape);
        var yv = y.ToArray();
        for (int r = 0; r < rows; r++)
        for (int k = 0; k < m; k++)
        {
            Near(er[r * n + k], yv[(r * m + k) * 2], Tol(n), $"rfft n={n} row {r} re[{k}]");
            Near(ei[r * n + k], yv[(r * m + k) * 2 + 1], Tol(n), $"rfft n={n} row {r} im[{k}]");
        }
        AssertClose(d, y.Irfft(n).ToArray(), (float)Tol(n), 0f, $"irfft(rfft(x)) n={n}");
    }

    [Fact]
    public void IrfftIgnoresImaginaryPartsOfDcAndNyquist()
    {
        const int rows = 11; // a full group of vector lanes and a partial one
        var x = Randn(5, rows, 8);
        var spec = x.Rfft().ToArray();
        for (int r = 0; r < rows; r++) { spec[(r * 5 + 0) * 2 + 1] = 7f; spec[(r * 5 + 4) * 2 + 1] = -3f; }
        AssertClose(x.ToArray(), Tensor.FromArray(spec, [rows, 5, 2], Cpu).Irfft().ToArray(), 1e-5f, 0f);
    }

    public static TheoryData<int> GradLengths() => new(1, 2, 7, 8, 128, 129);

    [Theory]
    [MemberData(nameof(GradLengths))]
    public void GradCheckTransforms(int n)
    {
        // the transforms are linear, so a large step gives exact differences without float rounding noise
        int rows = n > 16 ? 1 : 2;
        GradCheck.Assert(t => t[0].Rfft(), [Randn(1, rows, n)], eps: 0.1, name: $"rfft n={n}");
        GradCheck.Assert(t => t[0].Fft(), [Randn(2, rows, n, 2)], eps: 0.1, name: $"fft n={n}");
        GradCheck.Assert(t => t[0].Ifft(), [Randn(3, rows, n, 2)], eps: 0.1, name: $"ifft n={n}");
        int m = n / 2 + 1;
        GradCheck.Assert(t => t[0].Irfft(n), [Randn(4, rows, m, 2)], eps: 0.1, name: $"irfft n={n}");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(33)]
    public void GradCheckMagnitudeHelpers(int n)
    {
        var x = Randn(6, 2, n);
        GradCheck.Assert(t => t[0].Rfft().ComplexAbs(), [x], eps: 1e-2, atol: 2e-3, rtol: 2e-2, name: "abs(rfft)");
        GradCheck.Assert(t => t[0].Rfft().ComplexPower(), [x], eps: 1e-2, atol: 2e-3, rtol: 2e-2, name: "power(rfft)");
        GradCheck.Assert(t => t[0].Rfft().LogMagnitude(), [x], eps: 1e-2, atol: 2e-3, rtol: 2e-2, name: "log1p|rfft|");
    }

    [Fact]
    public void ComplexAbsHasZeroGradientAtZero()
    {
        var z = Tensor.FromArray([0f, 0f, 3f, 4f], [2, 2], Cpu, requiresGrad: true);
        var a = z.ComplexAbs();
        AssertClose([0f, 5f], a.ToArray());
        a.Sum().Backward();
        AssertClose([0f, 0f, 0.6f, 0.8f], z.Grad!.ToArray());
    }
}
