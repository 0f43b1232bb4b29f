using System.Numerics;

namespace HarFromScratch.Har.Data;

/// <summary>
/// A digital Butterworth low-pass filter, designed by the bilinear transform with the cutoff pre-warped (so the
/// -3 dB point is exactly at the cutoff) and run as second-order sections, which stay stable at low cutoffs where
/// one high-order polynomial would not (UCI-HAR's gravity filter is 0.3 Hz at 50 Hz). Used to derive UCI-HAR's
/// channels from a raw recording: its body/gravity split is a causal 3rd-order one at 0.3 Hz (<see cref="UciHarSignals"/>).
/// </summary>
public sealed class Butterworth
{
    /// <summary>One section: y = b0 x + b1 x' + b2 x'' - a1 y' - a2 y'' (b2 = a2 = 0 for the first-order section of an odd order).</summary>
    public readonly record struct Section(double B0, double B1, double B2, double A1, double A2);

    public int Order { get; }
    public double CutoffHz { get; }
    public double RateHz { get; }
    public IReadOnlyList<Section> Sections => _sections;
    private readonly Section[] _sections;

    public Butterworth(int order, double cutoffHz, double rateHz)
    {
        if (order < 1 || order > 16) throw new ArgumentException($"Butterworth order must be 1-16, got {order}");
        if (!(rateHz > 0) || double.IsInfinity(rateHz)) throw new ArgumentException($"sample rate must be positive and finite, got {rateHz}");
        if (!(cutoffHz > 0) || !(cutoffHz < rateHz / 2))
            throw new ArgumentException($"cutoff must lie between 0 and the Nyquist frequency {rateHz / 2} Hz, got {cutoffHz}");
        Order = order; CutoffHz = cutoffHz; RateHz = rateHz;

        // analog prototype poles on the left half of the unit circle, scaled to the pre-warped cutoff,
        // mapped by z = (1 + s/2fs) / (1 - s/2fs); every zero of a low-pass lands at z = -1
        double fs2 = 2 * rateHz, wc = fs2 * Math.Tan(Math.PI * cutoffHz / rateHz);
        var sections = new List<Section>();
        for (int k = 0; k < order / 2; k++)   // one pole of each conjugate pair
        {
            var s = wc * Complex.FromPolarCoordinates(1, Math.PI * (2 * k + 1 + order) / (2 * order));
            var z = (1 + s / fs2) / (1 - s / fs2);
            double a1 = -2 * z.Real, a2 = z.Magnitude * z.Magnitude;
            double g = (1 + a1 + a2) / 4;   // unit gain at DC: H(1) = g (1 + 2 + 1) / (1 + a1 + a2)
            sections.Add(new Section(g, 2 * g, g, a1, a2));
        }
        if (order % 2 == 1)
        {
            double p = (1 - wc / fs2) / (1 + wc / fs2);   // the real pole s = -wc
            double g = (1 - p) / 2;
            sections.Add(new Section(g, g, 0, -p, 0));
        }
        _sections = [.. sections];
    }

    /// <summary>The gain |H| at a frequency (Hz), from the sections: 1 at DC, 1/sqrt(2) at the cutoff.</summary>
    public double Gain(double hz)
    {
        var z = Complex.FromPolarCoordinates(1, -2 * Math.PI * hz / RateHz);   // z^-1
        Complex h = 1;
        foreach (var s in _sections) h *= (s.B0 + s.B1 * z + s.B2 * z * z) / (1 + s.A1 * z + s.A2 * z * z);
        return h.Magnitude;
    }

    /// <summary>
    /// Filters one channel in time order (causal), each section starting in its steady state for the first sample,
    /// so a constant signal (gravity on a still phone) passes with no start-up transient.
    /// </summary>
    public double[] Apply(ReadOnlySpan<double> x)
    {
        var y = x.ToArray();
        foreach (var s in _sections) Run(s, y);
        return y;
    }

    /// <summary>One section over the signal in place (direct form II transposed), starting at steady state for its first value.</summary>
    private static void Run(Section s, double[] y)
    {
        int n = y.Length;
        if (n == 0) return;
        double u = y[0];
        // steady state for a constant u (the section has unit DC gain, so its output is u too)
        double z2 = (s.B2 - s.A2) * u, z1 = (s.B1 - s.A1) * u + z2;
        for (int i = 0; i < n; i++)
        {
            double xi = y[i], yi = s.B0 * xi + z1;
            z1 = s.B1 * xi - s.A1 * yi + z2;
            z2 = s.B2 * xi - s.A2 * yi;
            y[i] = yi;
        }
    }
}
