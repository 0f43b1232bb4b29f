using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace HarFromScratch.Har.Data;

/// <summary>Bounds applied while unpacking an archive.</summary>
public sealed record ArchiveLimits
{
    public int MaxEntries { get; init; } = 20_000;
    public long MaxEntryBytes { get; init; } = 1L << 30;
    public long MaxTotalBytes { get; init; } = 4L << 30;
}

public sealed record FetchOptions
{
    /// <summary>Download from this URL instead of the official one (mirrors, tests).</summary>
    public string? Url { get; init; }
    /// <summary>Expected SHA-256 of the archive (overrides the catalogue's value).</summary>
    public string? Sha256 { get; init; }
    /// <summary>Expected archive size in bytes, when known.</summary>
    public long? ExpectedSize { get; init; }
    /// <summary>Replace an existing dataset folder (the old one is moved aside, not deleted).</summary>
    public bool Force { get; init; }
    /// <summary>Keep the downloaded archive next to the dataset folder.</summary>
    public bool KeepArchive { get; init; }
    public long MaxDownloadBytes { get; init; } = 2L << 30;
    public ArchiveLimits Limits { get; init; } = new();
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
    public HttpClient? Client { get; init; }
}

/// <summary>Download progress: bytes so far and the total when the server sent Content-Length.</summary>
public readonly record struct FetchProgress(string Stage, long Done, long? Total);

public sealed record FetchResult(string DatasetRoot, string Url, long Bytes, string Sha256, int FilesUnpacked);

/// <summary>
/// `har data fetch`: download an archive (temporary name, size and SHA-256 check, then rename), unpack it
/// safely (no absolute paths, no '..', no links, bounded entry count and sizes) and move it into place.
/// </summary>
public static class DatasetFetcher
{
    public static async Task<FetchResult> FetchAsync(DatasetInfo info, string dataDir, FetchOptions? options = null,
        IProgress<FetchProgress>? progress = null, CancellationToken ct = default)
    {
        options ??= new FetchOptions();
        var url = options.Url ?? info.DownloadUrl;
        dataDir = Path.GetFullPath(dataDir);
        var final = info.Root(dataDir);
        if (Directory.Exists(final) && Directory.EnumerateFileSystemEntries(final).Any() && !options.Force)
            throw new HarDataException($"'{final}' already exists and is not empty; use --force to replace it (the old folder is kept as {Path.GetFileName(final)}.old-*)");
        try { Directory.CreateDirectory(dataDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HarDataException($"cannot create the data directory '{dataDir}': {e.Message}");
        }
        var archiveName = ArchiveFileName(url, info);
        var archive = Path.Combine(dataDir, archiveName);
        var tmp = Path.Combine(dataDir, $".{archiveName}.part-{Guid.NewGuid():N}");
        var unpack = Path.Combine(dataDir, $".{info.Folder}.unpack-{Guid.NewGuid():N}");
        try
        {
            var (bytes, sha) = await DownloadAsync(url, tmp, options, info, dataDir, progress, ct).ConfigureAwait(false);
            File.Move(tmp, archive, overwrite: true);
            progress?.Report(new FetchProgress("unpack", 0, null));
            int files = Extract(archive, unpack, options.Limits);
            var content = ContentRoot(unpack, info, options.Limits, ref files);
            if (Directory.Exists(final))
            {
                if (Directory.EnumerateFileSystemEntries(final).Any())
                    Directory.Move(final, final + ".old-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss"));
                else Directory.Delete(final);
            }
            Directory.Move(content, final);
            if (!options.KeepArchive) File.Delete(archive);
            var marker = Path.Combine(final, info.MarkerFile.Replace("(.gz)", ""));
            if (!TextParse.Exists(marker) && info != DatasetCatalog.Wisdm)
                throw new HarDataException($"the archive from {url} did not contain the expected '{info.MarkerFile}' (unpacked to '{final}')");
            progress?.Report(new FetchProgress("done", bytes, bytes));
            return new FetchResult(final, url, bytes, sha, files);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            if (Directory.Exists(unpack)) Directory.Delete(unpack, recursive: true);
        }
    }

    private static string ArchiveFileName(string url, DatasetInfo info)
    {
        string last = "";
        if (Uri.TryCreate(url, UriKind.Absolute, out var u)) last = Uri.UnescapeDataString(Path.GetFileName(u.AbsolutePath));
        var ext = last.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) ? ".tar.gz"
            : last.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase) ? ".tar.gz" : ".zip";
        return info.Folder + ext;
    }

    public static string OfflineMessage(DatasetInfo info, string url, string dataDir, string reason) =>
        $"could not download {url}: {reason}. If this machine is offline, download {url} elsewhere (page {info.HomePage}), " +
        $"copy it here and unpack it so that '{Path.Combine(info.Root(dataDir), info.MarkerFile)}' exists; then run 'har data check {info.Name}'.";

    /// <summary>Downloads <paramref name="url"/> to <paramref name="dest"/>, checking size and SHA-256.</summary>
    public static async Task<(long Bytes, string Sha256)> DownloadAsync(string url, string dest, FetchOptions options,
        DatasetInfo info, string dataDir, IProgress<FetchProgress>? progress, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new HarDataException($"invalid download URL '{url}'; expected an http(s) URL");
        var client = options.Client ?? new HttpClient { Timeout = options.Timeout };
        try
        {
            using var resp = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!resp.IsSuccessStatusCode)
                throw new HarDataException(OfflineMessage(info, url, dataDir, $"HTTP {(int)resp.StatusCode} {resp.ReasonPhrase}"));
            long? total = resp.Content.Headers.ContentLength;
            if (total > options.MaxDownloadBytes)
                throw new HarDataException($"{url} announces {total} bytes; the limit is {options.MaxDownloadBytes}");
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long done = 0;
            await using (var src = await resp.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
            await using (var fs = new FileStream(dest, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buf = new byte[1 << 16];
                int n;
                long lastReport = 0;
                while ((n = await src.ReadAsync(buf, ct).ConfigureAwait(false)) > 0)
                {
                    done += n;
                    if (done > options.MaxDownloadBytes)
                        throw new HarDataException($"download from {url} exceeds the limit of {options.MaxDownloadBytes} bytes");
                    hash.AppendData(buf, 0, n);
                    await fs.WriteAsync(buf.AsMemory(0, n), ct).ConfigureAwait(false);
                    if (done - lastReport >= 1 << 18) { progress?.Report(new FetchProgress("download", done, total)); lastReport = done; }
                }
            }
            progress?.Report(new FetchProgress("download", done, total));
            if (total is long t && t != done)
                throw new HarDataException($"download from {url} is truncated: expected {t} bytes (Content-Length), received {done}");
            if (options.ExpectedSize is long es && es != done)
                throw new HarDataException($"download from {url} has {done} bytes; expected {es}");
            var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            var expected = (options.Sha256 ?? (options.Url is null ? info.DownloadSha256 : null))?.ToLowerInvariant();
            if (expected is not null && expected != sha)
                throw new HarDataException($"download from {url} has SHA-256 {sha}; expected {expected} (corrupt or changed archive)");
            return (done, sha);
        }
        catch (HttpRequestException e)
        {
            throw new HarDataException(OfflineMessage(info, url, dataDir, e.Message), null, null, e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new HarDataException(OfflineMessage(info, url, dataDir, "timed out"), null, null, e);
        }
        catch (IOException e)
        {
            throw new HarDataException(OfflineMessage(info, url, dataDir, e.Message), null, null, e);
        }
        finally
        {
            if (options.Client is null) client.Dispose();
        }
    }

    /// <summary>Unpacks a .zip or .tar.gz (detected by its first bytes) into <paramref name="target"/>; returns the file count.</summary>
    public static int Extract(string archive, string target, ArchiveLimits limits)
    {
        Directory.CreateDirectory(target);
        var head = new byte[4];
        using (var fs = File.OpenRead(archive)) { int r = fs.ReadAtLeast(head, 4, throwOnEndOfStream: false); if (r < 4) head[0] = 0; }
        try
        {
            if (head[0] == (byte)'P' && head[1] == (byte)'K') return ExtractZip(archive, target, limits);
            if (head[0] == 0x1f && head[1] == 0x8b) return ExtractTarGz(archive, target, limits);
        }
        catch (InvalidDataException e) { throw new HarDataException("corrupt archive: " + e.Message, archive, null, e); }
        catch (FormatException e) { throw new HarDataException("corrupt archive: " + e.Message, archive, null, e); }
        throw new HarDataException("unknown archive format; expected a .zip or a .tar.gz file", archive);
    }

    /// <summary>Validates an entry name and returns its full destination path inside <paramref name="target"/>.</summary>
    public static string SafeDestination(string target, string entryName, string archive)
    {
        var name = entryName.Replace('\\', '/');
        if (name.Length == 0 || name.Contains('\0'))
            throw new HarDataException($"unsafe archive entry '{entryName}': empty name or NUL character", archive);
        if (name.StartsWith('/') || (name.Length >= 2 && name[1] == ':') || name.StartsWith("//"))
            throw new HarDataException($"unsafe archive entry '{entryName}': absolute path", archive);
        foreach (var seg in name.Split('/'))
            if (seg == "..") throw new HarDataException($"unsafe archive entry '{entryName}': '..' would leave the target folder", archive);
        var root = Path.GetFullPath(target);
        var dest = Path.GetFullPath(Path.Combine(root, name));
        if (!dest.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && dest != root)
            throw new HarDataException($"unsafe archive entry '{entryName}': resolves outside the target folder", archive);
        return dest;
    }

    private static bool Skipped(string name) => name.Replace('\\', '/').StartsWith("__MACOSX/", StringComparison.Ordinal);

    private static int ExtractZip(string archive, string target, ArchiveLimits limits)
    {
        using var zip = ZipFile.OpenRead(archive);
        if (zip.Entries.Count > limits.MaxEntries)
            throw new HarDataException($"archive has {zip.Entries.Count} entries; the limit is {limits.MaxEntries}", archive);
        long total = 0;
        int files = 0;
        foreach (var e in zip.Entries)
        {
            int mode = (e.ExternalAttributes >> 16) & 0xF000;
            if (mode == 0xA000)
                throw new HarDataException($"unsafe archive entry '{e.FullName}': symbolic link", archive);
            var dest = SafeDestination(target, e.FullName, archive);
            if (Skipped(e.FullName)) continue;
            if (e.FullName.EndsWith('/') || e.FullName.EndsWith('\\')) { Directory.CreateDirectory(dest); continue; }
            if (mode != 0 && mode != 0x8000)
                throw new HarDataException($"unsafe archive entry '{e.FullName}': not a regular file (mode 0x{mode:x})", archive);
            if (e.Length > limits.MaxEntryBytes)
                throw new HarDataException($"archive entry '{e.FullName}' declares {e.Length} bytes; the limit is {limits.MaxEntryBytes}", archive);
            using var s = e.Open();
            total = CopyBounded(s, dest, e.FullName, total, limits, archive);
            files++;
        }
        return files;
    }

    private static int ExtractTarGz(string archive, string target, ArchiveLimits limits)
    {
        using var fs = File.OpenRead(archive);
        using var gz = new GZipStream(fs, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        long total = 0;
        int entries = 0, files = 0;
        TarEntry? e;
        while ((e = tar.GetNextEntry()) is not null)
        {
            if (++entries > limits.MaxEntries)
                throw new HarDataException($"archive has more than {limits.MaxEntries} entries", archive);
            if (e.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                throw new HarDataException($"unsafe archive entry '{e.Name}': link to '{e.LinkName}'", archive);
            var dest = SafeDestination(target, e.Name, archive);
            if (Skipped(e.Name)) continue;
            switch (e.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(dest);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    if (e.Length > limits.MaxEntryBytes)
                        throw new HarDataException($"archive entry '{e.Name}' declares {e.Length} bytes; the limit is {limits.MaxEntryBytes}", archive);
                    if (e.DataStream is null) { Directory.CreateDirectory(Path.GetDirectoryName(dest)!); File.WriteAllBytes(dest, []); }
                    else total = CopyBounded(e.DataStream, dest, e.Name, total, limits, archive);
                    files++;
                    break;
                case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                    break;
                default:
                    throw new HarDataException($"unsafe archive entry '{e.Name}': unsupported type {e.EntryType}", archive);
            }
        }
        return files;
    }

    private static long CopyBounded(Stream s, string dest, string name, long total, ArchiveLimits limits, string archive)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        if (File.Exists(dest) || Directory.Exists(dest))
            throw new HarDataException($"archive entry '{name}' appears twice", archive);
        using var o = new FileStream(dest, FileMode.CreateNew, FileAccess.Write);
        var buf = new byte[1 << 16];
        long written = 0;
        int n;
        while ((n = s.Read(buf, 0, buf.Length)) > 0)
        {
            written += n; total += n;
            if (written > limits.MaxEntryBytes)
                throw new HarDataException($"archive entry '{name}' expands past {limits.MaxEntryBytes} bytes", archive);
            if (total > limits.MaxTotalBytes)
                throw new HarDataException($"archive expands past {limits.MaxTotalBytes} bytes in total", archive);
            o.Write(buf, 0, n);
        }
        return total;
    }

    /// <summary>
    /// The folder that holds the dataset inside an unpacked archive: single wrapper folders are
    /// stripped ("UCI HAR Dataset/"), and a single nested .zip (as in UCI's newer downloads) is unpacked.
    /// </summary>
    private static string ContentRoot(string dir, DatasetInfo info, ArchiveLimits limits, ref int files)
    {
        for (int depth = 0; depth < 4; depth++)
        {
            var entries = Directory.GetFileSystemEntries(dir).Where(p => Path.GetFileName(p) != "__MACOSX").ToArray();
            var subdirs = entries.Where(Directory.Exists).ToArray();
            var fileList = entries.Where(File.Exists).ToArray();
            if (subdirs.Length == 1 && fileList.Length == 0) { dir = subdirs[0]; continue; }
            var zips = fileList.Where(f => f.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)).ToArray();
            if (zips.Length == 1 && subdirs.Length == 0 && depth < 3)
            {
                var inner = Path.Combine(dir, ".inner");
                files += Extract(zips[0], inner, limits);
                File.Delete(zips[0]);
                dir = inner;
                continue;
            }
            break;
        }
        return dir;
    }
}
