using System.CommandLine;
using System.Globalization;
using HarFromScratch.Har.Data;
using Spectre.Console;

namespace HarFromScratch.Har.Cli;

/// <summary>
/// Entry point of the `har` command. Subcommands are registered here; later issues add train, eval and
/// distill next to `data`.
/// </summary>
public static class HarCli
{
    /// <summary>Exit code for bad data or a failed check.</summary>
    public const int DataError = 2;

    // Options shared by data-loading commands.
    public static readonly Option<string?> DataOption = new("--data") { Description = "Data directory (default: $HAR_DATA, else ./data)", Recursive = true };
    public static readonly Option<string?> CacheOption = new("--cache") { Description = "Cache directory (default: $HAR_CACHE, else ~/.cache/harfromscratch)", Recursive = true };
    public static readonly Option<bool> NoCacheOption = new("--no-cache") { Description = "Neither read nor write the preprocessed cache", Recursive = true };
    public static readonly Option<int> WindowOption = new("--window") { Description = "Window length in samples", DefaultValueFactory = _ => 128, Recursive = true };
    public static readonly Option<int> StrideOption = new("--stride") { Description = "Stride between windows in samples (64 = 50% overlap)", DefaultValueFactory = _ => 64, Recursive = true };
    public static readonly Option<string> WindowLabelOption = new("--window-label") { Description = "HAPT window labels: pure (windows one activity covers entirely; mixed ones dropped) or majority (the label covering most samples; keeps several times more postural-transition windows)", DefaultValueFactory = _ => "pure", Recursive = true };
    public static readonly Option<double> ValFractionOption = new("--val-fraction") { Description = "Fraction of training subjects carved out for validation", DefaultValueFactory = _ => 0.2, Recursive = true };
    public static readonly Option<string?> ValSubjectsOption = new("--val-subjects") { Description = "Explicit validation subjects, comma-separated (overrides --val-fraction)", Recursive = true };
    public static readonly Option<ulong> SplitSeedOption = new("--split-seed") { Description = "Seed of the validation-subject draw", DefaultValueFactory = _ => 0UL, Recursive = true };

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static readonly Option<int?> ThreadsOption = new("--threads")
    {
        Description = "Cores the cpu backend uses (default: $HAR_THREADS, else all); 1 suits several runs sharing a machine",
        Recursive = true,
    };

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot(stdout, stderr);
        var parse = root.Parse(args);
        if (parse.Errors.Count == 0)
        {
            var threads = parse.GetValue(ThreadsOption);
            string? env = Environment.GetEnvironmentVariable("HAR_THREADS");
            if (threads == null && !string.IsNullOrWhiteSpace(env))
            {
                if (!int.TryParse(env, NumberStyles.Integer, CultureInfo.InvariantCulture, out int t))
                {
                    stderr.WriteLine($"error: HAR_THREADS must be a whole number of cores, got '{env}'");
                    return 1;
                }
                threads = t;
            }
            if (threads is { } n)
            {
                if (n < 1) { stderr.WriteLine($"error: --threads must be at least 1, got {n}"); return 1; }
                Engine.Devices.Device.CpuThreads = n;
            }
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    public static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("har: HarFromScratch, a from-scratch tensor engine and knowledge-distillation toolkit for wearable activity recognition");
        root.Options.Add(DataOption);
        root.Options.Add(CacheOption);
        root.Options.Add(ThreadsOption);
        root.Subcommands.Add(DataCommands.Build(stdout, stderr));
        foreach (var c in TrainCommands.Build(stdout, stderr)) root.Subcommands.Add(c);
        foreach (var c in DistillCommands.Build(stdout, stderr)) root.Subcommands.Add(c);
        root.Subcommands.Add(PredictCommand.Build(stdout, stderr));
        return root;
    }

    /// <summary>Data options from a parse result (shared with later train/eval commands).</summary>
    public static DataOptions DataOptionsFrom(ParseResult p)
    {
        int[]? val = null;
        var vs = p.GetValue(ValSubjectsOption);
        if (!string.IsNullOrWhiteSpace(vs))
        {
            var parts = vs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            val = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
                if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out val[i]))
                    throw new HarDataException($"--val-subjects: expected comma-separated integers, found '{parts[i]}'");
        }
        return new DataOptions
        {
            DataDir = p.GetValue(DataOption),
            CacheDir = p.GetValue(CacheOption),
            UseCache = !p.GetValue(NoCacheOption),
            WindowLength = p.GetValue(WindowOption),
            Stride = p.GetValue(StrideOption),
            WindowLabel = p.GetValue(WindowLabelOption)!,
            ValidationFraction = p.GetValue(ValFractionOption),
            ValidationSubjects = val,
            SplitSeed = p.GetValue(SplitSeedOption),
        };
    }

    /// <summary>Runs a command body, turning data errors into a message and exit code 2.</summary>
    public static int Guard(TextWriter stderr, Func<int> body)
    {
        try { return body(); }
        catch (HarDataException e)
        {
            stderr.WriteLine("error: " + e.Message);
            return DataError;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Engine.IO.SafeTensorsFormatException)
        {
            stderr.WriteLine("error: " + e.Message);
            return DataError;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            stderr.WriteLine("error: " + e.Message);
            return 1;
        }
    }
}
