namespace HarFromScratch.Har.Data;

/// <summary>
/// UCI-HAR v1.0: the official `Inertial Signals` windows (9 channels x 128 samples at 50 Hz), labels
/// 1-6 and subjects 1-30, with the official subject split (21 train / 9 test).
/// </summary>
public static class UciHarLoader
{
    public static readonly string[] Signals =
    [
        "body_acc_x", "body_acc_y", "body_acc_z",
        "body_gyro_x", "body_gyro_y", "body_gyro_z",
        "total_acc_x", "total_acc_y", "total_acc_z",
    ];

    public const int WindowLength = 128;
    public const double RateHz = 50;

    public static RawDataset Load(string root, DataOptions options)
    {
        if (options.WindowLength != WindowLength)
            throw new HarDataException(
                $"UCI-HAR ships fixed windows of {WindowLength} samples; window length {options.WindowLength} was asked for (use --window 128; --stride does not apply)");
        var manifest = options.VerifyChecksums ? ChecksumManifest.TryLoad(root) : null;
        var labelsPath = TextParse.Locate(Path.Combine(root, "activity_labels.txt"));
        var classes = TextParse.ParseLabelMap(TextParse.ReadAll(labelsPath, manifest), labelsPath);
        var train = LoadSplit(root, "train", classes.Length, manifest);
        var test = LoadSplit(root, "test", classes.Length, manifest);
        return new RawDataset
        {
            Name = "uci-har",
            ChannelNames = Signals,
            ClassNames = classes,
            SamplingRateHz = RateHz,
            Train = train,
            Test = test,
            Counters =
            [
                new("windows_train", train.Count),
                new("windows_test", test.Count),
                new("subjects_train", train.SubjectIds().Length),
                new("subjects_test", test.SubjectIds().Length),
            ],
        };
    }

    public static WindowSet LoadSplit(string root, string split, int numClasses, ChecksumManifest? manifest)
    {
        var dir = Path.Combine(root, split);
        var yPath = TextParse.Locate(Path.Combine(dir, $"y_{split}.txt"));
        var sPath = TextParse.Locate(Path.Combine(dir, $"subject_{split}.txt"));
        var y = TextParse.ParseIntColumn(TextParse.ReadAll(yPath, manifest), yPath, 1, numClasses, "activity label");
        var s = TextParse.ParseIntColumn(TextParse.ReadAll(sPath, manifest), sPath, 1, 30, "subject id");
        if (s.Length != y.Length)
            throw new HarDataException($"expected {y.Length} subject ids (one per line of {yPath}), found {s.Length}", sPath);
        int n = y.Length;
        const int T = WindowLength;
        int C = Signals.Length;
        var x = new float[(long)n * C * T];
        Par.For(C, c =>
        {
            var p = TextParse.Locate(Path.Combine(dir, "Inertial Signals", $"{Signals[c]}_{split}.txt"));
            var table = TextParse.ParseFloatTable(TextParse.ReadAll(p, manifest), p, T, n, out _);
            for (int i = 0; i < n; i++)
                Array.Copy(table, (long)i * T, x, ((long)i * C + c) * T, T);
        });
        for (int i = 0; i < n; i++) y[i] -= 1;
        return new WindowSet(x, y, s, C, T);
    }
}
