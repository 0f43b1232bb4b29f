using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

public sealed class MatReaderTests
{
    [Fact]
    public void ReadsNumericCharStructAndCellArrays()
    {
        var bytes = MatWriter.File(
            MatWriter.Double("m", 2, 3, [1, 2, 3, 4, 5, 6]),
            MatWriter.Compressed(MatWriter.Char("title", "USC Human Motion Dataset")),
            MatWriter.Compressed(MatWriter.Char("wide", "héllo", utf16: true)),
            MatWriter.Compressed(MatWriter.Struct("s", [("activity_numbr", MatWriter.Char("", "11")), ("x", MatWriter.Double("", 1, 1, [2.5]))])),
            MatWriter.Cell("c", [MatWriter.Char("", "a"), MatWriter.Double("", 1, 2, [7, 8])]));
        var v = MatReader.Read(bytes, "test.mat");
        Assert.Equal([2, 3], v["m"].Dims);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], v["m"].Real!);
        Assert.Equal("USC Human Motion Dataset", v["title"].Text);
        Assert.Equal("héllo", v["wide"].Text);
        Assert.Equal(MatClass.Struct, v["s"].Class);
        Assert.Equal("11", v["s"].Fields![0]["activity_numbr"].Text);
        Assert.Equal([2.5], v["s"].Fields![0]["x"].Real!);
        Assert.Equal("a", v["c"].Cells![0].Text);
        Assert.Equal([7.0, 8], v["c"].Cells![1].Real!);
    }

    [Fact]
    public void ReadsARealUscHadFile()
    {
        var v = MatReader.ReadFile(Path.Combine(TestData.Dataset("USC-HAD"), "Subject1", "a1t1.mat"));
        Assert.Equal("USC Human Motion Dataset", v["title"].Text);
        Assert.Equal("1", v["subject"].Text);
        Assert.Equal("front-right-hip", v["sensor_location"].Text);
        Assert.Equal(6, v["sensor_readings"].Dims[1]);
        Assert.Equal(v["sensor_readings"].NumElements, v["sensor_readings"].Real!.Length);
    }

    [Fact]
    public void TrialValidationNamesTheProblem()
    {
        var noReadings = MatWriter.File(MatWriter.Compressed(MatWriter.Char("title", "x")));
        var e = Assert.Throws<HarDataException>(() => UscHadLoader.ReadTrial(noReadings, "Subject1/a1t1.mat", 1, 1, 1));
        Assert.Contains("sensor_readings", e.Message);
        var wrongShape = MatWriter.File(MatWriter.Double("sensor_readings", 2, 3, [1, 2, 3, 4, 5, 6]));
        e = Assert.Throws<HarDataException>(() => UscHadLoader.ReadTrial(wrongShape, "Subject1/a1t1.mat", 1, 1, 1));
        Assert.Contains("N x 6", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(130)]
    [InlineData(200)]
    public void TruncatedFilesRaiseHarDataException(int keep)
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestData.Dataset("USC-HAD"), "Subject2", "a5t2.mat"));
        var e = Assert.Throws<HarDataException>(() => MatReader.Read(bytes[..keep], "a5t2.mat"));
        Assert.Contains("a5t2.mat", e.Message);
    }

    [Fact]
    public void RejectsNonMatFiles()
    {
        var bytes = new byte[256];
        var e = Assert.Throws<HarDataException>(() => MatReader.Read(bytes, "x.mat"));
        Assert.Contains("MAT v5", e.Message);
    }
}
