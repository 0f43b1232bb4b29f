using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>A tiny HTTP server on 127.0.0.1 that serves fixed byte arrays.</summary>
internal sealed class LocalServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new();
    private readonly Task _loop;
    public string BaseUrl { get; }

    public LocalServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(Loop);
    }

    public string Add(string name, byte[] content) { lock (_files) _files["/" + name] = content; return BaseUrl + name; }

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); } catch { return; }
            byte[]? body;
            lock (_files) _files.TryGetValue(ctx.Request.Url!.AbsolutePath, out body);
            try
            {
                if (body is null) { ctx.Response.StatusCode = 404; ctx.Response.Close(); continue; }
                ctx.Response.ContentLength64 = body.Length;
                await ctx.Response.OutputStream.WriteAsync(body);
                ctx.Response.Close();
            }
            catch (HttpListenerException) { }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(2000); } catch { }
    }
}

public sealed class FetchTests
{
    private static readonly string[] Signals = UciHarLoader.Signals;

    /// <summary>A miniature UCI-HAR archive in the official layout ("UCI HAR Dataset/..."), 3 train and 2 test windows.</summary>
    internal static byte[] MiniUciHarZip()
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string text)
            {
                var e = zip.CreateEntry("UCI HAR Dataset/" + name);
                using var w = new StreamWriter(e.Open(), new UTF8Encoding(false));
                w.Write(text);
            }
            zip.CreateEntry("UCI HAR Dataset/");
            Add("activity_labels.txt", "1 WALKING\n2 WALKING_UPSTAIRS\n3 WALKING_DOWNSTAIRS\n4 SITTING\n5 STANDING\n6 LAYING\n");
            foreach (var (split, n, subj) in new[] { ("train", 3, 1), ("test", 2, 2) })
            {
                Add($"{split}/y_{split}.txt", string.Concat(Enumerable.Range(0, n).Select(i => $"{1 + i}\n")));
                Add($"{split}/subject_{split}.txt", string.Concat(Enumerable.Repeat($"{subj}\n", n)));
                for (int c = 0; c < Signals.Length; c++)
                {
                    var sb = new StringBuilder();
                    for (int i = 0; i < n; i++)
                    {
                        for (int t = 0; t < 128; t++) sb.Append(' ').Append((c * 1000 + i * 128 + t).ToString("E7", CultureInfo.InvariantCulture));
                        sb.Append("\r\n");
                    }
                    Add($"{split}/Inertial Signals/{Signals[c]}_{split}.txt", sb.ToString());
                }
            }
        }
        return ms.ToArray();
    }

    [Fact]
    public async Task FetchDownloadsUnpacksAndTheDatasetLoads()
    {
        using var server = new LocalServer();
        var zip = MiniUciHarZip();
        var url = server.Add("UCI%20HAR%20Dataset.zip", zip);
        using var dir = new TempDir();
        var reports = new List<FetchProgress>();
        var progress = new SyncProgress(reports.Add);
        var sha = Convert.ToHexStringLower(SHA256.HashData(zip));
        var r = await DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, dir.Path, new FetchOptions { Url = url, Sha256 = sha, ExpectedSize = zip.Length }, progress);
        Assert.Equal(Path.Combine(dir.Path, "UCI-HAR"), r.DatasetRoot);
        Assert.Equal(zip.Length, r.Bytes);
        Assert.Equal(sha, r.Sha256);
        Assert.Equal(1 + 2 * (2 + 9), r.FilesUnpacked);
        Assert.Contains(reports, p => p.Stage == "download" && p.Total == zip.Length);
        // no temporary files, archive removed, wrapper folder stripped
        Assert.Equal(["UCI-HAR"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
        var ds = HarData.Load("uci-har", new DataOptions { DataDir = dir.Path, UseCache = false, ValidationFraction = 0, Normalize = false });
        Assert.Equal(3, ds.Train.Count);
        Assert.Equal(2, ds.Test.Count);
        Assert.Equal([0, 1, 2], ds.Train.Labels);
        Assert.Equal(1000f + 128 + 5, ds.Train.X[(1 * 9 + 1) * 128 + 5]); // window 1, channel 1, t 5
        // an existing folder is not overwritten without Force
        var e = await Assert.ThrowsAsync<HarDataException>(() => DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, dir.Path, new FetchOptions { Url = url }));
        Assert.Contains("--force", e.Message);
        var r2 = await DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, dir.Path, new FetchOptions { Url = url, Force = true, KeepArchive = true });
        Assert.True(File.Exists(Path.Combine(dir.Path, "UCI-HAR.zip")));
        Assert.Single(Directory.GetDirectories(dir.Path, "UCI-HAR.old-*"));
    }

    [Fact]
    public async Task ChecksumMismatchAndHttpErrorsLeaveNothingBehind()
    {
        using var server = new LocalServer();
        var url = server.Add("a.zip", MiniUciHarZip());
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<HarDataException>(() =>
            DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, dir.Path, new FetchOptions { Url = url, Sha256 = new string('a', 64) }));
        Assert.Contains("SHA-256", e.Message);
        e = await Assert.ThrowsAsync<HarDataException>(() =>
            DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, dir.Path, new FetchOptions { Url = url, ExpectedSize = 12 }));
        Assert.Contains("expected 12", e.Message);
        e = await Assert.ThrowsAsync<HarDataException>(() =>
            DatasetFetcher.FetchAsync(DatasetCatalog.Hapt, dir.Path, new FetchOptions { Url = server.BaseUrl + "missing.zip" }));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains(Path.Combine(dir.Path, "HAPT", "RawData/labels.txt"), e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task OfflineErrorSaysWhatToDownloadAndWhere()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<HarDataException>(() =>
            DatasetFetcher.FetchAsync(DatasetCatalog.UscHad, dir.Path, new FetchOptions { Url = $"http://127.0.0.1:{port}/USC-HAD.zip", Timeout = TimeSpan.FromSeconds(10) }));
        Assert.Contains("could not download", e.Message);
        Assert.Contains("offline", e.Message);
        Assert.Contains(Path.Combine(dir.Path, "USC-HAD", "Subject1/a1t1.mat"), e.Message);
    }

    private static byte[] Zip(Action<ZipArchive> build)
    {
        var ms = new MemoryStream();
        using (var z = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true)) build(z);
        return ms.ToArray();
    }

    private static void Write(ZipArchive z, string name, byte[] data, int? unixMode = null)
    {
        var e = z.CreateEntry(name);
        if (unixMode is int m) e.ExternalAttributes = m << 16;
        using var s = e.Open();
        s.Write(data);
    }

    public static TheoryData<string> HostileKinds => new() { "dotdot", "absolute", "backslash", "symlink", "count", "size", "bomb", "duplicate" };

    [Theory]
    [MemberData(nameof(HostileKinds))]
    public void HostileZipArchivesAreRejected(string kind)
    {
        var small = "x"u8.ToArray();
        var limits = new ArchiveLimits { MaxEntries = 20, MaxEntryBytes = 1 << 20, MaxTotalBytes = 2 << 20 };
        var zip = Zip(z =>
        {
            Write(z, "ok/readme.txt", small);
            switch (kind)
            {
                case "dotdot": Write(z, "ok/../../evil.txt", small); break;
                case "absolute": Write(z, "/tmp/evil-abs.txt", small); break;
                case "backslash": Write(z, "..\\evil.txt", small); break;
                case "symlink": Write(z, "ok/link", "/etc/passwd"u8.ToArray(), unchecked((int)0xA1FF)); break;
                case "count": for (int i = 0; i < 30; i++) Write(z, $"ok/f{i}.txt", small); break;
                case "size": Write(z, "ok/big.bin", new byte[(1 << 20) + 1]); break;
                case "bomb": for (int i = 0; i < 3; i++) Write(z, $"ok/zeros{i}.bin", new byte[1 << 20]); break;
                case "duplicate": Write(z, "ok/readme.txt", small); break;
            }
        });
        using var dir = new TempDir();
        var archive = Path.Combine(dir.Path, "hostile.zip");
        File.WriteAllBytes(archive, zip);
        var target = Path.Combine(dir.Path, "a", "b", "target");
        var e = Assert.Throws<HarDataException>(() => DatasetFetcher.Extract(archive, target, limits));
        Assert.Contains("hostile.zip", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "a", "evil.txt")));
        Assert.False(File.Exists(Path.Combine(dir.Path, "a", "b", "evil.txt")));
        Assert.False(File.Exists("/tmp/evil-abs.txt"));
    }

    [Fact]
    public async Task HostileArchiveOverHttpLeavesDataDirectoryClean()
    {
        using var server = new LocalServer();
        var url = server.Add("evil.zip", Zip(z => { Write(z, "UCI HAR Dataset/activity_labels.txt", "1 A\n"u8.ToArray()); Write(z, "../../escape.txt", "x"u8.ToArray()); }));
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        var e = await Assert.ThrowsAsync<HarDataException>(() => DatasetFetcher.FetchAsync(DatasetCatalog.UciHar, data, new FetchOptions { Url = url }));
        Assert.Contains("'..'", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "escape.txt")));
        Assert.False(Directory.Exists(Path.Combine(data, "UCI-HAR")));
        Assert.All(Directory.GetFileSystemEntries(data), p => Assert.EndsWith(".zip", p)); // only the verified download remains
    }

    [Fact]
    public void TarGzArchivesAreUnpackedAndLinksRejected()
    {
        using var dir = new TempDir();
        byte[] TarGz(Action<TarWriter> build)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            using (var tw = new TarWriter(gz, TarEntryFormat.Pax, leaveOpen: true)) build(tw);
            return ms.ToArray();
        }
        var good = TarGz(tw =>
        {
            tw.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "WISDM_ar_v1.1/"));
            tw.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "WISDM_ar_v1.1/readme.txt") { DataStream = new MemoryStream("hello"u8.ToArray()) });
        });
        var p = Path.Combine(dir.Path, "good.tar.gz");
        File.WriteAllBytes(p, good);
        Assert.Equal(1, DatasetFetcher.Extract(p, Path.Combine(dir.Path, "out"), new ArchiveLimits()));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dir.Path, "out", "WISDM_ar_v1.1", "readme.txt")));
        foreach (var type in new[] { TarEntryType.SymbolicLink, TarEntryType.HardLink })
        {
            var bad = TarGz(tw => tw.WriteEntry(new PaxTarEntry(type, "WISDM_ar_v1.1/link") { LinkName = "/etc/passwd" }));
            File.WriteAllBytes(p, bad);
            var e = Assert.Throws<HarDataException>(() => DatasetFetcher.Extract(p, Path.Combine(dir.Path, "out2"), new ArchiveLimits()));
            Assert.Contains("link", e.Message);
        }
        File.WriteAllBytes(p, "not an archive"u8.ToArray());
        Assert.Throws<HarDataException>(() => DatasetFetcher.Extract(p, Path.Combine(dir.Path, "out3"), new ArchiveLimits()));
    }

    private sealed class SyncProgress(Action<FetchProgress> a) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => a(value);
    }
}
