using System.Globalization;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Distillation.SmlDist;
using HarFromScratch.Har.Tests.Data;
using HarFromScratch.Har.Training;

using static HarFromScratch.Har.Tests.Cli.CliRunner;

namespace HarFromScratch.Har.Tests.Cli;

/// <summary>A briefly trained HAPT run and experiment 1's first raw samples, shared by the tests of `har predict`.</summary>
public sealed class PredictFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Run { get; }
    public const int Samples = 1000;

    /// <summary>Experiment 1's first samples, rows of acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z (the model's channel order).</summary>
    public double[][] Rows { get; }

    public PredictFixture()
    {
        Run = Path.Combine(Dir.Path, "run");
        var (code, o, e) = RunHar("train", "--dataset", "hapt", "--model", "mlp", "--epochs", "1", "--max-batches", "3", "--batch", "32",
            "--out", Run, "--data", TestData.Root, "--cache", Path.Combine(Dir.Path, "cache"), "--seed", "1");
        Assert.True(code == 0, o + e);
        Rows = ReadRows();
    }

    /// <summary>Experiment 1's first <see cref="Samples"/> raw rows.</summary>
    public static double[][] ReadRows()
    {
        var acc = TestData.HaptRawAxes("acc_exp01_user01.txt");
        var gyro = TestData.HaptRawAxes("gyro_exp01_user01.txt");
        return Enumerable.Range(0, Samples).Select(t => new[] { acc[0][t], acc[1][t], acc[2][t], gyro[0][t], gyro[1][t], gyro[2][t] }).ToArray();
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>`har predict` on a real HAPT recording (experiment 1's raw accelerometer and gyroscope) with a briefly trained run.</summary>
public sealed class PredictCliTests(PredictFixture fx) : IClassFixture<PredictFixture>
{
    private readonly TempDir _dir = fx.Dir;
    private readonly string _run = fx.Run;
    private readonly double[][] _rows = fx.Rows;

    private string Write(string name, IEnumerable<string> lines) { var p = Path.Combine(_dir.Path, name); File.WriteAllLines(p, lines); return p; }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static List<string[]> Csv(string path) => File.ReadAllLines(path).Select(l => l.Split(',')).ToList();

    /// <summary>har predict on the run with these arguments ends with <paramref name="exitCode"/> and an error that contains <paramref name="expected"/>.</summary>
    private void Fails(int exitCode, string expected, params string[] args)
    {
        var (code, o, e) = RunHar(["predict", "--run", _run, .. args]);
        Assert.True(code == exitCode, $"exit {code}: {o}{e}");
        Assert.Contains(expected, e);
    }

    [Fact]
    public void PredictionsAreTheModelsSoftmaxOnTheRunsNormalisedWindows()
    {
        // header in another order than the model's, with a timestamp and a text column the model does not read
        var input = Write("rec.csv", ["time,gyro_z,acc_x,GYRO_X,acc_y,gyro_y,acc_z,comment",
            .. _rows.Select((r, t) => $"{t * 0.02:F2},{F(r[5])},{F(r[0])},{F(r[3])},{F(r[1])},{F(r[4])},{F(r[2])},walking?")]);
        var outCsv = Path.Combine(_dir.Path, "pred.csv");
        var (code, o, e) = RunHar("predict", "--run", _run, "--input", input, "--out", outCsv);
        Assert.True(code == 0, o + e);
        Assert.Contains("1000 samples (20 s at 50 Hz), 14 windows of 128 every 64 samples; the last 40 samples fill no window", o);

        var rows = Csv(outCsv);
        var header = rows[0];
        Assert.Equal(["window", "start_sample", "end_sample", "start_s", "end_s", "activity", "confidence", "p_WALKING"], header.Take(8));
        Assert.Equal(7 + 12, header.Length);
        Assert.Equal(1 + 14, rows.Count);
        Assert.Equal(["13", "832", "960", "16.64", "19.2"], rows[14].Take(5));

        // the same computed here: windows transposed to (C, T) by hand, z-scored with the run's statistics, softmax of the logits
        var config = new RunFiles(_run).ReadConfig();
        var model = HeadSearchModel.CreateAny(config.Model, new Rng(1), Device.Get("cpu"));
        RunFiles.LoadModelTensors(new RunFiles(_run).Best, model);
        model.Eval();
        var x = new float[14 * 6 * 128];
        for (int w = 0; w < 14; w++)
            for (int c = 0; c < 6; c++)
                for (int t = 0; t < 128; t++)
                    x[(w * 6 + c) * 128 + t] = (float)((_rows[w * 64 + t][c] - config.Stats!.Mean[c]) / config.Stats.Std[c]);
        float[] p;
        using (TensorScope.Begin())
        using (GradMode.NoGrad())
            p = model.Forward(Tensor.FromArray(x, [14, 6, 128], model.Device)).Softmax(-1).ToArray();
        for (int w = 0; w < 14; w++)
        {
            var pw = p.AsSpan(w * 12, 12).ToArray();
            int best = Array.IndexOf(pw, pw.Max());
            Assert.Equal(config.ClassNames[best], rows[w + 1][5]);
            for (int c = 0; c < 12; c++) Assert.Equal(pw[c], double.Parse(rows[w + 1][7 + c], CultureInfo.InvariantCulture), 4);
            Assert.Equal(1.0, rows[w + 1].Skip(7).Sum(v => double.Parse(v, CultureInfo.InvariantCulture)), 3);
        }

        // no header: the columns in the model's order, space separated, gives the same predictions; --stride changes the windows
        var plain = Write("rec.txt", ["# experiment 1, user 1", .. _rows.Select(r => string.Join(' ', r.Select(F)))]);
        (code, o, e) = RunHar("predict", "--run", _run, "--input", plain);
        Assert.True(code == 0, o + e);
        Assert.Equal(File.ReadAllText(outCsv), o);
        Assert.Contains("14 windows", e);   // the summary goes to standard error when the CSV goes to standard output
        (code, o, _) = RunHar("predict", "--run", _run, "--input", plain, "--stride", "128");
        Assert.Equal(0, code);
        Assert.Equal(1 + 7, o.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void ARecordingAtAnotherRateIsResampledToTheModelsRate()
    {
        // the same 20 s at 100 Hz: the 50 Hz samples with linear midpoints between them
        var at100 = new List<string>();
        for (int t = 0; t < _rows.Length; t++)
        {
            at100.Add(string.Join(',', _rows[t].Select(F)));
            if (t + 1 < _rows.Length) at100.Add(string.Join(',', _rows[t].Zip(_rows[t + 1], (a, b) => F((a + b) / 2))));
        }
        var fast = Write("rec100.csv", at100);
        var slow = Write("rec50.csv", _rows.Select(r => string.Join(',', r.Select(F))));
        var (code, o, e) = RunHar("predict", "--run", _run, "--input", slow, "--out", Path.Combine(_dir.Path, "p50.csv"));
        Assert.True(code == 0, o + e);
        (code, o, e) = RunHar("predict", "--run", _run, "--input", fast, "--rate", "100", "--out", Path.Combine(_dir.Path, "p100.csv"));
        Assert.True(code == 0, o + e);
        Assert.Contains("1999 samples (20 s at 100 Hz), resampled to 1000 at 50 Hz, 14 windows of 128 every 64 samples", o);
        var a = Csv(Path.Combine(_dir.Path, "p50.csv"));
        var b = Csv(Path.Combine(_dir.Path, "p100.csv"));
        Assert.Equal(a.Count, b.Count);
        // rows of the 100 Hz file: window w starts at row 128 w and its last sample, 50 Hz sample 64 w + 127, is row 128 w + 254
        Assert.Equal(["13", "1664", "1919", "16.64", "19.2"], b[14].Take(5));
        for (int w = 1; w < a.Count; w++) Assert.Equal(a[w].Skip(3).Take(2), b[w].Skip(3).Take(2));

        double Diff(List<string[]> x, List<string[]> y) => Enumerable.Range(1, x.Count - 1)
            .Average(w => x[w].Skip(7).Zip(y[w].Skip(7), (u, v) => Math.Abs(double.Parse(u, CultureInfo.InvariantCulture) - double.Parse(v, CultureInfo.InvariantCulture))).Max());
        double resampled = Diff(a, b);
        // read as if it were at 50 Hz, the same file gives other windows (each twice as short in time) and other probabilities
        (code, o, e) = RunHar("predict", "--run", _run, "--input", fast, "--out", Path.Combine(_dir.Path, "p100as50.csv"));
        Assert.True(code == 0, o + e);
        double unresampled = Diff(a, Csv(Path.Combine(_dir.Path, "p100as50.csv")));
        // measured: 0.0013 against 0.030 (the briefly trained run's probabilities move little from window to window)
        Assert.InRange(resampled, 0, 0.005);
        Assert.True(unresampled > 10 * resampled, $"resampled {resampled}, read at the wrong rate {unresampled}");

        Fails(1, "error: --rate: 0 Hz: the input rate must be a positive number of Hz", "--input", fast, "--rate", "0");
        Fails(1, "error: --rate: 50.0001 Hz: give the input rate to at most three decimals", "--input", fast, "--rate", "50.0001");
    }

    [Fact]
    public void ARecordingInOtherUnitsIsConvertedToTheDatasets()
    {
        // HAPT's units are g and rad/s; the same samples in m/s² and deg/s
        var si = Write("si.csv", ["acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z",
            .. _rows.Select(r => string.Join(',', r.Select((v, c) => F(c < 3 ? v * 9.80665 : v * 180 / Math.PI))))]);
        var plain = Write("native.csv", ["acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z", .. _rows.Select(r => string.Join(',', r.Select(F)))]);
        var (code, o, e) = RunHar("predict", "--run", _run, "--input", plain, "--out", Path.Combine(_dir.Path, "native-pred.csv"));
        Assert.True(code == 0, o + e);
        (code, o, e) = RunHar("predict", "--run", _run, "--input", si, "--acc-units", "m/s^2", "--gyro-units", "deg/s", "--out", Path.Combine(_dir.Path, "si-pred.csv"),
            "--plot", Path.Combine(_dir.Path, "si.png"));
        Assert.True(code == 0, o + e);
        // the timeline is a PNG (signature, then IHDR: width 900 + 200 for the legend, height 450)
        var png = File.ReadAllBytes(Path.Combine(_dir.Path, "si.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png.Take(4));
        Assert.Equal(1100, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(450, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Contains("si.png", o);
        Assert.Contains("acc_x, acc_y, acc_z: m/s2 -> g (x 0.101972)", o);
        Assert.Contains("gyro_x, gyro_y, gyro_z: deg/s -> rad/s (x 0.017453)", o);
        var native = Csv(Path.Combine(_dir.Path, "native-pred.csv"));
        var converted = Csv(Path.Combine(_dir.Path, "si-pred.csv"));
        for (int w = 1; w < native.Count; w++)
            for (int c = 7; c < native[w].Length; c++)
                Assert.Equal(double.Parse(native[w][c], CultureInfo.InvariantCulture), double.Parse(converted[w][c], CultureInfo.InvariantCulture), 3);
        // without the units the same file is read as g and rad/s, 9.8 and 57 times too large
        (code, o, e) = RunHar("predict", "--run", _run, "--input", si, "--out", Path.Combine(_dir.Path, "si-raw.csv"));
        Assert.True(code == 0, o + e);
        Assert.NotEqual(File.ReadAllLines(Path.Combine(_dir.Path, "native-pred.csv")).Skip(1).Select(l => l.Split(',')[5]),
            File.ReadAllLines(Path.Combine(_dir.Path, "si-raw.csv")).Skip(1).Select(l => l.Split(',')[5]));
        // the dataset's own unit is no conversion; a unit of the other quantity or an unknown one is refused
        (code, o, _) = RunHar("predict", "--run", _run, "--input", plain, "--acc-units", "g", "--out", Path.Combine(_dir.Path, "g.csv"));
        Assert.Equal(0, code);
        Assert.DoesNotContain("->", o);
        Fails(1, "error: --acc-units deg/s: expected one of g, m/s2", "--input", plain, "--acc-units", "deg/s");
        Fails(1, "error: --gyro-units rpm: expected one of rad/s, deg/s", "--input", plain, "--gyro-units", "rpm");
    }

    [Fact]
    public void BadRecordingsGetAnErrorNamingTheFileLineAndChannel()
    {
        string Rows(int n) => string.Join('\n', _rows.Take(n).Select(r => string.Join(',', r.Select(F))));
        var missing = Write("missing.csv", ["acc_x,acc_y,acc_z,gyro_x,gyro_y", .. _rows.Select(r => string.Join(',', r.Take(5).Select(F)))]);
        Fails(2, $"{missing}:1: the header has no column for the model's channel gyro_z; the model reads acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z; "
            + "the header has acc_x, acc_y, acc_z, gyro_x, gyro_y", "--input", missing);

        var bad = Write("bad.csv", [.. Rows(200).Split('\n').Select((l, i) => i == 150 ? l.Replace(l.Split(',')[4], "NaN?") : l)]);
        Fails(2, $"{bad}:151: column 5 (channel gyro_y): expected a finite number, found 'NaN?'", "--input", bad);

        var columns = Write("columns.csv", [.. _rows.Take(200).Select(r => string.Join(',', r.Take(4).Select(F)))]);
        Fails(2, "4 columns and no header", "--input", columns);

        var ragged = Write("ragged.csv", [.. Rows(200).Split('\n').Select((l, i) => i == 9 ? l + ",1" : l)]);
        Fails(2, $"{ragged}:10: 7 fields where the first row has 6", "--input", ragged);

        var shortRec = Write("short.csv", [Rows(100)]);
        Fails(2, "100 samples, fewer than one window of 128", "--input", shortRec);

        Fails(2, "none.csv", "--input", Path.Combine(_dir.Path, "none.csv"));
    }
}

/// <summary>A briefly trained UCI-HAR run, for `har predict` on raw recordings from which its nine channels are derived.</summary>
public sealed class UciHarPredictFixture : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Run { get; }

    public UciHarPredictFixture()
    {
        Run = Path.Combine(Dir.Path, "run");
        var (code, o, e) = RunHar("train", "--dataset", "uci-har", "--model", "mlp", "--epochs", "1", "--max-batches", "3", "--batch", "32",
            "--out", Run, "--data", TestData.Root, "--cache", Path.Combine(Dir.Path, "cache"), "--seed", "1");
        Assert.True(code == 0, o + e);
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>
/// `har predict` with a UCI-HAR run on HAPT's raw experiment 1 (the session UCI-HAR's subject 1 comes from): the raw
/// acc_*/gyro_* columns become the nine channels by <see cref="HarFromScratch.Har.Data.UciHarSignals"/>, after the units and the rate.
/// </summary>
public sealed class UciHarPredictCliTests(UciHarPredictFixture fx) : IClassFixture<UciHarPredictFixture>
{
    private readonly string _run = fx.Run;
    private readonly double[][] _rows = PredictFixture.ReadRows();
    private const string RawHeader = "acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z";

    private string Write(string name, IEnumerable<string> lines) { var p = Path.Combine(fx.Dir.Path, name); File.WriteAllLines(p, lines); return p; }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static double[][] Probabilities(string csv) => File.ReadAllLines(csv).Skip(1)
        .Select(l => l.Split(',').Skip(7).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();

    private (string Summary, double[][] P) Predict(string input, params string[] args)
    {
        var outCsv = input + ".pred.csv";
        var (code, o, e) = RunHar(["predict", "--run", _run, "--input", input, "--out", outCsv, .. args]);
        Assert.True(code == 0, o + e);
        return (o, Probabilities(outCsv));
    }

    private static double MaxDiff(double[][] a, double[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => x.Zip(y, (u, v) => Math.Abs(u - v)).Max()).Max();
    }

    [Fact]
    public void RawColumnsAreDerivedIntoTheNineChannelsAfterUnitsAndRate()
    {
        var raw = Write("raw.csv", [RawHeader, .. _rows.Select(r => string.Join(',', r.Select(F)))]);
        var (summary, p) = Predict(raw);
        Assert.Contains("1000 samples (20 s at 50 Hz), 14 windows of 128 every 64 samples", summary);
        Assert.Contains("uci-har's channels derived from acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z: noise: median of 3 and a causal order-3 "
            + "Butterworth low-pass at 20 Hz on every axis; total_acc = acc; body_acc = acc - gravity (causal order-3 Butterworth low-pass at 0.3 Hz); "
            + "body_gyro = gyro - drift (causal order-2 low-pass at 0.1 Hz)", summary);

        // the same as the nine channels derived here and given by name, in another order than the model's
        var x = _rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
        var nine = UciHarSignals.Derive(x, _rows.Length);
        var order = new[] { 8, 0, 3, 6, 1, 4, 7, 2, 5 };
        var derived = Write("nine.csv", [string.Join(',', order.Select(c => UciHarLoader.Signals[c])),
            .. Enumerable.Range(0, _rows.Length).Select(t => string.Join(',', order.Select(c => F(nine[t * 9 + c]))))]);
        var (summaryNine, pNine) = Predict(derived);
        Assert.DoesNotContain("derived", summaryNine);
        Assert.InRange(MaxDiff(p, pNine), 0, 1e-4);

        // no header: six columns are the raw channels in order, nine the model's
        var (_, pPlain) = Predict(Write("raw.txt", _rows.Select(r => string.Join(' ', r.Select(F)))));
        Assert.Equal(0, MaxDiff(p, pPlain));

        // m/s² and deg/s are converted before the split into body and gravity
        var si = Write("si.csv", [RawHeader, .. _rows.Select(r => string.Join(',', r.Select((v, c) => F(c < 3 ? v * 9.80665 : v * 180 / Math.PI))))]);
        var (summarySi, pSi) = Predict(si, "--acc-units", "m/s2", "--gyro-units", "deg/s");
        Assert.Contains("acc_x, acc_y, acc_z: m/s2 -> g", summarySi);
        Assert.InRange(MaxDiff(p, pSi), 0, 1e-3);

        // at 100 Hz (linear midpoints) it is resampled to 50 Hz first, where the filter is designed
        var at100 = new List<string> { RawHeader };
        for (int t = 0; t < _rows.Length; t++)
        {
            at100.Add(string.Join(',', _rows[t].Select(F)));
            if (t + 1 < _rows.Length) at100.Add(string.Join(',', _rows[t].Zip(_rows[t + 1], (a, b) => F((a + b) / 2))));
        }
        var (summary100, p100) = Predict(Write("raw100.csv", at100), "--rate", "100");
        Assert.Contains("resampled to 1000 at 50 Hz", summary100);
        Assert.Contains("derived from", summary100);
        Assert.InRange(MaxDiff(p, p100), 0, 0.02);

        // a header with neither set names both
        var partial = Write("partial.csv", ["acc_x,acc_y,acc_z,gyro_x", .. _rows.Select(r => string.Join(',', r.Take(4).Select(F)))]);
        var (code, o, e) = RunHar("predict", "--run", _run, "--input", partial);
        Assert.True(code == 2, o + e);
        Assert.Contains($"{partial}:1: the header has no column for the model's channels body_acc_x,", e);
        Assert.Contains("or the raw channels acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z; the header has acc_x, acc_y, acc_z, gyro_x", e);
        (code, o, e) = RunHar("predict", "--run", _run, "--input", Write("four.txt", _rows.Select(r => string.Join(' ', r.Take(4).Select(F)))));
        Assert.True(code == 2, o + e);
        Assert.Contains("4 columns and no header; without a header the columns must be the model's 9 channels in order (body_acc_x, ", e);
        Assert.Contains("or the 6 raw channels acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z", e);
    }
}
