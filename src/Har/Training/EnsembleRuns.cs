using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Distillation.SmlDist;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

/// <summary>
/// Run folders (har train / har distill) loaded as one <see cref="EnsembleModel"/>, each at its best.safetensors. The
/// runs must see the same test windows (dataset, window, stride, window labels and classes); their validation splits
/// may differ, since the ensemble maps its input (normalised with the statistics of the data it is given) into each
/// member's normalisation. The first run is the reference: <c>har ensemble</c> loads the data with its options.
/// </summary>
public static class EnsembleRuns
{
    /// <summary>A comma-separated list of run folders (a single folder whose name holds a comma is not one).</summary>
    public static bool IsList(string teacherArg) => teacherArg.Contains(',') && !File.Exists(Path.Combine(teacherArg, "config.json"));

    public static IReadOnlyList<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Reads and cross-checks the runs' configurations; the message names the option, run and setting at fault.</summary>
    public static IReadOnlyList<RunConfig> ReadConfigs(IReadOnlyList<string> runs, string option)
    {
        if (runs.Count < 2) throw new ArgumentException($"{option}: an ensemble needs at least 2 run folders, got {runs.Count}");
        var configs = new List<RunConfig>();
        foreach (var run in runs)
        {
            var files = new RunFiles(run);
            if (!File.Exists(Path.Combine(run, "config.json"))) throw new FileNotFoundException($"{option} {run}: not a run folder (no config.json)");
            if (!File.Exists(files.Best)) throw new FileNotFoundException($"{option} {run}: best.safetensors not found (has the run finished an epoch?)");
            configs.Add(files.ReadConfig());
        }
        var r = configs[0];
        for (int k = 1; k < runs.Count; k++)
        {
            var c = configs[k];
            void Differs(string what, object a, object b) =>
                throw new ArgumentException($"{option}: {runs[k]} has {what} {b}, {runs[0]} has {a}; ensemble members must be scored on the same test windows");
            if (!string.Equals(c.Train.Dataset, r.Train.Dataset, StringComparison.OrdinalIgnoreCase)) Differs("dataset", r.Train.Dataset, c.Train.Dataset);
            if (c.Data.WindowLength != r.Data.WindowLength) Differs("--window", r.Data.WindowLength, c.Data.WindowLength);
            if (c.Data.Stride != r.Data.Stride) Differs("--stride", r.Data.Stride, c.Data.Stride);
            if (c.Data.WindowLabel != r.Data.WindowLabel) Differs("--window-label", r.Data.WindowLabel, c.Data.WindowLabel);
            if (c.Data.Normalize != r.Data.Normalize) Differs("normalisation", r.Data.Normalize, c.Data.Normalize);
            if (!c.ClassNames.SequenceEqual(r.ClassNames)) Differs("classes", string.Join(",", r.ClassNames), string.Join(",", c.ClassNames));
        }
        return configs;
    }

    /// <summary>The members at their best epochs, taking windows normalised with <paramref name="inputStats"/>.</summary>
    public static EnsembleModel Build(IReadOnlyList<string> runs, IReadOnlyList<RunConfig> configs, ChannelStats? inputStats, Device device)
    {
        var members = new List<HarModel>();
        for (int k = 0; k < runs.Count; k++)
        {
            var m = HeadSearchModel.CreateAny(configs[k].Model, new Rng(configs[k].Train.Seed), device);
            RunFiles.LoadModelTensors(new RunFiles(runs[k]).Best, m);
            members.Add(m);
        }
        return new EnsembleModel(members, inputStats, configs.Select(c => c.Stats).ToList());
    }
}
