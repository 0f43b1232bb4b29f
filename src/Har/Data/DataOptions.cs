namespace HarFromScratch.Har.Data;

/// <summary>Options of the data pipeline. Defaults follow docs/data.md ("Project definitions").</summary>
public sealed record DataOptions
{
    /// <summary>Data directory; null means HAR_DATA, else ./data (see <see cref="DataPaths.ResolveDataDir"/>).</summary>
    public string? DataDir { get; init; }
    /// <summary>Cache directory; null means HAR_CACHE, else $XDG_CACHE_HOME/harfromscratch, else ~/.cache/harfromscratch.</summary>
    public string? CacheDir { get; init; }
    /// <summary>Read and write the preprocessed cache.</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>Samples per window (at the output rate, 50 Hz for UCI-HAR/HAPT/USC-HAD, 20 Hz for WISDM).</summary>
    public int WindowLength { get; init; } = 128;
    /// <summary>Samples between window starts (64 = 50% overlap for 128-sample windows).</summary>
    public int Stride { get; init; } = 64;
    /// <summary>
    /// How a window cut from per-sample labels gets its label (HAPT, whose recordings change activity): <c>pure</c> keeps
    /// only windows one activity covers entirely (the project's definition; mixed windows are dropped and counted),
    /// <c>majority</c> gives a window the label that covers most of its samples (the mode, as in the HMKD author's earlier
    /// pipelines), dropping it only when most of it is unlabelled; ties go to the lower activity id. Short postural
    /// transitions yield several times more windows under <c>majority</c>. The other datasets' windows are pure by
    /// construction (one activity per recording or per run), so the option does not change them.
    /// </summary>
    public string WindowLabel { get; init; } = "pure";
    /// <summary>Fraction of training subjects carved out for validation (datasets without fixed validation subjects).</summary>
    public double ValidationFraction { get; init; } = 0.2;
    /// <summary>Explicit validation subjects (must be training subjects); overrides <see cref="ValidationFraction"/>.</summary>
    public int[]? ValidationSubjects { get; init; }
    /// <summary>Seed of the validation-subject draw.</summary>
    public ulong SplitSeed { get; init; } = 0;
    /// <summary>Per-channel z-score fitted on the training split.</summary>
    public bool Normalize { get; init; } = true;
    /// <summary>Verify source files against SHA256SUMS when it is present.</summary>
    public bool VerifyChecksums { get; init; } = true;

    internal void Validate()
    {
        if (WindowLength < 2 || WindowLength > 1 << 16)
            throw new HarDataException($"window length {WindowLength} is out of range; expected 2..65536 samples");
        if (Stride < 1 || Stride > 1 << 16)
            throw new HarDataException($"stride {Stride} is out of range; expected 1..65536 samples");
        if (WindowLabel is not ("pure" or "majority"))
            throw new HarDataException($"window label rule '{WindowLabel}' is not known; expected pure or majority (--window-label)");
        if (ValidationFraction is < 0 or >= 1 || double.IsNaN(ValidationFraction))
            throw new HarDataException($"validation fraction {ValidationFraction} is out of range; expected 0 <= f < 1");
    }
}

/// <summary>Accumulates channels-first windows cut from sample-major recordings.</summary>
public sealed class WindowBuilder
{
    private float[] _x;
    private int[] _y;
    private int[] _s;
    public int Count { get; private set; }
    public int Channels { get; }
    public int Time { get; }

    public WindowBuilder(int channels, int time, int capacity = 256)
    {
        Channels = channels; Time = time;
        capacity = Math.Max(1, capacity);
        _x = new float[(long)capacity * channels * time];
        _y = new int[capacity];
        _s = new int[capacity];
    }

    /// <summary>
    /// Adds the window starting at sample <paramref name="start"/> of a sample-major recording
    /// (<paramref name="samples"/>[t * C + c]), transposing it to (C, T).
    /// </summary>
    public void Add(ReadOnlySpan<float> samples, int start, int label, int subject)
    {
        if (Count == _y.Length)
        {
            int cap = checked(_y.Length * 2);
            Array.Resize(ref _x, checked(cap * Channels * Time));
            Array.Resize(ref _y, cap);
            Array.Resize(ref _s, cap);
        }
        int C = Channels, T = Time;
        int o = Count * C * T;
        for (int t = 0; t < T; t++)
        {
            int src = (start + t) * C;
            for (int c = 0; c < C; c++) _x[o + c * T + t] = samples[src + c];
        }
        _y[Count] = label; _s[Count] = subject;
        Count++;
    }

    public WindowSet Build()
    {
        return new WindowSet(_x.AsSpan(0, Count * Channels * Time).ToArray(), _y.AsSpan(0, Count).ToArray(),
            _s.AsSpan(0, Count).ToArray(), Channels, Time);
    }

    /// <summary>Number of windows of length <paramref name="len"/> with stride <paramref name="stride"/> in <paramref name="n"/> samples.</summary>
    public static int WindowCount(int n, int len, int stride) => n < len ? 0 : (n - len) / stride + 1;
}

/// <summary>Small deterministic RNG (SplitMix64) used for shuffles and subject draws; stable across runtimes.</summary>
public struct SplitMix64
{
    private ulong _state;
    public SplitMix64(ulong seed) { _state = seed; }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong bound = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>Fisher-Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Derives a seed for a sub-stream (for example one epoch).</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var r = new SplitMix64(seed ^ (stream * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL));
        r.Next();
        return r.Next();
    }
}
