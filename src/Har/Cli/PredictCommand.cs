using System.CommandLine;
using System.Globalization;
using System.Text;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.IO;
using HarFromScratch.Engine.Random;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Cli;

/// <summary>`har predict`: a trained run classifies a new recording, window by window.</summary>
public static class PredictCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run folder written by har train or har distill", Required = true };
        var input = new Option<string>("--input")
        {
            Description = "Recording: a text table (comma, semicolon, tab or space separated; .gz allowed), one row per sample at the rate the model was trained at; "
                + "a header row names the model's channels in any order (other columns are ignored), without one the columns are the model's channels in order; "
                + "for a UCI-HAR run the recording may instead hold the raw acc_x, acc_y, acc_z (g) and gyro_x, gyro_y, gyro_z (rad/s), from which its nine channels are derived",
            Required = true,
        };
        var output = new Option<string?>("--out") { Description = "CSV file for the per-window predictions (default: standard output)" };
        var plot = new Option<string?>("--plot") { Description = "PNG file: the class probabilities along the recording" };
        var accUnits = new Option<string?>("--acc-units") { Description = "Unit of the recording's accelerometer channels: g or m/s2 (default: the unit of the run's dataset)" };
        var gyroUnits = new Option<string?>("--gyro-units") { Description = "Unit of the recording's gyroscope channels: rad/s or deg/s (default: the unit of the run's dataset)" };
        var stride = new Option<int?>("--stride") { Description = "Samples between window starts, at the model's rate (default: the run's stride)" };
        var rateOption = new Option<double?>("--rate")
        {
            Description = "Sample rate of the recording in Hz (default: the rate of the run's dataset); a recording at another rate is resampled "
                + "to the model's rate with a band-limited (windowed-sinc) filter, as the USC-HAD loader turns 100 Hz into 50 Hz",
        };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best (the run's selected weights) or last (the weights after its last epoch; averaged with --ema)", DefaultValueFactory = _ => "best" };
        checkpoint.AcceptOnlyFromAmong("best", "last");
        var cmd = new Command("predict", "Classify a recording with a trained run: the activity and class probabilities of each window (CSV), and a summary")
            { run, input, output, plot, rateOption, accUnits, gyroUnits, stride, checkpoint, TrainCommands.DeviceOption };
        cmd.SetAction(p => HarCli.Guard(stderr, () =>
        {
            var files = new RunFiles(p.GetValue(run)!);
            var config = files.ReadConfig();
            var info = DatasetCatalog.Find(config.Train.Dataset);
            if (info.SampleRateHz is not { } rate)
                throw new HarDataException($"{files.Config}: the run was trained on {info.Name}, a table of features rather than sensor windows; har predict classifies recordings");
            int step = p.GetValue(stride) ?? config.Data.Stride;
            if (step < 1) throw new ArgumentException($"--stride must be at least 1, got {step}");
            var device = Device.Get(p.GetValue(TrainCommands.DeviceOption)!);
            var model = Distillation.SmlDist.HeadSearchModel.CreateAny(config.Model, new Rng(config.Train.Seed), device);
            files.LoadWeights(p.GetValue(checkpoint)!, model);

            var path = p.GetValue(input)!;
            // a recording holds the model's channels, or (UCI-HAR) the raw ones they are derived from: units, then rate, then derivation
            var derivation = info.FromRaw is { } d && d.Outputs.SequenceEqual(config.ChannelNames) ? d : null;
            IReadOnlyList<string>[] sets = derivation == null ? [config.ChannelNames] : [config.ChannelNames, derivation.Inputs];
            var samples = RecordingReader.Read(path, sets, out int chosen, out int rows);
            bool derive = chosen == 1;
            var readChannels = derive ? derivation!.Inputs : config.ChannelNames;
            var conversions = ConvertUnits(samples, readChannels, derive ? derivation!.InputUnits : info.ChannelUnits, info.Name,
                p.GetValue(accUnits), p.GetValue(gyroUnits));
            double inRate = p.GetValue(rateOption) ?? rate;
            Resampler? resampler = null;
            int count = rows;
            if (inRate != rate)
            {
                try { resampler = new Resampler(inRate, rate); }
                catch (ArgumentException e) { throw new ArgumentException($"--rate: {e.Message}"); }
                samples = resampler.ApplyInterleaved(Array.ConvertAll(samples, v => (double)v), readChannels.Length, rows);
                count = resampler.OutputLength(rows);
            }
            if (derive)
            {
                samples = derivation!.Derive(samples, count);
                conversions.Add($"{info.Name}'s channels derived from {string.Join(", ", readChannels)}: {derivation.Description}");
            }
            var windows = Predictor.Windows(samples, count, config.ChannelNames.Length, model.Spec.Length, step, config.Stats, path);
            // the CSV names rows of the input file: a window's first and one past its last sample, mapped back through the resampling
            long Row(long sample) => resampler == null ? sample : (long)Math.Floor(resampler.InputPosition(sample) + 1e-9);
            var prob = Predictor.Probabilities(model, windows);

            int k = config.ClassNames.Length;
            var inv = CultureInfo.InvariantCulture;
            var csv = new StringBuilder("window,start_sample,end_sample,start_s,end_s,activity,confidence");
            foreach (var c in config.ClassNames) csv.Append(",p_").Append(c);
            csv.Append('\n');
            var predicted = Predictor.MostLikely(prob, k);
            var perClass = new int[k];
            for (int w = 0; w < windows.Count; w++)
            {
                var pw = prob.AsSpan(w * k, k);
                int best = predicted[w];
                perClass[best]++;
                long start = (long)w * step, end = start + model.Spec.Length;
                csv.Append(string.Create(inv, $"{w},{Row(start)},{Row(end - 1) + 1},{start / rate:0.###},{end / rate:0.###},{config.ClassNames[best]},{pw[best]:0.####}"));
                foreach (var v in pw) csv.Append(',').Append(v.ToString("0.####", inv));
                csv.Append('\n');
            }
            var outPath = p.GetValue(output);
            if (outPath != null) AtomicFile.WriteAllText(outPath, csv.ToString());
            else stdout.Write(csv.ToString());

            // the summary goes where it does not mix with the CSV
            var summary = outPath != null ? stdout : stderr;
            int covered = (windows.Count - 1) * step + model.Spec.Length;
            summary.WriteLine(string.Create(inv, $"{path}: {rows} samples ({rows / inRate:0.#} s at {inRate:0.###} Hz)")
                + (resampler != null ? string.Create(inv, $", resampled to {count} at {rate:0.###} Hz") : "")
                + string.Create(inv, $", {windows.Count} windows of {model.Spec.Length} every {step} samples")
                + (covered < count ? $"; the last {count - covered} samples fill no window" : ""));
            foreach (var line in conversions) summary.WriteLine("  " + line);
            for (int c = 0; c < k; c++)
                if (perClass[c] > 0) summary.WriteLine(string.Create(inv, $"  {config.ClassNames[c],-22} {perClass[c],6} windows ({100.0 * perClass[c] / windows.Count:F1} %)"));
            if (outPath != null) summary.WriteLine($"wrote {Path.GetFullPath(outPath)}");
            if (p.GetValue(plot) is { } png)
            {
                var centres = Enumerable.Range(0, windows.Count).Select(w => ((long)w * step + model.Spec.Length / 2.0) / rate).ToArray();
                Reports.Plots.Timeline(config.ClassNames, prob, predicted, centres, png, $"{Path.GetFileName(path)}: {config.Train.Model} of {Path.GetFileName(files.Dir)}");
                summary.WriteLine($"wrote {Path.GetFullPath(png)}");
            }
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// Scales the channels of each quantity given in another unit than the dataset's into the dataset's, in place
    /// (sample-major samples); returns what was done, one line per quantity.
    /// </summary>
    private static List<string> ConvertUnits(float[] samples, IReadOnlyList<string> channels, string[]? units, string dataset, string? acc, string? gyro)
    {
        var done = new List<string>();
        foreach (var (given, allowed, option, what) in new[]
        {
            (acc, SensorUnits.Acceleration, "--acc-units", "accelerometer"),
            (gyro, SensorUnits.AngularRate, "--gyro-units", "gyroscope"),
        })
        {
            if (given == null) continue;
            var from = SensorUnits.Parse(given, allowed, option);
            if (units == null) throw new ArgumentException($"{option}: the units of {dataset}'s channels are not known");
            var scaled = Enumerable.Range(0, channels.Count).Where(c => allowed.Contains(units[c])).ToList();
            if (scaled.Count == 0) throw new ArgumentException($"{option} {given}: the run's model reads no {what} channel ({string.Join(", ", channels)})");
            foreach (var group in scaled.GroupBy(c => units[c]))
            {
                double f = SensorUnits.Factor(from, group.Key);
                if (f == 1) continue;
                for (long i = 0; i < samples.Length; i += channels.Count)
                    foreach (var c in group) samples[i + c] = (float)(samples[i + c] * f);
                done.Add($"{string.Join(", ", group.Select(c => channels[c]))}: {from} -> {group.Key} (x {SensorUnits.Show(f)})");
            }
        }
        return done;
    }
}
