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
        var body = UciHarSignals.BodyAcceleration(Enumerable.Range(0, rows).Select(t => (double)raw[t * 6 + 1]).ToArray());
        for (int t = 0; t < rows; t++)
        {
            Assert.Equal((float)body[t], y[t * 9 + 1]);             // body_acc_y
            Assert.Equal(raw[t * 6 + 4], y[t * 9 + 4]);            // body_gyro_y = gyro_y
            Assert.Equal(raw[t * 6 + 2], y[t * 9 + 8]);            // total_acc_z = acc_z
        }
        Assert.InRange(Math.Abs(y[0]), 0, 1e-6);   // a constant start is all gravity
        Assert.Throws<ArgumentException>(() => UciHarSignals.Derive(raw, rows + 1));
    }
}
