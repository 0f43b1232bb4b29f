namespace HarFromScratch.Har.Data;

/// <summary>
/// A set of fixed-length windows on the host: <see cref="X"/> is laid out (N, channels, time), row-major
/// and channels first; <see cref="Labels"/> are 0-based class indices; <see cref="Subjects"/> are the
/// dataset's own subject ids.
/// </summary>
public sealed class WindowSet
{
    public float[] X { get; }
    public int[] Labels { get; }
    public int[] Subjects { get; }
    public int Count { get; }
    public int Channels { get; }
    public int Time { get; }

    public WindowSet(float[] x, int[] labels, int[] subjects, int channels, int time)
    {
        if (channels <= 0 || time <= 0) throw new ArgumentException("channels and time must be positive");
        if (labels.Length != subjects.Length) throw new ArgumentException("labels and subjects differ in length");
        if ((long)labels.Length * channels * time != x.Length)
            throw new ArgumentException($"X has {x.Length} values; expected {labels.Length}x{channels}x{time}");
        X = x; Labels = labels; Subjects = subjects; Count = labels.Length; Channels = channels; Time = time;
    }

    public static WindowSet Empty(int channels, int time) => new([], [], [], channels, time);

    /// <summary>Values of one window, (channels, time).</summary>
    public ReadOnlySpan<float> Window(int i) => X.AsSpan(i * Channels * Time, Channels * Time);

    /// <summary>Window count per class (length <paramref name="numClasses"/>).</summary>
    public int[] ClassCounts(int numClasses)
    {
        var c = new int[numClasses];
        foreach (var l in Labels) c[l]++;
        return c;
    }

    /// <summary>Distinct subject ids, ascending.</summary>
    public int[] SubjectIds()
    {
        var s = new SortedSet<int>(Subjects);
        return [.. s];
    }

    /// <summary>Window count per subject id, ascending by id.</summary>
    public SortedDictionary<int, int> SubjectCounts()
    {
        var d = new SortedDictionary<int, int>();
        foreach (var s in Subjects) d[s] = d.TryGetValue(s, out var n) ? n + 1 : 1;
        return d;
    }

    /// <summary>The windows whose subject satisfies <paramref name="keep"/>, in their original order.</summary>
    public WindowSet Where(Func<int, bool> keep)
    {
        int n = 0;
        for (int i = 0; i < Count; i++) if (keep(Subjects[i])) n++;
        int w = Channels * Time;
        var x = new float[n * w];
        var y = new int[n];
        var s = new int[n];
        int j = 0;
        for (int i = 0; i < Count; i++)
        {
            if (!keep(Subjects[i])) continue;
            Array.Copy(X, (long)i * w, x, (long)j * w, w);
            y[j] = Labels[i]; s[j] = Subjects[i]; j++;
        }
        return new WindowSet(x, y, s, Channels, Time);
    }

    /// <summary>Concatenates sets with equal shape.</summary>
    public static WindowSet Concat(IReadOnlyList<WindowSet> parts, int channels, int time)
    {
        long n = 0;
        foreach (var p in parts)
        {
            if (p.Channels != channels || p.Time != time) throw new ArgumentException("shape mismatch in Concat");
            n += p.Count;
        }
        var x = new float[n * channels * time];
        var y = new int[n];
        var s = new int[n];
        long o = 0;
        foreach (var p in parts)
        {
            Array.Copy(p.X, 0, x, o * channels * time, p.X.Length);
            Array.Copy(p.Labels, 0, y, o, p.Count);
            Array.Copy(p.Subjects, 0, s, o, p.Count);
            o += p.Count;
        }
        return new WindowSet(x, y, s, channels, time);
    }

    public WindowSet Clone() => new((float[])X.Clone(), (int[])Labels.Clone(), (int[])Subjects.Clone(), Channels, Time);
}

/// <summary>
/// Windows as the loader produced them, before validation carving and normalisation: this is what the
/// preprocessed cache stores.
/// </summary>
public sealed class RawDataset
{
    public required string Name { get; init; }
    public required string[] ChannelNames { get; init; }
    public required string[] ClassNames { get; init; }
    public required double SamplingRateHz { get; init; }
    public required WindowSet Train { get; init; }
    /// <summary>Non-null when the dataset defines its own validation subjects (USC-HAD: 11-12).</summary>
    public WindowSet? Validation { get; init; }
    public required WindowSet Test { get; init; }
    /// <summary>Counters such as raw samples read and windows dropped (name, value), in report order.</summary>
    public List<KeyValuePair<string, long>> Counters { get; init; } = new();

    public long Counter(string name)
    {
        foreach (var kv in Counters) if (kv.Key == name) return kv.Value;
        return 0;
    }
}

/// <summary>A prepared dataset: train / validation / test windows, optionally normalised.</summary>
public sealed class HarDataset
{
    public required string Name { get; init; }
    public required string[] ChannelNames { get; init; }
    public required string[] ClassNames { get; init; }
    public required double SamplingRateHz { get; init; }
    public required WindowSet Train { get; init; }
    public required WindowSet Validation { get; init; }
    public required WindowSet Test { get; init; }
    /// <summary>Per-channel statistics fitted on <see cref="Train"/>; null when normalisation was off.</summary>
    public ChannelStats? Stats { get; init; }
    public required List<KeyValuePair<string, long>> Counters { get; init; }
    /// <summary>True when the windows came from the preprocessed cache.</summary>
    public bool FromCache { get; init; }
    /// <summary>Path of the cache file used or written (null when caching was off).</summary>
    public string? CachePath { get; init; }
    /// <summary>Wall time of the load, including cache I/O and preparation.</summary>
    public TimeSpan LoadTime { get; init; }

    public int NumClasses => ClassNames.Length;
    public int Channels => ChannelNames.Length;
    public int WindowLength => Train.Time;

    public long Counter(string name)
    {
        foreach (var kv in Counters) if (kv.Key == name) return kv.Value;
        return 0;
    }
}
