namespace HarFromScratch.Har.Data;

/// <summary>Static description of a dataset: where it lives, where it comes from, what it holds.</summary>
public sealed record DatasetInfo
{
    /// <summary>Name used on the command line (`har data info NAME`).</summary>
    public required string Name { get; init; }
    public string[] Aliases { get; init; } = [];
    public required string Title { get; init; }
    /// <summary>Folder under the data directory.</summary>
    public required string Folder { get; init; }
    public required string HomePage { get; init; }
    /// <summary>Official archive URL used by `har data fetch`.</summary>
    public required string DownloadUrl { get; init; }
    /// <summary>Expected SHA-256 of the downloaded archive, when known (null: size is checked against Content-Length only).</summary>
    public string? DownloadSha256 { get; init; }
    public required string Citation { get; init; }
    public required string Licence { get; init; }
    /// <summary>A file whose presence shows the dataset is unpacked in the right place (relative to the folder).</summary>
    public required string MarkerFile { get; init; }
    /// <summary>Split rule, in words.</summary>
    public required string SplitRule { get; init; }
    public required Func<string, DataOptions, RawDataset> Loader { get; init; }
    /// <summary>Samples per second of the windows the loader gives (after any decimation; the loader's own constant);
    /// null for feature tables. What `har predict` expects a recording at.</summary>
    public double? SampleRateHz { get; init; }
    /// <summary>The unit of each channel of the loader's windows (<see cref="SensorUnits"/>), in channel order; null for
    /// feature tables. What `har predict` converts a recording to.</summary>
    public string[]? ChannelUnits { get; init; }
    /// <summary>How the channels are computed from a raw recording, where the dataset's are derived signals (UCI-HAR);
    /// null where a recording holds the dataset's channels as they are.</summary>
    public ChannelDerivation? FromRaw { get; init; }
    /// <summary>Whether windows are cut by the loader (window/stride options apply) and cached.</summary>
    public bool Windowed { get; init; } = true;
    public bool Cached { get; init; } = true;
    /// <summary>Verified facts checked by `har data check` (counter name, expected value).</summary>
    public (string Counter, long Expected)[] Facts { get; init; } = [];

    public string Root(string dataDir) => Path.Combine(dataDir, Folder);

    /// <summary>The message given when the dataset is not found: what to download and where to put it.</summary>
    public string MissingMessage(string dataDir) =>
        $"dataset '{Name}' not found: expected '{Path.Combine(Root(dataDir), MarkerFile)}'. " +
        $"Download {DownloadUrl} (page {HomePage}) and unpack it so that the folder '{Root(dataDir)}' holds {MarkerFile}, " +
        $"or run 'har data fetch {Name} --data {dataDir}'. The data directory is --data DIR, else $HAR_DATA, else ./data.";
}

public static class DatasetCatalog
{
    private static string[] Repeat(string unit, int n) => Enumerable.Repeat(unit, n).ToArray();

    public static readonly DatasetInfo UciHar = new()
    {
        Name = "uci-har",
        Aliases = ["ucihar", "uci_har", "har"],
        Title = "UCI Human Activity Recognition Using Smartphones v1.0",
        Folder = "UCI-HAR",
        HomePage = "https://archive.ics.uci.edu/dataset/240/human+activity+recognition+using+smartphones",
        DownloadUrl = "https://archive.ics.uci.edu/ml/machine-learning-databases/00240/UCI%20HAR%20Dataset.zip",
        Citation = "D. Anguita, A. Ghio, L. Oneto, X. Parra, J. L. Reyes-Ortiz. Human Activity Recognition on Smartphones using a Multiclass Hardware-Friendly Support Vector Machine. IWAAL 2012.",
        Licence = "distributed AS-IS; commercial use prohibited (README.txt)",
        MarkerFile = "activity_labels.txt",
        SplitRule = "official split: 21 train subjects / 9 test subjects (2, 4, 9, 10, 12, 13, 18, 20, 24); validation carved from train subjects",
        SampleRateHz = UciHarLoader.RateHz,
        ChannelUnits = [.. Repeat(SensorUnits.G, 3), .. Repeat(SensorUnits.RadiansPerSecond, 3), .. Repeat(SensorUnits.G, 3)],   // README.txt: accelerations in 'g's, gyroscope in rad/seg
        FromRaw = UciHarSignals.FromRaw,
        Loader = UciHarLoader.Load,
        Facts = [("windows_train", 7352), ("windows_test", 2947), ("subjects_train", 21), ("subjects_test", 9)],
    };

    public static readonly DatasetInfo Hapt = new()
    {
        Name = "hapt",
        Aliases = ["uci-hapt"],
        Title = "UCI Smartphone-Based Recognition of Human Activities and Postural Transitions v2.1",
        Folder = "HAPT",
        HomePage = "https://archive.ics.uci.edu/dataset/341/smartphone+based+recognition+of+human+activities+and+postural+transitions",
        DownloadUrl = "https://archive.ics.uci.edu/ml/machine-learning-databases/00341/HAPT%20Data%20Set.zip",
        Citation = "J.-L. Reyes-Ortiz, L. Oneto, A. Samà, X. Parra, D. Anguita. Transition-Aware Human Activity Recognition Using Smartphones. Neurocomputing, 2015.",
        Licence = "distributed AS-IS; commercial use prohibited (README.txt)",
        MarkerFile = "RawData/labels.txt",
        SplitRule = "subjects of Train/subject_id_train.txt (21) / Test/subject_id_test.txt (9); validation carved from train subjects",
        SampleRateHz = HaptLoader.RateHz,
        ChannelUnits = [.. Repeat(SensorUnits.G, 3), .. Repeat(SensorUnits.RadiansPerSecond, 3)],   // README.txt: accelerations in 'g's, gyroscope in rad/seg
        Loader = HaptLoader.Load,
        Facts = [("raw_samples_per_sensor", 1_122_772), ("experiments", 61), ("users", 30), ("label_segments", 1214)],
    };

    public static readonly DatasetInfo UscHad = new()
    {
        Name = "usc-had",
        Aliases = ["uschad", "usc_had"],
        Title = "USC Human Activity Dataset v1.0",
        Folder = "USC-HAD",
        HomePage = "https://sipi.usc.edu/had/",
        DownloadUrl = "https://sipi.usc.edu/had/USC-HAD.zip",
        Citation = "M. Zhang, A. A. Sawchuk. USC-HAD: A Daily Activity Dataset for Ubiquitous Activity Recognition Using Wearable Sensors. UbiComp 2012 SAGAware workshop.",
        Licence = "none stated in Readme.txt",
        MarkerFile = "Subject1/a1t1.mat",
        SplitRule = "subjects 1-10 train, 11-12 validation, 13-14 test",
        SampleRateHz = UscHadLoader.RateHz,
        ChannelUnits = [.. Repeat(SensorUnits.G, 3), .. Repeat(SensorUnits.DegreesPerSecond, 3)],   // Readme.txt: acc in g, gyro in dps
        Loader = UscHadLoader.Load,
        Facts = [("trials", 840), ("subjects", 14), ("raw_samples_100hz", 2_811_490)],
    };

    public static readonly DatasetInfo Wisdm = new()
    {
        Name = "wisdm",
        Aliases = ["wisdm-raw", "wisdm_ar_v1.1"],
        Title = "WISDM Activity Prediction v1.1 (raw accelerometer)",
        Folder = "WISDM_ar_v1.1",
        HomePage = "https://www.cis.fordham.edu/wisdm/dataset.php",
        DownloadUrl = "https://www.cis.fordham.edu/wisdm/includes/datasets/latest/WISDM_ar_latest.tar.gz",
        Citation = "J. R. Kwapisz, G. M. Weiss, S. A. Moore. Activity Recognition using Cell Phone Accelerometers. SensorKDD-10 (KDD-10 workshop), 2010.",
        Licence = "see readme.txt (include it when sharing the data)",
        MarkerFile = WisdmLoader.RawFileName,
        SplitRule = "users 1-28 train, 29-36 test; validation carved from train users",
        SampleRateHz = WisdmLoader.RateHz,
        ChannelUnits = Repeat(SensorUnits.MetresPerSecond2, 3),   // WISDM_ar_v1.1_raw_about.txt: "a value of 10 = 1g = 9.81 m/s^2"
        Loader = WisdmLoader.Load,
    };

    public static readonly DatasetInfo WisdmArff = new()
    {
        Name = "wisdm-arff",
        Aliases = ["wisdm-transformed", "wisdm-features"],
        Title = "WISDM Activity Prediction v1.1 (transformed, 43 features per 10 s)",
        Folder = "WISDM_ar_v1.1",
        HomePage = Wisdm.HomePage,
        DownloadUrl = Wisdm.DownloadUrl,
        Citation = Wisdm.Citation,
        Licence = Wisdm.Licence,
        MarkerFile = WisdmLoader.ArffFileName + "(.gz)",
        SplitRule = Wisdm.SplitRule,
        Loader = WisdmLoader.LoadArff,
        Windowed = false,
        Cached = false,
        Facts = [("rows", 5418), ("features", 43)],
    };

    public static IReadOnlyList<DatasetInfo> All { get; } = [UciHar, Hapt, UscHad, Wisdm, WisdmArff];

    public static DatasetInfo Find(string name)
    {
        foreach (var d in All)
            if (d.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || d.Aliases.Any(a => a.Equals(name, StringComparison.OrdinalIgnoreCase))
                || d.Folder.Equals(name, StringComparison.OrdinalIgnoreCase) && d != WisdmArff)
                return d;
        throw new HarDataException($"unknown dataset '{name}'; expected one of: {string.Join(", ", All.Select(d => d.Name))}");
    }
}

/// <summary>Resolution of the data and cache directories.</summary>
public static class DataPaths
{
    public const string DataEnv = "HAR_DATA";
    public const string CacheEnv = "HAR_CACHE";

    /// <summary>--data DIR, else $HAR_DATA, else ./data; relative paths against the current directory.</summary>
    public static string ResolveDataDir(string? option)
    {
        var d = !string.IsNullOrWhiteSpace(option) ? option
            : Environment.GetEnvironmentVariable(DataEnv) is { Length: > 0 } e ? e
            : "data";
        return Path.GetFullPath(d);
    }

    /// <summary>--cache DIR, else $HAR_CACHE, else $XDG_CACHE_HOME/harfromscratch, else ~/.cache/harfromscratch.</summary>
    public static string ResolveCacheDir(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return Path.GetFullPath(option);
        if (Environment.GetEnvironmentVariable(CacheEnv) is { Length: > 0 } c) return Path.GetFullPath(c);
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x) return Path.Combine(Path.GetFullPath(x), "harfromscratch");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home)) home = Path.GetTempPath();
        return Path.Combine(home, ".cache", "harfromscratch");
    }
}
