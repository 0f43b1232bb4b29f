using HarFromScratch.Har.Cli;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Tests.Data;

using static HarFromScratch.Har.Tests.Cli.CliRunner;

namespace HarFromScratch.Har.Tests.Cli;

public sealed class DataCliTests
{

    [Fact]
    public void InfoPrintsSplitsClassesSubjectsAndCitation()
    {
        using var cache = new TempDir();
        var (code, o, e) = RunHar("data", "info", "wisdm-arff", "--data", TestData.Root, "--cache", cache.Path);
        Assert.True(code == 0, e);
        Assert.Contains("WISDM Activity Prediction v1.1", o);
        Assert.Contains("Kwapisz", o);
        Assert.Contains("channels:  43", o);
        Assert.Contains("Jogging", o);
        Assert.Contains("rows = 5418", o);
        Assert.Contains("per subject", o);
        Assert.Matches(@"windows:   train \d+, validation \d+, test \d+, total 5418", o);
    }

    [Fact]
    public void CheckVerifiesChecksumsAndCounts()
    {
        var (code, o, e) = RunHar("data", "check", "wisdm-arff", "--data", TestData.Root);
        Assert.True(code == 0, o + e);
        Assert.Contains("SHA256SUMS: 4 ok, 0 missing, 0 mismatched", o);
        Assert.Contains("ok       rows = 5418", o);
        Assert.Contains("check passed", o);
    }

    [Fact]
    public void ErrorsGiveExitCode2AndAMessage()
    {
        var (code, _, e) = RunHar("data", "info", "pamap2", "--data", TestData.Root);
        Assert.Equal(HarCli.DataError, code);
        Assert.Contains("unknown dataset 'pamap2'", e);
        using var empty = new TempDir();
        (code, _, e) = RunHar("data", "info", "hapt", "--data", empty.Path, "--no-cache");
        Assert.Equal(HarCli.DataError, code);
        Assert.Contains("HAPT%20Data%20Set.zip", e);
        Assert.Contains(Path.Combine(empty.Path, "HAPT"), e);
        (code, _, e) = RunHar("data", "info", "wisdm", "--data", TestData.Root, "--no-cache");
        Assert.Equal(HarCli.DataError, code);
        Assert.Contains("WISDM_ar_v1.1_raw.txt", e);
        (code, _, e) = RunHar("data", "info", "uci-har", "--data", TestData.Root, "--window", "0");
        Assert.Equal(HarCli.DataError, code);
        Assert.Contains("window length 0", e);
    }

    [Fact]
    public void FetchFromLocalServerThenCheckReportsCounts()
    {
        using var server = new LocalServer();
        var url = server.Add("UCI%20HAR%20Dataset.zip", FetchTests.MiniUciHarZip());
        using var dir = new TempDir();
        var (code, o, e) = RunHar("data", "fetch", "uci-har", "--url", url, "--data", dir.Path, "--cache", dir.Sub("cache"));
        Assert.Contains("fetched " + url, o);
        Assert.True(File.Exists(Path.Combine(dir.Path, "UCI-HAR", "train", "y_train.txt")));
        // the miniature archive is not the real data set: the check says so
        Assert.Equal(HarCli.DataError, code);
        Assert.Contains("MISMATCH windows_train = 3 (expected 7352)", o);
        Assert.Contains("download:", e);
    }

    [Fact]
    public void ListAndHelp()
    {
        var (code, o, _) = RunHar("data", "list", "--data", TestData.Root);
        Assert.Equal(0, code);
        Assert.Matches(@"uci-har\s+present", o);
        Assert.Matches(@"wisdm\s+missing", o);
        (code, o, _) = RunHar("--help");
        Assert.Equal(0, code);
        Assert.Contains("data", o);
    }

    [Fact]
    public void DirectoriesResolveFromOptions()
    {
        Assert.Equal(Path.GetFullPath("some/dir"), DataPaths.ResolveDataDir("some/dir"));
        Assert.Equal("/x/cache", DataPaths.ResolveCacheDir("/x/cache"));
        Assert.False(DataPaths.ResolveCacheDir(null).StartsWith(TestData.Root));
    }
}
