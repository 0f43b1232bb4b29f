using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Benchmarks.Core;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Sequence;

/// <summary>
/// LSTM(input 64, hidden 128), batch-first x (64, 128, 64), loss = mean(y²), forward + backward: the same case as
/// libtorch's "(b)" in shared/bench/libtorch (input without gradient, weights with).
/// </summary>
// the probe reports median and min of 30 runs: same statistics here (this VM's neighbours make means noisy)
[SimpleJob(warmupCount: 3, iterationCount: 20)]
[MedianColumn, MinColumn]
public class LstmBenchmarks : DeviceBenchmark
{
    private Lstm _lstm = null!;
    private Gru _gru = null!;
    private Tensor _x = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dev = Target;
        _lstm = new Lstm(64, 128, batchFirst: true, rng: new Rng(1), device: dev);
        _gru = new Gru(64, 128, batchFirst: true, rng: new Rng(2), device: dev);
        _x = Tensor.Randn([64, 128, 64], new Rng(3), dev);
    }

    [Benchmark]
    public float LstmForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _lstm.ZeroGrad();
        var loss = _lstm.Forward(_x).Square().Mean();
        loss.Backward();
        _x.Backend.Synchronize();
        return 0f;
    }

    [Benchmark]
    public void LstmForwardNoGrad()
    {
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        _lstm.Forward(_x);
        _x.Backend.Synchronize();
    }

    [Benchmark]
    public void GruForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _gru.ZeroGrad();
        _gru.Forward(_x).Square().Mean().Backward();
        _x.Backend.Synchronize();
    }
}
