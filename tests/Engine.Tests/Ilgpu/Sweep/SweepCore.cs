using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests.Ilgpu;

// Shared by the xunit tests and by tests/DeviceCheck (a console runner for machines without the SDK):
// public engine API only, no xunit.

/// <summary>|actual - expected| &lt;= Abs + Rel * |expected| per element (NaN matches NaN, inf matches the same inf).</summary>
public readonly record struct Tolerance(double Rel, double Abs)
{
    /// <summary>One elementwise function: the two backends differ by a few ulp at most.</summary>
    public static readonly Tolerance Elementwise = new(1e-5, 1e-6);

    /// <summary>Reductions and softmax: summation order differs (SIMD lanes on cpu, sequential on ILGPU).</summary>
    public static readonly Tolerance Reduction = new(1e-5, 1e-5);

    /// <summary>GEMM: blocked FMA on cpu vs in-order sums on ILGPU, K up to 129.</summary>
    public static readonly Tolerance Gemm = new(1e-4, 1e-4);

    /// <summary>Forward + backward of composite tensor ops.</summary>
    public static readonly Tolerance Composite = new(1e-4, 1e-5);

    public Tolerance Scaled(double factor) => new(Rel * factor, Abs * factor);
}

/// <summary>
/// One row of the agreement sweep: <see cref="Run"/> computes some outputs on the given device from inputs that
/// depend only on the case (seeded by its name), and returns them as host arrays to compare across devices.
/// </summary>
public sealed record SweepCase(string Name, Func<Device, float[][]> Run, Tolerance Tol)
{
    /// <summary>For IBackend-level cases: the same computation on a bare backend (one that no Device wraps).</summary>
    public Func<IBackend, float[][]>? RunBackend { get; init; }
}

public readonly record struct SweepResult(bool Ok, double MaxError, string Message);

public static class Sweep
{
    /// <summary>Runs <paramref name="c"/> on both devices and compares every output.</summary>
    public static SweepResult Compare(SweepCase c, Device reference, Device candidate, Tolerance? tol = null)
    {
        var expected = c.Run(reference);
        var actual = c.Run(candidate);
        return Compare(expected, actual, tol ?? c.Tol);
    }

    public static SweepResult Compare(float[][] expected, float[][] actual, Tolerance tol)
    {
        if (expected.Length != actual.Length) return new(false, double.PositiveInfinity, $"{actual.Length} outputs, expected {expected.Length}");
        double worst = 0;
        for (int o = 0; o < expected.Length; o++)
        {
            var e = expected[o];
            var a = actual[o];
            if (e.Length != a.Length) return new(false, double.PositiveInfinity, $"output {o}: {a.Length} values, expected {e.Length}");
            for (int i = 0; i < e.Length; i++)
            {
                if (float.IsNaN(e[i]) && float.IsNaN(a[i])) continue;
                if (float.IsInfinity(e[i]) && e[i] == a[i]) continue;
                double err = Math.Abs((double)a[i] - e[i]);
                double allowed = tol.Abs + tol.Rel * Math.Abs(e[i]);
                if (!(err <= allowed))
                    return new(false, err, $"output {o}[{i}]: {a[i]:R} vs expected {e[i]:R} (|diff| {err:G3} > {allowed:G3})");
                worst = Math.Max(worst, err / Math.Max(allowed, 1e-30));
            }
        }
        return new(true, worst, $"ok (worst error {worst:P0} of tolerance)");
    }

    /// <summary>Every case of the sweep: backend-level first, then tensor-level (forward and backward).</summary>
    public static IReadOnlyList<SweepCase> All => [.. BackendSweep.Cases, .. TensorSweep.Cases, .. ConvSweep.Cases, .. SequenceSweep.Cases];

    /// <summary>Rows at benchmark shapes, too slow for ILGPU's CPU emulator: tests/DeviceCheck adds them on a real device.</summary>
    public static IReadOnlyList<SweepCase> Large => SequenceSweep.LargeCases;

    /// <summary>
    /// The tensor-level row: inputs of <paramref name="shapes"/> (values from <paramref name="data"/>(inputs, i, count),
    /// drawn in order from the row's seeded <see cref="Inputs"/>), y = op(inputs), then backward of sum(y·w) with a
    /// fixed positive w; returns y and the gradient of every input (empty where an input got none).
    /// </summary>
    public static float[][] OutputAndGradients(string rowName, int[][] shapes, Func<Tensor[], Tensor> op, Device device,
        Func<Inputs, int, long, float[]> data)
    {
        var inputs = new Inputs(rowName);
        using var scope = TensorScope.Begin();
        var xs = shapes.Select((s, i) => Tensor.FromArray(data(inputs, i, ShapeUtil.Numel(s)), s, device, requiresGrad: true)).ToArray();
        var y = op(xs);
        var w = Tensor.FromArray(inputs.Uniform(y.Numel, 0.5f, 1.5f), y.Shape, device);
        (y * w).Sum().Backward();
        var results = new List<float[]> { y.ToArray() };
        foreach (var x in xs)
        {
            results.Add(x.Grad?.ToArray() ?? []);
            x.Grad?.Dispose();
        }
        return results.ToArray();
    }

    public static SweepCase Get(string name) => ByName.Value[name];

    private static readonly Lazy<Dictionary<string, SweepCase>> ByName = new(() =>
    {
        var d = new Dictionary<string, SweepCase>();
        foreach (var c in All)
            if (!d.TryAdd(c.Name, c)) throw new InvalidOperationException($"duplicate sweep case name {c.Name}");
        return d;
    });
}

/// <summary>Deterministic inputs: a generator seeded by the case name (FNV-1a), the same on every device.</summary>
public sealed class Inputs(string caseName)
{
    private readonly System.Random _rng = new(Seed(caseName));

    private static int Seed(string s)
    {
        uint h = 2166136261;
        foreach (char ch in s) h = (h ^ ch) * 16777619;
        return (int)(h & 0x7fffffff);
    }

    public float[] Uniform(long n, float lo = -1f, float hi = 1f)
    {
        var r = new float[n];
        for (long i = 0; i < n; i++) r[i] = lo + (hi - lo) * (float)_rng.NextDouble();
        return r;
    }

    /// <summary>Values in ±[lo, hi] (away from zero).</summary>
    public float[] AwayFromZero(long n, float lo, float hi)
    {
        var r = Uniform(n, lo, hi);
        for (long i = 0; i < n; i++) if (_rng.Next(2) == 0) r[i] = -r[i];
        return r;
    }

    /// <summary>Small integers (ties and equal pairs for comparisons).</summary>
    public float[] Integers(long n, int lo, int hi)
    {
        var r = new float[n];
        for (long i = 0; i < n; i++) r[i] = _rng.Next(lo, hi + 1);
        return r;
    }

    public int[] Labels(int n, int classes)
    {
        var r = new int[n];
        for (int i = 0; i < n; i++) r[i] = _rng.Next(classes);
        return r;
    }
}

/// <summary>Upload/download helpers at the <see cref="IBackend"/> level.</summary>
public static class Host
{
    public static Storage Up(IBackend be, float[] data)
    {
        var s = be.Allocate(data.Length);
        be.Upload(data, s, 0);
        return s;
    }

    public static float[] Down(IBackend be, Storage s, long n)
    {
        var r = new float[n];
        be.Download(s, 0, r);
        return r;
    }

    /// <summary>Allocates, runs, downloads the listed outputs, and returns every storage to the pool.</summary>
    public sealed class Session(IBackend be) : IDisposable
    {
        private readonly List<Storage> _owned = new();
        public IBackend Be { get; } = be;

        public Storage Up(float[] data) { var s = Host.Up(Be, data); _owned.Add(s); return s; }

        public Storage Empty(long n) { var s = Be.Allocate(n); _owned.Add(s); return s; }

        public Storage Filled(long n, float value) { var s = Empty(n); Be.Fill(s, 0, n, value); return s; }

        public float[] Down(Storage s, long n) => Host.Down(Be, s, n);

        public void Dispose()
        {
            Be.Synchronize();
            foreach (var s in _owned) Be.Return(s);
        }
    }
}
