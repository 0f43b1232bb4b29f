using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HarFromScratch.Har.Data;

/// <summary>MATLAB array classes (mxCLASS ids).</summary>
public enum MatClass
{
    Cell = 1, Struct = 2, Object = 3, Char = 4, Sparse = 5, Double = 6, Single = 7,
    Int8 = 8, UInt8 = 9, Int16 = 10, UInt16 = 11, Int32 = 12, UInt32 = 13, Int64 = 14, UInt64 = 15,
}

/// <summary>One MATLAB array read from a MAT v5 file.</summary>
public sealed class MatArray
{
    public required string Name { get; init; }
    public required MatClass Class { get; init; }
    public required int[] Dims { get; init; }
    /// <summary>Numeric values in MATLAB's column-major order (any numeric class, converted to double).</summary>
    public double[]? Real { get; init; }
    /// <summary>Character data, column-major; for a 1xN char array this is the string.</summary>
    public string? Chars { get; init; }
    /// <summary>Struct: one dictionary per element, field name to value.</summary>
    public Dictionary<string, MatArray>[]? Fields { get; init; }
    /// <summary>Cell: the elements, column-major.</summary>
    public MatArray[]? Cells { get; init; }

    public long NumElements
    {
        get { long n = 1; foreach (var d in Dims) n *= d; return n; }
    }

    /// <summary>A char array as text (rows joined with newlines when it has more than one row).</summary>
    public string Text
    {
        get
        {
            if (Chars is null) return "";
            if (Dims.Length != 2 || Dims[0] <= 1) return Chars;
            int r = Dims[0], c = Dims[1];
            var sb = new StringBuilder();
            for (int i = 0; i < r; i++)
            {
                if (i > 0) sb.Append('\n');
                for (int j = 0; j < c; j++) sb.Append(Chars[j * r + i]);
            }
            return sb.ToString();
        }
    }
}

/// <summary>
/// Reader for MATLAB Level 5 MAT-files (little-endian): miCOMPRESSED (zlib) elements, miMATRIX with
/// numeric, char, struct and cell arrays, and the small-data-element form. Every length is bounds
/// checked; malformed input raises <see cref="HarDataException"/>.
/// </summary>
public static class MatReader
{
    /// <summary>Upper bound on a decompressed element.</summary>
    public const int MaxElementBytes = 512 << 20;
    private const int MaxDepth = 32;

    private const int miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6,
        miSINGLE = 7, miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14, miCOMPRESSED = 15,
        miUTF8 = 16, miUTF16 = 17, miUTF32 = 18;

    public static Dictionary<string, MatArray> ReadFile(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HarDataException(e is FileNotFoundException or DirectoryNotFoundException ? "missing file" : "cannot read file: " + e.Message, path, null, e);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads all top-level variables.</summary>
    public static Dictionary<string, MatArray> Read(byte[] bytes, string file)
    {
        if (bytes.Length < 128)
            throw new HarDataException($"file is truncated: expected a 128-byte MAT-file header, found {bytes.Length} bytes", file);
        if (bytes[126] == (byte)'M' && bytes[127] == (byte)'I')
            throw new HarDataException("big-endian MAT-files are not supported; expected a little-endian ('IM') MAT v5 file", file);
        if (bytes[126] != (byte)'I' || bytes[127] != (byte)'M')
            throw new HarDataException("not a MAT v5 file: expected the endian indicator 'IM' at byte 126", file);
        int version = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(124));
        if (version != 0x0100)
            throw new HarDataException($"unsupported MAT-file version 0x{version:x4}; expected 0x0100 (MAT v5; v7.3 HDF5 files are not supported)", file);
        var vars = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        int pos = 128;
        while (pos < bytes.Length)
        {
            if (bytes.Length - pos < 8)
            {
                throw new HarDataException($"file is truncated: {bytes.Length - pos} stray bytes at offset {pos}; expected an 8-byte element tag", file);
            }
            int type = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            long nbytes = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 4));
            if (nbytes > bytes.Length - pos - 8)
                throw new HarDataException($"file is truncated: element at offset {pos} declares {nbytes} bytes, only {bytes.Length - pos - 8} remain", file);
            var body = bytes.AsSpan(pos + 8, (int)nbytes);
            if (type == miCOMPRESSED)
            {
                var inner = Inflate(bytes, pos + 8, (int)nbytes, file, pos);
                int ip = 0;
                while (ip < inner.Length)
                {
                    var a = ReadElementAsArray(inner, ref ip, file, 0);
                    if (a is not null) vars[a.Name] = a;
                }
                pos += 8 + (int)nbytes;
            }
            else if (type == miMATRIX)
            {
                int p = 0;
                var arr = body.ToArray();
                var a = ParseMatrix(arr, 0, arr.Length, file, 0);
                if (a is not null) vars[a.Name] = a;
                pos += 8 + Pad8((int)nbytes);
                _ = p;
            }
            else
            {
                throw new HarDataException($"unexpected top-level element type {type} at offset {pos}; expected miMATRIX (14) or miCOMPRESSED (15)", file);
            }
        }
        return vars;
    }

    private static int Pad8(int n) => (n + 7) & ~7;

    private static byte[] Inflate(byte[] src, int offset, int count, string file, int at)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(src, offset, count, writable: false), CompressionMode.Decompress);
            var ms = new MemoryStream(Math.Min(count * 4, MaxElementBytes));
            var buf = new byte[1 << 16];
            int n;
            while ((n = z.Read(buf, 0, buf.Length)) > 0)
            {
                ms.Write(buf, 0, n);
                if (ms.Length > MaxElementBytes)
                    throw new HarDataException($"compressed element at offset {at} expands past {MaxElementBytes} bytes", file);
            }
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new HarDataException($"corrupt zlib data in the compressed element at offset {at} ({e.Message})", file, null, e);
        }
    }

    private static void ReadTag(byte[] buf, ref int pos, int end, string file, out int type, out int dataOffset, out int nbytes, out int next)
    {
        if (end - pos < 8)
            throw new HarDataException($"truncated element: expected an 8-byte tag at offset {pos}, {end - pos} bytes remain", file);
        uint w0 = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(pos));
        if ((w0 >> 16) != 0)
        {
            // small data element: 2-byte size, 2-byte type, 4 bytes of data
            type = (int)(w0 & 0xFFFF);
            nbytes = (int)(w0 >> 16);
            if (nbytes > 4) throw new HarDataException($"invalid small data element at offset {pos}: {nbytes} bytes (at most 4)", file);
            dataOffset = pos + 4;
            next = pos + 8;
            return;
        }
        type = (int)w0;
        uint nb = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(pos + 4));
        if (nb > (uint)(end - pos - 8))
            throw new HarDataException($"truncated element at offset {pos}: declares {nb} bytes, {end - pos - 8} remain", file);
        nbytes = (int)nb;
        dataOffset = pos + 8;
        long nx = (long)pos + 8 + Pad8(nbytes);
        next = (int)Math.Min(nx, end);
    }

    private static MatArray? ReadElementAsArray(byte[] buf, ref int pos, string file, int depth)
    {
        ReadTag(buf, ref pos, buf.Length, file, out int type, out int off, out int nb, out int next);
        if (type != miMATRIX)
            throw new HarDataException($"unexpected element type {type} at offset {off - 8} inside a compressed element; expected miMATRIX (14)", file);
        var a = ParseMatrix(buf, off, nb, file, depth);
        pos = next;
        return a;
    }

    /// <summary>Parses the body of a miMATRIX element (buf[off..off+len]). Returns an empty placeholder for len 0.</summary>
    private static MatArray ParseMatrix(byte[] buf, int off, int len, string file, int depth)
    {
        if (depth > MaxDepth) throw new HarDataException($"arrays nested deeper than {MaxDepth} levels", file);
        if (len == 0) return new MatArray { Name = "", Class = MatClass.Double, Dims = [0, 0], Real = [] };
        int end = off + len;
        int p = off;
        // array flags
        ReadTag(buf, ref p, end, file, out int ft, out int fo, out int fn, out int fnext);
        if (ft != miUINT32 || fn != 8)
            throw new HarDataException($"invalid array flags at offset {p}: expected miUINT32 of 8 bytes", file);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(fo));
        var cls = (MatClass)(flags & 0xFF);
        bool complex = (flags & 0x800) != 0;
        p = fnext;
        // dimensions
        ReadTag(buf, ref p, end, file, out int dt, out int dof, out int dn, out int dnext);
        if (dt != miINT32 || dn < 8 || dn % 4 != 0 || dn > 4 * 32)
            throw new HarDataException($"invalid dimensions at offset {p}: expected 2..32 miINT32 values", file);
        var dims = new int[dn / 4];
        long numel = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(dof + 4 * i));
            if (dims[i] < 0) throw new HarDataException($"negative dimension {dims[i]} at offset {dof}", file);
            numel *= dims[i];
            if (numel > int.MaxValue) throw new HarDataException("array has more than 2^31 elements", file);
        }
        p = dnext;
        // name
        ReadTag(buf, ref p, end, file, out int nt, out int no, out int nn, out int nnext);
        if (nt != miINT8 && nt != miUINT8)
            throw new HarDataException($"invalid array name element (type {nt}) at offset {p}; expected miINT8", file);
        string name = Encoding.ASCII.GetString(buf, no, nn);
        p = nnext;

        switch (cls)
        {
            case MatClass.Double or MatClass.Single or MatClass.Int8 or MatClass.UInt8 or MatClass.Int16 or MatClass.UInt16
                or MatClass.Int32 or MatClass.UInt32 or MatClass.Int64 or MatClass.UInt64:
            {
                var real = ReadNumeric(buf, ref p, end, (int)numel, file);
                if (complex) ReadNumeric(buf, ref p, end, (int)numel, file); // imaginary part, ignored
                return new MatArray { Name = name, Class = cls, Dims = dims, Real = real };
            }
            case MatClass.Char:
            {
                ReadTag(buf, ref p, end, file, out int ct, out int co, out int cn, out int cnext);
                string chars = ct switch
                {
                    miUTF8 or miUINT8 or miINT8 => Encoding.UTF8.GetString(buf, co, cn),
                    miUINT16 or miUTF16 or miINT16 => Encoding.Unicode.GetString(buf, co, cn - cn % 2),
                    miUTF32 or miUINT32 or miINT32 => Encoding.UTF32.GetString(buf, co, cn - cn % 4),
                    _ => throw new HarDataException($"char array '{name}' stored as element type {ct}; expected miUTF8, miUINT16 or miUTF16", file),
                };
                p = cnext;
                return new MatArray { Name = name, Class = cls, Dims = dims, Chars = chars };
            }
            case MatClass.Struct:
            {
                ReadTag(buf, ref p, end, file, out int lt, out int lo, out int ln, out int lnext);
                if (lt != miINT32 || ln != 4) throw new HarDataException($"struct '{name}': expected a miINT32 field-name length", file);
                int fieldLen = BinaryPrimitives.ReadInt32LittleEndian(buf.AsSpan(lo));
                if (fieldLen <= 0 || fieldLen > 4096) throw new HarDataException($"struct '{name}': invalid field-name length {fieldLen}", file);
                p = lnext;
                ReadTag(buf, ref p, end, file, out int nmt, out int nmo, out int nmn, out int nmnext);
                if (nmt != miINT8 && nmt != miUINT8) throw new HarDataException($"struct '{name}': expected miINT8 field names", file);
                int nf = nmn / fieldLen;
                var names = new string[nf];
                for (int i = 0; i < nf; i++)
                {
                    var raw = buf.AsSpan(nmo + i * fieldLen, fieldLen);
                    int z = raw.IndexOf((byte)0);
                    names[i] = Encoding.ASCII.GetString(z < 0 ? raw : raw[..z]);
                }
                p = nmnext;
                if (numel * Math.Max(1, nf) > 1_000_000) throw new HarDataException($"struct '{name}' is too large", file);
                var elems = new Dictionary<string, MatArray>[numel];
                for (int e = 0; e < numel; e++)
                {
                    var d = new Dictionary<string, MatArray>(StringComparer.Ordinal);
                    for (int f = 0; f < nf; f++)
                    {
                        ReadTag(buf, ref p, end, file, out int mt, out int mo, out int mn, out int mnext);
                        if (mt != miMATRIX) throw new HarDataException($"struct '{name}' field '{names[f]}': expected miMATRIX, found type {mt}", file);
                        var v = ParseMatrix(buf, mo, mn, file, depth + 1);
                        d[names[f]] = new MatArray { Name = names[f], Class = v.Class, Dims = v.Dims, Real = v.Real, Chars = v.Chars, Fields = v.Fields, Cells = v.Cells };
                        p = mnext;
                    }
                    elems[e] = d;
                }
                return new MatArray { Name = name, Class = cls, Dims = dims, Fields = elems };
            }
            case MatClass.Cell:
            {
                if (numel > 1_000_000) throw new HarDataException($"cell '{name}' is too large", file);
                var cells = new MatArray[numel];
                for (int e = 0; e < numel; e++)
                {
                    ReadTag(buf, ref p, end, file, out int mt, out int mo, out int mn, out int mnext);
                    if (mt != miMATRIX) throw new HarDataException($"cell '{name}' element {e}: expected miMATRIX, found type {mt}", file);
                    cells[e] = ParseMatrix(buf, mo, mn, file, depth + 1);
                    p = mnext;
                }
                return new MatArray { Name = name, Class = cls, Dims = dims, Cells = cells };
            }
            default:
                throw new HarDataException($"array '{name}' has unsupported class {(int)cls} ({cls}); expected numeric, char, struct or cell", file);
        }
    }

    private static double[] ReadNumeric(byte[] buf, ref int p, int end, int numel, string file)
    {
        ReadTag(buf, ref p, end, file, out int t, out int o, out int n, out int next);
        int size = t switch
        {
            miINT8 or miUINT8 => 1,
            miINT16 or miUINT16 => 2,
            miINT32 or miUINT32 or miSINGLE => 4,
            miDOUBLE or miINT64 or miUINT64 => 8,
            _ => throw new HarDataException($"numeric data of element type {t} at offset {o - 8}; expected a numeric mi type", file),
        };
        if ((long)numel * size != n)
            throw new HarDataException($"numeric data at offset {o - 8} holds {n} bytes; expected {numel} values of {size} bytes", file);
        var r = new double[numel];
        var s = buf.AsSpan(o, n);
        switch (t)
        {
            case miDOUBLE:
                for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]);
                break;
            case miSINGLE:
                for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]);
                break;
            case miINT8: for (int i = 0; i < numel; i++) r[i] = (sbyte)s[i]; break;
            case miUINT8: for (int i = 0; i < numel; i++) r[i] = s[i]; break;
            case miINT16: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]); break;
            case miUINT16: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]); break;
            case miINT32: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]); break;
            case miUINT32: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]); break;
            case miINT64: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]); break;
            case miUINT64: for (int i = 0; i < numel; i++) r[i] = BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]); break;
        }
        p = next;
        return r;
    }
}
