namespace HarFromScratch.Har.Data;

/// <summary>
/// UCI-HAR's nine signals from a raw recording of a phone's accelerometer (g) and gyroscope (rad/s) at 50 Hz.
/// total_acc is the acceleration; body_acc is the acceleration less gravity, where gravity is a causal 3rd-order
/// Butterworth low-pass at 0.3 Hz run from the start of the recording (found by matching the dataset: on stretches of
/// chained overlapping training windows, once the filter has forgotten its start, it reproduces body_acc from total_acc
/// to 1.3e-7 g rms, float rounding, against 5.7e-3 for order 2 and 1.6e-2 for a 1 Hz cutoff); body_gyro is the angular
/// rate less its drift, a causal 2nd-order Butterworth low-pass at 0.1 Hz. That one is the closest fit found, not an
/// exact one: on the first 53 windows of UCI-HAR's subject 1, found in HAPT's raw exp01 by their total_acc, it brings
/// the raw angular rate from 0.063 to 0.016 rad/s rms of body_gyro (still windows 0.003-0.013; order 2 at 0.095 or
/// 0.105 Hz, orders 1 and 3 at any cutoff tried, all fit worse). The dataset's noise filter (a median filter
/// and a 20 Hz Butterworth, features_info.txt) is not applied, as it was not reproduced: against HAPT's raw files of
/// the same sessions (UCI-HAR subject 1 is HAPT's exp01 from sample 248), on a walking window, the raw acceleration is
/// 0.019 g rms from total_acc and the closest filter tried (median 3, then a zero-phase 20 Hz low-pass) 0.014 g; it is
/// what keeps walking windows' body_gyro 0.11 rad/s rms away.
/// </summary>
public static class UciHarSignals
{
    public const int GravityOrder = 3;
    public const double GravityCutoffHz = 0.3;
    public const int DriftOrder = 2;
    public const double DriftCutoffHz = 0.1;

    /// <summary>The raw channels, as HAPT's raw files name them.</summary>
    public static readonly string[] Inputs = HaptLoader.Channels;

    public static readonly ChannelDerivation FromRaw = new(
        Inputs,
        [SensorUnits.G, SensorUnits.G, SensorUnits.G, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond],
        UciHarLoader.Signals,
        $"total_acc = acc; body_acc = acc - gravity (causal order-{GravityOrder} Butterworth low-pass at {GravityCutoffHz} Hz); body_gyro = gyro - drift (causal order-{DriftOrder} "
            + $"low-pass at {DriftCutoffHz} Hz); the dataset's 20 Hz noise filter is not applied",
        Derive);

    /// <summary>The acceleration less its gravity component, one axis.</summary>
    public static double[] BodyAcceleration(ReadOnlySpan<double> total) => LessLowPass(total, GravityOrder, GravityCutoffHz);

    /// <summary>The angular rate less its slow drift, one axis.</summary>
    public static double[] AngularRate(ReadOnlySpan<double> gyro) => LessLowPass(gyro, DriftOrder, DriftCutoffHz);

    private static double[] LessLowPass(ReadOnlySpan<double> x, int order, double cutoffHz)
    {
        var low = new Butterworth(order, cutoffHz, UciHarLoader.RateHz).Apply(x);
        for (int t = 0; t < low.Length; t++) low[t] = x[t] - low[t];
        return low;
    }

    /// <summary>Sample-major acc_x..gyro_z rows to sample-major rows of <see cref="UciHarLoader.Signals"/>.</summary>
    public static float[] Derive(float[] raw, int rows)
    {
        const int inC = 6, outC = 9;
        if (raw.Length != (long)rows * inC) throw new ArgumentException($"expected {rows} rows of {inC} channels, got {raw.Length} values");
        var y = new float[(long)rows * outC];
        var acc = new double[rows];
        var gyro = new double[rows];
        for (int a = 0; a < 3; a++)
        {
            for (int t = 0; t < rows; t++) { acc[t] = raw[(long)t * inC + a]; gyro[t] = raw[(long)t * inC + 3 + a]; }
            var body = BodyAcceleration(acc);
            var rate = AngularRate(gyro);
            for (int t = 0; t < rows; t++)
            {
                y[(long)t * outC + a] = (float)body[t];                       // body_acc
                y[(long)t * outC + 3 + a] = (float)rate[t];                   // body_gyro
                y[(long)t * outC + 6 + a] = raw[(long)t * inC + a];           // total_acc
            }
        }
        return y;
    }
}
