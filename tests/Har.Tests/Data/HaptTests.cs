using HarFromScratch.Har.Data;
using Xunit.Abstractions;

namespace HarFromScratch.Har.Tests.Data;

[Collection("HAPT")]
public sealed class HaptTests(HaptFixture fx, ITestOutputHelper output)
{
    private HarDataset D => fx.Data;

    [Fact]
    public void RawCountsMatchVerifiedFacts()
    {
        Assert.Equal(1_122_772, D.Counter("raw_samples_per_sensor"));
        Assert.Equal(61, D.Counter("experiments"));
        Assert.Equal(30, D.Counter("users"));
        Assert.Equal(1214, D.Counter("label_segments"));
        Assert.Equal(12, D.NumClasses);
        Assert.Equal(6, D.Channels);
    }

    [Fact]
    public void EveryCandidateWindowIsKeptOrCountedAsDropped()
    {
        long kept = D.Counter("windows_kept");
        Assert.Equal(D.Train.Count + D.Test.Count, kept);
        Assert.Equal(D.Counter("candidate_windows"), kept + D.Counter("windows_dropped_mixed") + D.Counter("windows_dropped_unlabelled"));
        Assert.True(D.Counter("windows_dropped_mixed") > 0);
        output.WriteLine($"HAPT train {D.Train.Count}, test {D.Test.Count}, mixed dropped {D.Counter("windows_dropped_mixed")}, unlabelled {D.Counter("windows_dropped_unlabelled")}");
        output.WriteLine("train per class " + string.Join("/", D.Train.ClassCounts(12)) + "; test per class " + string.Join("/", D.Test.ClassCounts(12)));
        output.WriteLine($"cold {fx.ColdTime.TotalSeconds:F3} s");
    }

    [Fact]
    public void SplitFollowsShippedSubjectLists()
    {
        var trainIds = TextParse.ParseIntColumn(TestData.Bytes("HAPT/Train/subject_id_train.txt"), "train", 1, 30, "subject").Distinct().Order().ToArray();
        var testIds = TextParse.ParseIntColumn(TestData.Bytes("HAPT/Test/subject_id_test.txt"), "test", 1, 30, "subject").Distinct().Order().ToArray();
        Assert.Equal(21, trainIds.Length);
        Assert.Equal(9, testIds.Length);
        Assert.Equal(trainIds, D.Train.SubjectIds());
        Assert.Equal(testIds, D.Test.SubjectIds());
    }

    [Fact]
    public void EveryKeptWindowLiesInsideOneLabelledSegmentOfItsLabel()
    {
        var segs = HaptLoader.ParseLabels(TestData.Bytes("HAPT/RawData/labels.txt"), "labels.txt", 12);
        // rebuild experiment 1 (user 1, train) and compare its windows with the loader's
        var acc = TextParse.ParseFloatTable(TestData.Bytes("HAPT/RawData/acc_exp01_user01.txt"), "acc", 3, null, out int n);
        var label = new int[n];
        foreach (var s in segs) if (s.Experiment == 1) for (int t = s.Start - 1; t < s.End; t++) label[t] = s.Activity;
        var expected = new List<(int Start, int Label)>();
        for (int st = 0; st + 128 <= n; st += 64)
        {
            bool ok = label[st] != 0;
            for (int t = st; t < st + 128 && ok; t++) ok = label[t] == label[st];
            if (ok) expected.Add((st, label[st] - 1));
        }
        // experiment 1 is the first block of user 1's windows in the training set
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(1, D.Train.Subjects[i]);
            Assert.Equal(expected[i].Label, D.Train.Labels[i]);
            var w = D.Train.Window(i);
            Assert.Equal(acc[expected[i].Start * 3 + 1], w[1 * 128 + 0]);
            Assert.Equal(acc[(expected[i].Start + 127) * 3 + 2], w[2 * 128 + 127]);
        }
    }

    [Fact]
    public void WindowAndStrideOptionsApply()
    {
        var d = HarData.Load("hapt", fx.Options with { WindowLength = 64, Stride = 64, UseCache = false });
        Assert.Equal(64, d.WindowLength);
        Assert.True(d.Train.Count > D.Train.Count);
        Assert.Equal(d.Counter("candidate_windows"), d.Counter("windows_kept") + d.Counter("windows_dropped_mixed") + d.Counter("windows_dropped_unlabelled"));
    }

    [Fact]
    public void MajorityLabelsKeepMoreTransitionWindows()
    {
        var m = HarData.Load("hapt", fx.Options with { WindowLabel = "majority", UseCache = false });
        Assert.Equal(0, m.Counter("windows_dropped_mixed"));
        Assert.Equal(m.Counter("candidate_windows"), m.Counter("windows_kept") + m.Counter("windows_dropped_unlabelled"));
        Assert.Equal(m.Counter("windows_kept") - D.Counter("windows_kept"), m.Counter("windows_kept_by_majority"));
        var pure = D.Train.ClassCounts(12);
        var maj = m.Train.ClassCounts(12);
        for (int c = 6; c < 12; c++) Assert.True(maj[c] > 2 * pure[c], $"class {c}: {maj[c]} majority windows vs {pure[c]} pure");
        output.WriteLine($"transition windows (train), pure: {string.Join(" ", pure[6..])}; majority: {string.Join(" ", maj[6..])}");
    }

    [Fact]
    public void SecondLoadComesFromCache()
    {
        var again = fx.CachedLoad();
        output.WriteLine($"HAPT cold {fx.ColdTime.TotalSeconds:F3} s, cached {again.LoadTime.TotalSeconds:F3} s");
        Assert.True(again.FromCache);
        Assert.Equal(D.Train.X, again.Train.X);
        Assert.Equal(D.Counters, again.Counters);
        // a different stride is a different cache entry
        Assert.NotEqual(DataCache.ComputeKey(DatasetCatalog.Hapt, TestData.Dataset("HAPT"), fx.Options),
                        DataCache.ComputeKey(DatasetCatalog.Hapt, TestData.Dataset("HAPT"), fx.Options with { Stride = 32 }));
    }
}
