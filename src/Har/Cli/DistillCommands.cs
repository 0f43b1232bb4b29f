using System.CommandLine;
using System.Globalization;
using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Distillation.Experiments;
using HarFromScratch.Har.Distillation.SmlDist;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Cli;

/// <summary>`har distill` (one distillation run) and `har experiment --grid` (the comparison table).</summary>
public static class DistillCommands
{
    public static IEnumerable<Command> Build(TextWriter stdout, TextWriter stderr)
    {
        yield return BuildDistill(stdout, stderr);
        yield return BuildExperiment(stdout, stderr);
    }

    private static Command BuildDistill(TextWriter stdout, TextWriter stderr)
    {
        var set = new TrainCommands.TrainOptionSet();
        var teacher = new Option<string?>("--teacher") { Description = "Teacher run folder (runs/TEACHER, its best.safetensors is loaded); several run folders, comma-separated, for an ensemble teacher (mean class probability; kd and dkd); or for mutual methods a model name (trained from scratch)" };
        var student = new Option<string>("--student") { Description = "Student model name (see `har models`)", DefaultValueFactory = _ => "mobilenet-tiny" };
        var method = new Option<string>("--method") { Description = "Distillation method (see --list-methods)", DefaultValueFactory = _ => "smldist" };
        var sets = new Option<string[]>("--set") { Description = "Method coefficient NAME=VALUE (repeatable; see --list-methods)", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var list = new Option<bool>("--list-methods") { Description = "List the methods with their coefficients and defaults" };
        var cmd = new Command("distill", "Distil a teacher into a student; same progress, checkpoints, resume and reports as `har train`") { teacher, student, method, sets, list };
        set.AddTo(cmd);
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            if (p.GetValue(list)) { ListMethods(stdout); return 0; }
            var overrides = MethodOptions.ParseSets(p.GetValue(sets) ?? []);
            var entry = DistillationMethods.Find(p.GetValue(method)!);
            var studentName = p.GetValue(student)!;
            var coeffs = new MethodOptions(entry, overrides);   // validates the names and values now
            if (entry.Name == "smldist" && coeffs.I("search") == 1 && !HeadSearchModel.IsHeadModel(studentName)) studentName += "+search";
            if (HeadSearchModel.IsHeadModel(studentName)) { HeadSearchModel.Parse(studentName); ModelCatalog.Find(HeadSearchModel.Parse(studentName).baseName); }
            else ModelCatalog.Find(studentName);
            var o = set.Read(p, studentName);
            o.Validate();
            var teacherArg = p.GetValue(teacher) ?? throw new ArgumentException("--teacher: required (a run folder made by har train, or for mutual methods a model name)");
            var dataOpts = HarCli.DataOptionsFrom(p);
            var outDir = p.GetValue(set.Out) ?? Path.Combine("runs", $"{o.Dataset}-{entry.Name}-{studentName}-s{o.Seed}");
            bool resume = p.GetValue(set.Resume);
            return RunDistill(o, dataOpts, outDir, resume, p.GetValue(TrainCommands.QuietOption), teacherArg, entry, overrides, stdout, stderr);
        }));
        return cmd;
    }

    /// <summary>Builds teacher, student and method, then trains through <see cref="TrainCommands.RunTraining"/>.</summary>
    public static int RunDistill(TrainOptions o, Data.DataOptions dataOpts, string outDir, bool resume, bool quiet, string teacherArg, MethodEntry entry,
        Dictionary<string, string> overrides, TextWriter stdout, TextWriter stderr)
    {
        RunConfig? teacherConfig = null;
        string? teacherModelName = null;
        IReadOnlyList<string>? ensembleRuns = null;
        IReadOnlyList<RunConfig>? ensembleConfigs = null;
        bool isRun = File.Exists(Path.Combine(teacherArg, "config.json"));
        void CheckDataset(RunConfig c, string run)
        {
            if (!string.Equals(c.Train.Dataset, o.Dataset, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--teacher {run}: trained on {c.Train.Dataset}, not on --dataset {o.Dataset}");
        }
        if (EnsembleRuns.IsList(teacherArg))
        {
            // Hinton et al. distil an ensemble: the teacher is the mean class probability of several trained runs
            if (entry.Mutual || !entry.LogitsOnly)
                throw new ArgumentException($"--teacher {teacherArg}: an ensemble of runs gives only logits (no intermediate features) and cannot be trained, so it can teach the logit methods ({string.Join(", ", DistillationMethods.All.Where(m => m.LogitsOnly).Select(m => m.Name))}), not '{entry.Name}'");
            ensembleRuns = EnsembleRuns.Split(teacherArg);
            ensembleConfigs = EnsembleRuns.ReadConfigs(ensembleRuns, "--teacher");
            teacherConfig = ensembleConfigs[0];
            CheckDataset(teacherConfig, ensembleRuns[0]);
            if (teacherConfig.Data.WindowLength != dataOpts.WindowLength || teacherConfig.Data.Stride != dataOpts.Stride || teacherConfig.Data.WindowLabel != dataOpts.WindowLabel)
                throw new ArgumentException($"--teacher {ensembleRuns[0]}: trained on windows of {teacherConfig.Data.WindowLength}/{teacherConfig.Data.Stride} ({teacherConfig.Data.WindowLabel}), the student on {dataOpts.WindowLength}/{dataOpts.Stride} ({dataOpts.WindowLabel}); use the same --window, --stride and --window-label");
        }
        else if (isRun)
        {
            teacherConfig = new RunFiles(teacherArg).ReadConfig();
            CheckDataset(teacherConfig, teacherArg);
            if (!File.Exists(new RunFiles(teacherArg).Best))
                throw new FileNotFoundException($"--teacher {teacherArg}: best.safetensors not found (has the teacher run finished an epoch?)");
        }
        else if (ModelCatalog.IsKnown(teacherArg) || HeadSearchModel.IsHeadModel(teacherArg))
        {
            if (!entry.Mutual)
                throw new ArgumentException($"--teacher {teacherArg}: method '{entry.Name}' distils a trained teacher; give a run folder made by `har train` (only mutual methods accept a model name)");
            teacherModelName = teacherArg;
        }
        else throw new ArgumentException($"--teacher {teacherArg}: neither a run folder (no config.json there) nor a model name");

        var files = new RunFiles(outDir);
        HeadSearch? search = null;
        int code = TrainCommands.RunTraining(o, dataOpts, outDir, resume, quiet, stdout, stderr, (data, device) =>
        {
            var studentModel = HeadSearchModel.CreateAny(new ModelSpec(o.Model, data.Channels, data.WindowLength, data.NumClasses), new Rng(o.Seed), device);
            HarModel teacherModel;
            if (ensembleRuns != null) teacherModel = EnsembleRuns.Build(ensembleRuns, ensembleConfigs!, data.Stats, device);
            else if (teacherConfig != null)
            {
                var spec = teacherConfig.Model;
                if (spec.Channels != data.Channels || spec.Length != data.WindowLength || spec.Classes != data.NumClasses)
                    throw new ArgumentException($"--teacher {teacherArg}: built for ({spec.Channels}x{spec.Length}, {spec.Classes} classes), the data is ({data.Channels}x{data.WindowLength}, {data.NumClasses})");
                teacherModel = HeadSearchModel.CreateAny(spec, new Rng(o.Seed ^ 0x7EAC4E5UL), device);
                RunFiles.LoadModelTensors(new RunFiles(teacherArg).Best, teacherModel);
                // a frozen teacher trained on another split normalised its input with other statistics: map the
                // student's windows into the teacher's (a mutual teacher trains on, and adapts to, the student's)
                if (!entry.Mutual) teacherModel = InputMappedModel.IfNeeded(teacherModel, data.Stats, teacherConfig.Stats);
            }
            else teacherModel = HeadSearchModel.CreateAny(new ModelSpec(teacherModelName!, data.Channels, data.WindowLength, data.NumClasses), new Rng(o.Seed ^ 0x7EAC4E5UL), device);

            var (sf, sa) = studentModel.FeatureShapes();
            var (tf, ta) = teacherModel.FeatureShapes();
            var setup = new DistillSetup(sf, sa, tf, ta, data.NumClasses, data.Train.Count, new Rng(o.Seed * 0x9E3779B97F4A7C15UL + 17), device);
            var loss = entry.Factory(setup, new MethodOptions(entry, overrides));
            if (loss is SmlDistLoss { Progressive: true } prog && prog.LogitsStartEpoch > o.Epochs)
                throw new ArgumentException($"smldist: the progressive schedule trains {prog.StagePairs.Count} stage pair(s) x {prog.StageEpochs} epoch(s) before its logits phase, which starts at epoch {prog.LogitsStartEpoch}, but --epochs is {o.Epochs}: the student would never be trained on the labels. Raise --epochs, lower --set stage_epochs, or use --set schedule=1 (joint)");
            if (loss is SmlDistLoss sml && studentModel is HeadSearchModel hs && hs.HeadNames.Length > 1)
            {
                search = new HeadSearch(hs, data.Validation, sml.LogitsStartEpoch, sml.SearchEpochs, sml.AlphaLr, o.BatchSize, o.Seed) { LogPath = Path.Combine(files.Dir, "search.jsonl") };
                sml.Search = search;
            }
            var extra = new Dictionary<string, string>
            {
                ["method"] = entry.Name, ["mutual"] = entry.Mutual ? "true" : "false",
                ["teacher"] = ensembleRuns != null ? string.Join(",", ensembleRuns.Select(Path.GetFullPath)) : teacherConfig != null ? Path.GetFullPath(teacherArg) : "scratch",
                ["teacher_model"] = teacherModel.Spec.Name,
                ["teacher_parameters"] = teacherModel.ParameterCount.ToString(CultureInfo.InvariantCulture),
                ["teacher_macs"] = teacherModel.MacsPerWindow().ToString(CultureInfo.InvariantCulture),
            };
            foreach (var (k, v) in loss.Settings) extra["method." + k] = v;
            if (resume)
            {
                var saved = files.ReadConfig().Extra;
                foreach (var key in new[] { "method", "teacher", "teacher_model" }.Concat(extra.Keys.Where(k => k.StartsWith("method.", StringComparison.Ordinal))))
                    if (saved.GetValueOrDefault(key) != extra[key])
                        throw new ArgumentException($"--resume: {key} is '{extra[key]}', the run in {files.Dir} used '{saved.GetValueOrDefault(key)}'; resume with the same method, teacher and --set values");
            }
            else if (!File.Exists(files.State) && File.Exists(Path.Combine(files.Dir, "search.jsonl"))) File.Delete(Path.Combine(files.Dir, "search.jsonl"));
            if (!quiet) stdout.WriteLine($"teacher {teacherModel.Spec.Name} ({(teacherConfig != null ? "from " + teacherArg : "from scratch")}, {teacherModel.ParameterCount:N0} parameters, {teacherModel.MacsPerWindow():N0} MACs); method {entry.Name}{(entry.Mutual ? " (mutual)" : "")}: {string.Join(", ", loss.Settings.Select(kv => kv.Key + "=" + kv.Value))}");
            return (studentModel, new DistillationObjective(teacherModel, loss, LabelLoss.For(o, data)), extra);
        });
        if (search != null && code == 0)
        {
            var hs = search.Model;
            // the model now holds the tested (best) checkpoint, which may come from an epoch before the pruning
            string outcome = hs.ChosenHead != null ? "chose " + hs.ChosenHead
                : search.ChosenAtEpoch() is int at ? $"pruned at epoch {at}, but the best epoch came before that: the tested student keeps the mixture"
                : "not pruned (the run ended during the search; the student keeps the mixture)";
            stdout.WriteLine($"head search: {outcome}; softmax(alpha) = [{HeadSearch.Format(hs.Weights())}] over [{string.Join(", ", hs.HeadNames)}]");
        }
        return code;
    }

    public static void ListMethods(TextWriter stdout)
    {
        var inv = CultureInfo.InvariantCulture;
        foreach (var e in DistillationMethods.All)
        {
            stdout.WriteLine($"{e.Name}{(e.Mutual ? " (mutual: teacher trained too)" : "")}: {e.Description}");
            foreach (var p in e.Parameters)
                stdout.WriteLine(string.Create(inv, $"    {p.Name,-16} default {p.Default,-8} {p.Description}"));
        }
    }

    private static Command BuildExperiment(TextWriter stdout, TextWriter stderr)
    {
        var grid = new Option<string>("--grid") { Description = "Grid file (JSON): datasets x pairs x methods x seeds, see docs/distillation.md", Required = true };
        var epochs = new Option<int?>("--epochs") { Description = "Override the epochs of every cell (quick runs)" };
        var maxBatches = new Option<int?>("--max-batches") { Description = "Override the batches per epoch of every cell (quick runs)" };
        var outOpt = new Option<string?>("--out") { Description = "Output folder (default: the grid's \"out\")" };
        var estimate = new Option<int?>("--estimate") { Description = "Do not run the grid: time two epochs of N batches of each distinct cell and write the estimated time of the whole grid (estimate.md)" };
        var table = new Option<bool>("--table") { Description = "Do not run the grid: write the comparison tables (results.md, .csv, .png, results-per-class.md, .csv) from the cells finished so far, e.g. while workers run it" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "With --table: best (each cell's selected weights, results.md) or last (each cell's weights after its last epoch, tested once into CELL/eval-last: results-last.md)", DefaultValueFactory = _ => "best" };
        checkpoint.AcceptOnlyFromAmong("best", "last");
        var cmd = new Command("experiment", "Run a grid of distillation runs (skips finished cells, resumes interrupted ones) and write the comparison table")
            { grid, epochs, maxBatches, outOpt, estimate, table, checkpoint, TrainCommands.DeviceOption, TrainCommands.QuietOption };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var g = ExperimentGrid.Load(p.GetValue(grid)!);
            var runner = new ExperimentRunner(g, new ExperimentRunner.Settings
            {
                Out = p.GetValue(outOpt), Epochs = p.GetValue(epochs), MaxBatches = p.GetValue(maxBatches), Device = p.GetValue(TrainCommands.DeviceOption),
                DataDir = p.GetValue(HarCli.DataOption), CacheDir = p.GetValue(HarCli.CacheOption), Quiet = p.GetValue(TrainCommands.QuietOption),
            }, stdout, stderr);
            if (p.GetValue(maxBatches) != null && p.GetValue(estimate) != null)
                throw new ArgumentException("--estimate: times whole epochs from a few batches; leave out --max-batches");
            if (p.GetValue(table))
            {
                if (p.GetValue(estimate) != null) throw new ArgumentException("--table writes the table of a grid's finished cells and --estimate times a grid: give one of them");
                return p.GetValue(checkpoint) == "last" ? runner.TableLast() : runner.Table();
            }
            if (p.GetValue(checkpoint) == "last") throw new ArgumentException("--checkpoint last: tests the finished cells' last-epoch weights for a table; give it with --table");
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try { return p.GetValue(estimate) is { } n ? runner.Estimate(n, cts.Token) : runner.Run(cts.Token); }
            finally { Console.CancelKeyPress -= onCancel; }
        }));
        return cmd;
    }
}
