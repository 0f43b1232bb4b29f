using System.Globalization;
using System.Text;
using System.Text.Json;
using HarFromScratch.Engine.IO;
using HarFromScratch.Har.Reports;

namespace HarFromScratch.Har.Distillation.Experiments;

/// <summary>
/// The comparison table of a grid, from its finished cells: one row per (dataset, teacher, student, arm), written as
/// results.md / .csv, a bar chart (results.png) and the per-class F1 table (results-per-class.md / .csv). With
/// <paramref name="lastEpoch"/> it is built from each cell's last-epoch test (CELL/eval-last/metrics.json, written by
/// `har eval --checkpoint last`) and written as results-last.*, beside the table of the weights the cells selected.
/// </summary>
public sealed class ExperimentTable(ExperimentGrid grid, string outDir, bool lastEpoch = false)
{
    /// <summary>A cell's last-epoch test (`har eval --checkpoint last --out CELL/eval-last`).</summary>
    public static string LastEpochMetrics(GridCell c) => Path.Combine(c.Dir, "eval-last", "metrics.json");

    private string MetricsOf(GridCell c) => lastEpoch ? LastEpochMetrics(c) : Path.Combine(c.Dir, "metrics.json");
    private string Prefix => lastEpoch ? "results-last" : "results";

    /// <summary>One row of the comparison table; CellSeconds is the mean over seeds of a cell's time in epochs (training
    /// and validation, from its log; data loading and the test pass are not in it); for mutual methods also the mean test
    /// scores of the co-trained teacher (at the student's best epoch), null otherwise. VsAlone: for a distilled student,
    /// its macro-F1 minus the student alone's on the same dataset and seed, over the seeds both have finished. VsReference:
    /// the same against the grid's "compare_to" arm with the same teacher and student (null for that arm itself, or without
    /// "compare_to"). PerClass: each class's test F1, mean and std over the seeds (null when a metrics.json has no
    /// per-class scores).</summary>
    public sealed record Row(string Dataset, string Teacher, string Student, string Method, int Seeds, double AccMean, double AccStd, double F1Mean, double F1Std,
        long Parameters, long Macs, double LatencyMs, double CellSeconds, double? TeacherAcc = null, double? TeacherF1 = null, PairedDelta? VsAlone = null,
        IReadOnlyList<ClassF1>? PerClass = null, PairedDelta? VsReference = null);

    public sealed record ClassF1(string Name, double Mean, double Std);

    /// <summary>Per-class test F1 over a group's metrics.json files, class by class in the order of the first.</summary>
    private static IReadOnlyList<ClassF1>? PerClassF1(List<JsonElement> m)
    {
        if (!m.All(x => x.TryGetProperty("per_class", out var pc) && pc.ValueKind == JsonValueKind.Array)) return null;
        var names = m[0].GetProperty("per_class").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
        var f1 = m.Select(x => x.GetProperty("per_class").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("f1").GetDouble())).ToList();
        if (f1.Any(d => d.Count != names.Count || names.Any(n => !d.ContainsKey(n)))) return null;   // cells disagree on the classes
        return names.Select(n => { var v = f1.Select(d => d[n]).ToArray(); return new ClassF1(n, v.Average(), Std(v)); }).ToList();
    }

    /// <summary>Differences paired by seed: their mean and std, how many pairs, and in how many the row is ≥ the reference.
    /// The two cells of a pair share the split and the seed, so a paired difference shows a gain that the seeds' own
    /// spread can hide, or that a gain of the means comes from one seed. Ci95: the half-width of the 95 % confidence
    /// interval of the mean difference (Student t with pairs − 1 degrees of freedom; NaN for one pair): an interval that
    /// holds 0 does not tell the two arms apart.</summary>
    public sealed record PairedDelta(double Mean, double Std, int Pairs, int AtLeast, double Ci95)
    {
        public static PairedDelta? Of(double[] diffs) => diffs.Length == 0 ? null
            : new PairedDelta(diffs.Average(), ExperimentTable.Std(diffs), diffs.Length, diffs.Count(d => d >= 0), StudentT.HalfWidth(ExperimentTable.Std(diffs), diffs.Length));

        /// <summary>"+0.52 ± 0.80 (3/3) [−1.47, +2.51]" in points of %, the interval left out for one pair.</summary>
        public string Show() => string.Create(CultureInfo.InvariantCulture, $"{Signed(Mean)} ± {100 * Std:F2} ({AtLeast}/{Pairs})")
            + (double.IsNaN(Ci95) ? "" : $" [{Signed(Mean - Ci95)}, {Signed(Mean + Ci95)}]");

        /// <summary>A fraction as signed points of %, rounded first: .NET writes a small negative that rounds to zero as "-+0.00".</summary>
        private static string Signed(double fraction) => (Math.Round(100 * fraction, 2) + 0.0).ToString("+0.00;-0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>A cell's time in epochs: the sum of its log's epoch seconds (a resumed cell's log holds every epoch once).</summary>
    private static double EpochSeconds(GridCell c) => c.LogRecords("epoch").Sum(e => e.GetProperty("Seconds").GetDouble());

    /// <summary>The co-trained teacher's test accuracy and macro-F1 from a cell's log, if it has them.</summary>
    private static (double acc, double f1)? CoTrainedTeacher(GridCell c)
    {
        var test = c.LogRecords("test").LastOrDefault();
        return test.ValueKind == JsonValueKind.Object && test.TryGetProperty("teacher_accuracy", out var a) && test.TryGetProperty("teacher_macro_f1", out var f)
            ? (a.GetDouble(), f.GetDouble()) : null;
    }

    public List<Row> Rows(List<GridCell> cells)
    {
        var rows = new List<Row>();
        // each finished cell's metrics.json, read once: the rows and the pairing with the student alone both use it
        var metrics = cells.Where(c => c.Finished).ToDictionary(c => c, c => JsonDocument.Parse(File.ReadAllText(MetricsOf(c))).RootElement);
        static double F1(JsonElement x) => x.GetProperty("macro_f1").GetDouble();
        var alone = metrics.Where(kv => kv.Key.Kind == "alone").ToDictionary(kv => (kv.Key.Dataset, kv.Key.Student, kv.Key.Seed), kv => F1(kv.Value));
        var reference = grid.CompareTo is not { } refArm ? [] : metrics.Where(kv => kv.Key.Kind == "distill" && string.Equals(kv.Key.Method, refArm, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(kv => (kv.Key.Dataset, kv.Key.Teacher, kv.Key.Student, kv.Key.Seed), kv => F1(kv.Value));
        foreach (var g in cells.GroupBy(c => (c.Dataset, c.Teacher, c.Student, c.Method, c.Kind)))
        {
            var finished = g.Where(c => c.Finished).ToList();
            var m = finished.Select(c => metrics[c]).ToList();
            if (m.Count == 0) continue;
            var deltas = g.Key.Kind != "distill" ? [] : finished
                .Where(c => alone.ContainsKey((c.Dataset, c.Student, c.Seed))).Select(c => F1(metrics[c]) - alone[(c.Dataset, c.Student, c.Seed)]).ToArray();
            var vsReference = g.Key.Kind != "distill" || string.Equals(g.Key.Method, grid.CompareTo, StringComparison.OrdinalIgnoreCase) ? [] : finished
                .Where(c => reference.ContainsKey((c.Dataset, c.Teacher, c.Student, c.Seed))).Select(c => F1(metrics[c]) - reference[(c.Dataset, c.Teacher, c.Student, c.Seed)]).ToArray();
            var acc = m.Select(x => x.GetProperty("accuracy").GetDouble()).ToArray();
            var f1 = m.Select(F1).ToArray();
            var first = m[0];
            // the log's co-trained teacher was tested with the student's selected weights, not its last ones
            var teacher = lastEpoch ? [] : finished.Select(CoTrainedTeacher).Where(t => t != null).Select(t => t!.Value).ToList();
            rows.Add(new Row(g.Key.Dataset, g.Key.Teacher, g.Key.Student, g.Key.Method, m.Count, acc.Average(), Std(acc), f1.Average(), Std(f1),
                first.GetProperty("parameters").GetInt64(), first.GetProperty("macs_per_window").GetInt64(), m.Average(x => x.GetProperty("latency_ms_per_window").GetDouble()),
                finished.Average(EpochSeconds), teacher.Count > 0 ? teacher.Average(t => t.acc) : null, teacher.Count > 0 ? teacher.Average(t => t.f1) : null,
                PairedDelta.Of(deltas), PerClassF1(m), PairedDelta.Of(vsReference)));
        }
        return rows;
    }

    /// <summary>
    /// results-per-class.md and .csv: each row's mean test F1 per class, one table per dataset. Macro-F1 weighs every
    /// class alike, so a method's gain or loss often sits in a few small classes (HAPT's postural transitions); this
    /// shows which.
    /// </summary>
    private void WritePerClass(List<Row> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder($"# {grid.Name}: test F1 per class (%), mean over seeds\n");
        var csv = new StringBuilder("dataset,teacher,student,method,seeds,class,f1_mean,f1_std\n");
        foreach (var ds in rows.Where(r => r.PerClass != null).GroupBy(r => r.Dataset))
        {
            var classes = ds.First().PerClass!.Select(c => c.Name).ToList();
            md.AppendLine().AppendLine($"## {ds.Key}").AppendLine();
            md.AppendLine($"| teacher | student | method | seeds | {string.Join(" | ", classes)} |");
            md.AppendLine($"|---|---|---|---:|{string.Concat(classes.Select(_ => "---:|"))}");
            foreach (var r in ds)
            {
                var f1 = r.PerClass!.ToDictionary(c => c.Name);
                md.AppendLine(string.Create(inv, $"| {r.Teacher} | {r.Student} | {r.Method} | {r.Seeds} | {string.Join(" | ", classes.Select(c => f1.TryGetValue(c, out var v) ? (100 * v.Mean).ToString("F1", inv) : "-"))} |"));
                foreach (var c in r.PerClass!)
                    csv.AppendLine(string.Create(inv, $"{r.Dataset},{r.Teacher},{r.Student},{r.Method},{r.Seeds},{c.Name},{c.Mean:R},{c.Std:R}"));
            }
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, $"{Prefix}-per-class.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, $"{Prefix}-per-class.csv"), csv.ToString());
    }

    private static double Std(double[] v) => v.Length < 2 ? 0 : Math.Sqrt(v.Sum(x => (x - v.Average()) * (x - v.Average())) / (v.Length - 1));

    /// <summary>Writes results.md, results.csv, results-per-class.md/.csv and results.png (results-last.* for the last
    /// epoch's table) from the finished cells.</summary>
    public void Write(List<GridCell> cells)
    {
        var rows = Rows(cells);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine($"# {grid.Name}{(lastEpoch ? ": the weights after each cell's last epoch" : "")}").AppendLine();
        if (lastEpoch)
            md.AppendLine("Every cell tested with its weights after the last epoch (`har eval --checkpoint last`, in CELL/eval-last), whatever epoch it selected: "
                + "the same comparison without the noise of picking an epoch on a few validation subjects. results.md holds the selected weights' table.").AppendLine();
        md.AppendLine("Test-subject accuracy and macro-F1 (%), mean ± std over seeds; size and latency of the model of the row (the student, or the teacher in teacher rows). "
            + "Δ F1 vs alone: the distilled student's macro-F1 minus the student alone's, paired by seed (mean ± std), on how many seeds it is ≥ the student alone, "
            + "and the 95 % confidence interval of the mean difference (Student t over the pairs; one that holds 0 does not tell the two apart)"
            + (grid.CompareTo is { } refArm ? $". Δ F1 vs {refArm}: the same against the {refArm} cells of the same teacher, student and seed." : ".")).AppendLine();
        var refColumn = grid.CompareTo is { } c ? $" Δ F1 vs {c} |" : "";
        md.AppendLine($"| dataset | teacher | student | method | seeds | accuracy | macro-F1 | Δ F1 vs alone |{refColumn} params | MACs/window | latency ms/window | s/cell | co-trained teacher acc / F1 |");
        md.AppendLine($"|---|---|---|---|---:|---:|---:|---:|{(refColumn.Length > 0 ? "---:|" : "")}---:|---:|---:|---:|---:|");
        var csv = new StringBuilder("dataset,teacher,student,method,seeds,accuracy_mean,accuracy_std,macro_f1_mean,macro_f1_std,parameters,macs_per_window,latency_ms_per_window,seconds_per_cell,cotrained_teacher_accuracy,cotrained_teacher_macro_f1,"
            + "macro_f1_vs_alone_mean,macro_f1_vs_alone_std,vs_alone_pairs,vs_alone_at_least,macro_f1_vs_alone_ci95"
            + (refColumn.Length > 0 ? ",macro_f1_vs_reference_mean,macro_f1_vs_reference_std,vs_reference_pairs,vs_reference_at_least,macro_f1_vs_reference_ci95" : "") + "\n");
        static string Csv(PairedDelta? d) => d == null ? ",,,," : string.Create(CultureInfo.InvariantCulture, $"{d.Mean:R},{d.Std:R},{d.Pairs},{d.AtLeast},{(double.IsNaN(d.Ci95) ? "" : d.Ci95.ToString("R", CultureInfo.InvariantCulture))}");
        foreach (var r in rows)
        {
            var vsRef = refColumn.Length > 0 ? $" {r.VsReference?.Show() ?? "-"} |" : "";
            md.AppendLine(string.Create(inv, $"| {r.Dataset} | {r.Teacher} | {r.Student} | {r.Method} | {r.Seeds} | {100 * r.AccMean:F2} ± {100 * r.AccStd:F2} | {100 * r.F1Mean:F2} ± {100 * r.F1Std:F2} | {r.VsAlone?.Show() ?? "-"} |{vsRef} {r.Parameters:N0} | {r.Macs:N0} | {r.LatencyMs:F3} | {r.CellSeconds:F0} | {(r.TeacherAcc is { } ta ? $"{100 * ta:F2} / {100 * r.TeacherF1!.Value:F2}" : "-")} |"));
            csv.AppendLine(string.Create(inv, $"{r.Dataset},{r.Teacher},{r.Student},{r.Method},{r.Seeds},{r.AccMean:R},{r.AccStd:R},{r.F1Mean:R},{r.F1Std:R},{r.Parameters},{r.Macs},{r.LatencyMs:R},{r.CellSeconds:R},{r.TeacherAcc?.ToString("R", inv)},{r.TeacherF1?.ToString("R", inv)},{Csv(r.VsAlone)}")
                + (refColumn.Length > 0 ? "," + Csv(r.VsReference) : ""));
        }
        // the grid's cost, for the issue's "finishes in a time you state": every finished cell's epochs, one after another
        // (a row's mean times its seeds gives back its cells' sum: no log is read again)
        md.AppendLine().AppendLine(string.Create(inv, $"s/cell: a cell's time in epochs (training and validation; data loading and testing not included), mean over seeds. {rows.Sum(r => r.Seeds)} finished cells, {rows.Sum(r => r.CellSeconds * r.Seeds) / 3600:F2} h of epochs one after another."));
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, $"{Prefix}.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, $"{Prefix}.csv"), csv.ToString());
        WritePerClass(rows);

        // chart: one group per (dataset, pair), one bar per method (student alone first), macro-F1 in %
        var pairs = grid.Datasets.SelectMany(ds => grid.Pairs.Select(p => (ds, t: ExperimentRunner.Tag(p.Teacher.Replace("{dataset}", ds)), s: p.Student))).Distinct().ToList();
        var series = new List<string>();
        if (grid.StudentAlone) series.Add("alone");
        series.AddRange(grid.ResolvedMethods());
        if (rows.Count == 0 || pairs.Count == 0) return;
        var mean = new double[pairs.Count, series.Count];
        var std = new double[pairs.Count, series.Count];
        for (int g = 0; g < pairs.Count; g++)
            for (int s = 0; s < series.Count; s++)
            {
                var (ds, t, st) = pairs[g];
                var r = rows.FirstOrDefault(x => x.Dataset == ds && x.Student == st && x.Method == series[s] && (series[s] == "alone" || x.Teacher == t));
                if (r != null) { mean[g, s] = 100 * r.F1Mean; std[g, s] = 100 * r.F1Std; }
            }
        Plots.Bars(pairs.Select(p => $"{p.ds}: {p.t}->{p.s}").ToList(), series, mean, std, Path.Combine(outDir, $"{Prefix}.png"), grid.Name + (lastEpoch ? " (last epoch)" : ""), "macro-F1 (%)");
    }
}
