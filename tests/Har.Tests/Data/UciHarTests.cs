using HarFromScratch.Har.Data;
using Xunit.Abstractions;

namespace HarFromScratch.Har.Tests.Data;

[Collection("UCI-HAR")]
public sealed class UciHarTests(UciHarFixture fx, ITestOutputHelper output)
{
    private HarDataset D => fx.Data;

    [Fact]
    public void WindowCountsMatchVerifiedFacts()
    {
        Assert.Equal(7352, D.Train.Count);
        Assert.Equal(2947, D.Test.Count);
        Assert.Equal(0, D.Validation.Count);
        Assert.Equal(9, D.Channels);
        Assert.Equal(128, D.WindowLength);
        Assert.Equal(50, D.SamplingRateHz);
        Assert.Equal(7352L * 9 * 128, D.Train.X.Length);
    }

    [Fact]
    public void SubjectsAndOfficialSplit()
    {
        Assert.Equal(21, D.Train.SubjectIds().Length);
        Assert.Equal([2, 4, 9, 10, 12, 13, 18, 20, 24], D.Test.SubjectIds());
        Assert.Empty(D.Train.SubjectIds().Intersect(D.Test.SubjectIds()));
    }

    [Fact]
    public void ClassCountsMatchVerifiedFacts()
    {
        Assert.Equal([1226, 1073, 986, 1286, 1374, 1407], D.Train.ClassCounts(6));
        Assert.Equal([496, 471, 420, 491, 532, 537], D.Test.ClassCounts(6));
        Assert.Equal(["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"], D.ClassNames);
    }

    [Fact]
    public void ValuesAreLaidOutChannelsFirst()
    {
        // body_acc_x_train row 1 starts 1.8085150e-004
        Assert.Equal(1.8085150e-4f, D.Train.X[0]);
        // consecutive windows overlap by 64 samples on every channel in most adjacent pairs
        var w0 = D.Train.Window(0);
        var w1 = D.Train.Window(1);
        for (int c = 0; c < 9; c++)
            for (int t = 0; t < 64; t++)
                Assert.Equal(w0[c * 128 + 64 + t], w1[c * 128 + t]);
        // |total_acc - body_acc| median ~ 1.026 g (checks channel order)
        var diffs = new List<float>();
        for (int i = 0; i < D.Train.Count; i += 7)
        {
            var w = D.Train.Window(i);
            for (int t = 0; t < 128; t += 8)
            {
                float dx = w[6 * 128 + t] - w[0 * 128 + t], dy = w[7 * 128 + t] - w[1 * 128 + t], dz = w[8 * 128 + t] - w[2 * 128 + t];
                diffs.Add(MathF.Sqrt(dx * dx + dy * dy + dz * dz));
            }
        }
        diffs.Sort();
        Assert.InRange(diffs[diffs.Count / 2], 0.95f, 1.1f);
    }

    [Fact]
    public void SecondLoadComesFromTheCacheWithTheSameWindows()
    {
        var again = fx.CachedLoad();
        output.WriteLine($"UCI-HAR cold {fx.ColdTime.TotalSeconds:F3} s, cached {again.LoadTime.TotalSeconds:F3} s");
        Assert.True(again.FromCache);
        Assert.Equal(D.Train.X, again.Train.X);
        Assert.Equal(D.Test.Labels, again.Test.Labels);
        Assert.Equal(D.Test.Subjects, again.Test.Subjects);
        Assert.StartsWith(fx.Cache.Path, again.CachePath);
    }

    [Fact]
    public void CorruptCacheIsDetectedAndRebuilt()
    {
        using var cache = new TempDir();
        File.Copy(fx.Data.CachePath!, Path.Combine(cache.Path, Path.GetFileName(fx.Data.CachePath!)));
        var path = Path.Combine(cache.Path, Path.GetFileName(fx.Data.CachePath!));
        var bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        var warnings = new List<string>();
        var d = HarData.Load("uci-har", fx.Options with { CacheDir = cache.Path }, warnings);
        Assert.False(d.FromCache);
        Assert.Contains(warnings, w => w.Contains("checksum"));
        Assert.Equal(D.Train.X, d.Train.X);
        var d2 = HarData.Load("uci-har", fx.Options with { CacheDir = cache.Path });
        Assert.True(d2.FromCache);
    }

    [Fact]
    public void NonDefaultWindowIsRejectedForFixedWindows()
    {
        var e = Assert.Throws<HarDataException>(() => HarData.Load("uci-har", fx.Options with { WindowLength = 100 }));
        Assert.Contains("128", e.Message);
    }

    [Fact]
    public void NormalisationIsFittedOnTrainOnly()
    {
        var raw = new RawDataset
        {
            Name = D.Name, ChannelNames = D.ChannelNames, ClassNames = D.ClassNames, SamplingRateHz = 50,
            Train = D.Train.Clone(), Test = D.Test.Clone(),
        };
        var opts = new DataOptions { ValidationFraction = 0.2, SplitSeed = 7 };
        var p = HarData.Prepare(raw, opts);
        Assert.NotNull(p.Stats);
        Assert.Equal(4, p.Validation.SubjectIds().Length);
        Assert.Empty(p.Validation.SubjectIds().Intersect(p.Train.SubjectIds()));
        Assert.Equal(7352, p.Train.Count + p.Validation.Count);
        // train channels now have mean 0 / std 1; stats equal a fit on the training subjects only
        var refit = ChannelStats.Fit(p.Train, D.ChannelNames);
        for (int c = 0; c < 9; c++)
        {
            Assert.InRange(refit.Mean[c], -1e-3f, 1e-3f);
            Assert.InRange(refit.Std[c], 0.999f, 1.001f);
        }
        var trainOnly = ChannelStats.Fit(D.Train.Where(s => !p.Validation.SubjectIds().Contains(s)), D.ChannelNames);
        Assert.Equal(trainOnly.Mean, p.Stats!.Mean);
        var json = p.Stats.ToJson();
        var back = ChannelStats.FromJson(json);
        Assert.Equal(p.Stats.Mean, back.Mean);
        Assert.Equal(p.Stats.Std, back.Std);
        Assert.Equal(D.ChannelNames, back.ChannelNames);
    }

    [Fact]
    public void CheckCommandPasses()
    {
        var r = DatasetChecker.Check(DatasetCatalog.UciHar, new DataOptions { DataDir = TestData.Root });
        Assert.True(r.Ok, string.Join("\n", r.Lines));
        Assert.Contains(r.Lines, l => l.StartsWith("SHA256SUMS: ") && l.Contains("0 missing, 0 mismatched"));
    }
}
