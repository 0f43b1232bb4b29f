using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Tests.Training;

public class SensorRotationTests
{
    private static readonly string[] Uci = UciHarLoader.Signals;

    [Fact]
    public void RandomMatrixIsARotationWithinTheAngle()
    {
        var rng = new Rng(7);
        double largest = 0;
        for (int k = 0; k < 200; k++)
        {
            var r = SensorRotation.RandomMatrix(15f, rng);
            // Rᵀ R = I and det R = +1
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    double dot = r[i] * r[j] + r[3 + i] * r[3 + j] + r[6 + i] * r[6 + j];
                    Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
                }
            double det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
            Assert.Equal(1.0, det, 5);
            // trace = 1 + 2 cos(angle)
            double angle = Math.Acos(Math.Clamp((r[0] + r[4] + r[8] - 1) / 2, -1, 1)) * 180 / Math.PI;
            Assert.True(angle <= 15.001, $"angle {angle}");
            largest = Math.Max(largest, angle);
        }
        Assert.True(largest > 10, $"angles never came near the limit: {largest}");
    }

    [Fact]
    public void FindsTheTriadsByName()
    {
        var uci = SensorRotation.For("uci-har", Uci, null);
        Assert.Equal(3, uci.Triads.Count);
        foreach (var t in uci.Triads)
        {
            Assert.EndsWith("_x", Uci[t[0]]);
            Assert.Equal(Uci[t[0]][..^2] + "_y", Uci[t[1]]);
            Assert.Equal(Uci[t[0]][..^2] + "_z", Uci[t[2]]);
        }
        Assert.Equal(2, SensorRotation.For("hapt", HaptLoader.Channels, null).Triads.Count);
        var e = Assert.Throws<ArgumentException>(() => SensorRotation.For("wisdm-features", ["XAVG", "YAVG", "ZAVG"], null));
        Assert.Contains("--rotate", e.Message);
        Assert.Contains("wisdm-features", e.Message);
    }

    [Fact]
    public void RotatesInPhysicalUnitsAndLeavesOtherChannelsAlone()
    {
        string[] names = ["acc_x", "acc_y", "acc_z", "temperature"];
        var stats = new ChannelStats { ChannelNames = names, Mean = [0.5f, -1f, 9.8f, 20f], Std = [2f, 0.5f, 3f, 4f] };
        var rot = SensorRotation.For("test", names, stats);
        const int time = 5;
        var rng = new Rng(3);
        var physical = new float[names.Length * time];
        for (int i = 0; i < physical.Length; i++) physical[i] = (float)rng.NextNormal() * 3;
        var window = (float[])physical.Clone();
        for (int c = 0; c < names.Length; c++)
            for (int t = 0; t < time; t++) window[c * time + t] = (physical[c * time + t] - stats.Mean[c]) / stats.Std[c];
        var before = (float[])window.Clone();

        var r = SensorRotation.RandomMatrix(30f, rng);
        rot.Apply(window, time, r);

        for (int t = 0; t < time; t++)
        {
            var p = Enumerable.Range(0, 3).Select(c => (double)physical[c * time + t]).ToArray();
            var q = Enumerable.Range(0, 3).Select(c => (double)window[c * time + t] * stats.Std[c] + stats.Mean[c]).ToArray();
            for (int i = 0; i < 3; i++)
                Assert.Equal(r[3 * i] * p[0] + r[3 * i + 1] * p[1] + r[3 * i + 2] * p[2], q[i], 3);   // R·v in physical units
            Assert.Equal(Math.Sqrt(p.Sum(v => v * v)), Math.Sqrt(q.Sum(v => v * v)), 3);              // a rotation keeps the norm
            Assert.Equal(before[3 * time + t], window[3 * time + t]);                                   // not part of a triad
        }
        Assert.NotEqual(before[0], window[0]);
    }

    [Fact]
    public void AugmentationWithRotationOffDrawsNothingForIt()
    {
        // Earlier runs (and --resume of them) replay bit for bit: rotation off consumes no random numbers.
        var o = new TrainOptions { Augment = true };
        var rot = SensorRotation.For("hapt", HaptLoader.Channels, null);
        var x = new float[2 * 6 * 16];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 - 3;
        var a = (float[])x.Clone(); var b = (float[])x.Clone();
        Augmentation.Apply(a, 2, 6, 16, o, new Rng(9));
        Augmentation.Apply(b, 2, 6, 16, o, new Rng(9), rot);
        Assert.Equal(a, b);
        var c = (float[])x.Clone();
        Augmentation.Apply(c, 2, 6, 16, o with { RotateDegrees = 20 }, new Rng(9), rot);
        Assert.NotEqual(a, c);
        Assert.Throws<ArgumentException>(() => Augmentation.Apply((float[])x.Clone(), 2, 6, 16, o with { RotateDegrees = 20 }, new Rng(9)));
    }

    [Fact]
    public void TrainerRejectsRotationWithoutTriadsAndBadAngles()
    {
        var data = SyntheticData.Make();   // channels "a", "b"
        var dir = Directory.CreateTempSubdirectory("har-rot-").FullName;
        try
        {
            var o = new TrainOptions { Dataset = "synthetic", Model = "tiny", Epochs = 1, BatchSize = 16, Augment = true, RotateDegrees = 10 };
            var e = Assert.Throws<ArgumentException>(() => new Trainer(o, data, new TinyModel(new ModelSpec("tiny", 2, 8, 3), new Rng(1)), dir));
            Assert.Contains("--rotate", e.Message);
            var bad = Assert.Throws<ArgumentException>(() => (o with { RotateDegrees = 200 }).Validate());
            Assert.Contains("--rotate: 200", bad.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
