using System.IO.Compression;
using System.Text;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

/// <summary>
/// Feeds mutated copies of small real snippets to every parser. Each run must either succeed or raise
/// <see cref="HarDataException"/>; any other exception type fails the test (with the seed to replay).
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 400;

    private static byte[] Mutate(byte[] src, Random r)
    {
        var b = new List<byte>(src);
        int edits = 1 + r.Next(4);
        byte[] junk = "0123456789-+.eE xX,;\n\r\t?{}@\0\xff"u8.ToArray();
        for (int k = 0; k < edits; k++)
        {
            if (b.Count == 0) { b.Add((byte)r.Next(256)); continue; }
            int i = r.Next(b.Count);
            switch (r.Next(8))
            {
                case 0: b[i] = (byte)r.Next(256); break;                             // random byte
                case 1: b[i] = junk[r.Next(junk.Length)]; break;                     // plausible byte
                case 2: b.RemoveRange(i, Math.Min(b.Count - i, 1 + r.Next(16))); break; // delete
                case 3: b.InsertRange(i, Enumerable.Range(0, 1 + r.Next(8)).Select(_ => junk[r.Next(junk.Length)]).ToArray()); break;
                case 4: b.RemoveRange(i, b.Count - i); break;                        // truncate
                case 5: { int n = Math.Min(b.Count - i, 1 + r.Next(32)); b.InsertRange(i, b.GetRange(i, n)); break; } // duplicate
                case 6: b[i] = (byte)(b[i] ^ (1 << r.Next(8))); break;               // bit flip
                default: b.Insert(i, (byte)'\n'); break;                             // split a line
            }
        }
        return [.. b];
    }

    private static void Run(string name, byte[] seed, Action<byte[]> parse, int iterations = Iterations)
    {
        parse(seed); // the unmutated snippet parses
        for (int it = 0; it < iterations; it++)
        {
            var r = new Random(it * 7919 + name.Length);
            var input = Mutate(seed, r);
            try { parse(input); }
            catch (HarDataException) { }
            catch (Exception e)
            {
                Assert.Fail($"{name}: iteration {it} threw {e.GetType().Name}: {e.Message}\ninput: {Encoding.Latin1.GetString(input[..Math.Min(200, input.Length)])}");
            }
        }
    }

    [Fact]
    public void UciHarSignalRows() =>
        Run("uci-signal", TestData.Head("UCI-HAR/train/Inertial Signals/body_acc_x_train.txt", 4),
            b => TextParse.ParseFloatTable(b, "body_acc_x_train.txt", 128, 4, out _));

    [Fact]
    public void LabelAndSubjectColumns()
    {
        Run("y", TestData.Head("UCI-HAR/train/y_train.txt", 30), b => TextParse.ParseIntColumn(b, "y_train.txt", 1, 6, "label"));
        Run("labelmap", TestData.Bytes("UCI-HAR/activity_labels.txt"), b => TextParse.ParseLabelMap(b, "activity_labels.txt"));
    }

    [Fact]
    public void HaptRawAndLabels()
    {
        Run("hapt-acc", TestData.Head("HAPT/RawData/acc_exp01_user01.txt", 20), b => TextParse.ParseFloatTable(b, "acc.txt", 3, null, out _));
        Run("hapt-labels", TestData.Head("HAPT/RawData/labels.txt", 20), b => HaptLoader.ParseLabels(b, "labels.txt", 12));
    }

    [Fact]
    public void WisdmRawAndArff()
    {
        var raw = Encoding.ASCII.GetBytes(WisdmTests.Synthetic([33], 4, withQuirks: true));
        Run("wisdm-raw", raw, b => WisdmLoader.ParseRaw(b, "raw.txt"));
        Run("wisdm-raw-strict", Encoding.ASCII.GetBytes(WisdmTests.Synthetic([33], 4, withQuirks: false)),
            b => WisdmLoader.ParseRaw(b, "raw.txt", strict: true));
        var arff = TestData.Head("WISDM_ar_v1.1/WISDM_ar_v1.1_transformed.arff", 60);
        Run("wisdm-arff", arff, b => WisdmLoader.FromArff(WisdmLoader.ParseArff(b, "t.arff"), "t.arff"));
    }

    [Fact]
    public void ChecksumManifest() =>
        Run("sha256sums", TestData.Head("UCI-HAR/SHA256SUMS", 5), b => HarFromScratch.Har.Data.ChecksumManifest.Parse(b, "/tmp", "SHA256SUMS"));

    [Fact]
    public void MatFiles()
    {
        var path = Path.Combine(TestData.Dataset("USC-HAD"), "Subject1", "a1t1.mat");
        var file = File.ReadAllBytes(path);
        // 1) mutate the stored bytes (mostly exercises the container and zlib)
        Run("mat-raw", Shrink(file),
            b => UscHadLoader.ReadTrial(b, "a1t1.mat", 1, 1, 1), 200);
        // 2) mutate the decompressed elements and recompress them (exercises the matrix parser)
        var elements = Decompressed(file);
        Run("mat-inner", Rebuild(elements, recompress: false), b => Reparse(b), 400);
    }

    /// <summary>Keeps the header, the small string variables and a short sensor_readings matrix.</summary>
    private static byte[] Shrink(byte[] file)
    {
        var els = Decompressed(file);
        var readings = MatWriter.Double("sensor_readings", 4, 6, Enumerable.Range(0, 24).Select(i => i * 0.1).ToArray());
        els[^1] = readings;
        return Rebuild(els, recompress: true);
    }

    private static List<byte[]> Decompressed(byte[] file)
    {
        var list = new List<byte[]>();
        int pos = 128;
        while (pos < file.Length)
        {
            int n = BitConverter.ToInt32(file, pos + 4);
            using var z = new ZLibStream(new MemoryStream(file, pos + 8, n), CompressionMode.Decompress);
            var ms = new MemoryStream();
            z.CopyTo(ms);
            list.Add(ms.ToArray());
            pos += 8 + n;
        }
        return list;
    }

    private static byte[] Rebuild(List<byte[]> elements, bool recompress)
    {
        // uncompressed form: header + elements back to back (sensor readings shortened)
        var els = elements.ToList();
        if (!recompress) els[^1] = MatWriter.Double("sensor_readings", 4, 6, Enumerable.Range(0, 24).Select(i => i * 0.1).ToArray());
        return MatWriter.File(els.Select(e => recompress ? MatWriter.Compressed(e) : e).ToArray());
    }

    /// <summary>Parses an uncompressed MAT image, and the same image with each element compressed.</summary>
    private static void Reparse(byte[] b)
    {
        MatReader.Read(b, "x.mat");
        if (b.Length > 128) MatReader.Read(MatWriter.File(MatWriter.Compressed(b[128..])), "x.mat");
    }
}
