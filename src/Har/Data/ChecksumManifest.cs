using System.Security.Cryptography;
using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>
/// A `SHA256SUMS` file (the output of <c>sha256sum</c>: <c>HEX  relative/path</c> per line). Files are
/// verified as stored, so a <c>.gz</c> file is checked compressed.
/// </summary>
public sealed class ChecksumManifest
{
    public string Root { get; }
    public string ManifestPath { get; }
    private readonly Dictionary<string, string> _hashes = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Entries => _hashes;

    private ChecksumManifest(string root, string manifestPath) { Root = root; ManifestPath = manifestPath; }

    /// <summary>Loads <c>root/SHA256SUMS</c> when it exists; null otherwise.</summary>
    public static ChecksumManifest? TryLoad(string root)
    {
        var path = Path.Combine(root, "SHA256SUMS");
        if (!File.Exists(path)) return null;
        return Parse(File.ReadAllBytes(path), root, path);
    }

    public static ChecksumManifest Parse(ReadOnlySpan<byte> data, string root, string displayPath)
    {
        var m = new ChecksumManifest(Path.GetFullPath(root), displayPath);
        int pos = 0;
        long lineNo = 0;
        while (TextParse.NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (TextParse.IsBlank(line)) continue;
            var s = Encoding.UTF8.GetString(line);
            int sp = s.IndexOf(' ');
            if (sp != 64 || s.Length < 67 || !IsHex(s.AsSpan(0, 64)))
                throw new HarDataException("expected '<64 hex digits>  <path>' (sha256sum format)", displayPath, lineNo);
            var rel = s[66..];
            if (s[65] != ' ' && s[65] != '*')
                throw new HarDataException("expected two spaces (or ' *') between hash and path", displayPath, lineNo);
            m._hashes[Normalize(rel)] = s[..64].ToLowerInvariant();
        }
        return m;
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    private static string Normalize(string rel) => rel.Replace('\\', '/').TrimStart('.', '/');

    private string Relative(string path) => Normalize(Path.GetRelativePath(Root, Path.GetFullPath(path)));

    /// <summary>Throws when the file is listed and its bytes do not match; unlisted files pass.</summary>
    public void Verify(string path, ReadOnlySpan<byte> storedBytes)
    {
        var rel = Relative(path);
        if (!_hashes.TryGetValue(rel, out var expected)) return;
        var actual = Convert.ToHexStringLower(SHA256.HashData(storedBytes));
        if (actual != expected)
            throw new HarDataException(
                $"SHA-256 mismatch: {ManifestPath} lists {expected}, the file has {actual} (file corrupt or modified; re-download it)",
                path);
    }

    /// <summary>Result of checking every listed file.</summary>
    public sealed record Result(int Ok, List<string> Missing, List<string> Mismatched);

    /// <summary>Hashes every file listed in the manifest.</summary>
    public Result VerifyAll(IProgress<string>? progress = null)
    {
        var missing = new List<string>();
        var bad = new List<string>();
        int ok = 0;
        foreach (var (rel, expected) in _hashes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var full = Path.Combine(Root, rel);
            if (!File.Exists(full)) { missing.Add(rel); continue; }
            using var fs = File.OpenRead(full);
            var actual = Convert.ToHexStringLower(SHA256.HashData(fs));
            if (actual == expected) ok++; else bad.Add(rel);
            progress?.Report(rel);
        }
        return new Result(ok, missing, bad);
    }
}
