using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>
/// Finds the real datasets: $HAR_DATA (absolute, or relative to the current directory, the repository
/// root or any ancestor of the test assembly), else a `shared/data` folder next to an ancestor of the
/// test assembly directory. Fails loudly when the data cannot be found.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> _root = new(Find);

    public static string Root => _root.Value;

    public static string Dataset(string folder) => Path.Combine(Root, folder);

    private static string Find()
    {
        var tried = new List<string>();
        var env = Environment.GetEnvironmentVariable(DataPaths.DataEnv);
        var bases = new List<string> { Directory.GetCurrentDirectory() };
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent) bases.Add(d.FullName);
        if (!string.IsNullOrWhiteSpace(env))
        {
            if (Path.IsPathRooted(env))
            {
                if (IsDataDir(env)) return Path.GetFullPath(env);
                tried.Add(env);
            }
            else
            {
                foreach (var b in bases)
                {
                    var p = Path.GetFullPath(Path.Combine(b, env));
                    if (IsDataDir(p)) return p;
                    tried.Add(p);
                }
            }
        }
        foreach (var b in bases)
        {
            var p = Path.Combine(b, "shared", "data");
            if (IsDataDir(p)) return p;
            tried.Add(p);
        }
        throw new InvalidOperationException(
            "The HAR datasets were not found. Set HAR_DATA to the folder that holds UCI-HAR/, HAPT/, USC-HAD/ and WISDM_ar_v1.1/ " +
            "(CI: HAR_DATA=../shared/data), or put them at <ancestor>/shared/data. Tried: " + string.Join(", ", tried.Distinct()));
    }

    private static bool IsDataDir(string p) =>
        Directory.Exists(Path.Combine(p, "UCI-HAR")) && Directory.Exists(Path.Combine(p, "HAPT")) && Directory.Exists(Path.Combine(p, "USC-HAD"));

    /// <summary>The three columns of one of HAPT's raw recordings (RawData/FILE, gzipped or not), one array per axis,
    /// read by the loader's own parser.</summary>
    public static double[][] HaptRawAxes(string file)
    {
        var p = TextParse.Locate(Path.Combine(Dataset("HAPT"), "RawData", file));
        var v = TextParse.ParseFloatTable(TextParse.ReadAll(p), p, 3, null, out int rows);
        return Enumerable.Range(0, 3).Select(a => Enumerable.Range(0, rows).Select(t => (double)v[t * 3 + a]).ToArray()).ToArray();
    }

    public static byte[] Bytes(string relativeToRoot)
    {
        var p = TextParse.Locate(Path.Combine(Root, relativeToRoot));
        return TextParse.ReadAll(p);
    }

    /// <summary>The first <paramref name="lines"/> lines of a (possibly gzipped) data file.</summary>
    public static byte[] Head(string relativeToRoot, int lines)
    {
        var all = Bytes(relativeToRoot);
        int pos = 0, n = 0;
        while (n < lines && pos < all.Length)
        {
            int nl = Array.IndexOf(all, (byte)'\n', pos);
            pos = nl < 0 ? all.Length : nl + 1;
            n++;
        }
        return all[..pos];
    }
}

/// <summary>A temporary directory removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "har-tests-" + Guid.NewGuid().ToString("N"));
    public TempDir() { Directory.CreateDirectory(Path); }
    public string Sub(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Loads a dataset once per test collection: cold, with the cache written into a private folder.</summary>
public abstract class DatasetFixture : IDisposable
{
    public TempDir Cache { get; } = new();
    public HarDataset Data { get; }
    public TimeSpan ColdTime { get; }
    public DataOptions Options { get; }

    protected DatasetFixture(string name)
    {
        Options = new DataOptions { DataDir = TestData.Root, CacheDir = Cache.Path, ValidationFraction = 0, Normalize = false };
        Data = HarData.Load(name, Options);
        Assert.False(Data.FromCache);
        ColdTime = Data.LoadTime;
    }

    /// <summary>
    /// Loads from the cache twice and returns the faster load: the test suite runs collections in
    /// parallel on small CI machines, and one load can be delayed by a neighbour's work.
    /// </summary>
    public HarDataset CachedLoad()
    {
        var a = HarData.Load(Data.Name, Options);
        var b = HarData.Load(Data.Name, Options);
        return a.LoadTime <= b.LoadTime ? a : b;
    }

    public void Dispose() => Cache.Dispose();
}

public sealed class UciHarFixture() : DatasetFixture("uci-har");
public sealed class HaptFixture() : DatasetFixture("hapt");
public sealed class UscHadFixture() : DatasetFixture("usc-had");

[CollectionDefinition("UCI-HAR")] public sealed class UciHarCollection : ICollectionFixture<UciHarFixture>;
[CollectionDefinition("HAPT")] public sealed class HaptCollection : ICollectionFixture<HaptFixture>;
[CollectionDefinition("USC-HAD")] public sealed class UscHadCollection : ICollectionFixture<UscHadFixture>;
