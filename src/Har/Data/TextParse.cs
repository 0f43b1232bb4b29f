using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>
/// Low-level readers for the plain-text formats: plain or gzip files, ASCII lines, whitespace- or
/// comma-separated numbers. Works on UTF-8/ASCII bytes with spans (no per-line string allocation).
/// </summary>
public static class TextParse
{
    /// <summary>Upper bound on the decompressed size of one text file (guards against gzip bombs).</summary>
    public const long MaxDecompressedBytes = 1L << 30;

    /// <summary>
    /// Finds <paramref name="path"/> or <c>path.gz</c>; returns the one that exists or throws a
    /// <see cref="HarDataException"/> naming both candidates.
    /// </summary>
    public static string Locate(string path, string? hint = null)
    {
        if (File.Exists(path)) return path;
        if (File.Exists(path + ".gz")) return path + ".gz";
        throw new HarDataException(
            $"missing file: expected '{path}' (or '{path}.gz')" + (hint is null ? "" : ". " + hint));
    }

    /// <summary>True when <paramref name="path"/> or its .gz form exists.</summary>
    public static bool Exists(string path) => File.Exists(path) || File.Exists(path + ".gz");

    /// <summary>
    /// Reads a file (plain or .gz, decided by the name) and returns its decompressed bytes. When a
    /// checksum manifest is given, the stored bytes are verified against it first.
    /// </summary>
    public static byte[] ReadAll(string path, ChecksumManifest? manifest = null)
    {
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new HarDataException("missing file", path); }
        catch (DirectoryNotFoundException) { throw new HarDataException("missing file (its folder does not exist)", path); }
        catch (IOException e) { throw new HarDataException("cannot read file: " + e.Message, path, null, e); }
        catch (UnauthorizedAccessException e) { throw new HarDataException("cannot read file: " + e.Message, path, null, e); }
        manifest?.Verify(path, raw);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? Gunzip(raw, path) : raw;
    }

    /// <summary>Decompresses gzip bytes, turning codec errors into <see cref="HarDataException"/>.</summary>
    public static byte[] Gunzip(byte[] raw, string displayName)
    {
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw, writable: false), CompressionMode.Decompress);
            var ms = new MemoryStream(raw.Length * 4);
            var buf = new byte[1 << 16];
            int n;
            while ((n = gz.Read(buf, 0, buf.Length)) > 0)
            {
                ms.Write(buf, 0, n);
                if (ms.Length > MaxDecompressedBytes)
                    throw new HarDataException($"decompressed size exceeds {MaxDecompressedBytes} bytes", displayName);
            }
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new HarDataException("corrupt gzip data (" + e.Message + "); expected a valid .gz file", displayName, null, e);
        }
    }

    /// <summary>Next line (without CR/LF) starting at <paramref name="pos"/>; false at end of data.</summary>
    public static bool NextLine(ReadOnlySpan<byte> data, ref int pos, out ReadOnlySpan<byte> line)
    {
        if (pos >= data.Length) { line = default; return false; }
        var rest = data[pos..];
        int nl = rest.IndexOf((byte)'\n');
        if (nl < 0) { line = rest; pos = data.Length; }
        else { line = rest[..nl]; pos += nl + 1; }
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        return true;
    }

    /// <summary>Next whitespace-separated token (space, tab) of a line; false when none is left.</summary>
    public static bool NextToken(ReadOnlySpan<byte> line, ref int pos, out ReadOnlySpan<byte> token)
    {
        while (pos < line.Length && (line[pos] == (byte)' ' || line[pos] == (byte)'\t')) pos++;
        if (pos >= line.Length) { token = default; return false; }
        int start = pos;
        while (pos < line.Length && line[pos] != (byte)' ' && line[pos] != (byte)'\t') pos++;
        token = line[start..pos];
        return true;
    }

    /// <summary>True when the line holds only spaces/tabs.</summary>
    public static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line) if (b != (byte)' ' && b != (byte)'\t') return false;
        return true;
    }

    /// <summary>
    /// Parses a finite float from ASCII bytes. Plain decimal forms (sign, up to 19 significant digits,
    /// optional fraction and exponent) take a fast path whose result equals float.Parse; everything
    /// else, and any value whose double approximation lies near a float rounding boundary, goes
    /// through float.Parse.
    /// </summary>
    public static bool TryFloat(ReadOnlySpan<byte> token, out float value)
    {
        if (TryFastFloat(token, out value)) return true;
        return float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);
    }

    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    internal static bool TryFastFloat(ReadOnlySpan<byte> s, out float value)
    {
        value = 0;
        int i = 0, n = s.Length;
        bool neg = false;
        if (i < n && (s[i] == (byte)'-' || s[i] == (byte)'+')) { neg = s[i] == (byte)'-'; i++; }
        ulong mant = 0;
        int digits = 0, scale = 0, anyDigit = 0;
        while (i < n && (uint)(s[i] - '0') <= 9)
        {
            if (mant != 0 || s[i] != '0') { if (digits == 19) return false; mant = mant * 10 + (uint)(s[i] - '0'); if (mant != 0) digits++; }
            anyDigit = 1; i++;
        }
        if (i < n && s[i] == (byte)'.')
        {
            i++;
            while (i < n && (uint)(s[i] - '0') <= 9)
            {
                if (mant != 0 || s[i] != '0') { if (digits == 19) return false; mant = mant * 10 + (uint)(s[i] - '0'); if (mant != 0) digits++; }
                scale--; anyDigit = 1; i++;
            }
        }
        if (anyDigit == 0) return false;
        if (i < n && (s[i] == (byte)'e' || s[i] == (byte)'E'))
        {
            i++;
            bool eneg = false;
            if (i < n && (s[i] == (byte)'-' || s[i] == (byte)'+')) { eneg = s[i] == (byte)'-'; i++; }
            int e = 0, ed = 0;
            while (i < n && (uint)(s[i] - '0') <= 9) { if (ed++ > 4) return false; e = e * 10 + (s[i] - '0'); i++; }
            if (ed == 0) return false;
            scale += eneg ? -e : e;
        }
        if (i != n) return false;
        if (mant == 0) { value = neg ? -0f : 0f; return true; }
        if (scale < -22 || scale > 22) return false;
        double d = mant;
        d = scale < 0 ? d / Pow10[-scale] : d * Pow10[scale];
        // d is within a few ulps of the exact value; rounding it to float is exact unless it lies
        // near a float midpoint (or in the subnormal/overflow range): then defer to float.Parse.
        double a = Math.Abs(d);
        if (a < 1e-37 || a > 3e38) return false;
        long bits = BitConverter.DoubleToInt64Bits(d);
        long low = bits & ((1L << 29) - 1);
        if (Math.Abs(low - (1L << 28)) <= 8) return false;
        value = (float)(neg ? -d : d);
        return true;
    }

    /// <summary>Parses an integer from ASCII bytes.</summary>
    public static bool TryInt(ReadOnlySpan<byte> token, out int value)
        => int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>A short printable excerpt of a token for error messages.</summary>
    public static string Show(ReadOnlySpan<byte> token)
    {
        var s = Encoding.Latin1.GetString(token.Length > 40 ? token[..40] : token);
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) sb.Append(c < 32 || c > 126 ? '?' : c);
        return token.Length > 40 ? sb + "..." : sb.ToString();
    }

    /// <summary>
    /// Parses a whitespace-separated numeric table with exactly <paramref name="columns"/> numbers per
    /// line into a row-major float array. Blank lines are allowed only at the end of the file. When
    /// <paramref name="expectedRows"/> is given, a different row count is an error.
    /// </summary>
    public static float[] ParseFloatTable(ReadOnlySpan<byte> data, string file, int columns, int? expectedRows, out int rows)
    {
        int cap = expectedRows ?? Math.Max(16, data.Length / Math.Max(1, columns * 8));
        var values = new float[checked((long)cap * columns) > int.MaxValue ? throw new HarDataException("table too large", file) : cap * columns];
        rows = 0;
        int pos = 0;
        long lineNo = 0;
        long firstBlank = 0;
        while (NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (IsBlank(line)) { if (firstBlank == 0) firstBlank = lineNo; continue; }
            if (firstBlank != 0)
                throw new HarDataException($"blank line inside the data; expected {columns} numbers on every line", file, firstBlank);
            if (expectedRows is int er && rows >= er)
                throw new HarDataException($"more rows than expected: expected {er} rows", file, lineNo);
            if (rows == cap)
            {
                cap = checked(cap * 2);
                Array.Resize(ref values, checked(cap * columns));
            }
            int off = rows * columns;
            int tp = 0, c = 0;
            while (NextToken(line, ref tp, out var tok))
            {
                if (c >= columns)
                    throw new HarDataException($"wrong column count: expected {columns} numbers, found more", file, lineNo);
                if (!TryFloat(tok, out var v))
                    throw new HarDataException($"column {c + 1}: expected a finite number, found '{Show(tok)}'", file, lineNo);
                values[off + c] = v;
                c++;
            }
            if (c != columns)
                throw new HarDataException($"wrong column count: expected {columns} numbers, found {c}", file, lineNo);
            rows++;
        }
        if (rows == 0)
            throw new HarDataException($"file is empty; expected {(expectedRows?.ToString() ?? "some")} rows of {columns} numbers", file);
        if (expectedRows is int e2 && rows != e2)
            throw new HarDataException($"file is truncated or too short: expected {e2} rows, found {rows}", file, lineNo);
        if (rows * columns != values.Length) Array.Resize(ref values, rows * columns);
        return values;
    }

    /// <summary>Parses a one-integer-per-line file (labels, subject ids) with range checking.</summary>
    public static int[] ParseIntColumn(ReadOnlySpan<byte> data, string file, int min, int max, string what)
    {
        var list = new List<int>(Math.Max(16, data.Length / 2));
        int pos = 0;
        long lineNo = 0, firstBlank = 0;
        while (NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (IsBlank(line)) { if (firstBlank == 0) firstBlank = lineNo; continue; }
            if (firstBlank != 0)
                throw new HarDataException($"blank line inside the data; expected one {what} per line", file, firstBlank);
            int tp = 0;
            NextToken(line, ref tp, out var tok);
            if (NextToken(line, ref tp, out _))
                throw new HarDataException($"wrong column count: expected one {what} per line, found more", file, lineNo);
            if (!TryInt(tok, out var v))
                throw new HarDataException($"expected an integer {what}, found '{Show(tok)}'", file, lineNo);
            if (v < min || v > max)
                throw new HarDataException($"{what} {v} is outside the allowed range {min}..{max}", file, lineNo);
            list.Add(v);
        }
        if (list.Count == 0) throw new HarDataException($"file is empty; expected one {what} per line", file);
        return list.ToArray();
    }

    /// <summary>Reads an `N NAME` label map (activity_labels.txt). Ids must be 1..K in order.</summary>
    public static string[] ParseLabelMap(ReadOnlySpan<byte> data, string file)
    {
        var names = new List<string>();
        int pos = 0;
        long lineNo = 0;
        while (NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (IsBlank(line)) continue;
            int tp = 0;
            NextToken(line, ref tp, out var idTok);
            if (!TryInt(idTok, out var id))
                throw new HarDataException($"expected 'ID NAME', found '{Show(line)}'", file, lineNo);
            if (id != names.Count + 1)
                throw new HarDataException($"expected label id {names.Count + 1}, found {id}", file, lineNo);
            if (!NextToken(line, ref tp, out var nameTok))
                throw new HarDataException("expected 'ID NAME': the name is missing", file, lineNo);
            if (NextToken(line, ref tp, out _))
                throw new HarDataException("wrong column count: expected 'ID NAME'", file, lineNo);
            names.Add(Encoding.ASCII.GetString(nameTok));
        }
        if (names.Count == 0) throw new HarDataException("file is empty; expected lines 'ID NAME'", file);
        return names.ToArray();
    }
}
