using HarFromScratch.Har.Data;
using Xunit.Abstractions;

namespace HarFromScratch.Har.Tests.Data;

[Collection("USC-HAD")]
public sealed class UscHadTests(UscHadFixture fx, ITestOutputHelper output)
{
    private HarDataset D => fx.Data;

    [Fact]
    public void TrialAndSubjectCountsMatchVerifiedFacts()
    {
        Assert.Equal(840, D.Counter("trials"));
        Assert.Equal(14, D.Counter("subjects"));
        Assert.Equal(2_811_490, D.Counter("raw_samples_100hz"));
        Assert.Equal(12, D.NumClasses);
        Assert.Equal(50, D.SamplingRateHz);
        Assert.Equal(D.Counter("windows_kept"), D.Train.Count + D.Validation.Count + D.Test.Count);
        output.WriteLine($"USC-HAD train {D.Train.Count}, val {D.Validation.Count}, test {D.Test.Count}, cold {fx.ColdTime.TotalSeconds:F3} s");
        output.WriteLine("train per class " + string.Join("/", D.Train.ClassCounts(12)) + "; val " + string.Join("/", D.Validation.ClassCounts(12)) + "; test " + string.Join("/", D.Test.ClassCounts(12)));
    }

    [Fact]
    public void FixedSubjectSplit()
    {
        Assert.Equal(Enumerable.Range(1, 10), D.Train.SubjectIds());
        Assert.Equal([11, 12], D.Validation.SubjectIds());
        Assert.Equal([13, 14], D.Test.SubjectIds());
    }

    [Fact]
    public void QuirksAreHandled()
    {
        // Subject13/a11t4.mat spells 'activity_numbr'; Subject3/a1t3 has an extra 'comments' field
        var q = MatReader.ReadFile(Path.Combine(TestData.Dataset("USC-HAD"), "Subject13", "a11t4.mat"));
        Assert.True(q.ContainsKey("activity_numbr"));
        Assert.Equal("11", q["activity_numbr"].Text);
        var c = MatReader.ReadFile(Path.Combine(TestData.Dataset("USC-HAD"), "Subject3", "a1t3.mat"));
        Assert.Equal("indoor", c["comments"].Text);
        // one file's activity_number disagrees with its name; the name wins and it is counted
        Assert.Equal(1, D.Counter("activity_field_disagrees_with_file_name"));
        Assert.Equal(0, D.Counter("trials_shorter_than_window"));
    }

    [Fact]
    public void DecimatedWindowsFollowTheRawSignal()
    {
        var path = Path.Combine(TestData.Dataset("USC-HAD"), "Subject1", "a1t1.mat");
        var m = MatReader.ReadFile(path);
        var r = m["sensor_readings"];
        Assert.Equal(MatClass.Double, r.Class);
        Assert.Equal(6, r.Dims[1]);
        Assert.Equal("walking-forward", m["activity"].Text);
        int n = r.Dims[0];
        // first training window = Subject1/a10t1 (sorted by activity then trial); check a1t1 via its own decimation
        var dec = new Resampler(100, 50);
        var y = new float[dec.OutputLength(n)];
        dec.Apply(r.Real, 0, 1, n, y, 0, 1);
        // the low-passed signal stays close to a 2-sample running mean of the raw signal for walking
        double err = 0;
        for (int k = 10; k < y.Length - 10; k++) err += Math.Abs(y[k] - r.Real![2 * k]);
        Assert.True(err / (y.Length - 20) < 0.05, $"mean abs deviation {err / (y.Length - 20)}");
        // the loader's windows of subject 1, activity 1 contain that same decimated signal
        int idx = -1;
        for (int i = 0; i < D.Train.Count; i++) if (D.Train.Subjects[i] == 1 && D.Train.Labels[i] == 0) { idx = i; break; }
        Assert.True(idx >= 0);
        Assert.Equal(y[0], D.Train.Window(idx)[0]);
        Assert.Equal(y[64], D.Train.Window(idx + 1)[0]);
    }

    [Fact]
    public void SecondLoadComesFromCache()
    {
        var again = fx.CachedLoad();
        output.WriteLine($"USC-HAD cold {fx.ColdTime.TotalSeconds:F3} s, cached {again.LoadTime.TotalSeconds:F3} s");
        Assert.True(again.FromCache);
        Assert.Equal(D.Validation.X, again.Validation.X);
    }

    [Fact]
    public void ExplicitValidationSubjectsOverrideTheFixedOnes()
    {
        var raw = new RawDataset
        {
            Name = "usc-had", ChannelNames = D.ChannelNames, ClassNames = D.ClassNames, SamplingRateHz = 50,
            Train = D.Train.Clone(), Validation = D.Validation.Clone(), Test = D.Test.Clone(),
        };
        var p = HarData.Prepare(raw, new DataOptions { ValidationSubjects = [1, 12], Normalize = false });
        Assert.Equal([1, 12], p.Validation.SubjectIds());
        Assert.Equal([2, 3, 4, 5, 6, 7, 8, 9, 10, 11], p.Train.SubjectIds());
        Assert.Throws<HarDataException>(() => HarData.Prepare(raw, new DataOptions { ValidationSubjects = [13] }));
    }
}
