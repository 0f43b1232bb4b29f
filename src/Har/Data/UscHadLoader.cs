using System.Globalization;
using System.Text.RegularExpressions;

namespace HarFromScratch.Har.Data;

/// <summary>
/// USC-HAD v1.0: one MAT v5 file per trial (Subject{S}/a{A}t{T}.mat), `sensor_readings` N x 6 at
/// 100 Hz (acc in g, gyro in deg/s), decimated to 50 Hz with an anti-aliasing FIR, then windowed per
/// trial. Subjects 1-10 train, 11-12 validation, 13-14 test.
/// </summary>
public static partial class UscHadLoader
{
    public static readonly string[] Channels = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"];
    public static readonly string[] Classes =
    [
        "Walking Forward", "Walking Left", "Walking Right", "Walking Upstairs", "Walking Downstairs",
        "Running Forward", "Jumping Up", "Sitting", "Standing", "Sleeping", "Elevator Up", "Elevator Down",
    ];
    public const double SourceRateHz = 100, RateHz = 50;
    public static readonly int[] ValidationSubjects = [11, 12];
    public static readonly int[] TestSubjects = [13, 14];

    [GeneratedRegex(@"^Subject(\d+)$")] private static partial Regex SubjectDir();
    [GeneratedRegex(@"^a(\d+)t(\d+)\.mat$")] private static partial Regex TrialName();

    /// <summary>One trial as read from its .mat file (100 Hz, sample-major N x 6 in <see cref="Readings"/> column-major).</summary>
    public sealed record Trial(int Subject, int Activity, int TrialNo, string Path, int Samples, double[] Readings)
    {
        /// <summary>The file's activity_number field disagrees with its name (the name wins).</summary>
        public bool ActivityFieldMismatch { get; init; }
        /// <summary>The file's subject field disagrees with its folder (the folder wins).</summary>
        public bool SubjectFieldMismatch { get; init; }
    }

    /// <summary>Reads and validates one trial file.</summary>
    public static Trial ReadTrial(byte[] bytes, string path, int subject, int activity, int trialNo)
    {
        var vars = MatReader.Read(bytes, path);
        if (!vars.TryGetValue("sensor_readings", out var r))
            throw new HarDataException("missing variable 'sensor_readings'; expected an N x 6 double matrix", path);
        if (r.Real is null || r.Dims.Length != 2 || r.Dims[1] != 6)
            throw new HarDataException($"'sensor_readings' has shape [{string.Join("x", r.Dims)}] class {r.Class}; expected N x 6 numeric", path);
        foreach (var v in r.Real)
            if (!double.IsFinite(v)) throw new HarDataException("'sensor_readings' contains a non-finite value", path);
        // Field-name quirk: Subject13/a11t4.mat spells it 'activity_numbr'.
        var act = vars.GetValueOrDefault("activity_number") ?? vars.GetValueOrDefault("activity_numbr");
        // The file name is authoritative; disagreeing metadata fields are counted, not fatal
        // (Subject14/a3t2.mat says activity_number 2, for instance).
        bool actMismatch = act is not null && TryNumber(act, out int a) && a != activity;
        var subj = vars.GetValueOrDefault("subject");
        bool subjMismatch = subj is not null && TryNumber(subj, out int s) && s != subject;
        return new Trial(subject, activity, trialNo, path, r.Dims[0], r.Real)
        {
            ActivityFieldMismatch = actMismatch, SubjectFieldMismatch = subjMismatch,
        };
    }

    private static bool TryNumber(MatArray a, out int value)
    {
        if (a.Chars is not null)
            return int.TryParse(a.Chars.Trim().TrimEnd('\0'), NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        if (a.Real is { Length: 1 }) { value = (int)a.Real[0]; return true; }
        value = 0;
        return false;
    }

    /// <summary>The trial files under <paramref name="root"/>, sorted by subject, activity, trial.</summary>
    public static List<(int Subject, int Activity, int Trial, string Path)> ListTrials(string root)
    {
        if (!Directory.Exists(root))
            throw new HarDataException("missing folder: expected the USC-HAD folder with Subject1..Subject14", root);
        var list = new List<(int, int, int, string)>();
        foreach (var d in Directory.EnumerateDirectories(root))
        {
            var m = SubjectDir().Match(Path.GetFileName(d));
            if (!m.Success) continue;
            int s = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            foreach (var f in Directory.EnumerateFiles(d, "*.mat"))
            {
                var t = TrialName().Match(Path.GetFileName(f));
                if (!t.Success) continue;
                int a = int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture);
                int tr = int.Parse(t.Groups[2].Value, CultureInfo.InvariantCulture);
                if (a < 1 || a > Classes.Length)
                    throw new HarDataException($"activity {a} in the file name is outside the class set 1..{Classes.Length}", f);
                list.Add((s, a, tr, f));
            }
        }
        if (list.Count == 0)
            throw new HarDataException("no trials found: expected SubjectN/aAtT.mat files (for example Subject1/a1t1.mat)", root);
        list.Sort((x, y) => (x.Item1, x.Item2, x.Item3).CompareTo((y.Item1, y.Item2, y.Item3)));
        return list;
    }

    public static RawDataset Load(string root, DataOptions options)
    {
        options.Validate();
        var manifest = options.VerifyChecksums ? ChecksumManifest.TryLoad(root) : null;
        var trials = ListTrials(root);
        var dec = new Resampler(SourceRateHz, RateHz);
        int L = options.WindowLength, S = options.Stride, C = Channels.Length;
        var sets = new WindowSet[trials.Count];
        var samples = new long[trials.Count];
        var tooShort = new bool[trials.Count];
        var actMis = new bool[trials.Count];
        var subjMis = new bool[trials.Count];
        Par.For(trials.Count, i =>
        {
            var (s, a, t, path) = trials[i];
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (IOException e) { throw new HarDataException("cannot read file: " + e.Message, path, null, e); }
            manifest?.Verify(path, bytes);
            var trial = ReadTrial(bytes, path, s, a, t);
            int n = trial.Samples;
            int outN = dec.OutputLength(n);
            var x = new float[outN * C];
            for (int c = 0; c < C; c++) dec.Apply(trial.Readings, c * n, 1, n, x, c, C);
            int nw = WindowBuilder.WindowCount(outN, L, S);
            var wb = new WindowBuilder(C, L, Math.Max(1, nw));
            for (int w = 0; w < nw; w++) wb.Add(x, w * S, a - 1, s);
            sets[i] = wb.Build();
            samples[i] = n;
            tooShort[i] = nw == 0;
            actMis[i] = trial.ActivityFieldMismatch;
            subjMis[i] = trial.SubjectFieldMismatch;
        });
        var tr = new List<WindowSet>(); var va = new List<WindowSet>(); var te = new List<WindowSet>();
        var subjects = new SortedSet<int>();
        long total = 0, shortCount = 0, actMisCount = 0, subjMisCount = 0;
        for (int i = 0; i < trials.Count; i++)
        {
            int s = trials[i].Subject;
            subjects.Add(s);
            total += samples[i];
            if (tooShort[i]) shortCount++;
            if (actMis[i]) actMisCount++;
            if (subjMis[i]) subjMisCount++;
            if (Array.IndexOf(TestSubjects, s) >= 0) te.Add(sets[i]);
            else if (Array.IndexOf(ValidationSubjects, s) >= 0) va.Add(sets[i]);
            else tr.Add(sets[i]);
        }
        var train = WindowSet.Concat(tr, C, L);
        var val = WindowSet.Concat(va, C, L);
        var test = WindowSet.Concat(te, C, L);
        return new RawDataset
        {
            Name = "usc-had",
            ChannelNames = Channels,
            ClassNames = Classes,
            SamplingRateHz = RateHz,
            Train = train,
            Validation = val,
            Test = test,
            Counters =
            [
                new("trials", trials.Count),
                new("subjects", subjects.Count),
                new("raw_samples_100hz", total),
                new("trials_shorter_than_window", shortCount),
                new("activity_field_disagrees_with_file_name", actMisCount),
                new("subject_field_disagrees_with_folder", subjMisCount),
                new("windows_kept", train.Count + val.Count + test.Count),
            ],
        };
    }
}
