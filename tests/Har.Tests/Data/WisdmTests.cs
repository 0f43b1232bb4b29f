using System.Globalization;
using System.Text;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

public sealed class WisdmTests
{
    /// <summary>Writes a raw file in the published format: users x activities runs of <paramref name="perRun"/> records.</summary>
    internal static string Synthetic(int[] users, int perRun, bool withQuirks)
    {
        var sb = new StringBuilder();
        long ts = 49105962326000;
        foreach (var u in users)
            foreach (var act in new[] { "Walking", "Jogging", "Sitting" })
                for (int i = 0; i < perRun; i++)
                {
                    ts += 50_000_000;
                    sb.Append(string.Create(CultureInfo.InvariantCulture, $"{u},{act},{ts},{-0.6946377 + i * 0.01},{12.680544 - u},{0.50395286 + i};\n"));
                }
        if (withQuirks)
        {
            sb.Append("33,Jogging,49106062271000,5.012288,11.264028,;\n");                 // empty z
            sb.Append("33,Jogging,49106112167000,-0.6946377,12.680544\n");                  // missing field, no ';'
            sb.Append("33,Jogging,49106332290000,-1.1849703,12.108489,7.205164;33,Jogging,49106442306000,1.3756552,-2.4925237,-6.510526;\n"); // two on one line
            sb.Append("\n");
            sb.Append("11,Walking,1867172313000,4.4,4.4,x;\n");                              // non-numeric
        }
        return sb.ToString();
    }

    [Fact]
    public void RawParserKeepsGoodRecordsAndCountsMalformedOnes()
    {
        var text = Synthetic([1, 2], 10, withQuirks: true);
        var r = WisdmLoader.ParseRaw(Encoding.ASCII.GetBytes(text), "raw.txt");
        Assert.Equal(2 * 3 * 10 + 2, r.Count);           // both records of the two-on-one-line case are kept
        Assert.Equal(3, r.Malformed);
        Assert.Equal(3, r.MalformedExamples.Count);
        Assert.Contains(r.MalformedExamples, m => m.StartsWith("raw.txt:61:") && m.Contains("field 6 is empty"));
        Assert.Contains(r.MalformedExamples, m => m.StartsWith("raw.txt:62:") && m.Contains("expected 6 fields"));
        Assert.Contains(r.MalformedExamples, m => m.StartsWith("raw.txt:65:") && m.Contains("field 6 (z)"));
        Assert.Equal(-0.6946377f, r.Xyz[0]);
    }

    [Fact]
    public void StrictModeAndUnknownLabelsThrowWithFileAndLine()
    {
        var bytes = Encoding.ASCII.GetBytes(Synthetic([1], 3, withQuirks: true));
        var e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseRaw(bytes, "raw.txt", strict: true));
        Assert.StartsWith("raw.txt:10:", e.Message);
        var bad = Encoding.ASCII.GetBytes("1,Walking,1,1,1,1;\n1,Swimming,2,1,1,1;\n");
        e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseRaw(bad, "raw.txt"));
        Assert.StartsWith("raw.txt:2:", e.Message);
        Assert.Contains("outside the class set", e.Message);
        e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseRaw(Encoding.ASCII.GetBytes("40,Walking,1,1,1,1;\n"), "raw.txt"));
        Assert.Contains("user 40", e.Message);
        e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseRaw([], "raw.txt"));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void RawFileLoadsFromDataDirectoryWithWindowsAndUserSplit()
    {
        using var dir = new TempDir();
        var root = dir.Sub("WISDM_ar_v1.1");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, WisdmLoader.RawFileName), Synthetic([3, 30], 300, withQuirks: true));
        var ds = HarData.Load("wisdm", new DataOptions { DataDir = dir.Path, CacheDir = dir.Sub("cache"), ValidationFraction = 0, Normalize = false });
        // 300 records per run -> (300-128)/64+1 = 3 windows; 3 activities per user
        Assert.Equal(9, ds.Train.Count);
        Assert.Equal(9, ds.Test.Count);
        Assert.Equal([3], ds.Train.SubjectIds());
        Assert.Equal([30], ds.Test.SubjectIds());
        Assert.Equal(3, ds.Counter("records_malformed"));
        Assert.Equal(3, ds.Channels);
        Assert.Equal(20, ds.SamplingRateHz);
        // channels first: window 0, channel 0 = x of records 0..127
        Assert.Equal(-0.6946377f, ds.Train.X[0]);
        Assert.Equal((float)(-0.6946377 + 0.01), ds.Train.X[1], 1e-6f);
        Assert.Equal((float)(12.680544 - 3), ds.Train.X[128], 1e-6f);
        // the .gz form is accepted too
        var gz = dir.Sub("gz");
        Directory.CreateDirectory(Path.Combine(gz, "WISDM_ar_v1.1"));
        using (var f = File.Create(Path.Combine(gz, "WISDM_ar_v1.1", WisdmLoader.RawFileName + ".gz")))
        using (var z = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest))
            z.Write(Encoding.ASCII.GetBytes(Synthetic([3, 30], 300, withQuirks: false)));
        var ds2 = HarData.Load("wisdm", new DataOptions { DataDir = gz, UseCache = false, ValidationFraction = 0, Normalize = false });
        Assert.Equal(ds.Train.X, ds2.Train.X);
    }

    [Fact]
    public void MissingRawFileSaysWhereItMustGo()
    {
        var e = Assert.Throws<HarDataException>(() => HarData.Load("wisdm", new DataOptions { DataDir = TestData.Root, UseCache = false }));
        Assert.Contains(Path.Combine(TestData.Root, "WISDM_ar_v1.1", "WISDM_ar_v1.1_raw.txt"), e.Message);
        Assert.Contains("WISDM_ar_latest.tar.gz", e.Message);
    }

    [Fact]
    public void TransformedArffHas5418RowsAnd43Features()
    {
        var ds = HarData.Load("wisdm-arff", new DataOptions { DataDir = TestData.Root, ValidationFraction = 0, Normalize = false });
        Assert.Equal(5418, ds.Train.Count + ds.Test.Count);
        Assert.Equal(43, ds.Channels);
        Assert.Equal(1, ds.WindowLength);
        Assert.Equal(["Walking", "Jogging", "Upstairs", "Downstairs", "Sitting", "Standing"], ds.ClassNames);
        var counts = ds.Train.ClassCounts(6).Zip(ds.Test.ClassCounts(6), (a, b) => a + b).ToArray();
        Assert.Equal([2081, 1625, 632, 528, 306, 246], counts);
        Assert.Equal("X0", ds.ChannelNames[0]);
        Assert.Equal("RESULTANT", ds.ChannelNames[^1]);
        Assert.True(ds.Counter("missing_values_imputed") > 0);
        Assert.All(ds.Train.X, v => Assert.True(float.IsFinite(v)));
        Assert.All(ds.Test.Subjects, s => Assert.InRange(s, 29, 36));
        // first row: user 33 (test), X0 = 0.04, class Jogging
        Assert.Equal(0.04f, ds.Test.X[0]);
        Assert.Equal(1, ds.Test.Labels[0]);
        // normalised features (with validation) have train mean ~0
        var n = HarData.Load("wisdm-arff", new DataOptions { DataDir = TestData.Root });
        Assert.True(n.Validation.Count > 0);
        Assert.All(n.Train.X, v => Assert.True(float.IsFinite(v)));
    }
}
