using System.IO.Compression;
using System.Text;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>Each kind of bad input gives a HarDataException naming the file, the line and what was expected.</summary>
public sealed class BadInputTests
{
    private static byte[] A(string s) => Encoding.ASCII.GetBytes(s);

    [Fact]
    public void NonNumericField()
    {
        var e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2 3\n4 x5 6\n"), "acc.txt", 3, null, out _));
        Assert.Equal("acc.txt", e.FilePath);
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("column 2: expected a finite number, found 'x5'", e.Message);
        Assert.StartsWith("acc.txt:2:", e.Message);
        e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2 NaN\n"), "acc.txt", 3, null, out _));
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void WrongColumnCount()
    {
        var e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2 3\n4 5\n"), "acc.txt", 3, null, out _));
        Assert.Equal(2, e.LineNumber);
        Assert.Contains("expected 3 numbers, found 2", e.Message);
        e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2 3 4\n"), "acc.txt", 3, null, out _));
        Assert.Equal(1, e.LineNumber);
        e = Assert.Throws<HarDataException>(() => HaptLoader.ParseLabels(A("1 1 5 250 1232\n1 1 7 1233\n"), "labels.txt", 12));
        Assert.StartsWith("labels.txt:2:", e.Message);
    }

    [Fact]
    public void LabelOutsideClassSet()
    {
        var e = Assert.Throws<HarDataException>(() => TextParse.ParseIntColumn(A("5\n5\n7\n"), "y_train.txt", 1, 6, "activity label"));
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("activity label 7 is outside the allowed range 1..6", e.Message);
        e = Assert.Throws<HarDataException>(() => HaptLoader.ParseLabels(A("1 1 13 250 1232\n"), "labels.txt", 12));
        Assert.Contains("activity 13 is outside the class set 1..12", e.Message);
        var arff = "@relation r\n@attribute a numeric\n@attribute class {A,B}\n@data\n1,A\n2,C\n";
        e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseArff(A(arff), "t.arff"));
        Assert.StartsWith("t.arff:6:", e.Message);
        Assert.Contains("outside the class set", e.Message);
    }

    [Fact]
    public void TruncatedFiles()
    {
        // a truncated table (fewer rows than the label file says)
        var e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2\n3 4\n"), "x.txt", 2, 3, out _));
        Assert.Contains("expected 3 rows, found 2", e.Message);
        // a line cut in the middle
        e = Assert.Throws<HarDataException>(() => TextParse.ParseFloatTable(A("1 2\n3"), "x.txt", 2, null, out _));
        Assert.Equal(2, e.LineNumber);
        // a truncated .gz of a real signal file
        using var dir = new TempDir();
        var src = Path.Combine(TestData.Dataset("UCI-HAR"), "test", "Inertial Signals", "body_acc_x_test.txt.gz");
        var bytes = File.ReadAllBytes(src);
        var cut = Path.Combine(dir.Path, "body_acc_x_test.txt.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<HarDataException>(() =>
            TextParse.ParseFloatTable(TextParse.ReadAll(cut), cut, 128, 2947, out _));
        Assert.Contains(cut, e.Message);
        // a truncated ARFF
        e = Assert.Throws<HarDataException>(() => WisdmLoader.ParseArff(A("@relation r\n@attribute a numeric\n"), "t.arff"));
        Assert.Contains("no @data", e.Message);
    }

    [Fact]
    public void ChecksumMismatchIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "a.txt"), "1\n");
        File.WriteAllText(Path.Combine(dir.Path, "SHA256SUMS"), new string('0', 64) + "  a.txt\n");
        var m = ChecksumManifest.TryLoad(dir.Path)!;
        var e = Assert.Throws<HarDataException>(() => TextParse.ReadAll(Path.Combine(dir.Path, "a.txt"), m));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains("a.txt", e.Message);
        File.WriteAllText(Path.Combine(dir.Path, "SHA256SUMS"), "nothex  a.txt\n");
        e = Assert.Throws<HarDataException>(() => ChecksumManifest.TryLoad(dir.Path));
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void MissingFileAndEmptyDirectory()
    {
        using var dir = new TempDir();
        // empty data directory: the message says what to download and where to put it
        var e = Assert.Throws<HarDataException>(() => HarData.Load("uci-har", new DataOptions { DataDir = dir.Path, UseCache = false }));
        Assert.Contains(Path.Combine(dir.Path, "UCI-HAR"), e.Message);
        Assert.Contains("UCI%20HAR%20Dataset.zip", e.Message);
        Assert.Contains("har data fetch uci-har", e.Message);
        // empty dataset folder
        Directory.CreateDirectory(Path.Combine(dir.Path, "HAPT"));
        e = Assert.Throws<HarDataException>(() => HarData.Load("hapt", new DataOptions { DataDir = dir.Path, UseCache = false }));
        Assert.Contains("HAPT%20Data%20Set.zip", e.Message);
        // a dataset folder with one file missing
        Directory.CreateDirectory(Path.Combine(dir.Path, "UCI-HAR", "train"));
        File.WriteAllText(Path.Combine(dir.Path, "UCI-HAR", "activity_labels.txt"), "1 WALKING\n2 SITTING\n");
        e = Assert.Throws<HarDataException>(() => HarData.Load("uci-har", new DataOptions { DataDir = dir.Path, UseCache = false }));
        Assert.Contains("missing file", e.Message);
        Assert.Contains("y_train.txt", e.Message);
        // missing USC-HAD trial folder contents
        Directory.CreateDirectory(Path.Combine(dir.Path, "USC-HAD", "Subject1"));
        File.WriteAllText(Path.Combine(dir.Path, "USC-HAD", "Readme.txt"), "x");
        e = Assert.Throws<HarDataException>(() => HarData.Load("usc-had", new DataOptions { DataDir = dir.Path, UseCache = false }));
        Assert.Contains("no trials found", e.Message);
        e = Assert.Throws<HarDataException>(() => HarData.Load("pamap2", new DataOptions { DataDir = dir.Path }));
        Assert.Contains("unknown dataset", e.Message);
    }

    [Fact]
    public void HaptSegmentPastEndOfRecording()
    {
        using var dir = new TempDir();
        var root = Path.Combine(dir.Path, "HAPT");
        Directory.CreateDirectory(Path.Combine(root, "RawData"));
        Directory.CreateDirectory(Path.Combine(root, "Train"));
        Directory.CreateDirectory(Path.Combine(root, "Test"));
        File.WriteAllText(Path.Combine(root, "activity_labels.txt"), "1 WALKING\n2 SITTING\n");
        File.WriteAllText(Path.Combine(root, "Train", "subject_id_train.txt"), "1\n");
        File.WriteAllText(Path.Combine(root, "Test", "subject_id_test.txt"), "2\n");
        var rows = string.Concat(Enumerable.Repeat("0.1 0.2 0.3\n", 300));
        File.WriteAllText(Path.Combine(root, "RawData", "acc_exp01_user01.txt"), rows);
        File.WriteAllText(Path.Combine(root, "RawData", "gyro_exp01_user01.txt"), rows);
        File.WriteAllText(Path.Combine(root, "RawData", "labels.txt"), "1 1 1 1 200\n1 1 2 201 301\n");
        var e = Assert.Throws<HarDataException>(() => HaptLoader.Load(root, new DataOptions()));
        Assert.Contains("labels.txt:2:", e.Message);
        Assert.Contains("past the end", e.Message);
        // fixed: 200 walking samples -> windows at 0 and 64 are walking, 128 is mixed, 192 is mixed? (192..319 > 300: not a window)
        File.WriteAllText(Path.Combine(root, "RawData", "labels.txt"), "1 1 1 1 200\n1 1 2 201 300\n");
        var d = HaptLoader.Load(root, new DataOptions());
        Assert.Equal(3, d.Counter("candidate_windows"));
        Assert.Equal(2, d.Train.Count);
        Assert.Equal(1, d.Counter("windows_dropped_mixed"));
        // majority labels: the window at 128 has 72 walking and 56 sitting samples, so it is kept as walking
        var m = HaptLoader.Load(root, new DataOptions { WindowLabel = "majority" });
        Assert.Equal(3, m.Train.Count);
        Assert.Equal([0, 0, 0], m.Train.Labels);
        Assert.Equal(1, m.Counter("windows_kept_by_majority"));
        Assert.Equal(0, m.Counter("windows_dropped_mixed"));
        // ... unless most of it is unlabelled: 22 walking, 80 unlabelled, 26 sitting samples
        File.WriteAllText(Path.Combine(root, "RawData", "labels.txt"), "1 1 1 1 150\n1 1 2 231 300\n");
        m = HaptLoader.Load(root, new DataOptions { WindowLabel = "majority" });
        Assert.Equal(2, m.Train.Count);
        Assert.Equal(1, m.Counter("windows_dropped_unlabelled"));
        Assert.Contains("--window-label", Assert.Throws<HarDataException>(() => HarData.Load("hapt", new DataOptions { DataDir = dir.Path, WindowLabel = "mode" })).Message);
        File.WriteAllText(Path.Combine(root, "RawData", "labels.txt"), "1 1 1 1 200\n1 1 2 201 300\n");
        // gyro shorter than acc
        File.WriteAllText(Path.Combine(root, "RawData", "gyro_exp01_user01.txt"), string.Concat(Enumerable.Repeat("0.1 0.2 0.3\n", 299)));
        e = Assert.Throws<HarDataException>(() => HaptLoader.Load(root, new DataOptions()));
        Assert.Contains("gyro_exp01_user01.txt", e.Message);
        Assert.Contains("same number of rows", e.Message);
    }
}

public sealed class FastFloatTests
{
    [Fact]
    public void FastPathAgreesWithFloatParseOnRealAndRandomValues()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var tokens = new List<string>();
        foreach (var f in new[] { "UCI-HAR/test/Inertial Signals/body_gyro_z_test.txt", "HAPT/RawData/gyro_exp02_user01.txt" })
        {
            var text = System.Text.Encoding.ASCII.GetString(TestData.Head(f, 400));
            tokens.AddRange(text.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        }
        int realTokens = tokens.Count;
        var r = new Random(5);
        for (int i = 0; i < 200_000; i++)
        {
            double v = (r.NextDouble() - 0.5) * Math.Pow(10, r.Next(-30, 30));
            tokens.Add(v.ToString(r.Next(3) switch { 0 => "R", 1 => "E7", _ => "F" + r.Next(0, 12) }, inv));
            float fv = BitConverter.Int32BitsToSingle(r.Next());
            if (float.IsFinite(fv)) tokens.Add(((double)fv + (double)MathF.BitIncrement(fv)).ToString("R", inv)); // midpoints
        }
        tokens.AddRange(["0", "-0", "1e0", "+1.5", ".5", "5.", "1.8085150e-004", "00012", "1e-45", "3.4028235e38", "16777217"]);
        int fast = 0, k = 0;
        foreach (var t in tokens)
        {
            var b = System.Text.Encoding.ASCII.GetBytes(t);
            bool ok = TextParse.TryFloat(b, out var mine);
            bool refOk = float.TryParse(t, System.Globalization.NumberStyles.Float, inv, out var expected) && float.IsFinite(expected);
            Assert.Equal(refOk, ok);
            if (ok) Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(mine), $"{t}: {mine} vs {expected}");
            if (k++ < realTokens && TextParse.TryFastFloat(b, out _)) fast++;
        }
        Assert.True(fast > realTokens * 99 / 100, $"fast path taken for {fast} of {realTokens} real values");
    }
}
