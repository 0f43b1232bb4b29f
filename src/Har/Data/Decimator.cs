namespace HarFromScratch.Har.Data;

/// <summary>
/// Decimation by an integer factor with an anti-aliasing FIR low-pass: a windowed-sinc filter
/// (Hamming window, <see cref="Taps"/> taps, cutoff <see cref="CutoffFraction"/> of the output
/// Nyquist frequency, unit DC gain), applied with zero phase (centred, mirror-padded edges), then every
/// factor-th sample is kept. For 100 -> 50 Hz: cutoff 20 Hz, transition about 17.4-22.6 Hz, stop-band
/// attenuation about 53 dB, so content above 25 Hz cannot alias.
/// </summary>
public sealed class Decimator
{
    public int Factor { get; }
    public int Taps { get; }
    public double CutoffFraction { get; }
    public double[] Coefficients { get; }

    public Decimator(int factor, int taps = 63, double cutoffFraction = 0.8)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor));
        if (taps < 1 || taps % 2 == 0) throw new ArgumentException("taps must be odd and positive", nameof(taps));
        Factor = factor; Taps = taps; CutoffFraction = cutoffFraction;
        Coefficients = Design(taps, cutoffFraction * 0.5 / factor);
    }

    /// <summary>Windowed-sinc low-pass; <paramref name="fc"/> in cycles per input sample (0..0.5).</summary>
    public static double[] Design(int taps, double fc)
    {
        var h = new double[taps];
        int m = taps / 2;
        double sum = 0;
        for (int i = 0; i < taps; i++)
        {
            int k = i - m;
            double sinc = k == 0 ? 2 * fc : Math.Sin(2 * Math.PI * fc * k) / (Math.PI * k);
            double w = taps == 1 ? 1 : 0.54 - 0.46 * Math.Cos(2 * Math.PI * i / (taps - 1));
            h[i] = sinc * w;
            sum += h[i];
        }
        for (int i = 0; i < taps; i++) h[i] /= sum;
        return h;
    }

    /// <summary>Output length for <paramref name="n"/> input samples: ceil(n / factor).</summary>
    public int OutputLength(int n) => (n + Factor - 1) / Factor;

    /// <summary>
    /// Filters and decimates one channel read with a stride: input x[inOffset + i * inStride], i in
    /// [0, n); output y[outOffset + k * outStride].
    /// </summary>
    public void Apply(ReadOnlySpan<double> x, int inOffset, int inStride, int n, Span<float> y, int outOffset, int outStride)
    {
        if (n == 0) return;
        var h = Coefficients;
        int m = Taps / 2;
        int outN = OutputLength(n);
        for (int k = 0; k < outN; k++)
        {
            int c = k * Factor;
            double acc = 0;
            if (c - m >= 0 && c + m < n)
            {
                int b = inOffset + (c - m) * inStride;
                for (int j = 0; j < h.Length; j++) acc += h[j] * x[b + j * inStride];
            }
            else
            {
                for (int j = 0; j < h.Length; j++) acc += h[j] * x[inOffset + Mirror(c - m + j, n) * inStride];
            }
            y[outOffset + k * outStride] = (float)acc;
        }
    }

    /// <summary>Mirror index into [0, n) (reflection without repeating the edge sample).</summary>
    public static int Mirror(int i, int n)
    {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - i;
    }
}
