using BenchmarkDotNet.Attributes;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Benchmarks.Core;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Conv;

/// <summary>
/// libtorch probe case "(a2)": a 4-block MobileNet-1D student training step on x 64x9x128 — stem pointwise 9→64, BN,
/// ReLU6, then 4 x [depthwise k5 (64), BN, ReLU6, pointwise 64→64, BN, ReLU6], global average pool, linear 64→6;
/// cross-entropy, zero_grad + forward + backward + SGD(lr 0.01) step. cpu backend (2 threads) and every real GPU.
/// No fixed invocation count, for the reason given on <see cref="MobileNetBlockBenchmarks"/> (tier-0 JIT code).
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class StudentStepBenchmarks : DeviceBenchmark
{
    private const int B = 64, C = 9, T = 128, W = 64;
    private Sequential _student = null!;
    private Sgd _opt = null!;
    private Tensor _x = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        CpuParallel.Threads = 2;
        var dev = Target;
        var rng = new Rng(1);
        var layers = new List<Module>
        {
            new Conv1d(C, W, 1, bias: false, rng: rng, device: dev), new BatchNorm1d(W, device: dev), new ReLU6(),
        };
        for (int i = 0; i < 4; i++)
        {
            layers.Add(new Conv1d(W, W, 5, padding: 2, groups: W, bias: false, rng: rng, device: dev));
            layers.Add(new BatchNorm1d(W, device: dev));
            layers.Add(new ReLU6());
            layers.Add(new Conv1d(W, W, 1, bias: false, rng: rng, device: dev));
            layers.Add(new BatchNorm1d(W, device: dev));
            layers.Add(new ReLU6());
        }
        layers.Add(new AdaptiveAvgPool1d(1));
        layers.Add(new Flatten());
        layers.Add(new Linear(W, 6, rng: rng, device: dev));
        _student = new Sequential([.. layers]);
        _opt = new Sgd(_student.Parameters(), 0.01f);
        _x = Tensor.Randn([B, C, T], rng, dev).Persist();
        _labels = Enumerable.Range(0, B).Select(i => (int)(rng.NextUInt64() % 6)).ToArray();
    }

    [Benchmark(Description = "(a2) 4-block student step")]
    public void Step()
    {
        using var scope = TensorScope.Begin();
        _opt.ZeroGrad();
        var loss = Losses.CrossEntropy(_student.Forward(_x), _labels);
        loss.Backward();
        _opt.Step();
        _x.Backend.Synchronize();
    }
}
