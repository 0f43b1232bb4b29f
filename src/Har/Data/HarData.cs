using System.Diagnostics;

namespace HarFromScratch.Har.Data;

/// <summary>
/// Entry point of the data layer: load a dataset by name (through the preprocessed cache), carve the
/// validation subjects from the training subjects, fit normalisation on the training split and apply
/// it to all splits.
/// </summary>
public static class HarData
{
    /// <summary>Loads and prepares a dataset. Warnings (for example a cache that could not be written) go to <paramref name="warnings"/>.</summary>
    public static HarDataset Load(string name, DataOptions? options = null, List<string>? warnings = null)
    {
        options ??= new DataOptions();
        options.Validate();
        var sw = Stopwatch.StartNew();
        var info = DatasetCatalog.Find(name);
        var raw = LoadRaw(info, options, out bool fromCache, out string? cachePath, warnings);
        var ds = Prepare(raw, options);
        sw.Stop();
        return new HarDataset
        {
            Name = ds.Name, ChannelNames = ds.ChannelNames, ClassNames = ds.ClassNames, SamplingRateHz = ds.SamplingRateHz,
            Train = ds.Train, Validation = ds.Validation, Test = ds.Test, Stats = ds.Stats, Counters = ds.Counters,
            FromCache = fromCache, CachePath = cachePath, LoadTime = sw.Elapsed,
        };
    }

    /// <summary>Resolves the dataset folder and fails with download instructions when it is absent or empty.</summary>
    public static string DatasetRoot(DatasetInfo info, string? dataDirOption)
    {
        var dataDir = DataPaths.ResolveDataDir(dataDirOption);
        var root = info.Root(dataDir);
        if (!Directory.Exists(root) || !Directory.EnumerateFileSystemEntries(root).Any())
            throw new HarDataException(info.MissingMessage(dataDir));
        return root;
    }

    /// <summary>Windows as the loader cuts them (from the cache when it is valid).</summary>
    public static RawDataset LoadRaw(DatasetInfo info, DataOptions options, out bool fromCache, out string? cachePath, List<string>? warnings = null)
    {
        var root = DatasetRoot(info, options.DataDir);
        fromCache = false;
        cachePath = null;
        if (!options.UseCache || !info.Cached) return info.Loader(root, options);
        var key = DataCache.ComputeKey(info, root, options);
        cachePath = DataCache.PathFor(DataPaths.ResolveCacheDir(options.CacheDir), info, key);
        var cached = DataCache.TryRead(cachePath, key, out var reason);
        if (cached is not null) { fromCache = true; return cached; }
        if (reason is not null && reason != "no cache file") warnings?.Add($"cache {cachePath} ignored: {reason}; rebuilt");
        var raw = info.Loader(root, options);
        try { DataCache.Write(cachePath, key, raw); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings?.Add($"could not write cache {cachePath}: {e.Message}");
            cachePath = null;
        }
        return raw;
    }

    /// <summary>The validation subjects that <paramref name="options"/> selects from <paramref name="trainSubjects"/>.</summary>
    public static int[] ChooseValidationSubjects(int[] trainSubjects, DataOptions options)
    {
        var sorted = trainSubjects.Distinct().Order().ToArray();
        if (options.ValidationSubjects is { } explicitIds)
        {
            foreach (var s in explicitIds)
                if (Array.IndexOf(sorted, s) < 0)
                    throw new HarDataException($"validation subject {s} is not a training subject; expected one of {string.Join(", ", sorted)}");
            return explicitIds.Distinct().Order().ToArray();
        }
        int k = (int)Math.Round(options.ValidationFraction * sorted.Length, MidpointRounding.AwayFromZero);
        if (options.ValidationFraction > 0 && k == 0 && sorted.Length >= 2) k = 1;
        if (k >= sorted.Length && sorted.Length > 0) k = sorted.Length - 1;
        var shuffled = (int[])sorted.Clone();
        new SplitMix64(options.SplitSeed).Shuffle(shuffled.AsSpan());
        return shuffled.Take(k).Order().ToArray();
    }

    /// <summary>Validation carving and normalisation (works on the given sets; they are modified in place).</summary>
    public static HarDataset Prepare(RawDataset raw, DataOptions options)
    {
        WindowSet train, val;
        if (raw.Validation is not null && options.ValidationSubjects is null)
        {
            train = raw.Train; val = raw.Validation;
        }
        else
        {
            var pool = raw.Validation is null ? raw.Train
                : WindowSet.Concat([raw.Train, raw.Validation], raw.Train.Channels, raw.Train.Time);
            var vs = new HashSet<int>(ChooseValidationSubjects(pool.SubjectIds(), options));
            train = vs.Count == 0 ? pool : pool.Where(s => !vs.Contains(s));
            val = vs.Count == 0 ? WindowSet.Empty(pool.Channels, pool.Time) : pool.Where(vs.Contains);
        }
        var test = raw.Test;
        ChannelStats? stats = null;
        if (options.Normalize)
        {
            stats = ChannelStats.Fit(train, raw.ChannelNames);
            stats.Apply(train); stats.Apply(val); stats.Apply(test);
        }
        return new HarDataset
        {
            Name = raw.Name, ChannelNames = raw.ChannelNames, ClassNames = raw.ClassNames, SamplingRateHz = raw.SamplingRateHz,
            Train = train, Validation = val, Test = test, Stats = stats, Counters = raw.Counters,
        };
    }
}
