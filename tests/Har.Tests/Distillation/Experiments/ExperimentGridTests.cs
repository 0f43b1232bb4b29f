using HarFromScratch.Har.Distillation.Experiments;
using HarFromScratch.Har.Tests.Data;
using HarFromScratch.Har.Tests.Distillation.Cli;

namespace HarFromScratch.Har.Tests.Distillation.Experiments;

/// <summary>The experiment grid: cells, interruption between cells, resume without redoing finished cells, the table.</summary>
public sealed class ExperimentGridTests
{
    [Fact]
    public void InterruptedGridResumesWithoutRedoingFinishedCells()
    {
        using var dir = new TempDir();
        var teacher = DistillCliTests.TrainTeacher(dir, "mobilenet-tiny");
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, $$"""
            { "name": "test-grid", "datasets": ["uci-har"],
              "pairs": [{ "teacher": "{{teacher.Replace("\\", "/")}}", "student": "mlp" }],
              "methods": ["hmkd"], "seeds": [1, 2], "student_alone": false,
              "args": ["--epochs", "5", "--batch", "32"], "sets": { "hmkd": ["tau=2"] } }
            """);
        var grid = ExperimentGrid.Load(gridFile);
        var settings = new ExperimentRunner.Settings { Out = dir.Sub("out"), Epochs = 1, MaxBatches = 2, DataDir = TestData.Root };
        var o = new StringWriter(); var e = new StringWriter();
        var runner = new ExperimentRunner(grid, settings, o, e);
        var cells = runner.Cells();
        Assert.Equal(2, cells.Count);
        Assert.Contains("tau=2", cells[0].Args);
        Assert.Contains("1", cells[0].Args[cells[0].Args.IndexOf("--epochs") + 1]);

        using var cts = new CancellationTokenSource();
        runner.CellFinished = _ => cts.Cancel();
        Assert.Equal(130, runner.Run(cts.Token));
        Assert.True(cells[0].Finished, o.ToString() + e);
        Assert.False(cells[1].Finished);
        var first = Path.Combine(cells[0].Dir, "metrics.json");
        var stamp = File.GetLastWriteTimeUtc(first);
        var bestStamp = File.GetLastWriteTimeUtc(Path.Combine(cells[0].Dir, "best.safetensors"));

        var o2 = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, settings, o2, e).Run());
        // a quiet grid prints each cell's result: its test line and what follows (here the co-trained teacher's score)
        Assert.Matches(@"\n    test \([^\n]*macro-F1[^\n]*\n    teacher \(trained with it", o2.ToString());
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(first));
        Assert.Equal(bestStamp, File.GetLastWriteTimeUtc(Path.Combine(cells[0].Dir, "best.safetensors")));
        Assert.True(cells[1].Finished);
        Assert.Contains("1 cells run, 1 already finished", o2.ToString());

        // a cell interrupted after a checkpoint (state.json, no metrics.json) continues with --resume
        File.Delete(Path.Combine(cells[1].Dir, "metrics.json"));
        var o3 = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, settings, o3, e).Run());
        Assert.Contains("(resuming)", o3.ToString());
        Assert.True(cells[1].Finished);

        var outDir = dir.Sub("out");
        foreach (var f in new[] { "results.md", "results.csv", "results.png" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var md = File.ReadAllText(Path.Combine(outDir, "results.md"));
        Assert.Contains("| uci-har | teacher | mlp | hmkd | 2 |", md);
        Assert.Matches(@"\| hmkd \| 2 \|.*\| [0-9.]+ / [0-9.]+ \|", md);   // the co-trained teacher's test scores
        Assert.Contains("±", md);
        // the grid's time: each cell's epoch seconds from its log, the row their mean, the total their sum
        var seconds = cells.Select(c => File.ReadLines(Path.Combine(c.Dir, "log.jsonl")).Where(l => l.Contains("\"type\":\"epoch\""))
            .Sum(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("Seconds").GetDouble())).ToArray();
        Assert.All(seconds, x => Assert.True(x > 0));
        var csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        int col = Array.IndexOf(csv[0].Split(','), "seconds_per_cell");
        Assert.True(col > 0, csv[0]);
        Assert.Equal(seconds.Average(), double.Parse(csv[1].Split(',')[col], System.Globalization.CultureInfo.InvariantCulture), 6);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"2 finished cells, {seconds.Sum() / 3600:F2} h of epochs"), md);

        // the table of the last epoch's weights: each finished cell tested once into CELL/eval-last, then reused.
        // With one epoch the last weights are the selected ones, so the scores equal results.csv's
        var o4 = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, settings, o4, e).TableLast());
        Assert.Contains("2 of 2 cells finished, 2 tested now at their last epoch", o4.ToString());
        Assert.All(cells, c => Assert.True(File.Exists(Path.Combine(c.Dir, "eval-last", "metrics.json")), c.Dir));
        var lastMd = File.ReadAllText(Path.Combine(outDir, "results-last.md"));
        Assert.Contains("the weights after each cell's last epoch", lastMd);
        Assert.Matches(@"\| hmkd \| 2 \|.*\| - \|\r?\n", lastMd);   // no co-trained teacher score: the log's is at the selected weights
        var lastCsv = File.ReadAllLines(Path.Combine(outDir, "results-last.csv"));
        int f1 = Array.IndexOf(csv[0].Split(','), "macro_f1_mean");
        Assert.Equal(csv[1].Split(',')[f1], lastCsv[1].Split(',')[f1]);
        foreach (var f in new[] { "results-last.png", "results-last-per-class.md" }) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var o5 = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, settings, o5, e).TableLast());
        Assert.Contains("0 tested now", o5.ToString());
    }

    [Fact]
    public void FinishedCellRunWithOtherOptionsIsRefusedNotReused()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "edited", "datasets": ["uci-har"], "pairs": [{ "teacher": "resnet1d", "student": "mlp" }],
              "methods": [], "seeds": [1], "train_teachers": false, "args": ["--batch", "32"] }
            """);
        var grid = ExperimentGrid.Load(gridFile);
        var quick = new ExperimentRunner.Settings { Out = dir.Sub("out"), Epochs = 1, MaxBatches = 2, DataDir = TestData.Root };
        var e = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, quick, TextWriter.Null, e).Run());
        var cell = new ExperimentRunner(grid, quick, TextWriter.Null, TextWriter.Null).Cells().Single();
        Assert.True(cell.Finished, e.ToString());
        var record = File.ReadAllLines(cell.RecordPath);
        Assert.Contains("--epochs", record);
        Assert.DoesNotContain("--data", record);                       // where the data is does not change a cell
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(cell.Dir, "metrics.json"));

        // the same grid without the quick run's --epochs 1: the finished cell is not the grid's any more
        var full = quick with { Epochs = 2 };
        var ex = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(grid, full, TextWriter.Null, TextWriter.Null).Run());
        Assert.Contains(cell.Dir, ex.Message);
        Assert.Contains("--epochs: 1 -> 2", ex.Message);
        Assert.Throws<InvalidDataException>(() => new ExperimentRunner(grid, full, TextWriter.Null, TextWriter.Null).Table());
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(cell.Dir, "metrics.json")));

        // an edited grid file is caught the same way, down to a --set
        File.WriteAllText(gridFile, File.ReadAllText(gridFile).Replace("\"32\"", "\"16\""));
        ex = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(ExperimentGrid.Load(gridFile), quick, TextWriter.Null, TextWriter.Null).Run());
        Assert.Contains("--batch: 32 -> 16", ex.Message);

        // options that do not change the cell (another cache folder, the device) and another order still reuse it
        File.WriteAllText(gridFile, File.ReadAllText(gridFile).Replace("\"16\"", "\"32\""));
        var o = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(ExperimentGrid.Load(gridFile), quick with { CacheDir = dir.Sub("cache2"), Device = "cpu" }, o, TextWriter.Null).Run());
        Assert.Contains("0 cells run, 1 already finished", o.ToString());
        File.WriteAllLines(cell.RecordPath, ReorderOptions(record));
        Assert.Equal(0, new ExperimentRunner(ExperimentGrid.Load(gridFile), quick, TextWriter.Null, TextWriter.Null).Run());
    }

    /// <summary>The same command line with its options (name and value pairs after the command) in reverse order.</summary>
    private static string[] ReorderOptions(string[] record)
    {
        var pairs = new List<string[]>();
        for (int i = 1; i < record.Length; i++)
            if (i + 1 < record.Length && !record[i + 1].StartsWith("--")) { pairs.Add([record[i], record[i + 1]]); i++; }
            else pairs.Add([record[i]]);
        pairs.Reverse();
        return [record[0], .. pairs.SelectMany(p => p)];
    }

    /// <summary>The grids in experiments/ (walked up to from the test binaries): each one loads and every cell's command line parses.</summary>
    public static TheoryData<string> ShippedGrids()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "HarFromScratch.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var grids = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(dir.FullName, "experiments"), "*.json").Order()) grids.Add(f);
        return grids;
    }

    [Theory]
    [MemberData(nameof(ShippedGrids))]
    public void ShippedGridLoadsAndEveryCellsCommandLineParses(string path)
    {
        using var dir = new TempDir();
        var grid = ExperimentGrid.Load(path);
        var runner = new ExperimentRunner(grid, new ExperimentRunner.Settings { Out = dir.Path }, TextWriter.Null, TextWriter.Null);
        var cells = runner.Cells();
        Assert.Equal(grid.Datasets.Count * (grid.Pairs.Count * grid.ResolvedMethods().Count + grid.Pairs.Select(p => p.Student).Distinct().Count()) * grid.Seeds.Count
                     + cells.Count(c => c.Kind == "teacher"), cells.Count);
        runner.CheckCommandLines(cells);
    }

    [Theory]
    [InlineData("\"datasets\": [\"hapt2\"]", "\"datasets\": unknown dataset 'hapt2'")]
    [InlineData("\"methods\": [\"hmdk\"]", "\"methods\": unknown distillation method 'hmdk'")]
    [InlineData("\"pairs\": [{ \"teacher\": \"resnet-lstm\", \"student\": \"mlp\" }]", "\"pairs\": unknown model 'resnet-lstm'")]
    [InlineData("\"pairs\": [{ \"teacher\": \"resnet1d\", \"student\": \"mobilenet-tiny+memry\" }]", "unknown head 'memry'")]
    public void GridWithAnUnknownDatasetMethodOrModelFailsAtLoadNamingIt(string field, string expected)
    {
        using var dir = new TempDir();
        var fields = new Dictionary<string, string>
        {
            ["datasets"] = "\"datasets\": [\"hapt\"]",
            ["pairs"] = "\"pairs\": [{ \"teacher\": \"resnet1d\", \"student\": \"mlp\" }]",
            ["methods"] = "\"methods\": [\"kd\"]",
        };
        fields[field[1..field.IndexOf('"', 1)]] = field;
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, $"{{ \"name\": \"bad\", {string.Join(", ", fields.Values)} }}");
        var e = Assert.Throws<InvalidDataException>(() => ExperimentGrid.Load(gridFile));
        Assert.Contains(gridFile, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("\"args\": [\"--class-weight\", \"sqrt\"]", "\"args\"", "--class-weight")]
    [InlineData("\"args\": [\"--epochs\", \"twelve\"]", "\"args\"", "twelve")]
    [InlineData("\"teacher_args\": [\"--epoch\", \"20\"]", "\"teacher_args\"", "--epoch")]
    public void GridWithAnArgumentThatDoesNotParseFailsBeforeAnyCellRuns(string args, string list, string culprit)
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, $"{{ \"name\": \"bad-args\", \"datasets\": [\"uci-har\"], \"pairs\": [{{ \"teacher\": \"resnet1d\", \"student\": \"mlp\" }}], \"methods\": [\"kd\"], {args} }}");
        var runner = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var e = Assert.Throws<InvalidDataException>(() => runner.Run());
        Assert.Contains("bad-args", e.Message);
        Assert.Contains(list, e.Message);
        Assert.Contains(culprit, e.Message);
        Assert.False(Directory.Exists(dir.Sub("out")), "nothing may run (or be created) before the grid's command lines are checked");
    }

    [Fact]
    public void VariantCellsRunTheirMethodWithItsSetsThenTheirOwn()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "ablation", "datasets": ["hapt"], "pairs": [{ "teacher": "mobilenet-large", "student": "mobilenet-tiny" }],
              "methods": ["smldist", "smldist-no-memory", "kd-t1"], "seeds": [1, 2],
              "sets": { "smldist": ["schedule=1", "search=1"] },
              "variants": { "smldist-no-memory": { "method": "smldist", "sets": ["lambda_mem=0", "search=0"] },
                            "kd-t1": { "method": "kd", "sets": ["tau=1"] } } }
            """);
        var grid = ExperimentGrid.Load(gridFile);
        Assert.Equal(["smldist", "smldist-no-memory", "kd-t1"], grid.ResolvedMethods());
        var runner = new ExperimentRunner(grid, new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var cells = runner.Cells();
        runner.CheckCommandLines(cells);
        Assert.Equal(1 + 2 + 3 * 2, cells.Count);

        static List<string> SetsOf(GridCell c) => c.Args.Select((a, i) => (a, i)).Where(x => x.a == "--set").Select(x => c.Args[x.i + 1]).ToList();
        var variant = cells.Single(c => c.Method == "smldist-no-memory" && c.Seed == 2);
        Assert.Equal("smldist", variant.Args[variant.Args.IndexOf("--method") + 1]);
        Assert.Equal(["schedule=1", "search=1", "lambda_mem=0", "search=0"], SetsOf(variant));   // the later search=0 wins
        Assert.Equal("0", HarFromScratch.Har.Distillation.MethodOptions.ParseSets(SetsOf(variant))["search"]);
        Assert.EndsWith(Path.Combine("mobilenet-large--mobilenet-tiny", "smldist-no-memory-s2"), variant.Dir);
        var plain = cells.Single(c => c.Method == "smldist" && c.Seed == 2);
        Assert.Equal(["schedule=1", "search=1"], SetsOf(plain));
        var kd = cells.Single(c => c.Method == "kd-t1" && c.Seed == 1);
        Assert.Equal("kd", kd.Args[kd.Args.IndexOf("--method") + 1]);
        Assert.Equal(["tau=1"], SetsOf(kd));
    }

    [Fact]
    public void VariantArgsReplaceTheGridsOptionsOfTheSameNameInItsCellsOnly()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "soft", "datasets": ["hapt"], "pairs": [{ "teacher": "resnet1d", "student": "mlp" }],
              "methods": ["kd", "kd-soft", "kd-long"], "seeds": [1],
              "args": ["--epochs", "12", "--augment", "--batch", "128", "--soft-class-weights", "false"],
              "variants": { "kd-soft": { "method": "kd", "args": ["--soft-class-weights"] },
                            "kd-long": { "method": "kd", "sets": ["tau=2"], "args": ["--epochs", "30", "--augment", "false"] } } }
            """);
        var runner = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var cells = runner.Cells();
        runner.CheckCommandLines(cells);

        // each option once, so that `har distill` parses it; the variant's value in place of the grid's
        static List<string> Options(GridCell c) => GridArgs.Groups(c.Args.Skip(1).ToList()).Select(g => string.Join(' ', g)).ToList();
        var kd = Options(cells.Single(c => c.Method == "kd"));
        var soft = Options(cells.Single(c => c.Method == "kd-soft"));
        var longer = Options(cells.Single(c => c.Method == "kd-long"));
        var alone = Options(cells.Single(c => c.Kind == "alone"));
        foreach (var o in new[] { kd, soft, longer, alone })
            Assert.Equal(o.Select(x => x.Split(' ')[0]).Where(x => x != "--set").Distinct().Count(), o.Count(x => !x.StartsWith("--set")));
        Assert.Contains("--soft-class-weights false", kd);
        Assert.Contains("--soft-class-weights", soft);
        Assert.DoesNotContain("--soft-class-weights false", soft);
        Assert.Contains("--epochs 12", soft);
        Assert.Contains("--epochs 30", longer);
        Assert.Contains("--augment false", longer);
        Assert.Contains("--batch 128", longer);
        Assert.Contains("--set tau=2", longer);
        Assert.Contains("--epochs 12", alone);   // the student alone keeps the grid's options
        Assert.Contains("--augment", alone);

        // --epochs on the command line (a quick run) still wins over a variant's
        var quick = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = dir.Sub("quick"), Epochs = 1 }, TextWriter.Null, TextWriter.Null);
        var quickLong = Options(quick.Cells().Single(c => c.Method == "kd-long"));
        Assert.Contains("--epochs 1", quickLong);
        Assert.DoesNotContain("--epochs 30", quickLong);
    }

    [Fact]
    public void VariantArgsThatDoNotParseFailBeforeAnyCellRunsNamingTheVariant()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "bad-variant-args", "datasets": ["uci-har"], "pairs": [{ "teacher": "resnet1d", "student": "mlp" }],
              "methods": ["kd", "kd-x"], "args": ["--epochs", "2"], "variants": { "kd-x": { "method": "kd", "args": ["--emma", "0.99"] } } }
            """);
        var runner = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var e = Assert.Throws<InvalidDataException>(() => runner.Run());
        Assert.Contains("the \"args\" of variant 'kd-x'", e.Message);
        Assert.Contains("--emma", e.Message);
        Assert.False(Directory.Exists(dir.Sub("out")));
    }

    [Theory]
    [InlineData("\"methods\": [\"kd\", \"kd\"]", "\"variants\": { \"kd\": { \"method\": \"kd\" } }", "'kd' is already the name of a method")]
    [InlineData("\"methods\": [\"alone\"]", "\"variants\": { \"alone\": { \"method\": \"kd\" } }", "'alone' is already the name of a method or of a table row")]
    [InlineData("\"methods\": [\"kd-x\"]", "\"variants\": { \"kd-x\": { \"method\": \"kdd\" } }", "'kd-x': unknown distillation method 'kdd'")]
    [InlineData("\"methods\": [\"kd\"]", "\"variants\": { \"kd-x\": { \"method\": \"kd\" } }", "'kd-x' is defined but not listed in \"methods\"")]
    [InlineData("\"methods\": [\"kd-x\"]", "\"variants\": { \"kd-x\": { \"method\": \"kd\", \"sets\": [\"tua=2\"] } }", "'kd-x': --set tua=2: method 'kd' has no coefficient 'tua'")]
    [InlineData("\"methods\": [\"kd x\"]", "\"variants\": { \"kd x\": { \"method\": \"kd\" } }", "'kd x': a variant's name names its cells' folders")]
    [InlineData("\"methods\": [\"a\", \"b\"]", "\"variants\": { \"a\": { \"method\": \"b\" }, \"b\": { \"method\": \"kd\" } }", "its method 'b' is a variant")]
    [InlineData("\"methods\": [\"kd-x\"]", "\"variants\": { \"kd-x\": { \"method\": \"kd\", \"args\": [\"--seed\", \"3\"] } }", "'kd-x': \"args\": --seed is set by the grid for each cell")]
    [InlineData("\"methods\": [\"kd-x\"]", "\"variants\": { \"kd-x\": { \"method\": \"kd\", \"args\": [\"--set\", \"tau=2\"] } }", "a variant's coefficients go in its \"sets\"")]
    [InlineData("\"methods\": [\"kd-x\"]", "\"variants\": { \"kd-x\": { \"method\": \"kd\", \"args\": [\"epochs\", \"3\"] } }", "'epochs' is not an option")]
    [InlineData("\"methods\": [\"kd\"]", "\"sets\": { \"kd\": [\"temperature=2\"] }", "\"sets\" of 'kd': --set temperature=2: method 'kd' has no coefficient 'temperature'")]
    public void GridWithABadVariantOrSetFailsAtLoadNamingIt(string methods, string extra, string expected)
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, $"{{ \"name\": \"bad\", \"datasets\": [\"hapt\"], \"pairs\": [{{ \"teacher\": \"resnet1d\", \"student\": \"mlp\" }}], {methods}, {extra} }}");
        var e = Assert.Throws<InvalidDataException>(() => ExperimentGrid.Load(gridFile));
        Assert.Contains(gridFile, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void CompareToPairsEveryOtherArmWithTheReferenceArmOfTheSameSeed()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "vs-kd", "datasets": ["hapt"], "pairs": [{ "teacher": "runs/t", "student": "mlp" }], "methods": ["kd", "hmkd"],
              "seeds": [1, 2, 3], "train_teachers": false, "compare_to": "kd" }
            """);
        var runner = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var cells = runner.Cells();
        // hmkd − kd per seed: +0.03, +0.01, −0.01 (mean +0.01, std 0.02); hmkd − alone: +0.05, +0.02, +0.04
        var f1 = new Dictionary<(string, ulong), double>
        {
            [("alone", 1)] = 0.70, [("alone", 2)] = 0.75, [("alone", 3)] = 0.72,
            [("kd", 1)] = 0.72, [("kd", 2)] = 0.76, [("kd", 3)] = 0.77,
            [("hmkd", 1)] = 0.75, [("hmkd", 2)] = 0.77, [("hmkd", 3)] = 0.76,
        };
        foreach (var c in cells)
        {
            Directory.CreateDirectory(c.Dir);
            File.WriteAllText(Path.Combine(c.Dir, "metrics.json"), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $$"""{ "accuracy": 0.9, "macro_f1": {{f1[(c.Method, c.Seed)]}}, "parameters": 10, "macs_per_window": 100, "latency_ms_per_window": 0.1 }"""));
        }
        var rows = runner.Rows(cells);
        Assert.Null(rows.Single(r => r.Method == "kd").VsReference);      // the reference itself
        Assert.Null(rows.Single(r => r.Method == "alone").VsReference);
        var hmkd = rows.Single(r => r.Method == "hmkd").VsReference!;
        Assert.Equal(3, hmkd.Pairs);
        Assert.Equal(2, hmkd.AtLeast);
        Assert.Equal(0.01, hmkd.Mean, 9);
        Assert.Equal(0.02, hmkd.Std, 9);
        Assert.Equal(4.30265273 * 0.02 / Math.Sqrt(3), hmkd.Ci95, 7);    // t(0.975, 2) = 4.3027
        Assert.Equal(0.11 / 3, rows.Single(r => r.Method == "hmkd").VsAlone!.Mean, 9);

        runner.WriteTable(cells);
        var md = File.ReadAllText(Path.Combine(dir.Sub("out"), "results.md"));
        Assert.Contains("| Δ F1 vs alone | Δ F1 vs kd |", md);
        Assert.Contains("| +1.00 ± 2.00 (2/3) [-3.97, +5.97] |", md);
        Assert.DoesNotContain("-+", md);
        // a difference that rounds to zero is "+0.00", whatever its sign (.NET alone writes a small negative as "-+0.00")
        Assert.Equal("+0.00 ± 0.00 (0/1)", ExperimentTable.PairedDelta.Of([-1e-7])!.Show());
        Assert.Equal("-0.50 ± 0.00 (0/2) [-0.50, -0.50]", ExperimentTable.PairedDelta.Of([-0.005, -0.005])!.Show());
        var csv = File.ReadAllLines(Path.Combine(dir.Sub("out"), "results.csv"));
        var header = csv[0].Split(',');
        Assert.All(csv, l => Assert.Equal(header.Length, l.Split(',').Length));
        var line = csv.Single(l => l.Contains(",hmkd,")).Split(',');
        Assert.Equal("3", line[Array.IndexOf(header, "vs_reference_pairs")]);
        Assert.Equal(0.01, double.Parse(line[Array.IndexOf(header, "macro_f1_vs_reference_mean")], System.Globalization.CultureInfo.InvariantCulture), 9);

        File.WriteAllText(gridFile, File.ReadAllText(gridFile).Replace("\"compare_to\": \"kd\"", "\"compare_to\": \"dkd\""));
        var e = Assert.Throws<InvalidDataException>(() => ExperimentGrid.Load(gridFile));
        Assert.Contains("\"compare_to\": 'dkd' is not one of the grid's methods or variants (kd, hmkd)", e.Message);
    }

    [Fact]
    public void TablePairsEachDistilledSeedWithTheStudentAloneOfTheSameSeed()
    {
        using var dir = new TempDir();
        var grid = new ExperimentGrid
        {
            Name = "paired", Datasets = ["hapt"], Pairs = [new GridPair { Teacher = "runs/t", Student = "mobilenet-tiny" }],
            Methods = ["kd"], Seeds = [1, 2, 3], StudentAlone = true, TrainTeachers = false,
        };
        var runner = new ExperimentRunner(grid, new ExperimentRunner.Settings { Out = dir.Sub("out") }, TextWriter.Null, TextWriter.Null);
        var cells = runner.Cells();
        // macro-F1 per seed; kd's seed 3 is not finished, so only seeds 1 and 2 pair: +0.02 and -0.01
        var f1 = new Dictionary<(string, ulong), double> { [("alone", 1)] = 0.80, [("alone", 2)] = 0.70, [("alone", 3)] = 0.75, [("kd", 1)] = 0.82, [("kd", 2)] = 0.69 };
        foreach (var c in cells)
            if (f1.TryGetValue((c.Method, c.Seed), out var v))
            {
                Directory.CreateDirectory(c.Dir);
                // two classes whose F1 average to the macro-F1, the second 0.1 below the first
                File.WriteAllText(Path.Combine(c.Dir, "metrics.json"), string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $$"""
                    { "accuracy": 0.9, "macro_f1": {{v}}, "parameters": 10, "macs_per_window": 100, "latency_ms_per_window": 0.1,
                      "per_class": [{ "name": "WALK", "f1": {{v + 0.05}} }, { "name": "SIT_TO_STAND", "f1": {{v - 0.05}} }] }
                    """));
            }
        var rows = runner.Rows(cells);
        Assert.Null(rows.Single(r => r.Method == "alone").VsAlone);
        var kd = rows.Single(r => r.Method == "kd");
        Assert.Equal(2, kd.Seeds);
        Assert.NotNull(kd.VsAlone);
        Assert.Equal(2, kd.VsAlone!.Pairs);
        Assert.Equal(1, kd.VsAlone.AtLeast);
        Assert.Equal(0.005, kd.VsAlone.Mean, 9);
        Assert.Equal(Math.Sqrt(2 * 0.015 * 0.015), kd.VsAlone.Std, 9);     // std of (+0.02, -0.01), n - 1 = 1
        runner.WriteTable(cells);
        var md = File.ReadAllText(Path.Combine(dir.Sub("out"), "results.md"));
        // two pairs: the 95 % interval is ± t(0.975, 1) · std / √2 = ± 12.706 · 0.015 = ± 0.1906
        Assert.Equal(12.7062047 * 0.015, kd.VsAlone.Ci95, 6);
        Assert.Contains("| +0.50 ± 2.12 (1/2) [-18.56, +19.56] |", md);
        var csv = File.ReadAllLines(Path.Combine(dir.Sub("out"), "results.csv"));
        var header = csv[0].Split(',');
        var kdLine = csv.Single(l => l.Contains(",kd,")).Split(',');
        Assert.Equal("2", kdLine[Array.IndexOf(header, "vs_alone_pairs")]);
        Assert.Equal("1", kdLine[Array.IndexOf(header, "vs_alone_at_least")]);

        // per class: kd's seeds 1-2 give WALK (0.87 + 0.74) / 2 and SIT_TO_STAND (0.77 + 0.64) / 2
        Assert.Equal(0.805, kd.PerClass!.Single(c => c.Name == "WALK").Mean, 9);
        Assert.Equal(0.705, kd.PerClass!.Single(c => c.Name == "SIT_TO_STAND").Mean, 9);
        var perClass = File.ReadAllText(Path.Combine(dir.Sub("out"), "results-per-class.md"));
        Assert.Contains("| teacher | student | method | seeds | WALK | SIT_TO_STAND |", perClass);
        Assert.Contains("| t | mobilenet-tiny | kd | 2 | 80.5 | 70.5 |", perClass);
        Assert.Contains("| - | mobilenet-tiny | alone | 3 | 80.0 | 70.0 |", perClass);
        var perClassCsv = File.ReadAllLines(Path.Combine(dir.Sub("out"), "results-per-class.csv"));
        Assert.Equal(1 + 2 * 2, perClassCsv.Length);
        Assert.StartsWith("hapt,t,mobilenet-tiny,kd,2,SIT_TO_STAND,0.70", perClassCsv.Single(l => l.Contains(",kd,") && l.Contains("SIT_TO_STAND")));
    }

    [Fact]
    public void TableOptionTabulatesTheFinishedCellsAndRunsNothing()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        var outDir = dir.Sub("out");
        File.WriteAllText(gridFile, """
            { "name": "peek", "datasets": ["hapt"], "pairs": [{ "teacher": "runs/t", "student": "mobilenet-tiny" }],
              "methods": ["kd"], "seeds": [1, 2], "train_teachers": false }
            """);
        var o = new StringWriter(); var e = new StringWriter();
        Assert.Equal(HarFromScratch.Har.Cli.HarCli.DataError, HarFromScratch.Har.Cli.HarCli.Run(["experiment", "--grid", gridFile, "--out", outDir, "--table"], o, e));
        Assert.Contains("none of its 4 cells has finished", e.ToString());
        e = new StringWriter();
        Assert.NotEqual(0, HarFromScratch.Har.Cli.HarCli.Run(["experiment", "--grid", gridFile, "--out", outDir, "--checkpoint", "last"], o, e));
        Assert.Contains("--checkpoint last: tests the finished cells' last-epoch weights for a table; give it with --table", e.ToString());

        var cells = new ExperimentRunner(ExperimentGrid.Load(gridFile), new ExperimentRunner.Settings { Out = outDir }, TextWriter.Null, TextWriter.Null).Cells();
        foreach (var c in cells.Where(c => c.Seed == 1))
        {
            Directory.CreateDirectory(c.Dir);
            File.WriteAllText(Path.Combine(c.Dir, "metrics.json"),
                $$"""{ "accuracy": 0.9, "macro_f1": {{(c.Method == "kd" ? "0.81" : "0.8")}}, "parameters": 10, "macs_per_window": 100, "latency_ms_per_window": 0.1 }""");
        }
        o = new StringWriter(); e = new StringWriter();
        Assert.Equal(0, HarFromScratch.Har.Cli.HarCli.Run(["experiment", "--grid", gridFile, "--out", outDir, "--table"], o, e));
        Assert.Contains("2 of 4 cells finished", o.ToString());
        var md = File.ReadAllText(Path.Combine(outDir, "results.md"));
        Assert.Contains("| hapt | t | mobilenet-tiny | kd | 1 |", md);
        Assert.Contains("| +1.00 ± 0.00 (1/1) |", md);
        // nothing ran: the unfinished cells have no folder (no lock, no run) and no timings were written
        Assert.All(cells.Where(c => c.Seed == 2), c => Assert.False(Directory.Exists(c.Dir), c.Dir));
        Assert.False(File.Exists(Path.Combine(outDir, "timings.jsonl")));
    }

    [Fact]
    public void GridWithTeacherModelsTrainsTheTeacherFirstAndAddsStudentAloneCells()
    {
        using var dir = new TempDir();
        var grid = new ExperimentGrid
        {
            Datasets = ["hapt", "uci-har"], Pairs = [new GridPair { Teacher = "resnet-lstm-an", Student = "mlp" }],
            Methods = ["hmkd", "smldist"], Seeds = [1, 2, 3],
        };
        var cells = new ExperimentRunner(grid, new ExperimentRunner.Settings { Out = dir.Path }, TextWriter.Null, TextWriter.Null).Cells();
        Assert.Equal(2 * (1 + 3 + 2 * 3), cells.Count);
        Assert.Equal("teacher", cells[0].Kind);
        var teacherDir = cells[0].Dir;
        Assert.All(cells.Where(c => c.Kind == "distill" && c.Dataset == "hapt"), c => Assert.Equal(teacherDir, c.Args[c.Args.IndexOf("--teacher") + 1]));
        Assert.Equal(3, cells.Count(c => c.Kind == "alone" && c.Dataset == "hapt"));
    }
    [Fact]
    public void EstimateTimesOneSeedOfEachCellAndExtrapolatesToTheGrid()
    {
        using var dir = new TempDir();
        var gridFile = dir.Sub("grid.json");
        File.WriteAllText(gridFile, """
            { "name": "est-grid", "datasets": ["uci-har"], "pairs": [{ "teacher": "mobilenet-tiny", "student": "mlp" }],
              "methods": ["kd", "smldist"], "seeds": [1, 2, 3], "student_alone": true, "train_teachers": true,
              "teacher_args": ["--epochs", "4", "--batch", "32"], "args": ["--epochs", "7", "--batch", "32"] }
            """);
        var (code, o, e) = DistillCliTests.Har("experiment", "--grid", gridFile, "--estimate", "2", "--out", dir.Sub("out"), "--data", TestData.Root);
        Assert.True(code == 0, o + e);
        var md = File.ReadAllText(Path.Combine(dir.Sub("out"), "estimate.md"));
        // one teacher cell and 3 seeds each of alone, kd and smldist; only one seed of each was timed
        Assert.Matches(@"\| teacher \| uci-har \| mobilenet-tiny -> mobilenet-tiny \| teacher \| 1 \| 4 \|", md);
        Assert.Matches(@"\| alone \| uci-har \| - -> mlp \| alone \| 3 \| 7 \|", md);
        Assert.Matches(@"\| distill \| uci-har \| mobilenet-tiny -> mlp \| kd \| 3 \| 7 \|", md);
        Assert.Matches(@"\| distill \| uci-har \| mobilenet-tiny -> mlp \| smldist \| 3 \| 7 \|", md);   // progressive: timed as joint
        Assert.Contains("10 cells; estimated", md);
        Assert.False(Directory.Exists(Path.Combine(dir.Sub("out"), "estimate", "uci-har", "alone", "mlp-s2")));
        // a row's figure is epochs x (batches x s/batch + validation) + one-off, from the probe's own log
        var row = md.Split('\n').First(l => l.StartsWith("| alone")).Split('|', StringSplitOptions.TrimEntries);
        double F(int k) => double.Parse(row[k], System.Globalization.CultureInfo.InvariantCulture);
        double expected = F(6) * (F(7) * F(8) + F(9)) + F(10);   // from the rounded columns: a few per cent of slack
        Assert.InRange(F(11), expected * 0.97 - 2, expected * 1.03 + 2);
        Assert.InRange(F(12), 3 * F(11) - 2, 3 * F(11) + 2);
        var log = File.ReadAllLines(Path.Combine(dir.Sub("out"), "estimate", "uci-har", "alone", "mlp-s1", "log.jsonl"));
        Assert.Contains("\"Batches\":2,", log[0]);

        // run again: every probe is reused (nothing is timed anew); with another batch count they are timed again
        (code, o, e) = DistillCliTests.Har("experiment", "--grid", gridFile, "--estimate", "2", "--out", dir.Sub("out"), "--data", TestData.Root);
        Assert.True(code == 0, o + e);
        Assert.DoesNotContain("timing", o);
        Assert.Equal(md, File.ReadAllText(Path.Combine(dir.Sub("out"), "estimate.md")));

        (code, o, e) = DistillCliTests.Har("experiment", "--grid", gridFile, "--estimate", "2", "--max-batches", "3", "--out", dir.Sub("out"));
        Assert.Equal(1, code);
        Assert.Contains("leave out --max-batches", o + e);
    }
    [Fact]
    public void CellLockAdmitsOneWorkerAndTakesOverADeadOnesClaim()
    {
        using var dir = new TempDir();
        var cell = dir.Sub("cell");
        using var live = LiveProcess();
        try
        {
            using (var first = CellLock.TryClaim(cell))
            {
                Assert.NotNull(first);
                Assert.Null(CellLock.TryClaim(cell));          // held by this (live) process
                File.WriteAllText(CellLock.PathFor(cell), $"{live.Id} {Environment.MachineName}");
                Assert.Null(CellLock.TryClaim(cell));          // held by another live process
            }
        }
        finally { live.Kill(); }
        Assert.False(File.Exists(CellLock.PathFor(cell)));     // released
        File.WriteAllText(CellLock.PathFor(cell), $"{int.MaxValue - 1} {Environment.MachineName}");
        using (var taken = CellLock.TryClaim(cell)) Assert.NotNull(taken);   // its process is gone: stale, taken over
        File.WriteAllText(CellLock.PathFor(cell), "1 some-other-host");
        Assert.Null(CellLock.TryClaim(cell));                  // another machine's worker on a shared folder: respected
    }

    /// <summary>A process that stays alive until killed (stands in for another worker).</summary>
    private static System.Diagnostics.Process LiveProcess() =>
        System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;

    [Fact]
    public void WorkersShareAGridTheTeacherFirst()
    {
        using var dir = new TempDir();
        var grid = new ExperimentGrid
        {
            Name = "shared", Datasets = ["uci-har"], Pairs = [new GridPair { Teacher = "mobilenet-tiny", Student = "mlp" }],
            Methods = ["kd"], Seeds = [1], StudentAlone = true, TrainTeachers = true,
            TeacherArgs = ["--batch", "32"], Args = ["--batch", "32"],
        };
        var settings = new ExperimentRunner.Settings { Out = dir.Sub("out"), Epochs = 1, MaxBatches = 2, DataDir = TestData.Root };
        var o = new StringWriter();
        var runner = new ExperimentRunner(grid, settings, o, TextWriter.Null) { PollInterval = TimeSpan.FromMilliseconds(100) };
        var cells = runner.Cells();
        Assert.Equal(["teacher", "alone", "distill"], cells.Select(c => c.Kind));
        // another (live) worker holds the teacher: this one trains the student alone, then waits; when that worker
        // dies, its claim is taken over and the teacher, then the distillation cell, run here
        using var other = LiveProcess();
        Directory.CreateDirectory(Path.GetDirectoryName(cells[0].Dir)!);
        File.WriteAllText(CellLock.PathFor(cells[0].Dir), $"{other.Id} {Environment.MachineName}");
        runner.CellFinished = c => { if (c.Kind == "alone") other.Kill(); };
        Assert.Equal(0, runner.Run());
        var order = o.ToString().Split('\n').Where(l => l.StartsWith('[')).Select(l => l.Split(' ')[1]).ToList();
        Assert.Equal(["alone", "teacher", "distill"], order);
        Assert.All(cells, c => Assert.True(c.Finished, c.Dir));
        Assert.All(cells, c => Assert.False(File.Exists(CellLock.PathFor(c.Dir))));

        // the grid's folder copied elsewhere (or cells copied into another grid's folder): the records name the old
        // folder in --out and in the distillation cell's --teacher, and still match, so nothing runs again
        var moved = dir.Sub("moved");
        CopyTree(settings.Out!, moved);
        var o2 = new StringWriter();
        Assert.Equal(0, new ExperimentRunner(grid, settings with { Out = moved }, o2, TextWriter.Null).Run());
        Assert.Contains("0 cells run, 3 already finished", o2.ToString());
        Assert.Contains(settings.Out!, File.ReadAllText(Path.Combine(moved, "uci-har", "mobilenet-tiny--mlp", "kd-s1", "grid-cell.txt")));
        // an option that really differs is still caught in the copy
        var movedCell = new ExperimentRunner(grid, settings with { Out = moved }, TextWriter.Null, TextWriter.Null).Cells()[2];
        File.WriteAllText(movedCell.RecordPath, File.ReadAllText(movedCell.RecordPath).Replace("--batch\n32", "--batch\n16"));
        var ex = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(grid, settings with { Out = moved }, TextWriter.Null, TextWriter.Null).Run());
        Assert.Contains("--batch: 16 -> 32", ex.Message);
        Assert.DoesNotContain("--teacher", ex.Message);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
