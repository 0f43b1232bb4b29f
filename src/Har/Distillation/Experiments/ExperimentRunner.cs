using System.Globalization;
using System.Text;
using System.Text.Json;
using HarFromScratch.Engine.IO;
using HarFromScratch.Har.Cli;

namespace HarFromScratch.Har.Distillation.Experiments;

/// <summary>One run of a grid: its folder and the `har` arguments that make it.</summary>
public sealed record GridCell(string Kind, string Dataset, string Teacher, string Student, string Method, ulong Seed, string Dir, List<string> Args)
{
    public bool Finished => File.Exists(Path.Combine(Dir, "metrics.json"));
    public bool Started => File.Exists(Path.Combine(Dir, "state.json"));

    /// <summary>The cell's options as the grid gave them when it ran (written before it starts), one per line.</summary>
    public string RecordPath => Path.Combine(Dir, "grid-cell.txt");

    /// <summary>Options that do not change what a cell computes (where the data is, console output, the device: a grid
    /// may be shared between a GPU and cpu workers) are left out of its record.</summary>
    private static readonly HashSet<string> Incidental = ["--data", "--cache", "--device"];

    /// <summary>The records of the cell's log.jsonl of one type ("epoch", "test"); none when it has no log yet.</summary>
    public List<JsonElement> LogRecords(string type)
    {
        var log = new Training.RunFiles(Dir).Log;
        return File.Exists(log)
            ? File.ReadLines(log).Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("type").GetString() == type).ToList()
            : [];
    }

    public List<string> RecordedOptions()
    {
        var r = new List<string>();
        for (int i = 0; i < Args.Count; i++)
        {
            if (Incidental.Contains(Args[i])) { i++; continue; }
            if (Args[i] is "--quiet" or "--resume") continue;
            r.Add(Args[i]);
        }
        return r;
    }
}

/// <summary>
/// Runs a grid: teachers first (when the grid trains them), then per dataset and pair the student-alone cells and
/// the distillation cells, each through the `har train` / `har distill` commands in its own run folder. A cell
/// whose metrics.json exists is finished and skipped; one with a state.json but no metrics.json was interrupted
/// and continues with --resume. Cancellation is checked between cells (and inside a cell by the trainer). The
/// comparison table (results.md, results.csv, results.png) is rewritten from the finished cells at the end.
/// </summary>
public sealed class ExperimentRunner(ExperimentGrid grid, ExperimentRunner.Settings settings, TextWriter stdout, TextWriter stderr)
{
    public sealed record Settings
    {
        public string? Out { get; init; }
        public int? Epochs { get; init; }
        public int? MaxBatches { get; init; }
        public string? Device { get; init; }
        public string? DataDir { get; init; }
        public string? CacheDir { get; init; }
        public bool Quiet { get; init; } = true;
    }

    public string OutDir { get; } = Path.GetFullPath(settings.Out ?? grid.Out ?? Path.Combine("runs", "grid-" + grid.Name));

    /// <summary>Called after each cell that ran to completion (tests use it to interrupt a grid).</summary>
    public Action<GridCell>? CellFinished { get; set; }

    public static string Tag(string teacher) => teacher.Contains('/') || teacher.Contains('\\') ? Path.GetFileName(teacher.TrimEnd('/', '\\')) : teacher;

    /// <summary>Every cell, in run order.</summary>
    public List<GridCell> Cells()
    {
        var cells = new List<GridCell>();
        var methods = grid.ResolvedMethods();
        foreach (var ds in grid.Datasets)
        {
            var dsDir = Path.Combine(OutDir, ds);
            var teachers = new Dictionary<string, string>();
            foreach (var pair in grid.Pairs)
            {
                var t = pair.Teacher.Replace("{dataset}", ds);
                if (GridPair.IsModelName(t) && grid.TrainTeachers)
                {
                    var dir = Path.Combine(dsDir, "teachers", $"{t}-s{grid.TeacherSeed}");
                    if (!teachers.ContainsKey(t))
                        cells.Add(new GridCell("teacher", ds, t, t, "teacher", grid.TeacherSeed, dir,
                            ["train", "--dataset", ds, "--model", t, "--seed", S(grid.TeacherSeed), "--out", dir, .. Merge(grid.TeacherArgs)]));
                    teachers[t] = dir;
                }
                else teachers[t] = GridPair.IsModelName(t) ? t : Path.GetFullPath(t);
            }
            foreach (var student in grid.Pairs.Select(p => p.Student).Distinct())
                if (grid.StudentAlone)
                    foreach (var seed in grid.Seeds)
                    {
                        var dir = Path.Combine(dsDir, "alone", $"{student}-s{seed}");
                        cells.Add(new GridCell("alone", ds, "-", student, "alone", seed, dir,
                            ["train", "--dataset", ds, "--model", student, "--seed", S(seed), "--out", dir, .. Merge(grid.Args)]));
                    }
            foreach (var pair in grid.Pairs)
            {
                var t = pair.Teacher.Replace("{dataset}", ds);
                var teacherArg = teachers[t];
                foreach (var m in methods)
                    foreach (var seed in grid.Seeds)
                    {
                        var dir = Path.Combine(dsDir, $"{Tag(t)}--{pair.Student}", $"{m}-s{seed}");
                        var args = new List<string> { "distill", "--dataset", ds, "--teacher", teacherArg, "--student", pair.Student, "--method", grid.MethodOf(m), "--seed", S(seed), "--out", dir };
                        foreach (var s in grid.SetsOf(m)) { args.Add("--set"); args.Add(s); }
                        args.AddRange(Merge(grid.ArgsOf(m)));
                        cells.Add(new GridCell("distill", ds, Tag(t), pair.Student, m, seed, dir, args));
                    }
            }
        }
        return cells;
    }

    /// <summary>
    /// Parses every cell's `har` command line before anything runs, so that a misspelt option or a bad value in the
    /// grid's "args" or "teacher_args" fails at once, not hours later when its first cell starts.
    /// </summary>
    public void CheckCommandLines(IEnumerable<GridCell> cells)
    {
        var root = HarCli.BuildRoot(TextWriter.Null, TextWriter.Null);
        foreach (var c in cells)
        {
            var parse = root.Parse(c.Args);
            if (parse.Errors.Count > 0)
                throw new InvalidDataException($"grid '{grid.Name}': the {c.Kind} cell ({c.Dataset}, {c.Student}, {c.Method}, seed {c.Seed}) "
                    + $"has a command line that does not parse (check {Source(c)}): {parse.Errors[0].Message}");
        }
    }

    private string Source(GridCell c) =>
        c.Kind == "teacher" ? "\"teacher_args\"" : c.Kind == "distill" && grid.HasOwnArgs(c.Method) ? $"\"args\" and the \"args\" of variant '{c.Method}'" : "\"args\"";

    private static string S(ulong v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The grid's options with the command-line overrides (epochs, batches, device, data) put in their place.</summary>
    private List<string> Merge(List<string> args)
    {
        var overrides = new List<string>();
        if (settings.Epochs is { } e) overrides.AddRange(["--epochs", S((ulong)e)]);
        if (settings.MaxBatches is { } b) overrides.AddRange(["--max-batches", S((ulong)b)]);
        if (settings.Device is { } d) overrides.AddRange(["--device", d]);
        var result = GridArgs.Override(args, overrides);
        result.AddRange(DataArgs());
        if (settings.Quiet) result.Add("--quiet");
        return result;
    }

    /// <summary>Where the data and its cache are, as the command line gave them to the grid (for every `har` it calls).</summary>
    private List<string> DataArgs()
    {
        var args = new List<string>();
        if (settings.DataDir != null) args.AddRange(["--data", settings.DataDir]);
        if (settings.CacheDir != null) args.AddRange(["--cache", settings.CacheDir]);
        return args;
    }

    /// <summary>How long a worker waits before looking again when every remaining cell is taken by another worker or
    /// waits for a teacher that another worker is training.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs the unfinished cells. Several `har experiment` processes may run the same grid at once (one per core or
    /// GPU): each claims a cell by creating DIR.lock (create-new, so exactly one wins), skips cells other live workers
    /// hold, and starts a distillation cell only once the grid's teacher it needs is finished. A lock left by a worker
    /// that died (its process is gone) is taken over, and that cell resumes.
    /// </summary>
    /// <summary>
    /// Refuses a grid whose started or finished cells were run with other options than the grid now gives them (the
    /// grid file was edited, or a quick run with --epochs / --max-batches used the same folder): skipping such a cell
    /// would put its old result in the new table. Cells without a record (from before records) pass. A grid folder
    /// that was moved, or cells copied from another grid's folder, are compared as if recorded here: paths under the
    /// folder the cell was run in (its --out, a --teacher trained by that grid) count relative to it.
    /// </summary>
    public void CheckRecords(IEnumerable<GridCell> cells)
    {
        foreach (var c in cells)
        {
            if (!File.Exists(c.RecordPath) || !(c.Finished || c.Started)) continue;
            var was = RebasedOnto(EffectiveOptions(File.ReadAllLines(c.RecordPath).Where(l => l.Length > 0).ToList()), c);
            var now = EffectiveOptions(c.RecordedOptions());
            var diffs = was.Keys.Union(now.Keys)
                .Where(k => !was.TryGetValue(k, out var a) || !now.TryGetValue(k, out var b) || a != b)
                .Select(k => $"{k}: {(was.TryGetValue(k, out var a) ? Show(a) : "(absent)")} -> {(now.TryGetValue(k, out var b) ? Show(b) : "(absent)")}")
                .ToList();
            if (diffs.Count == 0) continue;
            throw new InvalidDataException($"grid '{grid.Name}': the {c.Kind} cell {c.Dir} was run with other options than the grid gives it now "
                + $"({Path.GetFileName(c.RecordPath)}: {string.Join("; ", diffs)}). Delete that folder to run the cell again, or restore the grid's options; "
                + "a quick run with --epochs or --max-batches belongs in a folder of its own (--out).");
        }
        static string Show(string v) => v.Length == 0 ? "(given)" : v;
    }

    /// <summary>Recorded options with the grid folder the cell ran in (its recorded --out minus the cell's place in the
    /// grid) replaced by this grid's folder; a record whose --out is not the cell's place under some folder is left as is.</summary>
    private Dictionary<string, string> RebasedOnto(Dictionary<string, string> recorded, GridCell c)
    {
        if (!recorded.TryGetValue("--out", out var recordedOut)) return recorded;
        string sep = Path.DirectorySeparatorChar.ToString();
        string place = sep + Path.GetRelativePath(OutDir, c.Dir);
        if (!recordedOut.EndsWith(place, StringComparison.Ordinal)) return recorded;
        string oldRoot = recordedOut[..^place.Length];
        if (oldRoot.Length == 0 || oldRoot == OutDir) return recorded;
        return recorded.ToDictionary(kv => kv.Key, kv => kv.Value == oldRoot ? OutDir
            : kv.Value.StartsWith(oldRoot + sep, StringComparison.Ordinal) ? OutDir + kv.Value[oldRoot.Length..] : kv.Value);
    }

    /// <summary>A command line as the options it sets: the command, each option's last value (a flag's is ""), and each
    /// --set coefficient's last value, so that the order of the options does not count.</summary>
    private static Dictionary<string, string> EffectiveOptions(List<string> a)
    {
        var d = new Dictionary<string, string> { ["command"] = a.Count > 0 ? a[0] : "" };
        foreach (var g in GridArgs.Groups(a.Skip(1).ToList()))
        {
            if (!g[0].StartsWith("--")) continue;
            string value = g.Count > 1 ? g[1] : "";
            if (g[0] == "--set" && g.Count > 1)
            {
                int eq = value.IndexOf('=');
                d["--set " + (eq < 0 ? value : value[..eq])] = eq < 0 ? "" : value[(eq + 1)..];
            }
            else d[g[0]] = value;
        }
        return d;
    }

    public int Run(CancellationToken cancel = default)
    {
        var cells = Cells();
        CheckCommandLines(cells);
        CheckRecords(cells);
        Directory.CreateDirectory(OutDir);
        int failed = 0, ran = 0, skipped = cells.Count(c => c.Finished);
        var inv = CultureInfo.InvariantCulture;
        var teacherCells = cells.Where(c => c.Kind == "teacher").ToDictionary(c => c.Dir);
        var pending = cells.Where(c => !c.Finished).ToList();
        var failedCells = new HashSet<GridCell>();
        while (true)
        {
            bool progress = false, waiting = false;
            foreach (var c in pending.ToList())
            {
                if (c.Finished || failedCells.Contains(c)) { pending.Remove(c); continue; }
                if (cancel.IsCancellationRequested) { stdout.WriteLine("interrupted; run the same command again to continue"); WriteTable(cells); return 130; }
                int at = c.Args.IndexOf("--teacher");
                if (at >= 0 && teacherCells.TryGetValue(c.Args[at + 1], out var teacher) && !teacher.Finished)
                {
                    if (failedCells.Contains(teacher)) { failedCells.Add(c); failed++; stderr.WriteLine($"cell {c.Dir} skipped: its teacher {teacher.Dir} failed"); }
                    else waiting = true;
                    continue;
                }
                using var claim = CellLock.TryClaim(c.Dir);
                if (claim == null) { waiting = true; continue; }
                if (c.Finished) { pending.Remove(c); continue; }   // finished by another worker meanwhile
                var args = new List<string>(c.Args);
                if (c.Started) args.Add("--resume");
                Directory.CreateDirectory(c.Dir);
                AtomicFile.WriteAllText(c.RecordPath, string.Join('\n', c.RecordedOptions()) + "\n");
                stdout.WriteLine($"[{cells.IndexOf(c) + 1}/{cells.Count}] {c.Kind} {c.Dataset} {c.Teacher} -> {c.Student} {c.Method} seed {c.Seed}{(c.Started ? " (resuming)" : "")}");
                var sw = System.Diagnostics.Stopwatch.StartNew();
                var cellOut = new StringWriter();
                int code = HarCli.Run([.. args], settings.Quiet ? cellOut : stdout, stderr);
                sw.Stop();
                if (code == 130) { stdout.WriteLine("interrupted; run the same command again to resume"); WriteTable(cells); return 130; }
                progress = true;
                pending.Remove(c);
                if (code != 0) { failed++; failedCells.Add(c); stderr.WriteLine($"cell {c.Dir} failed (exit {code}); continuing"); continue; }
                ran++;
                File.AppendAllText(Path.Combine(OutDir, "timings.jsonl"), JsonSerializer.Serialize(new { dir = c.Dir, kind = c.Kind, dataset = c.Dataset, method = c.Method, seed = c.Seed, seconds = sw.Elapsed.TotalSeconds }) + "\n");
                if (settings.Quiet) stdout.WriteLine(string.Create(inv, $"    {ResultLines(cellOut.ToString())} ({sw.Elapsed.TotalSeconds:F1} s)"));
                CellFinished?.Invoke(c);
            }
            if (pending.Count == 0) break;
            if (!progress && waiting)
            {
                // everything left is held by other workers or waits for their teachers
                if (cancel.WaitHandle.WaitOne(PollInterval)) continue;
            }
        }
        WriteTable(cells);
        stdout.WriteLine($"{ran} cells run, {skipped} already finished, {failed} failed; table: {Path.Combine(OutDir, "results.md")}");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>Writes the table from the cells finished so far and runs nothing (`har experiment --table`).</summary>
    public int Table()
    {
        var cells = CellsToTabulate();
        int finished = cells.Count(c => c.Finished);
        WriteTable(cells);
        stdout.WriteLine($"{finished} of {cells.Count} cells finished; table: {Path.Combine(OutDir, "results.md")}");
        return 0;
    }

    /// <summary>Every cell, after the record check, for a table; an error when none has finished.</summary>
    private List<GridCell> CellsToTabulate()
    {
        var cells = Cells();
        CheckRecords(cells);
        if (!cells.Any(c => c.Finished)) throw new InvalidDataException($"grid '{grid.Name}': none of its {cells.Count} cells has finished in {OutDir}; nothing to tabulate");
        return cells;
    }

    /// <summary>
    /// `har experiment --table --checkpoint last`: tests every finished cell's weights after its last epoch (through
    /// `har eval --checkpoint last --out CELL/eval-last`, once per cell; later calls reuse it) and writes that table as
    /// results-last.*. A cell that picked an early epoch on a few validation subjects can move a three-seed mean by a
    /// point; this shows the comparison without that pick, from the runs already made.
    /// </summary>
    public int TableLast()
    {
        var cells = CellsToTabulate();
        var finished = cells.Where(c => c.Finished).ToList();
        int tested = 0;
        foreach (var c in finished)
        {
            var last = ExperimentTable.LastEpochMetrics(c);
            // a cell finished again since (deleted and rerun) is tested again
            if (File.Exists(last) && File.GetLastWriteTimeUtc(last) >= File.GetLastWriteTimeUtc(Path.Combine(c.Dir, "metrics.json"))) continue;
            var args = new List<string> { "eval", "--run", c.Dir, "--checkpoint", "last", "--out", Path.GetDirectoryName(last)! };
            if (settings.Device is { } d) args.AddRange(["--device", d]);
            args.AddRange(DataArgs());
            var output = new StringWriter();
            int code = HarCli.Run([.. args], output, stderr);
            if (code != 0) throw new InvalidDataException($"grid '{grid.Name}': har eval --checkpoint last of {c.Dir} failed (exit {code}): {output}");
            tested++;
        }
        new ExperimentTable(grid, OutDir, lastEpoch: true).Write(cells);
        stdout.WriteLine($"{finished.Count} of {cells.Count} cells finished, {tested} tested now at their last epoch; table: {Path.Combine(OutDir, "results-last.md")}");
        return 0;
    }

    /// <summary>
    /// Times the grid without running it: one seed of every distinct cell (teachers, students alone, each pair x method)
    /// trains two epochs of <paramref name="batches"/> batches in OUT/estimate; the second epoch's log gives the seconds per
    /// training batch and per validation pass, and the wall time the rest (data, set-up, test evaluation, report: paid once per
    /// cell). A full cell is then epochs x (batches per epoch x seconds per batch + validation) + that one-off cost; the
    /// table (estimate.md) lists it per kind of cell with the number of cells (seeds) and the grid's total. Early stopping
    /// (--patience) can only shorten a cell, so for such cells the figure is an upper bound; so it is for progressive SMLDist,
    /// timed with its joint schedule.
    /// </summary>
    public int Estimate(int batches, CancellationToken cancel = default)
    {
        if (batches < 1) throw new ArgumentException($"--estimate: {batches} batches; expected an integer >= 1");
        var full = Cells();
        CheckCommandLines(full);
        // two short epochs: the second one is timed, after the first has paid for JIT compilation and buffer pools
        var probeRunner = new ExperimentRunner(grid, settings with { Out = Path.Combine(OutDir, "estimate"), Epochs = 2, MaxBatches = batches }, stdout, stderr);
        var probe = probeRunner.Cells();
        var inv = CultureInfo.InvariantCulture;
        var groups = Enumerable.Range(0, full.Count).GroupBy(i => (full[i].Kind, full[i].Dataset, full[i].Teacher, full[i].Student, full[i].Method)).ToList();
        var md = new StringBuilder();
        md.AppendLine($"# {grid.Name}: estimated time on {settings.Device ?? "cpu"} ({Environment.ProcessorCount} cores, {Engine.Devices.Device.CpuThreads} threads)").AppendLine();
        md.AppendLine($"From the second of two epochs of {batches} batches per distinct cell (one seed); a cell = epochs x (batches x s/batch + validation) + one-off.").AppendLine();
        md.AppendLine("| kind | dataset | teacher -> student | method | cells | epochs | batches/epoch | s/batch | validation s | one-off s | s/cell | s total |");
        md.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        double total = 0;
        for (int g = 0; g < groups.Count; g++)
        {
            int i = groups[g].First();
            var p = probe[i];
            // a probe is reused (an interrupted estimate continues) only if it was timed with the same batch count
            var wallFile = Path.Combine(p.Dir, "estimate-wall.txt");
            var stamp = File.Exists(wallFile) ? File.ReadAllText(wallFile).Split(' ') : [];
            if (!p.Finished || stamp.Length != 2 || stamp[0] != batches.ToString(inv))
            {
                if (cancel.IsCancellationRequested) { stdout.WriteLine("interrupted; run the same command again to continue the estimate"); return 130; }
                stdout.WriteLine($"[{g + 1}/{groups.Count}] timing {p.Kind} {p.Dataset} {p.Teacher} -> {p.Student} {p.Method}");
                if (Directory.Exists(p.Dir)) Directory.Delete(p.Dir, recursive: true);
                var args = new List<string>(p.Args);
                // progressive SMLDist spends its first epochs on single stages, so one probe epoch of it would be
                // neither valid (no logits phase) nor typical: time the joint schedule, which runs every term on every
                // batch (an upper bound)
                if (grid.MethodOf(p.Method) == "smldist") args.AddRange(["--set", "schedule=1"]);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                int code = HarCli.Run([.. args], new StringWriter(), stderr);
                if (code != 0) { stderr.WriteLine($"estimate: cell {p.Dir} failed (exit {code})"); return code; }
                stamp = [batches.ToString(inv), sw.Elapsed.TotalSeconds.ToString("R", inv)];
                AtomicFile.WriteAllText(wallFile, string.Join(' ', stamp));
            }
            double wall = double.Parse(stamp[1], inv);
            var epochs = p.LogRecords("epoch");
            var epoch = epochs[^1];
            int ran = epoch.GetProperty("Batches").GetInt32(), fullBatches = epoch.GetProperty("FullBatches").GetInt32();
            double train = epoch.GetProperty("TrainSeconds").GetDouble(), seconds = epoch.GetProperty("Seconds").GetDouble();
            double perBatch = train / Math.Max(ran, 1), validation = seconds - train;
            double oneOff = Math.Max(wall - epochs.Sum(e => e.GetProperty("Seconds").GetDouble()), 0);
            int fullEpochs = EpochsOf(full[i].Args);
            double cell = fullEpochs * (fullBatches * perBatch + validation) + oneOff;
            int count = groups[g].Count();
            total += cell * count;
            var k = groups[g].Key;
            md.AppendLine(string.Create(inv, $"| {k.Kind} | {k.Dataset} | {k.Teacher} -> {k.Student} | {k.Method} | {count} | {fullEpochs} | {fullBatches} | {perBatch:F3} | {validation:F1} | {oneOff:F1} | {cell:F0} | {cell * count:F0} |"));
        }
        var summary = string.Create(inv, $"{full.Count} cells; estimated {total / 3600:F1} h ({total:F0} s) one cell after another");
        md.AppendLine().AppendLine($"**{summary}.**");
        Directory.CreateDirectory(OutDir);
        AtomicFile.WriteAllText(Path.Combine(OutDir, "estimate.md"), md.ToString());
        stdout.Write(md.ToString());
        stdout.WriteLine($"written to {Path.Combine(OutDir, "estimate.md")}");
        return 0;
    }

    /// <summary>The --epochs of a cell's arguments (the `har train` default when absent).</summary>
    private static int EpochsOf(List<string> args)
    {
        int at = args.LastIndexOf("--epochs");
        return at >= 0 && at + 1 < args.Count ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : new Training.TrainOptions().Epochs;
    }

    /// <summary>A quiet cell's result: its test line and what follows it (a head search's choice, a co-trained teacher's
    /// score), else its last line.</summary>
    private static string ResultLines(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int test = Array.FindLastIndex(lines, l => l.StartsWith("test (", StringComparison.Ordinal));
        return test < 0 ? lines.LastOrDefault() ?? "" : string.Join("\n    ", lines[test..]);
    }

    /// <summary>The comparison table of the cells finished so far (see <see cref="ExperimentTable"/>).</summary>
    public List<ExperimentTable.Row> Rows(List<GridCell> cells) => new ExperimentTable(grid, OutDir).Rows(cells);

    /// <summary>Writes results.md, results.csv, results-per-class.md/.csv and results.png from the finished cells.</summary>
    public void WriteTable(List<GridCell> cells) => new ExperimentTable(grid, OutDir).Write(cells);
}
