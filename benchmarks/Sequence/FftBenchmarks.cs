using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Benchmarks.Core;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Sequence;

/// <summary>
/// rfft over (64, 64, 128) along the last axis (libtorch "(d)"), the same transform as one GEMM against a (128, 130)
/// cos/sin matrix (the GEMM-based DFT), and rfft → |·| → sum forward + backward (libtorch "(d')").
/// </summary>
[SimpleJob(warmupCount: 2, iterationCount: 5)]
public class FftBenchmarks : DeviceBenchmark
{
    private Tensor _x = null!, _xg = null!, _dft = null!, _out = null!, _outDft = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchDevices.ApplyThreads();
        var dev = Target;
        _x = Tensor.Randn([64, 64, 128], new Rng(1), dev).Persist();
        _xg = Tensor.Randn([64, 64, 128], new Rng(2), dev).Persist();
        _xg.RequiresGrad = true;
        const int n = 128, m = n / 2 + 1;
        var w = new float[n * 2 * m];
        for (int j = 0; j < n; j++)
        for (int k = 0; k < m; k++)
        {
            double a = -2 * Math.PI * j * k / n;
            w[j * 2 * m + 2 * k] = (float)Math.Cos(a);
            w[j * 2 * m + 2 * k + 1] = (float)Math.Sin(a);
        }
        _dft = Tensor.FromArray(w, [n, 2 * m], dev).Persist();
        _out = Tensor.Zeros([64, 64, m, 2], dev).Persist();
        _outDft = Tensor.Zeros([64 * 64, 2 * m], dev).Persist();
    }

    [Benchmark(Baseline = true)]
    public void Rfft()
    {
        _x.Backend.Rfft(_x.Storage, _out.Storage, 64 * 64, 128, 1f);
        _x.Backend.Synchronize();
    }

    [Benchmark]
    public void RfftTensorOp()
    {
        using var s = TensorScope.Begin();
        _x.Rfft();
        _x.Backend.Synchronize();
    }

    [Benchmark]
    public void GemmDft()
    {
        _x.Backend.Gemm(new GemmArgs(1, 64 * 64, 130, 128, 1f, 0f, _x.Storage, 0, 0, 128, false,
            _dft.Storage, 0, 0, 130, false, _outDft.Storage, 0, 0, 130));
        _x.Backend.Synchronize();
    }

    [Benchmark]
    public void RfftAbsSumForwardBackward()
    {
        using var s = TensorScope.Begin();
        _xg.Grad = null;
        _xg.Rfft().ComplexAbs().Sum().Backward();
        _x.Backend.Synchronize();
    }
}
