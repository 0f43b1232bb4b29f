using System.Text.RegularExpressions;

namespace HarFromScratch.Har.Data;

/// <summary>
/// UCI HAPT v2.1: raw accelerometer + gyroscope recordings (6 channels, 50 Hz) cut into windows with
/// `RawData/labels.txt`. A window is kept when one activity label covers every one of its samples;
/// windows that straddle two activities or an unlabelled stretch are dropped and counted. Split by the
/// subject lists `Train/subject_id_train.txt` and `Test/subject_id_test.txt`.
/// </summary>
public static partial class HaptLoader
{
    /// <summary>The phone's sampling rate (Hz): the windows are cut at it.</summary>
    public const double RateHz = 50;

    public static readonly string[] Channels = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"];

    [GeneratedRegex(@"^acc_exp(\d+)_user(\d+)\.txt(\.gz)?$")]
    private static partial Regex AccName();

    /// <summary>One row of labels.txt; Start/End are 1-based inclusive sample indices.</summary>
    public readonly record struct Segment(int Experiment, int User, int Activity, int Start, int End, long Line);

    public static Segment[] ParseLabels(ReadOnlySpan<byte> data, string file, int numClasses)
    {
        var list = new List<Segment>(1300);
        int pos = 0;
        long lineNo = 0;
        Span<int> v = stackalloc int[5];
        while (TextParse.NextLine(data, ref pos, out var line))
        {
            lineNo++;
            if (TextParse.IsBlank(line)) continue;
            int tp = 0, c = 0;
            while (TextParse.NextToken(line, ref tp, out var tok))
            {
                if (c >= 5) throw new HarDataException("wrong column count: expected 5 integers 'exp user activity start end', found more", file, lineNo);
                if (!TextParse.TryInt(tok, out v[c]))
                    throw new HarDataException($"column {c + 1}: expected an integer, found '{TextParse.Show(tok)}'", file, lineNo);
                c++;
            }
            if (c != 5) throw new HarDataException($"wrong column count: expected 5 integers 'exp user activity start end', found {c}", file, lineNo);
            if (v[2] < 1 || v[2] > numClasses)
                throw new HarDataException($"activity {v[2]} is outside the class set 1..{numClasses}", file, lineNo);
            if (v[0] < 1 || v[1] < 1) throw new HarDataException("experiment and user ids must be positive", file, lineNo);
            if (v[3] < 1 || v[4] < v[3])
                throw new HarDataException($"invalid sample range {v[3]}..{v[4]}; expected 1 <= start <= end", file, lineNo);
            list.Add(new Segment(v[0], v[1], v[2], v[3], v[4], lineNo));
        }
        if (list.Count == 0) throw new HarDataException("file is empty; expected lines 'exp user activity start end'", file);
        return [.. list];
    }

    public static RawDataset Load(string root, DataOptions options)
    {
        options.Validate();
        var manifest = options.VerifyChecksums ? ChecksumManifest.TryLoad(root) : null;
        var labelsMap = TextParse.Locate(Path.Combine(root, "activity_labels.txt"));
        var classes = TextParse.ParseLabelMap(TextParse.ReadAll(labelsMap, manifest), labelsMap);
        var rawDir = Path.Combine(root, "RawData");
        if (!Directory.Exists(rawDir))
            throw new HarDataException("missing folder: expected the HAPT 'RawData' folder with acc_expXX_userYY.txt and labels.txt", rawDir);
        var labelsPath = TextParse.Locate(Path.Combine(rawDir, "labels.txt"));
        var segments = ParseLabels(TextParse.ReadAll(labelsPath, manifest), labelsPath, classes.Length);

        var trainList = TextParse.Locate(Path.Combine(root, "Train", "subject_id_train.txt"));
        var testList = TextParse.Locate(Path.Combine(root, "Test", "subject_id_test.txt"));
        var trainSubjects = new HashSet<int>(TextParse.ParseIntColumn(TextParse.ReadAll(trainList, manifest), trainList, 1, 1000, "subject id"));
        var testSubjects = new HashSet<int>(TextParse.ParseIntColumn(TextParse.ReadAll(testList, manifest), testList, 1, 1000, "subject id"));
        foreach (var s in trainSubjects)
            if (testSubjects.Contains(s))
                throw new HarDataException($"subject {s} is listed in both {trainList} and {testList}; expected disjoint subject lists");

        // Experiments: every acc file, with its gyro twin.
        var exps = new SortedDictionary<int, (int User, string Acc, string Gyro)>();
        foreach (var f in Directory.EnumerateFiles(rawDir))
        {
            var m = AccName().Match(Path.GetFileName(f));
            if (!m.Success) continue;
            int e = int.Parse(m.Groups[1].Value), u = int.Parse(m.Groups[2].Value);
            var gyro = TextParse.Locate(Path.Combine(rawDir, $"gyro_exp{m.Groups[1].Value}_user{m.Groups[2].Value}.txt"));
            if (exps.ContainsKey(e)) throw new HarDataException($"experiment {e} has more than one accelerometer file", f);
            exps[e] = (u, f, gyro);
        }
        if (exps.Count == 0)
            throw new HarDataException("no recordings found: expected files acc_expXX_userYY.txt(.gz) and gyro_expXX_userYY.txt(.gz)", rawDir);
        foreach (var seg in segments)
        {
            if (!exps.TryGetValue(seg.Experiment, out var ex))
                throw new HarDataException($"experiment {seg.Experiment} has no recording: expected {Path.Combine(rawDir, $"acc_exp{seg.Experiment:00}_user{seg.User:00}.txt")}", labelsPath, seg.Line);
            if (ex.User != seg.User)
                throw new HarDataException($"experiment {seg.Experiment} belongs to user {ex.User} (file name), labels say {seg.User}", labelsPath, seg.Line);
        }

        var expIds = exps.Keys.ToArray();
        int L = options.WindowLength, S = options.Stride, C = Channels.Length;
        var perExp = new (WindowSet W, long Samples, long Mixed, long Unlabelled, long Total, long Relabelled)[expIds.Length];
        bool majority = options.WindowLabel == "majority";
        Par.For(expIds.Length, k =>
        {
            int e = expIds[k];
            var (user, accPath, gyroPath) = exps[e];
            var acc = TextParse.ParseFloatTable(TextParse.ReadAll(accPath, manifest), accPath, 3, null, out int na);
            var gyro = TextParse.ParseFloatTable(TextParse.ReadAll(gyroPath, manifest), gyroPath, 3, null, out int ng);
            if (na != ng)
                throw new HarDataException($"expected the same number of rows as {accPath} ({na}), found {ng}", gyroPath);
            var label = new int[na]; // 0 = unlabelled, else activity id
            foreach (var seg in segments)
            {
                if (seg.Experiment != e) continue;
                if (seg.End > na)
                    throw new HarDataException($"segment end {seg.End} is past the end of {accPath} ({na} samples)", labelsPath, seg.Line);
                for (int t = seg.Start - 1; t < seg.End; t++)
                {
                    if (label[t] != 0 && label[t] != seg.Activity)
                        throw new HarDataException($"segment overlaps another segment with a different activity at sample {t + 1}", labelsPath, seg.Line);
                    label[t] = seg.Activity;
                }
            }
            var samples = new float[na * C];
            for (int t = 0; t < na; t++)
            {
                samples[t * C + 0] = acc[t * 3 + 0]; samples[t * C + 1] = acc[t * 3 + 1]; samples[t * C + 2] = acc[t * 3 + 2];
                samples[t * C + 3] = gyro[t * 3 + 0]; samples[t * C + 4] = gyro[t * 3 + 1]; samples[t * C + 5] = gyro[t * 3 + 2];
            }
            int nw = WindowBuilder.WindowCount(na, L, S);
            var wb = new WindowBuilder(C, L, Math.Max(1, nw));
            long mixed = 0, unl = 0, relabelled = 0;
            var votes = new int[classes.Length + 1];
            for (int w = 0; w < nw; w++)
            {
                int st = w * S;
                int first = label[st];
                bool uniform = true, anyLabel = first != 0;
                for (int t = st + 1; t < st + L; t++)
                {
                    if (label[t] != first) uniform = false;
                    if (label[t] != 0) anyLabel = true;
                }
                if (uniform && first != 0) wb.Add(samples, st, first - 1, user);
                else if (!anyLabel) unl++;
                else if (majority)
                {
                    // the mode of the window's samples, unlabelled (0) included; ties to the lower id
                    Array.Clear(votes);
                    for (int t = st; t < st + L; t++) votes[label[t]]++;
                    int mode = 0;
                    for (int a = 1; a < votes.Length; a++) if (votes[a] > votes[mode]) mode = a;
                    if (mode == 0) unl++;
                    else { wb.Add(samples, st, mode - 1, user); relabelled++; }
                }
                else mixed++;
            }
            perExp[k] = (wb.Build(), na, mixed, unl, nw, relabelled);
        });

        var train = new List<WindowSet>();
        var test = new List<WindowSet>();
        long samplesTotal = 0, mixedTotal = 0, unlTotal = 0, candidates = 0, relabelledTotal = 0;
        var users = new SortedSet<int>();
        for (int k = 0; k < expIds.Length; k++)
        {
            int user = exps[expIds[k]].User;
            users.Add(user);
            var r = perExp[k];
            samplesTotal += r.Samples; mixedTotal += r.Mixed; unlTotal += r.Unlabelled; candidates += r.Total; relabelledTotal += r.Relabelled;
            if (trainSubjects.Contains(user)) train.Add(r.W);
            else if (testSubjects.Contains(user)) test.Add(r.W);
            else throw new HarDataException($"user {user} (experiment {expIds[k]}) is in neither {trainList} nor {testList}; expected every user in one split");
        }
        var trainSet = WindowSet.Concat(train, C, L);
        var testSet = WindowSet.Concat(test, C, L);
        return new RawDataset
        {
            Name = "hapt",
            ChannelNames = Channels,
            ClassNames = classes,
            SamplingRateHz = RateHz,
            Train = trainSet,
            Test = testSet,
            Counters =
            [
                new("experiments", expIds.Length),
                new("users", users.Count),
                new("raw_samples_per_sensor", samplesTotal),
                new("label_segments", segments.Length),
                new("candidate_windows", candidates),
                new("windows_kept", trainSet.Count + testSet.Count),
                new("windows_kept_by_majority", relabelledTotal),
                new("windows_dropped_mixed", mixedTotal),
                new("windows_dropped_unlabelled", unlTotal),
            ],
        };
    }
}
