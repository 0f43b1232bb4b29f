using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Benchmarks.Core;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Conv;

/// <summary>
/// Issue 3 (a): the MobileNet-1D block measured with libtorch on this machine (shared/bench/libtorch, case "(a)"):
/// x 64x9x128 (no input gradient) → depthwise conv (groups 9, k 5, pad 2, no bias) → BN → ReLU6 → pointwise 9→64 (no bias)
/// → BN → ReLU6; loss = mean(y²); zero_grad + forward + backward, train mode. Also its parts as libtorch times them.
/// cpu backend (2 threads) and every real GPU.
/// No fixed invocation count: BenchmarkDotNet's pilot stage then runs the case until an iteration takes ~0.5 s, which
/// also brings the JIT to tier 1 (what a training run executes). With a fixed 8-16 invocations and 5 warm-ups (before
/// 2026-12-07) the measured iterations ran partly tier-0 code: the block forward read 1.9 ms instead of 0.24 ms.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class MobileNetBlockBenchmarks : DeviceBenchmark
{
    private const int B = 64, C = 9, T = 128, Cout = 64;
    private Sequential _block = null!;
    private Conv1d _dw = null!, _pw = null!;
    private BatchNorm1d _bn = null!;
    private Tensor _x = null!, _xg = null!, _hx = null!;

    [GlobalSetup]
    public void Setup()
    {
        CpuParallel.Threads = 2;
        var dev = Target;
        var rng = new Rng(1);
        _block = new Sequential(
            new Conv1d(C, C, 5, padding: 2, groups: C, bias: false, rng: rng, device: dev),
            new BatchNorm1d(C, device: dev), new ReLU6(),
            new Conv1d(C, Cout, 1, bias: false, rng: rng, device: dev),
            new BatchNorm1d(Cout, device: dev), new ReLU6());
        _x = Tensor.Randn([B, C, T], rng, dev).Persist();
        _xg = Tensor.Randn([B, C, T], rng, dev).Persist();
        _xg.RequiresGrad = true;
        _hx = Tensor.Randn([B, Cout, T], rng, dev).Persist();
        _hx.RequiresGrad = true;
        _dw = new Conv1d(C, C, 5, padding: 2, groups: C, bias: false, rng: rng, device: dev);
        _pw = new Conv1d(C, Cout, 1, bias: false, rng: rng, device: dev);
        _bn = new BatchNorm1d(Cout, device: dev);
    }

    [Benchmark(Description = "(a) block fwd+bwd")]
    public void Block()
    {
        using var scope = TensorScope.Begin();
        _block.ZeroGrad();
        var y = _block.Forward(_x);
        y.Square().Mean().Backward();
        _x.Backend.Synchronize();
    }

    [Benchmark(Description = "(a') block fwd (no grad)")]
    public void BlockForward()
    {
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        _block.Forward(_x);
        _x.Backend.Synchronize();
    }

    [Benchmark(Description = "(a-dw) depthwise fwd")]
    public void DepthwiseForward()
    {
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        _dw.Forward(_x);
        _x.Backend.Synchronize();
    }

    [Benchmark(Description = "(a-dw) depthwise fwd+bwd")]
    public void DepthwiseForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _dw.ZeroGrad();
        _xg.Grad?.Dispose(); _xg.Grad = null;
        _dw.Forward(_xg).Sum().Backward();
        _x.Backend.Synchronize();
    }

    [Benchmark(Description = "(a-pw) pointwise fwd+bwd")]
    public void PointwiseForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _pw.ZeroGrad();
        _xg.Grad?.Dispose(); _xg.Grad = null;
        _pw.Forward(_xg).Sum().Backward();
        _x.Backend.Synchronize();
    }

    [Benchmark(Description = "(a-bn) batchnorm(64) fwd+bwd")]
    public void BatchNormForwardBackward()
    {
        using var scope = TensorScope.Begin();
        _bn.ZeroGrad();
        _hx.Grad?.Dispose(); _hx.Grad = null;
        _bn.Forward(_hx).Sum().Backward();
        _x.Backend.Synchronize();
    }
}
