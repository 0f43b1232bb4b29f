using System.Buffers.Binary;
using System.Text;
using HarFromScratch.Engine.IO;

namespace HarFromScratch.Engine.Tests.IO;

public class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("har-st-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void RoundTripsTensorsAndMetadataAndWritesNoTempFiles()
    {
        var p = PathOf("m.safetensors");
        SafeTensors.Save(p, [("a.weight", new[] { 2, 3 }, new float[] { 1, 2, 3, 4, 5, -6.5f }), ("b", new[] { 1 }, new float[] { 7 }), ("empty", new[] { 0, 4 }, Array.Empty<float>())],
            new Dictionary<string, string> { ["format"] = "pt", ["model"] = "mlp" });
        var c = SafeTensors.Load(p);
        Assert.Equal(new[] { 2, 3 }, c.Tensors["a.weight"].Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, -6.5f }, c.Tensors["a.weight"].Data);
        Assert.Equal(7f, c.Tensors["b"].Data[0]);
        Assert.Empty(c.Tensors["empty"].Data);
        Assert.Equal("mlp", c.Metadata["model"]);
        Assert.Single(Directory.GetFiles(_dir));
        // layout as the format defines: u64 header length, JSON, then data aligned to 8
        var bytes = File.ReadAllBytes(p);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        Assert.StartsWith("{", Encoding.UTF8.GetString(bytes, 8, (int)n));
    }

    private string Hostile(string header, int dataBytes, ulong? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var p = PathOf(Guid.NewGuid().ToString("N"));
        using var fs = File.Create(p);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, claimedLength ?? (ulong)h.Length);
        fs.Write(len);
        fs.Write(h);
        fs.Write(new byte[dataBytes]);
        return p;
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 1UL << 40, "past the end")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, null, "not valid JSON")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000000],\"data_offsets\":[0,4000000000]}}", 8, null, "past the data section")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, null, "needs 12 bytes")]
    [InlineData("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, null, "dtype I64 is not supported")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, null, "overlap")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, null, "not a size")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, null, "increasing pair")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, null, "not a size")]
    [InlineData("[1,2]", 0, null, "not a JSON object")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, null, "appears twice")]
    public void HostileFilesGiveClearErrors(string header, int dataBytes, ulong? claimed, string expected)
    {
        var p = Hostile(header, dataBytes, claimed);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(p));
        Assert.Contains(expected, e.Message);
        Assert.Contains(p, e.Message);
    }

    [Fact]
    public void TruncatedAndMissingFiles()
    {
        var p = PathOf("short");
        File.WriteAllBytes(p, [1, 2, 3]);
        Assert.Contains("shorter than", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(p)).Message);
        Assert.Contains("cannot open", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Load(PathOf("nope"))).Message);
    }

    [Fact]
    public void FailedWriteLeavesTheOldFileIntact()
    {
        var p = PathOf("ckpt");
        SafeTensors.Save(p, [("w", new[] { 1 }, new float[] { 1 })]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(p, s => { s.WriteByte(1); throw new InvalidOperationException("crash mid-write"); }));
        Assert.Equal(1f, SafeTensors.Load(p).Tensors["w"].Data[0]);
        Assert.Single(Directory.GetFiles(_dir));
    }
}
