namespace HarFromScratch.Har.Data;

/// <summary>
/// Band-limited resampling from one sample rate to another (the USC-HAD loader's 100 -> 50 Hz, `har predict --rate`):
/// each output sample n sits at input position x = n * in / out and is a windowed-sinc interpolation of the input
/// around it. The low-pass cuts at <see cref="CutoffFraction"/> of the lower of the two Nyquist frequencies, so
/// downsampling cannot alias and upsampling invents nothing above the input's band; the kernel spans
/// ±<see cref="HalfWidth"/> input samples (15.5 samples at the lower rate), has a Hamming window, and each of its
/// phases is normalised to unit DC gain. Edges are mirror-padded; the filter is zero phase.
/// For an integer factor down (100 -> 50 Hz) this is a 63-tap FIR (cutoff 20 Hz, transition about 17.4-22.6 Hz, about
/// 53 dB stop band) applied at every factor-th sample.
/// </summary>
public sealed class Resampler
{
    /// <summary>Rates are matched as exact fractions of milli-hertz.</summary>
    private const double RateUnit = 1000;
    /// <summary>Filter phases are computed up front (so Apply may run on many threads); this bounds their memory.</summary>
    private const int MaxPhases = 1 << 16;

    public double InputRateHz { get; }
    public double OutputRateHz { get; }
    public double CutoffFraction { get; }
    /// <summary>Half the kernel's span, in input samples.</summary>
    public double HalfWidth { get; }
    /// <summary>Cutoff in cycles per input sample.</summary>
    public double Cutoff { get; }

    // output n sits at input position n * Down / Up: integer part (n * Down) / Up, phase (n * Down) % Up
    private readonly long up, down;
    private readonly double[][] phases;
    private readonly int[] firstTap;

    public Resampler(double inputRateHz, double outputRateHz, double cutoffFraction = 0.8, double halfWidthAtLowerRate = 15.5)
    {
        long a = ToUnits(inputRateHz, "input rate"), b = ToUnits(outputRateHz, "output rate");
        if (cutoffFraction is <= 0 or > 1) throw new ArgumentException($"cutoff fraction {cutoffFraction}: must be in (0, 1]");
        long g = Gcd(a, b);
        down = a / g; up = b / g;
        if (up > MaxPhases)
            throw new ArgumentException($"{inputRateHz} Hz -> {outputRateHz} Hz needs {up} filter phases (the rates' ratio is {down}/{up}); at most {MaxPhases}");
        InputRateHz = inputRateHz; OutputRateHz = outputRateHz; CutoffFraction = cutoffFraction;
        double factor = Math.Max(1.0, inputRateHz / outputRateHz);
        Cutoff = cutoffFraction * 0.5 / factor;
        HalfWidth = halfWidthAtLowerRate * factor;
        phases = new double[up][];
        firstTap = new int[up];
        for (int p = 0; p < up; p++) (phases[p], firstTap[p]) = Kernel(p);
    }

    /// <summary>The kernel for output samples at fraction <paramref name="phase"/> / up past an input sample: the weights
    /// of the input samples from offset <c>first</c> on.</summary>
    private (double[] Weights, int First) Kernel(int phase)
    {
        double frac = (double)phase / up;
        int lo = (int)Math.Ceiling(frac - HalfWidth), hi = (int)Math.Floor(frac + HalfWidth);
        var h = new double[hi - lo + 1];
        double sum = 0;
        for (int j = lo; j <= hi; j++)
        {
            double t = j - frac;
            double sinc = t == 0 ? 2 * Cutoff : Math.Sin(2 * Math.PI * Cutoff * t) / (Math.PI * t);
            double w = 0.54 - 0.46 * Math.Cos(2 * Math.PI * (t + HalfWidth) / (2 * HalfWidth));
            h[j - lo] = sinc * w;
            sum += h[j - lo];
        }
        for (int i = 0; i < h.Length; i++) h[i] /= sum;
        return (h, lo);
    }

    /// <summary>The coefficients of the kernel at an input sample (phase 0), for inspection.</summary>
    public double[] Coefficients => (double[])phases[0].Clone();

    /// <summary>Output length for <paramref name="n"/> input samples: the output samples that sit within the input,
    /// floor((n - 1) * out / in) + 1 (ceil(n / 2) for 100 -> 50 Hz).</summary>
    public int OutputLength(int n) => n <= 0 ? 0 : checked((int)((n - 1) * up / down + 1));

    /// <summary>The input position of output sample <paramref name="k"/> (in input samples).</summary>
    public double InputPosition(long k) => (double)(k * down) / up;

    /// <summary>
    /// Resamples one channel read with a stride: input x[inOffset + i * inStride], i in [0, n); output
    /// y[outOffset + k * outStride], k in [0, OutputLength(n)).
    /// </summary>
    public void Apply(ReadOnlySpan<double> x, int inOffset, int inStride, int n, Span<float> y, int outOffset, int outStride)
    {
        int outN = OutputLength(n);
        for (int k = 0; k < outN; k++)
        {
            long pos = k * down;
            long phase = pos % up;
            var h = phases[phase];
            int start = (int)(pos / up) + firstTap[phase];
            double acc = 0;
            if (start >= 0 && start + h.Length <= n)
            {
                int b = inOffset + start * inStride;
                for (int j = 0; j < h.Length; j++) acc += h[j] * x[b + j * inStride];
            }
            else
            {
                for (int j = 0; j < h.Length; j++) acc += h[j] * x[inOffset + Mirror(start + j, n) * inStride];
            }
            y[outOffset + k * outStride] = (float)acc;
        }
    }

    /// <summary>Resamples a sample-major recording of <paramref name="channels"/> channels ([t * C + c], n samples) into a
    /// new sample-major array of OutputLength(n) samples.</summary>
    public float[] ApplyInterleaved(ReadOnlySpan<double> x, int channels, int n)
    {
        if (x.Length < (long)n * channels) throw new ArgumentException($"{x.Length} values for {n} samples of {channels} channels", nameof(x));
        var y = new float[(long)OutputLength(n) * channels];
        for (int c = 0; c < channels; c++) Apply(x, c, channels, n, y, c, channels);
        return y;
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

    private static long ToUnits(double rateHz, string what)
    {
        if (!double.IsFinite(rateHz) || rateHz <= 0) throw new ArgumentException($"{rateHz} Hz: the {what} must be a positive number of Hz");
        double units = Math.Round(rateHz * RateUnit);
        if (units < 1 || units > 1e12 || Math.Abs(units - rateHz * RateUnit) > 1e-6 * units)
            throw new ArgumentException($"{rateHz} Hz: give the {what} to at most three decimals");
        return (long)units;
    }

    private static long Gcd(long a, long b) { while (b != 0) (a, b) = (b, a % b); return a; }
}
