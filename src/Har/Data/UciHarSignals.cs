namespace HarFromScratch.Har.Data;

/// <summary>
/// UCI-HAR's nine signals from a raw recording of a phone's accelerometer (g) and gyroscope (rad/s) at 50 Hz, the
/// steps of features_info.txt, the Butterworth filters causal and run from the start of the recording:
/// <list type="number">
/// <item>Noise: "a median filter and a 3rd order low pass Butterworth filter with a corner frequency of 20 Hz" on every
/// axis (the median's length is not given; 3 fits, 5 does not). total_acc is the filtered acceleration.</item>
/// <item>Gravity: body_acc = total_acc less a 3rd-order Butterworth low-pass at 0.3 Hz. Found by matching the
/// dataset: on stretches of chained overlapping training windows, once the filter has forgotten its start, it gives
/// body_acc from total_acc to 1.3e-7 g rms, float rounding (order 2: 5.7e-3, a 1 Hz cutoff: 1.6e-2).</item>
/// <item>Drift: body_gyro = the filtered angular rate less a 2nd-order Butterworth low-pass at 0.1 Hz, a step the
/// dataset does not document: the closest fit found.</item>
/// </list>
/// Steps 1 and 3 are fitted on HAPT's raw files, which hold the same sessions (UCI-HAR's subject 1 is HAPT's exp01 from
/// sample 247), and are not exact there: over the first 53 windows of subject 1 found in exp01 by their total_acc, the
/// raw acceleration is 0.0056 g rms from total_acc and the filtered one 0.0038; the raw angular rate 0.063 rad/s from
/// body_gyro, less its drift 0.016, and filtered too 0.010. Walking windows are the furthest off (0.024 g, 0.06 rad/s).
/// </summary>
public static class UciHarSignals
{
    public const int GravityOrder = 3;
    public const double GravityCutoffHz = 0.3;
    public const int NoiseOrder = 3;
    public const double NoiseCutoffHz = 20;
    public const int DriftOrder = 2;
    public const double DriftCutoffHz = 0.1;

    // designed once: the filters hold only their coefficients
    private static readonly Butterworth Noise = new(NoiseOrder, NoiseCutoffHz, UciHarLoader.RateHz);
    private static readonly Butterworth Gravity = new(GravityOrder, GravityCutoffHz, UciHarLoader.RateHz);
    private static readonly Butterworth Drift = new(DriftOrder, DriftCutoffHz, UciHarLoader.RateHz);

    /// <summary>The raw channels, as HAPT's raw files name them.</summary>
    public static readonly string[] Inputs = HaptLoader.Channels;

    public static readonly ChannelDerivation FromRaw = new(
        Inputs,
        [SensorUnits.G, SensorUnits.G, SensorUnits.G, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond],
        UciHarLoader.Signals,
        $"noise: median of 3 and a causal order-{NoiseOrder} Butterworth low-pass at {NoiseCutoffHz} Hz on every axis; "
            + $"total_acc = acc; body_acc = acc - gravity (causal order-{GravityOrder} Butterworth low-pass at {GravityCutoffHz} Hz); body_gyro = gyro - drift (causal order-{DriftOrder} "
            + $"low-pass at {DriftCutoffHz} Hz)",
        Derive);

    /// <summary>One axis after the dataset's noise filter: a running median of 3 (the end samples repeated), then the 20 Hz low-pass.</summary>
    public static double[] NoiseFiltered(ReadOnlySpan<double> x)
    {
        var m = new double[x.Length];
        for (int t = 0; t < x.Length; t++)
        {
            double a = x[Math.Max(t - 1, 0)], b = x[t], c = x[Math.Min(t + 1, x.Length - 1)];
            m[t] = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));   // the median of three
        }
        return Noise.Apply(m);
    }

    /// <summary>The (noise-filtered) acceleration less its gravity component, one axis.</summary>
    public static double[] BodyAcceleration(ReadOnlySpan<double> total) => LessLowPass(total, Gravity);

    /// <summary>The (noise-filtered) angular rate less its slow drift, one axis.</summary>
    public static double[] AngularRate(ReadOnlySpan<double> gyro) => LessLowPass(gyro, Drift);

    private static double[] LessLowPass(ReadOnlySpan<double> x, Butterworth filter)
    {
        var low = filter.Apply(x);
        for (int t = 0; t < low.Length; t++) low[t] = x[t] - low[t];
        return low;
    }

    /// <summary>Sample-major acc_x..gyro_z rows to sample-major rows of <see cref="UciHarLoader.Signals"/>.</summary>
    public static float[] Derive(float[] raw, int rows)
    {
        const int inC = 6, outC = 9;
        if (raw.Length != (long)rows * inC) throw new ArgumentException($"expected {rows} rows of {inC} channels, got {raw.Length} values");
        var y = new float[(long)rows * outC];
        var accRaw = new double[rows];
        var gyroRaw = new double[rows];
        for (int a = 0; a < 3; a++)
        {
            for (int t = 0; t < rows; t++) { accRaw[t] = raw[(long)t * inC + a]; gyroRaw[t] = raw[(long)t * inC + 3 + a]; }
            var acc = NoiseFiltered(accRaw);
            var body = BodyAcceleration(acc);
            var rate = AngularRate(NoiseFiltered(gyroRaw));
            for (int t = 0; t < rows; t++)
            {
                y[(long)t * outC + a] = (float)body[t];                       // body_acc
                y[(long)t * outC + 3 + a] = (float)rate[t];                   // body_gyro
                y[(long)t * outC + 6 + a] = (float)acc[t];                    // total_acc
            }
        }
        return y;
    }
}
