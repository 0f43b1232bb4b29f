using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.IO;

/// <summary>A tensor read from a file: its shape and float32 values (row-major).</summary>
public sealed record TensorData(int[] Shape, float[] Data);

/// <summary>The content of a safetensors file.</summary>
public sealed record SafeTensorsContent(IReadOnlyDictionary<string, TensorData> Tensors, IReadOnlyDictionary<string, string> Metadata);

public sealed class SafeTensorsFormatException(string path, string message) : Exception($"{path}: {message}")
{
    public string Path { get; } = path;
}

/// <summary>
/// The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), readable by
/// Python's safetensors/PyTorch. Writes are atomic (temporary file in the same folder, flushed, then renamed).
/// Reads are defensive: every size and offset is checked against the file before anything is allocated or
/// copied, so a malformed or hostile file gives a <see cref="SafeTensorsFormatException"/>, never an
/// out-of-memory, an out-of-bounds read or a partial result.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted (the format's reference implementation uses 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static void Save(string path, IEnumerable<(string name, int[] shape, float[] data)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>();
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, shape, data) in list)
        {
            if (!names.Add(name)) throw new ArgumentException($"safetensors: tensor '{name}' given twice");
            if (name == "__metadata__") throw new ArgumentException("safetensors: '__metadata__' is reserved");
            if (ShapeUtil.Numel(shape) != data.Length) throw new ArgumentException($"safetensors: tensor '{name}' has {data.Length} values for shape {ShapeUtil.Format(shape)}");
            long bytes = (long)data.Length * sizeof(float);
            header[name] = new { dtype = "F32", shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int pad = (8 - json.Length % 8) % 8; // align the data to 8 bytes, as the reference writer does
        var headerBytes = new byte[json.Length + pad];
        json.CopyTo(headerBytes, 0);
        for (int i = json.Length; i < headerBytes.Length; i++) headerBytes[i] = (byte)' ';

        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)headerBytes.Length);
            stream.Write(len);
            stream.Write(headerBytes);
            foreach (var (_, _, data) in list)
            {
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
                if (BitConverter.IsLittleEndian) stream.Write(bytes);
                else
                {
                    var b = new byte[4];
                    foreach (var v in data) { BinaryPrimitives.WriteSingleLittleEndian(b, v); stream.Write(b); }
                }
            }
        });
    }

    /// <summary>Saves tensors by name (values are read back from their devices).</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors.Select(kv => (kv.Key, kv.Value.Shape, kv.Value.ToArray())), metadata);

    public static SafeTensorsContent Load(string path)
    {
        FileStream fs;
        try { fs = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SafeTensorsFormatException(path, $"cannot open: {e.Message}");
        }
        using (fs)
        {
            long fileLength = fs.Length;
            if (fileLength < 8) throw new SafeTensorsFormatException(path, $"file is {fileLength} bytes, shorter than the 8-byte header length");
            Span<byte> len = stackalloc byte[8];
            fs.ReadExactly(len);
            ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
            if (headerLen > (ulong)(fileLength - 8))
                throw new SafeTensorsFormatException(path, $"header length {headerLen} runs past the end of the file ({fileLength} bytes)");
            if (headerLen > MaxHeaderBytes) throw new SafeTensorsFormatException(path, $"header length {headerLen} exceeds the {MaxHeaderBytes}-byte limit");
            var headerBytes = new byte[headerLen];
            fs.ReadExactly(headerBytes);
            long dataStart = 8 + (long)headerLen;
            long dataLength = fileLength - dataStart;

            var entries = ParseHeader(path, headerBytes, dataLength, out var metadata);
            var tensors = new Dictionary<string, TensorData>();
            foreach (var (name, shape, begin, end) in entries)
            {
                var data = new float[(end - begin) / 4];
                fs.Position = dataStart + begin;
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
                fs.ReadExactly(bytes);
                if (!BitConverter.IsLittleEndian)
                    for (int i = 0; i < data.Length; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
                tensors[name] = new TensorData(shape, data);
            }
            return new SafeTensorsContent(tensors, metadata);
        }
    }

    private static List<(string name, int[] shape, long begin, long end)> ParseHeader(string path, byte[] headerBytes, long dataLength, out Dictionary<string, string> metadata)
    {
        metadata = new Dictionary<string, string>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, $"header is not valid JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException(path, "header is not a JSON object");
            var list = new List<(string, int[], long, long)>();
            var seen = new HashSet<string>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw new SafeTensorsFormatException(path, $"tensor '{prop.Name}' appears twice in the header");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new SafeTensorsFormatException(path, $"metadata '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                list.Add(ParseEntry(path, prop, dataLength));
            }
            // offsets must not overlap (a hostile file could alias one region under many names)
            var sorted = list.Where(e => e.Item4 > e.Item3).OrderBy(e => e.Item3).ToList();
            for (int i = 1; i < sorted.Count; i++)
                if (sorted[i].Item3 < sorted[i - 1].Item4)
                    throw new SafeTensorsFormatException(path, $"tensors '{sorted[i - 1].Item1}' and '{sorted[i].Item1}' overlap (offsets {sorted[i - 1].Item3}-{sorted[i - 1].Item4} and {sorted[i].Item3}-{sorted[i].Item4})");
            return list;
        }
    }

    private static (string, int[], long, long) ParseEntry(string path, JsonProperty prop, long dataLength)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException(path, $"tensor '{name}': entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': missing dtype");
        if (dt.GetString() != "F32")
            throw new SafeTensorsFormatException(path, $"tensor '{name}': dtype {dt.GetString()} is not supported (only F32)");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': missing shape");
        var shape = new List<int>();
        long numel = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0 || dim > int.MaxValue)
                throw new SafeTensorsFormatException(path, $"tensor '{name}': shape entry {d} is not a size");
            shape.Add((int)dim);
            numel = dim == 0 ? 0 : (numel > long.MaxValue / 4 / dim ? throw new SafeTensorsFormatException(path, $"tensor '{name}': shape overflows") : numel * dim);
        }
        if (shape.Count > 16) throw new SafeTensorsFormatException(path, $"tensor '{name}': rank {shape.Count} is not supported");
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': data_offsets must be [begin, end]");
        if (!off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': data_offsets {off} are not an increasing pair");
        if (end > dataLength)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': data_offsets end {end} is past the data section ({dataLength} bytes)");
        if (end - begin != numel * 4)
            throw new SafeTensorsFormatException(path, $"tensor '{name}': shape {ShapeUtil.Format(shape.ToArray())} needs {numel * 4} bytes, offsets give {end - begin}");
        if (numel > Array.MaxLength) throw new SafeTensorsFormatException(path, $"tensor '{name}': {numel} elements exceed the largest array");
        return (name, shape.ToArray(), begin, end);
    }
}

/// <summary>Writes a file atomically: a temporary sibling, flushed to disk, then renamed over the target.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)));
}
