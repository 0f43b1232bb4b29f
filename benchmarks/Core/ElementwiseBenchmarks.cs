using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Core;

/// <summary>
/// Memory-bound ops over 1M and 16M floats: y = a + b (12 bytes/element), y = exp(x) (8 bytes/element) and
/// sum(x) (4 bytes/element), on each device, against scalar C# loops in the same run. GB/s = bytes / time.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class ElementwiseBenchmarks
{
    [Params(1 << 20, 1 << 24)]
    public int N { get; set; }

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "";

    public static IEnumerable<string> Devices() => BenchDevices.All();

    private float[] _a = [], _b = [], _y = [];
    private Tensor? _ta, _tb, _ty, _tsum;
    private IBackend _be = null!;
    private long[] _strides = [];

    [GlobalSetup]
    public void Setup()
    {
        _a = Enumerable.Range(0, N).Select(i => (i % 1000) * 0.001f).ToArray();
        _b = Enumerable.Range(0, N).Select(i => (i % 777) * 0.002f).ToArray();
        _y = new float[N];
        var dev = HarFromScratch.Engine.Devices.Device.Get(Device);
        _be = dev.Backend;
        _ta = Tensor.FromArray(_a, [N], dev);
        _tb = Tensor.FromArray(_b, [N], dev);
        _ty = Tensor.Zeros([N], dev);
        _tsum = Tensor.Zeros([1], dev);
        _strides = [1];
    }

    [Benchmark(Baseline = true)]
    public float ScalarAdd()
    {
        for (int i = 0; i < _a.Length; i++) _y[i] = _a[i] + _b[i];
        return _y[0];
    }

    [Benchmark]
    public void Add()
    {
        _be.Binary(BinaryOp.Add, _ta!.Storage, _strides, _tb!.Storage, _strides, _ty!.Storage, [N]);
        _be.Synchronize();
    }

    [Benchmark]
    public float ScalarExp()
    {
        for (int i = 0; i < _a.Length; i++) _y[i] = MathF.Exp(_a[i]);
        return _y[0];
    }

    [Benchmark]
    public void Exp()
    {
        _be.Unary(UnaryOp.Exp, _ta!.Storage, _ty!.Storage, N);
        _be.Synchronize();
    }

    [Benchmark]
    public float ScalarSum()
    {
        float s = 0;
        for (int i = 0; i < _a.Length; i++) s += _a[i];
        return s;
    }

    [Benchmark]
    public void Sum()
    {
        _be.Reduce(ReduceOp.Sum, _ta!.Storage, _tsum!.Storage, 1, N, 1);
        _be.Synchronize();
    }
}
