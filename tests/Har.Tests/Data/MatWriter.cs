using System.IO.Compression;
using System.Text;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>A tiny MAT v5 writer for building test files (numeric, char, struct and cell arrays).</summary>
internal static class MatWriter
{
    public const int miINT8 = 1, miUINT16 = 4, miINT32 = 5, miUINT32 = 6, miDOUBLE = 9, miMATRIX = 14, miCOMPRESSED = 15, miUTF8 = 16;

    public static byte[] Element(int type, byte[] data)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(type); w.Write(data.Length); w.Write(data);
        while (ms.Length % 8 != 0) w.Write((byte)0);
        return ms.ToArray();
    }

    private static byte[] Header(int cls, int[] dims, string name)
    {
        var flags = new byte[8];
        BitConverter.GetBytes(cls).CopyTo(flags, 0);
        var dimBytes = dims.SelectMany(BitConverter.GetBytes).ToArray();
        return [.. Element(miUINT32, flags), .. Element(miINT32, dimBytes), .. Element(miINT8, Encoding.ASCII.GetBytes(name))];
    }

    public static byte[] Double(string name, int rows, int cols, double[] colMajor) =>
        Element(miMATRIX, [.. Header(6, [rows, cols], name), .. Element(miDOUBLE, colMajor.SelectMany(BitConverter.GetBytes).ToArray())]);

    public static byte[] Char(string name, string s, bool utf16 = false) =>
        Element(miMATRIX, [.. Header(4, [1, s.Length], name),
            .. (utf16 ? Element(miUINT16, Encoding.Unicode.GetBytes(s)) : Element(miUTF8, Encoding.UTF8.GetBytes(s)))]);

    public static byte[] Struct(string name, (string Field, byte[] Matrix)[] fields)
    {
        const int len = 32;
        var names = new byte[len * fields.Length];
        for (int i = 0; i < fields.Length; i++) Encoding.ASCII.GetBytes(fields[i].Field).CopyTo(names, i * len);
        return Element(miMATRIX, [.. Header(2, [1, 1], name), .. Element(miINT32, BitConverter.GetBytes(len)), .. Element(miINT8, names),
            .. fields.SelectMany(f => f.Matrix)]);
    }

    public static byte[] Cell(string name, byte[][] items) =>
        Element(miMATRIX, [.. Header(1, [1, items.Length], name), .. items.SelectMany(x => x)]);

    public static byte[] Compressed(byte[] element)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(element);
        var data = ms.ToArray();
        var o = new MemoryStream();
        var w = new BinaryWriter(o);
        w.Write(miCOMPRESSED); w.Write(data.Length); w.Write(data);
        return o.ToArray();
    }

    public static byte[] File(params byte[][] elements)
    {
        var header = new byte[128];
        var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by HarFromScratch tests");
        Array.Fill(header, (byte)' ', 0, 116);
        text.CopyTo(header, 0);
        header[124] = 0x00; header[125] = 0x01; header[126] = (byte)'I'; header[127] = (byte)'M';
        return [.. header, .. elements.SelectMany(e => e)];
    }
}
