namespace HarFromScratch.Har.Data;

/// <summary>
/// UCI-HAR's nine signals from a raw recording of a phone's accelerometer (g) and gyroscope (rad/s) at 50 Hz.
/// total_acc is the acceleration; body_acc is the acceleration less gravity, where gravity is a causal 3rd-order
/// Butterworth low-pass at 0.3 Hz run from the start of the recording (found by matching the dataset: on stretches of
/// chained overlapping training windows, once the filter has forgotten its start, it reproduces body_acc from total_acc
/// to 1.3e-7 g rms, float rounding, against 5.7e-3 for order 2 and 1.6e-2 for a 1 Hz cutoff); body_gyro is the angular rate. The dataset's noise filter (a median filter
/// and a 20 Hz Butterworth, features_info.txt) is not applied, as it was not reproduced: against HAPT's raw files of
/// the same sessions (UCI-HAR subject 1 is HAPT's exp01 from sample 248), on a walking window, the raw acceleration is
/// 0.019 g rms from total_acc and the closest filter tried (median 3, then a zero-phase 20 Hz low-pass) 0.014 g; the raw
/// angular rate is 0.26 rad/s rms from body_gyro, and no filter tried brings that below 0.13.
/// </summary>
public static class UciHarSignals
{
    public const int GravityOrder = 3;
    public const double GravityCutoffHz = 0.3;

    /// <summary>The raw channels, as HAPT's raw files name them.</summary>
    public static readonly string[] Inputs = HaptLoader.Channels;

    public static readonly ChannelDerivation FromRaw = new(
        Inputs,
        [SensorUnits.G, SensorUnits.G, SensorUnits.G, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond, SensorUnits.RadiansPerSecond],
        UciHarLoader.Signals,
        $"total_acc = acc; body_acc = acc - gravity (causal order-{GravityOrder} Butterworth low-pass at {GravityCutoffHz} Hz); body_gyro = gyro; "
            + "the dataset's 20 Hz noise filter is not applied",
        Derive);

    /// <summary>The acceleration less its gravity component, one axis.</summary>
    public static double[] BodyAcceleration(ReadOnlySpan<double> total)
    {
        var gravity = new Butterworth(GravityOrder, GravityCutoffHz, UciHarLoader.RateHz).Apply(total);
        for (int t = 0; t < gravity.Length; t++) gravity[t] = total[t] - gravity[t];
        return gravity;
    }

    /// <summary>Sample-major acc_x..gyro_z rows to sample-major rows of <see cref="UciHarLoader.Signals"/>.</summary>
    public static float[] Derive(float[] raw, int rows)
    {
        const int inC = 6, outC = 9;
        if (raw.Length != (long)rows * inC) throw new ArgumentException($"expected {rows} rows of {inC} channels, got {raw.Length} values");
        var y = new float[(long)rows * outC];
        var axis = new double[rows];
        for (int a = 0; a < 3; a++)
        {
            for (int t = 0; t < rows; t++) axis[t] = raw[(long)t * inC + a];
            var body = BodyAcceleration(axis);
            for (int t = 0; t < rows; t++)
            {
                y[(long)t * outC + a] = (float)body[t];                        // body_acc
                y[(long)t * outC + 3 + a] = raw[(long)t * inC + 3 + a];       // body_gyro
                y[(long)t * outC + 6 + a] = raw[(long)t * inC + a];           // total_acc
            }
        }
        return y;
    }
}
