using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

public sealed class ButterworthTests
{
    [Fact]
    public void SecondOrder_HasTheClosedFormBilinearCoefficients()
    {
        // the textbook bilinear low-pass with the cutoff pre-warped, K = tan(pi fc / fs), Q = 1/sqrt(2)
        double k = Math.Tan(Math.PI * 0.3 / 50), norm = 1 + Math.Sqrt(2) * k + k * k;
        var s = Assert.Single(new Butterworth(2, 0.3, 50).Sections);
        Assert.Equal(k * k / norm, s.B0, 15);
        Assert.Equal(2 * k * k / norm, s.B1, 15);
        Assert.Equal(k * k / norm, s.B2, 15);
        Assert.Equal(2 * (k * k - 1) / norm, s.A1, 13);
        Assert.Equal((1 - Math.Sqrt(2) * k + k * k) / norm, s.A2, 13);

        // first order: y = K/(1+K) (x + x') - (K-1)/(K+1) y'
        var one = Assert.Single(new Butterworth(1, 20, 50).Sections);
        double k1 = Math.Tan(Math.PI * 20 / 50);
        Assert.Equal(k1 / (1 + k1), one.B0, 14);
        Assert.Equal(k1 / (1 + k1), one.B1, 14);
        Assert.Equal((k1 - 1) / (k1 + 1), one.A1, 14);
        Assert.Equal(0, one.B2);
    }

    [Theory]
    [InlineData(1, 0.3)]
    [InlineData(3, 0.3)]
    [InlineData(4, 5)]
    [InlineData(5, 20)]
    public void Gain_IsOneAtDcHalfPowerAtTheCutoffAndFallsMonotonically(int order, double cutoff)
    {
        var f = new Butterworth(order, cutoff, 50);
        Assert.Equal((order + 1) / 2, f.Sections.Count);
        Assert.Equal(1, f.Gain(0), 12);
        Assert.Equal(1 / Math.Sqrt(2), f.Gain(cutoff), 10);
        Assert.True(f.Gain(25) < 1e-9, $"gain at Nyquist {f.Gain(25)}");   // every zero sits at z = -1
        double last = 1;
        for (double hz = 0.05; hz < 25; hz += 0.05) { double g = f.Gain(hz); Assert.True(g <= last + 1e-12, $"gain rises at {hz} Hz"); last = g; }
        // the Butterworth magnitude: 1 / sqrt(1 + (w/wc)^2n) in the pre-warped frequency
        double hzTest = Math.Min(2 * cutoff, 24), ratio = Math.Tan(Math.PI * hzTest / 50) / Math.Tan(Math.PI * cutoff / 50);
        Assert.Equal(1 / Math.Sqrt(1 + Math.Pow(ratio, 2 * order)), f.Gain(hzTest), 10);
    }

    [Fact]
    public void Apply_PassesAConstantWithoutTransientAndScalesSinesByTheGain()
    {
        var f = new Butterworth(3, 0.3, 50);
        var constant = f.Apply(Enumerable.Repeat(0.98, 500).ToArray());
        Assert.All(constant, v => Assert.Equal(0.98, v, 12));   // steady-state start: gravity on a still phone passes at once

        foreach (double hz in new[] { 0.1, 0.3, 2.0 })
        {
            var x = Enumerable.Range(0, 6000).Select(t => Math.Sin(2 * Math.PI * hz * t / 50)).ToArray();
            var y = f.Apply(x);
            double amplitude = y.Skip(3000).Max(Math.Abs);   // after the start-up transient
            Assert.Equal(f.Gain(hz), amplitude, 2);
        }
        Assert.Empty(f.Apply([]));
    }

    [Theory]
    [InlineData(0, 0.3, 50, "order must be 1-16, got 0")]
    [InlineData(3, 25, 50, "cutoff must lie between 0 and the Nyquist frequency 25 Hz, got 25")]
    [InlineData(3, -1, 50, "got -1")]
    [InlineData(3, 0.3, 0, "sample rate must be positive and finite, got 0")]
    public void BadDesignsAreRefused(int order, double cutoff, double rate, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new Butterworth(order, cutoff, rate));
        Assert.Contains(message, e.Message);
    }
}
