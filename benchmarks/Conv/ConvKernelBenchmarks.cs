using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Conv;

/// <summary>
/// One convolution, batch 64, "same" padding: depthwise k (groups = C) or pointwise C→C at MobileNet shapes, or a
/// general k-tap C→C convolution at ResNet-1D / ResNetLSTMaN block shapes.
/// </summary>
public sealed record ConvCase(string Kind, int K, int C, int T)
{
    public const int Batch = 64;
    public bool Depthwise => Kind == "dw";
    public long Macs => (long)Batch * C * T * (Depthwise ? K : C * K);
    public long XFloats => (long)Batch * C * T;
    public long WFloats => Depthwise ? (long)C * K : (long)C * C * K;

    /// <summary>Forward 2·MACs; backward (input and weight gradients) 4·MACs.</summary>
    public double Flops(bool backward) => (backward ? 4.0 : 2.0) * Macs;

    /// <summary>Compulsory traffic, each tensor once: forward x, w, y; backward dy, x, w, dx, dw.</summary>
    public double Bytes(bool backward) => 4.0 * (backward ? 3 * XFloats + 2 * WFloats : 2 * XFloats + WFloats);

    /// <summary>Left padding of "same": (K−1)/2, the rest on the right (implied by the output length).</summary>
    public int Pad => (K - 1) / 2;

    public Conv1dArgs Args => new(Batch, C, C, T, T, K, 1, Pad, 1, Depthwise ? C : 1);

    public override string ToString() => Kind switch { "dw" => $"dw k{K} C{C} T{T}", "pw" => $"pw C{C} T{T}", _ => $"conv k{K} C{C} T{T}" };
}

/// <summary>GFLOP/s or GB/s of a conv benchmark from its median time (flop/ns = GFLOP/s).</summary>
public sealed class ConvThroughputColumn(bool flops) : IColumn
{
    public string Id => flops ? "ConvGflops" : "ConvGBs";
    public string ColumnName => flops ? "GFLOP/s" : "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => flops ? 0 : 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => flops ? "useful FLOP (2·MAC forward, 4·MAC backward) per second, from the median" : "compulsory bytes (each tensor once) per second, from the median";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats == null || benchmarkCase.Parameters["Case"] is not ConvCase c) return "-";
        bool backward = benchmarkCase.Descriptor.WorkloadMethod.Name.Contains("Backward");
        return ((flops ? c.Flops(backward) : c.Bytes(backward)) / stats.Median).ToString("F1");
    }

    public override string ToString() => ColumnName;
}

public sealed class ConvBenchConfig : ManualConfig
{
    public ConvBenchConfig()
    {
        AddColumn(new ConvThroughputColumn(true), new ConvThroughputColumn(false));
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>
/// Issue 3 (b): depthwise k 3/5/9 and pointwise C→C at MobileNet shapes (batch 64; C 64..512 as T goes 128..8), and general
/// k 3/5/8 convolutions 128→128 over 128 steps (ResNet blocks), forward and backward (input + weight gradients) through
/// the cpu backend (2 threads), against naive scalar C# loops (one thread) in the same run. GFLOP/s and GB/s columns
/// say which bound applies: depthwise does 2k flops per ~8-12 bytes (memory-bound), pointwise C/4 and general k·C/4
/// flops per byte (compute-bound).
/// </summary>
[Config(typeof(ConvBenchConfig))]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public unsafe class ConvKernelBenchmarks
{
    public static IEnumerable<ConvCase> Cases()
    {
        foreach (var (c, t) in new[] { (64, 128), (128, 64), (256, 32), (512, 8) })
        {
            foreach (var k in new[] { 3, 5, 9 }) yield return new ConvCase("dw", k, c, t);
            yield return new ConvCase("pw", 1, c, t);
        }
        // the widest blocks of resnet1d / resnet-lstm-an-small (kernels 8, 5, 3 at 128 channels over 128 steps)
        foreach (var k in new[] { 3, 5, 8 }) yield return new ConvCase("conv", k, 128, 128);
    }

    [ParamsSource(nameof(Cases))]
    public ConvCase Case { get; set; } = null!;

    private IBackend _be = null!;
    private Tensor _x = null!, _w = null!, _y = null!, _dy = null!, _dx = null!, _dw = null!;
    private float[] _ax = [], _aw = [], _ay = [], _ady = [], _adx = [], _adw = [];

    [GlobalSetup]
    public void Setup()
    {
        CpuParallel.Threads = 2;
        var cpu = Device.Cpu;
        _be = cpu.Backend;
        var rng = new Rng(3);
        var c = Case;
        int[] xs = [ConvCase.Batch, c.C, c.T];
        int[] ws = c.Depthwise ? [c.C, 1, c.K] : [c.C, c.C, c.K];
        _x = Tensor.Randn(xs, rng, cpu).Persist();
        _w = Tensor.Randn(ws, rng, cpu).Persist();
        _dy = Tensor.Randn(xs, rng, cpu).Persist();
        _y = Tensor.Zeros(xs, cpu).Persist();
        _dx = Tensor.Zeros(xs, cpu).Persist();
        _dw = Tensor.Zeros(ws, cpu).Persist();
        _ax = _x.ToArray(); _aw = _w.ToArray(); _ady = _dy.ToArray();
        _ay = new float[_ax.Length]; _adx = new float[_ax.Length]; _adw = new float[_aw.Length];
    }

    [Benchmark(Description = "Forward")]
    public void Forward() => _be.Conv1d(Case.Args, _x.Storage, _w.Storage, null, _y.Storage);

    [Benchmark(Description = "Backward")]
    public void Backward()
    {
        var a = Case.Args;
        _be.Conv1dBackwardInput(a, _dy.Storage, _w.Storage, _dx.Storage);
        _be.Conv1dBackwardWeight(a, _x.Storage, _dy.Storage, _dw.Storage, null);
    }

    [Benchmark(Description = "ScalarForward")]
    public void ScalarForward()
    {
        var c = Case;
        int n = ConvCase.Batch, C = c.C, T = c.T, K = c.K, p = c.Pad;
        float[] x = _ax, w = _aw, y = _ay;
        if (c.Depthwise)
        {
            for (int b = 0; b < n; b++)
            for (int ch = 0; ch < C; ch++)
            {
                int row = (b * C + ch) * T;
                for (int t = 0; t < T; t++)
                {
                    float s = 0f;
                    for (int k = 0; k < K; k++)
                    {
                        int j = t + k - p;
                        if (j >= 0 && j < T) s += w[ch * K + k] * x[row + j];
                    }
                    y[row + t] = s;
                }
            }
            return;
        }
        for (int b = 0; b < n; b++)
        for (int co = 0; co < C; co++)
        {
            int yr = (b * C + co) * T;
            Array.Clear(y, yr, T);
            for (int ci = 0; ci < C; ci++)
            {
                int xr = (b * C + ci) * T;
                for (int k = 0; k < K; k++)
                {
                    // y[t] += w·x[t + k − p] over the t where that index is inside the row
                    float wv = w[(co * C + ci) * K + k];
                    int t0 = Math.Max(0, p - k), t1 = Math.Min(T, T + p - k);
                    for (int t = t0; t < t1; t++) y[yr + t] += wv * x[xr + t + k - p];
                }
            }
        }
    }

    [Benchmark(Description = "ScalarBackward")]
    public void ScalarBackward()
    {
        var c = Case;
        int n = ConvCase.Batch, C = c.C, T = c.T, K = c.K, p = c.Pad;
        float[] x = _ax, w = _aw, dy = _ady, dx = _adx, dw = _adw;
        Array.Clear(dx);
        Array.Clear(dw);
        if (c.Depthwise)
        {
            for (int b = 0; b < n; b++)
            for (int ch = 0; ch < C; ch++)
            {
                int row = (b * C + ch) * T;
                for (int t = 0; t < T; t++)
                {
                    float g = dy[row + t];
                    for (int k = 0; k < K; k++)
                    {
                        int j = t + k - p;
                        if (j < 0 || j >= T) continue;
                        dx[row + j] += w[ch * K + k] * g;
                        dw[ch * K + k] += x[row + j] * g;
                    }
                }
            }
            return;
        }
        for (int b = 0; b < n; b++)
        for (int co = 0; co < C; co++)
        {
            int gr = (b * C + co) * T;
            for (int ci = 0; ci < C; ci++)
            {
                int xr = (b * C + ci) * T;
                for (int k = 0; k < K; k++)
                {
                    int wi = (co * C + ci) * K + k, t0 = Math.Max(0, p - k), t1 = Math.Min(T, T + p - k);
                    float wv = w[wi], s = 0f;
                    for (int t = t0; t < t1; t++)
                    {
                        dx[xr + t + k - p] += wv * dy[gr + t];
                        s += dy[gr + t] * x[xr + t + k - p];
                    }
                    dw[wi] += s;
                }
            }
        }
    }
}
