using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Core;

/// <summary>
/// C = A·B at 128³, 512³ and a HAR-shaped 4096x64 · 64x64, on each device, against a plain scalar C# triple
/// loop (i-k-j order, the best scalar order) in the same run. GFLOP/s = 2·M·N·K / time.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 6)]
public class GemmBenchmarks
{
    [Params("128x128x128", "512x512x512", "4096x64x64")]
    public string Shape { get; set; } = "";

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "";

    public static IEnumerable<string> Devices() => BenchDevices.All();

    private int _m, _n, _k;
    private float[] _a = [], _b = [], _c = [];
    private Tensor? _ta, _tb, _tc;
    private IBackend _be = null!;

    [GlobalSetup]
    public void Setup()
    {
        var p = Shape.Split('x').Select(int.Parse).ToArray();
        (_m, _k, _n) = (p[0], p[1], p[2]);
        var rng = new Rng(1);
        _a = Enumerable.Range(0, _m * _k).Select(_ => (float)rng.NextNormal()).ToArray();
        _b = Enumerable.Range(0, _k * _n).Select(_ => (float)rng.NextNormal()).ToArray();
        _c = new float[_m * _n];
        var dev = HarFromScratch.Engine.Devices.Device.Get(Device);
        _be = dev.Backend;
        _ta = Tensor.FromArray(_a, [_m, _k], dev);
        _tb = Tensor.FromArray(_b, [_k, _n], dev);
        _tc = Tensor.Zeros([_m, _n], dev);
    }

    [Benchmark(Baseline = true)]
    public float ScalarLoop()
    {
        Array.Clear(_c);
        for (int i = 0; i < _m; i++)
        for (int p = 0; p < _k; p++)
        {
            float a = _a[i * _k + p];
            int bo = p * _n, co = i * _n;
            for (int j = 0; j < _n; j++) _c[co + j] += a * _b[bo + j];
        }
        return _c[0];
    }

    [Benchmark]
    public void Engine()
    {
        _be.Gemm(new GemmArgs(1, _m, _n, _k, 1f, 0f, _ta!.Storage, 0, 0, _k, false, _tb!.Storage, 0, 0, _n, false, _tc!.Storage, 0, 0, _n));
        _be.Synchronize();
    }
}
