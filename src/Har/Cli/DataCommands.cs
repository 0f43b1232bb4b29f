using System.CommandLine;
using System.Globalization;
using HarFromScratch.Har.Data;
using Spectre.Console;

namespace HarFromScratch.Har.Cli;

/// <summary>`har data info|check|fetch|list`.</summary>
public static class DataCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var data = new Command("data", "Datasets: information, checks and downloads");
        data.Options.Add(HarCli.NoCacheOption);
        data.Options.Add(HarCli.WindowOption);
        data.Options.Add(HarCli.StrideOption);
        data.Options.Add(HarCli.WindowLabelOption);
        data.Options.Add(HarCli.ValFractionOption);
        data.Options.Add(HarCli.ValSubjectsOption);
        data.Options.Add(HarCli.SplitSeedOption);

        var list = new Command("list", "List the known datasets and whether they are present");
        list.SetAction(p => HarCli.Guard(stderr, () => List(p, stdout)));
        data.Subcommands.Add(list);

        var infoName = new Argument<string>("name") { Description = "Dataset: uci-har, hapt, usc-had, wisdm, wisdm-arff" };
        var info = new Command("info", "Windows per split, class and subject; channels, sampling rate, source and citation") { infoName };
        info.SetAction(p => HarCli.Guard(stderr, () => Info(p, p.GetValue(infoName)!, stdout, stderr)));
        data.Subcommands.Add(info);

        var checkName = new Argument<string>("name") { Description = "Dataset to check" };
        var check = new Command("check", "Verify SHA256SUMS and the dataset's known counts") { checkName };
        check.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var info = DatasetCatalog.Find(p.GetValue(checkName)!);
            var r = DatasetChecker.Check(info, HarCli.DataOptionsFrom(p));
            foreach (var l in r.Lines) stdout.WriteLine(l);
            return r.Ok ? 0 : HarCli.DataError;
        }));
        data.Subcommands.Add(check);

        var fetchName = new Argument<string>("name") { Description = "Dataset to download" };
        var urlOpt = new Option<string?>("--url") { Description = "Download from this URL instead of the official source" };
        var shaOpt = new Option<string?>("--sha256") { Description = "Expected SHA-256 of the archive" };
        var forceOpt = new Option<bool>("--force") { Description = "Replace an existing dataset folder (the old one is moved aside)" };
        var keepOpt = new Option<bool>("--keep-archive") { Description = "Keep the downloaded archive" };
        var fetch = new Command("fetch", "Download a dataset from its official source, unpack it and check it") { fetchName, urlOpt, shaOpt, forceOpt, keepOpt };
        fetch.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var info = DatasetCatalog.Find(p.GetValue(fetchName)!);
            var dataDir = DataPaths.ResolveDataDir(p.GetValue(HarCli.DataOption));
            var opts = new FetchOptions
            {
                Url = p.GetValue(urlOpt), Sha256 = p.GetValue(shaOpt), Force = p.GetValue(forceOpt), KeepArchive = p.GetValue(keepOpt),
            };
            var result = Fetch(info, dataDir, opts, stdout, stderr);
            stdout.WriteLine($"fetched {result.Url}: {result.Bytes} bytes, SHA-256 {result.Sha256}, {result.FilesUnpacked} files -> {result.DatasetRoot}");
            if (info == DatasetCatalog.Wisdm || info == DatasetCatalog.WisdmArff) return 0;
            var r = DatasetChecker.Check(info, HarCli.DataOptionsFrom(p) with { DataDir = dataDir });
            foreach (var l in r.Lines) stdout.WriteLine(l);
            return r.Ok ? 0 : HarCli.DataError;
        }));
        data.Subcommands.Add(fetch);
        return data;
    }

    private static FetchResult Fetch(DatasetInfo info, string dataDir, FetchOptions opts, TextWriter stdout, TextWriter stderr)
    {
        stdout.WriteLine($"downloading {opts.Url ?? info.DownloadUrl} into {dataDir}");
        bool interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;
        if (!interactive)
        {
            long lastMb = -1;
            var prog = new Progress<FetchProgress>(pr =>
            {
                long mb = pr.Done >> 22;
                if (pr.Stage != "download" || mb != lastMb) { lastMb = mb; stderr.WriteLine($"{pr.Stage}: {pr.Done / 1048576.0:F1} MiB" + (pr.Total is long t ? $" of {t / 1048576.0:F1} MiB" : "")); }
            });
            return DatasetFetcher.FetchAsync(info, dataDir, opts, prog).GetAwaiter().GetResult();
        }
        FetchResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{info.Name}");
                task.IsIndeterminate = true;
                var prog = new SyncProgress(pr =>
                {
                    if (pr.Total is long t) { task.IsIndeterminate = false; task.MaxValue = t; }
                    task.Value = pr.Done;
                    if (pr.Stage == "unpack") task.Description = $"{info.Name} (unpacking)";
                });
                result = DatasetFetcher.FetchAsync(info, dataDir, opts, prog).GetAwaiter().GetResult();
                task.StopTask();
            });
        return result!;
    }

    private sealed class SyncProgress(Action<FetchProgress> a) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => a(value);
    }

    private static int List(ParseResult p, TextWriter o)
    {
        var dataDir = DataPaths.ResolveDataDir(p.GetValue(HarCli.DataOption));
        o.WriteLine($"data directory: {dataDir}");
        foreach (var d in DatasetCatalog.All)
        {
            var marker = Path.Combine(d.Root(dataDir), d.MarkerFile.Replace("(.gz)", ""));
            o.WriteLine($"  {d.Name,-11} {(TextParse.Exists(marker) ? "present" : "missing"),-8} {d.Title}");
        }
        return 0;
    }

    public static int Info(ParseResult p, string name, TextWriter o, TextWriter err)
    {
        var info = DatasetCatalog.Find(name);
        var opts = HarCli.DataOptionsFrom(p) with { Normalize = false };
        if (info == DatasetCatalog.UciHar && p.GetResult(HarCli.WindowOption) is null) opts = opts with { WindowLength = 128 };
        var warnings = new List<string>();
        var ds = HarData.Load(name, opts, warnings);
        foreach (var w in warnings) err.WriteLine("warning: " + w);
        Write(info, ds, o);
        return 0;
    }

    /// <summary>Prints the `har data info` report.</summary>
    public static void Write(DatasetInfo info, HarDataset ds, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine($"{info.Name}: {info.Title}");
        o.WriteLine($"  source:    {info.HomePage}");
        o.WriteLine($"  download:  {info.DownloadUrl}");
        o.WriteLine($"  citation:  {info.Citation}");
        o.WriteLine($"  licence:   {info.Licence}");
        o.WriteLine($"  channels:  {ds.Channels} ({string.Join(", ", ds.ChannelNames)})");
        o.WriteLine(ds.SamplingRateHz > 0
            ? string.Create(inv, $"  sampling:  {ds.SamplingRateHz} Hz; windows of {ds.WindowLength} samples ({ds.WindowLength / ds.SamplingRateHz:F2} s)")
            : "  sampling:  feature vectors (one per 10 s segment)");
        o.WriteLine($"  split:     {info.SplitRule}");
        o.WriteLine($"  windows:   train {ds.Train.Count}, validation {ds.Validation.Count}, test {ds.Test.Count}, total {ds.Train.Count + ds.Validation.Count + ds.Test.Count}");
        o.WriteLine($"  subjects:  train [{string.Join(",", ds.Train.SubjectIds())}]  validation [{string.Join(",", ds.Validation.SubjectIds())}]  test [{string.Join(",", ds.Test.SubjectIds())}]");
        var tr = ds.Train.ClassCounts(ds.NumClasses);
        var va = ds.Validation.ClassCounts(ds.NumClasses);
        var te = ds.Test.ClassCounts(ds.NumClasses);
        int w = Math.Max(5, ds.ClassNames.Max(c => c.Length));
        o.WriteLine($"  per class:");
        o.WriteLine($"    {"#",2} {"class".PadRight(w)} {"train",7} {"val",7} {"test",7} {"share",7}");
        long all = ds.Train.Count + ds.Validation.Count + ds.Test.Count;
        for (int c = 0; c < ds.NumClasses; c++)
        {
            long sum = tr[c] + va[c] + te[c];
            o.WriteLine(string.Create(inv, $"    {c + 1,2} {ds.ClassNames[c].PadRight(w)} {tr[c],7} {va[c],7} {te[c],7} {100.0 * sum / Math.Max(1, all),6:F1}%"));
        }
        int minC = tr.Min(), maxC = tr.Max();
        o.WriteLine(string.Create(inv, $"  balance:   train largest/smallest class = {(minC == 0 ? double.PositiveInfinity : (double)maxC / minC):F2}"));
        o.WriteLine("  per subject (windows):");
        foreach (var (label, set) in new[] { ("train", ds.Train), ("validation", ds.Validation), ("test", ds.Test) })
            if (set.Count > 0)
                o.WriteLine($"    {label,-10} " + string.Join(" ", set.SubjectCounts().Select(kv => $"{kv.Key}:{kv.Value}")));
        o.WriteLine("  counts:");
        foreach (var kv in ds.Counters) o.WriteLine($"    {kv.Key} = {kv.Value}");
        o.WriteLine(string.Create(inv, $"  loaded in {ds.LoadTime.TotalSeconds:F3} s {(ds.FromCache ? "from cache" : "from source")}{(ds.CachePath is null ? "" : " (" + ds.CachePath + ")")}"));
    }
}
