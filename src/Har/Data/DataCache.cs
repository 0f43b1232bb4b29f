using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>
/// The preprocessed cache: one binary file per (dataset, options, source files). Layout:
/// <code>
/// "HARCACHE" (8 bytes) | format version (int32) | key (32 bytes, SHA-256) | payload length (int64)
/// | payload SHA-256 (32 bytes) | payload
/// </code>
/// The key hashes the format and loader versions, the dataset name, the windowing options and a
/// fingerprint of every file under the dataset folder (relative path, size, modification time), so a
/// changed source or option selects a different file. The payload checksum catches corruption; a bad
/// or stale file is ignored and rebuilt.
/// </summary>
public static class DataCache
{
    public const int FormatVersion = 1;
    /// <summary>Bump when a loader changes what it produces.</summary>
    public const int LoaderVersion = 1;
    private static readonly byte[] Magic = "HARCACHE"u8.ToArray();
    private const int HeaderSize = 8 + 4 + 32 + 8 + 32;

    public static byte[] ComputeKey(DatasetInfo info, string root, DataOptions options)
    {
        var sb = new StringBuilder();
        sb.Append("format=").Append(FormatVersion).Append(";loader=").Append(LoaderVersion)
          .Append(";name=").Append(info.Name).Append(";window=").Append(options.WindowLength)
          .Append(";stride=").Append(options.Stride).Append(options.WindowLabel == "pure" ? "" : ";label=" + options.WindowLabel)
          // the USC-HAD loader's Resampler(100, 50): 63 taps, cutoff 0.8, Hamming. Named when it was the Decimator; the
          // output is bit-identical, so the key (and every cache written with it) stays valid
          .Append(";decimator=63/0.8/hamming\n");
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => (Rel: Path.GetRelativePath(root, f).Replace('\\', '/'), Full: f))
            .OrderBy(f => f.Rel, StringComparer.Ordinal);
        foreach (var (rel, full) in files)
        {
            var fi = new FileInfo(full);
            sb.Append(rel).Append('|').Append(fi.Length).Append('|').Append(fi.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    public static string PathFor(string cacheDir, DatasetInfo info, byte[] key) =>
        Path.Combine(cacheDir, $"{info.Name}-{Convert.ToHexStringLower(key.AsSpan(0, 8))}.harc");

    /// <summary>Reads a cache file; returns null (with a reason) when it is missing, stale or corrupt.</summary>
    public static RawDataset? TryRead(string path, byte[] key, out string? reason)
    {
        reason = null;
        if (!File.Exists(path)) { reason = "no cache file"; return null; }
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { reason = "cannot read cache: " + e.Message; return null; }
        try
        {
            return Decode(bytes, key, out reason);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or IOException or OverflowException or HarDataException or InvalidDataException)
        {
            reason = "corrupt cache: " + e.Message;
            return null;
        }
    }

    private static RawDataset? Decode(byte[] bytes, byte[] key, out string? reason)
    {
        reason = null;
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) { reason = "not a cache file"; return null; }
        int version = BitConverter.ToInt32(bytes, 8);
        if (version != FormatVersion) { reason = $"cache format {version}, expected {FormatVersion}"; return null; }
        if (!bytes.AsSpan(12, 32).SequenceEqual(key)) { reason = "cache key differs (source or options changed)"; return null; }
        long len = BitConverter.ToInt64(bytes, 44);
        if (len != bytes.Length - HeaderSize) { reason = "cache file truncated"; return null; }
        var payload = bytes.AsSpan(HeaderSize);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan(52, 32))) { reason = "cache checksum mismatch"; return null; }
        using var r = new BinaryReader(new MemoryStream(bytes, HeaderSize, bytes.Length - HeaderSize, writable: false), Encoding.UTF8);
        var name = r.ReadString();
        double rate = r.ReadDouble();
        var channels = ReadStrings(r);
        var classes = ReadStrings(r);
        int nc = r.ReadInt32();
        var counters = new List<KeyValuePair<string, long>>(nc);
        for (int i = 0; i < nc; i++) counters.Add(new(r.ReadString(), r.ReadInt64()));
        var train = ReadSet(r, bytes)!;
        var val = ReadSet(r, bytes);
        var test = ReadSet(r, bytes)!;
        return new RawDataset
        {
            Name = name, SamplingRateHz = rate, ChannelNames = channels, ClassNames = classes,
            Train = train, Validation = val, Test = test, Counters = counters,
        };
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        int n = r.ReadInt32();
        if (n < 0 || n > 100_000) throw new InvalidDataException("bad string count");
        var a = new string[n];
        for (int i = 0; i < n; i++) a[i] = r.ReadString();
        return a;
    }

    private static WindowSet? ReadSet(BinaryReader r, byte[] bytes)
    {
        if (!r.ReadBoolean()) return null;
        int n = r.ReadInt32(), c = r.ReadInt32(), t = r.ReadInt32();
        if (n < 0 || c <= 0 || t <= 0) throw new InvalidDataException("bad set shape");
        long count = checked((long)n * c * t);
        var x = new float[count];
        var y = new int[n];
        var s = new int[n];
        ReadInto(r, MemoryMarshal.AsBytes(x.AsSpan()));
        ReadInto(r, MemoryMarshal.AsBytes(y.AsSpan()));
        ReadInto(r, MemoryMarshal.AsBytes(s.AsSpan()));
        return new WindowSet(x, y, s, c, t);
    }

    private static void ReadInto(BinaryReader r, Span<byte> dst)
    {
        var ms = (MemoryStream)r.BaseStream;
        if (ms.Length - ms.Position < dst.Length) throw new EndOfStreamException("cache payload too short");
        ms.ReadExactly(dst);
    }

    /// <summary>Writes the cache atomically (temporary file, then rename).</summary>
    public static void Write(string path, byte[] key, RawDataset d)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(d.Name);
            w.Write(d.SamplingRateHz);
            WriteStrings(w, d.ChannelNames);
            WriteStrings(w, d.ClassNames);
            w.Write(d.Counters.Count);
            foreach (var kv in d.Counters) { w.Write(kv.Key); w.Write(kv.Value); }
            WriteSet(w, d.Train);
            WriteSet(w, d.Validation);
            WriteSet(w, d.Test);
        }
        var buf = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        var tmp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(Magic);
                fs.Write(BitConverter.GetBytes(FormatVersion));
                fs.Write(key);
                fs.Write(BitConverter.GetBytes((long)buf.Length));
                fs.Write(SHA256.HashData(buf));
                fs.Write(buf);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static void WriteStrings(BinaryWriter w, string[] a)
    {
        w.Write(a.Length);
        foreach (var s in a) w.Write(s);
    }

    private static void WriteSet(BinaryWriter w, WindowSet? s)
    {
        w.Write(s is not null);
        if (s is null) return;
        w.Write(s.Count); w.Write(s.Channels); w.Write(s.Time);
        w.Write(MemoryMarshal.AsBytes(s.X.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(s.Labels.AsSpan()));
        w.Write(MemoryMarshal.AsBytes(s.Subjects.AsSpan()));
    }
}
