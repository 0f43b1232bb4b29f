using System.Globalization;
using System.Text;
using System.Text.Json;
using HarFromScratch.Engine.IO;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Reports;

/// <summary>Everything `har eval` reports about a run.</summary>
public sealed record EvalSummary
{
    public required string Run { get; init; }
    public required string Model { get; init; }
    public required string Dataset { get; init; }
    public required string Device { get; init; }
    public required long Parameters { get; init; }
    public required long MacsPerWindow { get; init; }
    public required double LatencyMsPerWindow { get; init; }
    public required double LatencyMsPerBatch { get; init; }
    public required int LatencyBatch { get; init; }
    public required int BestEpoch { get; init; }
    public required double TestLoss { get; init; }
    public required ClassificationReport Test { get; init; }
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>Which weights were tested, for the report; null = the run's selected epoch (<see cref="RunReport.SelectedEpoch"/>).</summary>
    public string? Selection { get; init; }
}

/// <summary>Writes metrics.json, report.md, confusion.png and the training-curve PNGs into a run folder.</summary>
public static class RunReport
{
    /// <summary>Which weights were tested: the best validation epoch, or the last one (no validation split, or --select-by last).</summary>
    public static string SelectedEpoch(int bestEpoch, IReadOnlyList<EpochRecord> history, string selectBy)
    {
        if (selectBy == "last") return $"the weights after the last epoch, {bestEpoch} (--select-by last)";
        bool validated = history.Count == 0 || history[^1].Validated;
        return validated ? $"best epoch {bestEpoch} selected on the validation subjects" : $"no validation split: the weights after the last epoch, {bestEpoch}";
    }

    /// <summary>A validation metric for the report's table: "-" when there were no validation windows (NaN).</summary>
    static string ValCell(double v) => double.IsNaN(v) ? "-" : v.ToString("F4", CultureInfo.InvariantCulture);

    public static void Write(string dir, EvalSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        var json = new
        {
            run = s.Run, model = s.Model, dataset = s.Dataset, device = s.Device,
            parameters = s.Parameters, macs_per_window = s.MacsPerWindow,
            latency_ms_per_window = s.LatencyMsPerWindow, latency_ms_per_batch = s.LatencyMsPerBatch, latency_batch = s.LatencyBatch,
            best_epoch = s.BestEpoch, test_loss = s.TestLoss, accuracy = s.Test.Accuracy, macro_f1 = s.Test.MacroF1,
            per_class = s.Test.PerClass.Select(c => new { name = c.Name, precision = c.Precision, recall = c.Recall, f1 = c.F1, support = c.Support }),
            confusion = Enumerable.Range(0, s.Test.ClassNames.Count).Select(i => Enumerable.Range(0, s.Test.ClassNames.Count).Select(j => s.Test.Confusion[i, j]).ToArray()),
            class_names = s.Test.ClassNames,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "metrics.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));

        var md = new StringBuilder();
        md.AppendLine($"# {s.Model} on {s.Dataset}").AppendLine();
        md.AppendLine(string.Create(inv, $"Test subjects: accuracy **{s.Test.Accuracy:P2}**, macro-F1 **{s.Test.MacroF1:P2}**, loss {s.TestLoss:F4} ({s.Test.Count} windows; {s.Selection ?? SelectedEpoch(s.BestEpoch, s.History, "macro_f1")})."));
        md.AppendLine();
        md.AppendLine("| size and speed | |").AppendLine("|---|---:|");
        md.AppendLine(string.Create(inv, $"| parameters | {s.Parameters:N0} |"));
        md.AppendLine(string.Create(inv, $"| multiply-accumulates per window | {s.MacsPerWindow:N0} |"));
        md.AppendLine(string.Create(inv, $"| latency per window (batch 1, {s.Device}) | {s.LatencyMsPerWindow:F3} ms |"));
        md.AppendLine(string.Create(inv, $"| latency per batch of {s.LatencyBatch} ({s.Device}) | {s.LatencyMsPerBatch:F3} ms |"));
        md.AppendLine();
        md.AppendLine("## Per class").AppendLine();
        md.AppendLine("| class | precision | recall | F1 | support |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var c in s.Test.PerClass)
            md.AppendLine(string.Create(inv, $"| {c.Name} | {c.Precision:F4} | {c.Recall:F4} | {c.F1:F4} | {c.Support} |"));
        md.AppendLine().AppendLine("## Confusion matrix").AppendLine().Append(s.Test.ConfusionMarkdown()).AppendLine();
        md.AppendLine("![confusion](confusion.png)").AppendLine();
        if (s.History.Count > 0)
        {
            md.AppendLine("## Training").AppendLine();
            md.AppendLine("| epoch | train loss | train acc | val loss | val acc | val macro-F1 | lr | s |").AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var h in s.History)
                md.AppendLine(string.Create(inv, $"| {h.Epoch} | {h.TrainLoss:F4} | {h.TrainAccuracy:F4} | {ValCell(h.ValLoss)} | {ValCell(h.ValAccuracy)} | {ValCell(h.ValMacroF1)} | {h.Lr:G3} | {h.Seconds:F1} |"));
            md.AppendLine().AppendLine("![loss](curves_loss.png) ![metrics](curves_metrics.png)");
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), md.ToString());

        Plots.Confusion(s.Test, Path.Combine(dir, "confusion.png"), $"{s.Model} on {s.Dataset} (test)");
        if (s.History.Count > 0)
        {
            Plots.LossCurves(s.History, Path.Combine(dir, "curves_loss.png"), $"{s.Model} on {s.Dataset}");
            Plots.MetricCurves(s.History, Path.Combine(dir, "curves_metrics.png"), $"{s.Model} on {s.Dataset}");
        }
    }
}
