using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

public sealed class ResamplerTests
{
    private static double[] Sine(double freqHz, double rateHz, int n, double phase = 0) =>
        Enumerable.Range(0, n).Select(i => Math.Sin(2 * Math.PI * freqHz * i / rateHz + phase)).ToArray();

    private static float[] Resample(Resampler r, double[] x)
    {
        var y = new float[r.OutputLength(x.Length)];
        r.Apply(x, 0, 1, x.Length, y, 0, 1);
        return y;
    }

    /// <summary>The largest |y| away from the edges, where the mirror padding has no say.</summary>
    private static double Amplitude(double freqHz, Resampler r)
    {
        var y = Resample(r, Sine(freqHz, r.InputRateHz, 4000));
        double max = 0;
        for (int k = 100; k < y.Length - 100; k++) max = Math.Max(max, Math.Abs(y[k]));
        return max;
    }

    [Fact]
    public void Halving_PassesLowFrequenciesAndBlocksAliases()
    {
        var d = new Resampler(100, 50);
        Assert.Equal(63, d.Coefficients.Length);
        Assert.Equal(1.0, d.Coefficients.Sum(), 1e-12);
        Assert.InRange(Amplitude(0, d), 0, 1e-9);
        Assert.InRange(Amplitude(2, d), 0.99, 1.01);
        Assert.InRange(Amplitude(12.5, d), 0.98, 1.02); // sampled at its peaks after decimation
        Assert.InRange(Amplitude(30, d), 0, 0.01);   // would alias to 20 Hz
        Assert.InRange(Amplitude(40, d), 0, 0.01);   // would alias to 10 Hz
        Assert.Equal(5, d.OutputLength(10));
        Assert.Equal(6, d.OutputLength(11));
    }

    [Theory]
    [InlineData(20, 50, 3.0)]     // up by 5/2: a WISDM-rate recording for a 50 Hz model
    [InlineData(50, 20, 3.0)]     // down by 2/5
    [InlineData(52, 50, 7.0)]     // a phone's 52 Hz, phases 25/26
    [InlineData(100, 50, 9.0)]
    [InlineData(51.2, 50, 5.0)]   // decimal rates: 125/128
    public void ABandLimitedSineComesOutAsTheSameSineAtTheNewRate(double inHz, double outHz, double freqHz)
    {
        var r = new Resampler(inHz, outHz);
        int n = 3000;
        var y = Resample(r, Sine(freqHz, inHz, n, phase: 0.3));
        // the length counts the output samples that fall within the input
        Assert.Equal((int)Math.Floor((n - 1) * outHz / inHz + 1e-9) + 1, y.Length);
        double worst = 0;
        for (int k = 80; k < y.Length - 80; k++)
            worst = Math.Max(worst, Math.Abs(y[k] - Math.Sin(2 * Math.PI * freqHz * k / outHz + 0.3)));
        Assert.InRange(worst, 0, 0.01);
    }

    [Fact]
    public void Downsampling_BlocksWhatTheNewRateCannotHold()
    {
        var r = new Resampler(50, 20);        // new Nyquist 10 Hz, cutoff 8 Hz
        Assert.InRange(Amplitude(3, r), 0.99, 1.01);
        Assert.InRange(Amplitude(15, r), 0, 0.01);   // would alias to 5 Hz
        Assert.InRange(Amplitude(22, r), 0, 0.01);   // would alias to 2 Hz
    }

    [Theory]
    [InlineData(100, 50, 7)]      // shorter than the filter: mirrored padding
    [InlineData(20, 50, 3)]
    [InlineData(52, 50, 200)]
    [InlineData(50, 20, 1)]
    public void AConstantSignalIsPreservedUpToTheEdges(double inHz, double outHz, int n)
    {
        var r = new Resampler(inHz, outHz);
        var y = Resample(r, Enumerable.Repeat(3.0, n).ToArray());
        Assert.NotEmpty(y);
        foreach (var v in y) Assert.Equal(3f, v, 1e-5f);
    }

    [Fact]
    public void StridedChannelsAreResampledIndependently()
    {
        var r = new Resampler(20, 50);
        int n = 400;
        var a = Sine(2, 20, n);
        var b = Sine(4, 20, n, 1.0);
        var interleaved = new double[2 * n];
        for (int i = 0; i < n; i++) { interleaved[2 * i] = a[i]; interleaved[2 * i + 1] = b[i]; }
        int m = r.OutputLength(n);
        var y = new float[2 * m];
        r.Apply(interleaved, 0, 2, n, y, 0, 2);
        r.Apply(interleaved, 1, 2, n, y, 1, 2);
        var ya = Resample(r, a);
        var yb = Resample(r, b);
        for (int k = 0; k < m; k++) { Assert.Equal(ya[k], y[2 * k]); Assert.Equal(yb[k], y[2 * k + 1]); }
    }

    [Fact]
    public void InputPositionsAreExactFractions()
    {
        var r = new Resampler(52, 50);
        Assert.Equal(0.0, r.InputPosition(0));
        Assert.Equal(26.0, r.InputPosition(25));
        Assert.Equal(1.04, r.InputPosition(1), 12);
    }

    [Theory]
    [InlineData(0, 50, "positive")]
    [InlineData(-20, 50, "positive")]
    [InlineData(double.NaN, 50, "positive")]
    [InlineData(50.0001, 50, "three decimals")]
    [InlineData(50, 99.999, "filter phases")]
    public void BadRatesAreRefusedWithAReason(double inHz, double outHz, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new Resampler(inHz, outHz));
        Assert.Contains(expected, e.Message);
    }
}
