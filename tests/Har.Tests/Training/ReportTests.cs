using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Reports;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Tests.Training;

public class ReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("har-report-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(6)]
    [InlineData(18)]    // every method and two variants: the bar chart of experiments/hmkd-transformer-mobilenet.json
    [InlineData(45)]
    public void EverySeriesOfABarChartHasAColourOfItsOwn(int n)
    {
        var colours = Enumerable.Range(0, n).Select(s => Plots.SeriesColor(s, n).ToHex()).ToList();
        Assert.Equal(n, colours.Distinct().Count());
    }

    [Fact]
    public void WritesJsonMarkdownAndPngs()
    {
        var data = SyntheticData.Make();
        var model = new TinyModel(new ModelSpec("tiny", 2, 8, 3), new Rng(1));
        var opts = new TrainOptions { Epochs = 3, BatchSize = 16, Lr = 1e-2f, Seed = 1 };
        var r = new Trainer(opts, data, model, _dir).Run();
        var s = new EvalSummary
        {
            Run = _dir, Model = "tiny", Dataset = "synthetic", Device = "cpu", Parameters = model.ParameterCount, MacsPerWindow = model.MacsPerWindow(),
            LatencyMsPerWindow = Evaluator.LatencyMs(model, 1, 3), LatencyMsPerBatch = Evaluator.LatencyMs(model, 8, 3), LatencyBatch = 8,
            BestEpoch = r.State.BestEpoch, TestLoss = r.Test!.Loss, Test = r.Test.Report, History = r.State.History,
        };
        RunReport.Write(_dir, s);
        Assert.Equal(16 * 16 + 16 * 3, s.MacsPerWindow); // two linear layers, counted by the MAC counter
        var md = File.ReadAllText(Path.Combine(_dir, "report.md"));
        Assert.Contains("| c0 |", md);
        Assert.Contains("macro-F1", md);
        var json = File.ReadAllText(Path.Combine(_dir, "metrics.json"));
        Assert.Contains("\"macro_f1\"", json);
        foreach (var png in new[] { "confusion.png", "curves_loss.png", "curves_metrics.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(_dir, png));
            Assert.True(bytes.Length > 1000, png);
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        }
    }
}
