using HarFromScratch.Har.Data;
using Xunit.Abstractions;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>The derivation of UCI-HAR's channels from a raw recording, checked against the dataset itself.</summary>
[Collection("UCI-HAR")]
public sealed class UciHarSignalsTests(UciHarFixture fx, ITestOutputHelper output)
{
    /// <summary>
    /// Training windows overlap by half, so runs of consecutive windows whose halves agree are stretches of one
    /// recording. Each stretch of total_acc, filtered from its start, must give the dataset's body_acc once the
    /// filter has forgotten where it started (it did not start there in the dataset).
    /// </summary>
    [Fact]
    public void BodyAccelerationIsTotalLessACausalThirdOrderLowPassAtPointThreeHz()
    {
        var w = fx.Data.Train;
        const int T = 128, H = 64, C = 9, warmup = 5 * T;
        float V(int i, int c, int t) => w.X[((long)i * C + c) * T + t];
        bool Continues(int i) => w.Subjects[i] == w.Subjects[i + 1]
            && Enumerable.Range(0, 3).All(a => Enumerable.Range(0, H).All(t => V(i, 6 + a, H + t) == V(i + 1, 6 + a, t)));

        double SquaredError(Butterworth? f, out long n)
        {
            double se = 0; n = 0;
            for (int start = 0; start < w.Count;)
            {
                int end = start;
                while (end + 1 < w.Count && Continues(end)) end++;
                int windows = end - start + 1;
                if (windows >= 20)
                {
                    int len = T + (windows - 1) * H;
                    for (int a = 0; a < 3; a++)
                    {
                        var total = new double[len];
                        var body = new double[len];
                        for (int k = 0; k < windows; k++)
                            for (int t = k == 0 ? 0 : H; t < T; t++) { total[k * H + t] = V(start + k, 6 + a, t); body[k * H + t] = V(start + k, a, t); }
                        var derived = f == null ? UciHarSignals.BodyAcceleration(total) : Subtract(total, f.Apply(total));
                        for (int t = warmup; t < len; t++) { double e = derived[t] - body[t]; se += e * e; n++; }
                    }
                }
                start = end + 1;
            }
            return se;
        }
        static double[] Subtract(double[] a, double[] b) => a.Select((v, i) => v - b[i]).ToArray();

        double rms = Math.Sqrt(SquaredError(null, out long samples) / samples);
        double order2 = Math.Sqrt(SquaredError(new Butterworth(2, 0.3, 50), out _) / samples);
        double at1Hz = Math.Sqrt(SquaredError(new Butterworth(3, 1, 50), out _) / samples);
        output.WriteLine($"{samples} samples: rms {rms:E2} g; order 2 {order2:E2}; 1 Hz {at1Hz:E2}");
        Assert.True(samples > 100_000, $"only {samples} samples in long stretches");
        // measured 1.3e-7 g, float rounding, against 5.7e-3 for order 2 and 1.6e-2 for a 1 Hz cutoff; body_acc itself
        // has an rms of 0.15 g
        Assert.InRange(rms, 0, 1e-5);
        Assert.True(order2 > 10 * rms && at1Hz > 10 * rms, $"other filters should not fit: order 2 {order2}, 1 Hz {at1Hz}");
    }

    /// <summary>
    /// UCI-HAR's subject 1 is HAPT's raw exp01 from sample 247: its first windows are found there by their total_acc,
    /// and the noise filter and the drift step must each bring the raw files closer to the dataset's total_acc and body_gyro.
    /// </summary>
    [Fact]
    public void TheNoiseFilterAndTheDriftStepBringHaptsRawFilesCloserToTheDataset()
    {
        var w = fx.Data.Train;
        const int T = 128, C = 9;
        float V(int i, int c, int t) => w.X[((long)i * C + c) * T + t];
        var acc = TestData.HaptRawAxes("acc_exp01_user01.txt");
        var gyro = TestData.HaptRawAxes("gyro_exp01_user01.txt");

        // each window's offset: its best total_acc match in the 4000 samples after the last window found (subject 1's
        // windows are in recording order); windows that match nowhere (the noise filter puts walking ones further off,
        // or they come from exp02) are skipped
        var found = new List<(int Window, int Offset)>();
        int from = 0;
        for (int i = 0; i < w.Count && w.Subjects[i] == 1; i++)
        {
            double best = double.MaxValue; int at = -1;
            for (int o = from; o < from + 4000 && o + T <= acc[0].Length; o++)
            {
                double se = 0;
                for (int a = 0; a < 3 && se < best; a++) for (int t = 0; t < T; t += 4) { double e = acc[a][o + t] - V(i, 6 + a, t); se += e * e; }
                if (se < best) { best = se; at = o; }
            }
            if (Math.Sqrt(best / (3 * T / 4)) > 0.03) continue;
            found.Add((i, at));
            from = at;
        }
        Assert.True(found.Count >= 40, $"{found.Count} windows of subject 1 found in exp01");
        Assert.Equal(247, found[0].Offset);

        double Rms(double[][] g, int channel)
        {
            double se = 0; long n = 0;
            foreach (var (i, o) in found) for (int a = 0; a < 3; a++) for (int t = 0; t < T; t++) { double e = g[a][o + t] - V(i, channel + a, t); se += e * e; n++; }
            return Math.Sqrt(se / n);
        }
        static double[][] Each(double[][] axes, Func<double[], double[]> f) => axes.Select(f).ToArray();
        double raw = Rms(gyro, 3), lessDrift = Rms(Each(gyro, g => UciHarSignals.AngularRate(g)), 3);
        double order1 = Rms(Each(gyro, g => g.Zip(new Butterworth(1, 0.04, 50).Apply(g), (x, l) => x - l).ToArray()), 3);
        double derived = Rms(Each(gyro, g => UciHarSignals.AngularRate(UciHarSignals.NoiseFiltered(g))), 3);
        double accRaw = Rms(acc, 6), accFiltered = Rms(Each(acc, a => UciHarSignals.NoiseFiltered(a)), 6);
        output.WriteLine($"{found.Count} windows: gyro raw {raw:F4}, less drift {lessDrift:F4} (order 1 at 0.04 Hz {order1:F4}), noise-filtered too {derived:F4} rad/s rms; "
            + $"acc raw {accRaw:F4}, noise-filtered {accFiltered:F4} g rms");
        // measured 0.063, 0.016 (0.035), 0.010; 0.0056, 0.0038
        Assert.True(lessDrift < 0.35 * raw && lessDrift < 0.6 * order1, $"raw {raw}, less drift {lessDrift}, order 1 {order1}");
        Assert.True(derived < 0.8 * lessDrift && accFiltered < 0.8 * accRaw, $"the noise filter: gyro {lessDrift} -> {derived}, acc {accRaw} -> {accFiltered}");
    }

    [Fact]
    public void DeriveLaysOutTheNineChannelsInTheDatasetsOrder()
    {
        const int rows = 300;
        var raw = new float[rows * 6];
        for (int t = 0; t < rows; t++)
            for (int c = 0; c < 6; c++) raw[t * 6 + c] = (float)(c + 1 + 0.1 * Math.Sin(t * (c + 1) * 0.05));
        var y = UciHarSignals.Derive(raw, rows);
        Assert.Equal(rows * 9, y.Length);
        Assert.Equal(UciHarLoader.Signals, UciHarSignals.FromRaw.Outputs);
        double[] Axis(int c) => UciHarSignals.NoiseFiltered(Enumerable.Range(0, rows).Select(t => (double)raw[t * 6 + c]).ToArray());
        var body = UciHarSignals.BodyAcceleration(Axis(1));
        var gyro = UciHarSignals.AngularRate(Axis(4));
        var total = Axis(2);
        for (int t = 0; t < rows; t++)
        {
            Assert.Equal((float)body[t], y[t * 9 + 1]);             // body_acc_y
            Assert.Equal((float)gyro[t], y[t * 9 + 4]);             // body_gyro_y = gyro_y less drift
            Assert.Equal((float)total[t], y[t * 9 + 8]);            // total_acc_z = acc_z after the noise filter
        }
        Assert.InRange(Math.Abs(y[0]), 0, 1e-6);       // a constant start is all gravity
        Assert.InRange(Math.Abs(y[3]), 0, 1e-6);       // and all drift
        Assert.Equal(raw[0], y[6], 6);                 // the noise filter passes a constant
        Assert.Throws<ArgumentException>(() => UciHarSignals.Derive(raw, rows + 1));
    }
}
