using System.Diagnostics;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Backends.Ilgpu;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using ILGPU.Runtime;
using Device = HarFromScratch.Engine.Devices.Device;
using ILGPU.Runtime.CPU;
using Xunit.Abstractions;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>ILGPU-specific behaviour: device selection, argument checks, tiled GEMM, chunked reductions, pooling.</summary>
[Collection("ilgpu")]
public sealed class IlgpuBackendTests(ITestOutputHelper output)
{
    private static IlgpuBackend Shared => (IlgpuBackend)Device.Get("ilgpu-cpu").Backend;

    [Fact]
    public void IlgpuCpuIsTheSimulatorAndAbsentKindsAreNull()
    {
        Assert.True(IlgpuBackend.IsAvailable("ilgpu-cpu"));
        Assert.Equal(AcceleratorType.CPU, Shared.Accelerator.AcceleratorType);
        Assert.Equal("ilgpu-cpu", Shared.Name);
        Assert.Same(Shared, IlgpuBackend.Create("ilgpu-cpu"));
        Assert.Contains("ilgpu-cpu", Device.Available());
        Assert.Null(IlgpuBackend.Create("no-such-kind"));
        // cuda / opencl may or may not exist here; asking must not throw, and the answers must agree
        foreach (var kind in new[] { "cuda", "opencl" })
            Assert.Equal(IlgpuBackend.IsAvailable(kind), IlgpuBackend.Create(kind) != null);
        output.WriteLine($"available: {string.Join(", ", Device.Available())}; {Shared}");
    }

    [Fact]
    public void MoreThanEightUnmergeableAxesIsAClearError()
    {
        var be = Shared;
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        var a = be.Allocate(512);
        var b = be.Allocate(512);
        var y = be.Allocate(512);
        try
        {
            long[] alternating = [0, 128, 0, 32, 0, 8, 0, 2, 0]; // broadcast on every other axis: nothing merges
            var ex = Assert.Throws<ArgumentException>(() => be.Binary(BinaryOp.Add, a, ShapeUtil.ContiguousStrides(shape), b, alternating, y, shape));
            Assert.Contains("at most 8 axes", ex.Message);
            Assert.Throws<ArgumentException>(() => be.StridedCopy(new StridedView(a, 0, alternating), new StridedView(y, 0, ShapeUtil.ContiguousStrides(shape)), shape));
        }
        finally { be.Return(a); be.Return(b); be.Return(y); }
    }

    [Fact]
    public void OutOfRangeArgumentsThrowInsteadOfReachingAKernel()
    {
        // on the CPU simulator an out-of-bounds index inside a kernel kills the process: the backend checks first
        var be = Shared;
        var x = be.Allocate(64); // capacity is exactly 64 (the smallest size class)
        var y = be.Allocate(64);
        try
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Unary(UnaryOp.Exp, x, y, 65));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Fill(x, 60, 5, 0f));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Copy(x, 10, y, 0, 60));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Reduce(ReduceOp.Sum, x, y, 2, 33, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Softmax(x, y, 9, 8, false));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.StridedCopy(new StridedView(x, 0, [9, 1]), new StridedView(y, 0, [8, 1]), [8, 8]));
            Assert.Throws<ArgumentOutOfRangeException>(() => be.Gemm(new GemmArgs(2, 4, 4, 4, 1f, 0f, x, 0, 49, 4, false, x, 0, 0, 4, false, y, 0, 16, 4)));
            var cpuStorage = Device.Cpu.Backend.Allocate(4);
            Assert.Throws<ArgumentException>(() => be.Unary(UnaryOp.Exp, cpuStorage, y, 4));
            Device.Cpu.Backend.Return(cpuStorage);
        }
        finally { be.Return(x); be.Return(y); }
    }

    /// <summary>The shared-memory tiled GEMM on a simulator whose groups hold 4 x 4 threads, against the cpu backend.</summary>
    [Fact]
    public void TiledGemmAgreesWithCpu()
    {
        using var tiled = IlgpuBackend.CreateCpuSimulator(new CPUDevice(4, 4, 1));
        tiled.GemmTile = 4;
        tiled.GemmTiledMinWork = 0;
        var cases = BackendSweep.Cases.Where(c => c.Name.StartsWith("gemm/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var r = Sweep.Compare(c.RunBackend!(Device.Cpu.Backend), c.RunBackend!(tiled), c.Tol);
            if (!c.Name.Contains("x0-") && !c.Name.Contains("-a0-")) Assert.Equal("tiled", tiled.LastGemmKernel); // K = 0 or alpha = 0 need no tiles
            output.WriteLine($"tiled {c.Name}: {r.Message}");
            Assert.True(r.Ok, $"tiled {c.Name}: {r.Message}");
        }
    }

    /// <summary>Few outputs over a long axis take the two-pass chunked path (on GPUs); force it on the simulator.</summary>
    [Fact]
    public void ChunkedReductionsAgreeAndRepeatExactly()
    {
        using var be = IlgpuBackend.CreateCpuSimulator(IlgpuBackend.SimulatorDevice);
        be.MaxLaunch = 64;
        be.ReduceChunk = 16;
        var cases = BackendSweep.Cases.Where(c => c.Name.StartsWith("reduce/", StringComparison.Ordinal)).ToList();
        foreach (var c in cases)
        {
            var first = c.RunBackend!(be);
            var r = Sweep.Compare(c.RunBackend!(Device.Cpu.Backend), first, c.Tol);
            Assert.True(r.Ok, $"chunked {c.Name}: {r.Message}");
            var again = c.RunBackend!(be);
            Assert.Equal(first[0], again[0]); // bit-identical: fixed summation order
        }
    }

    /// <summary>
    /// A pooled buffer can be handed out while a kernel that wrote its previous contents is still queued: an upload
    /// into it must land after that kernel (the simulator copies host memory immediately, outside stream order).
    /// </summary>
    [Fact]
    public void UploadIntoARecycledBufferIsOrderedAfterQueuedKernels()
    {
        var be = Shared;
        const int n = 1 << 18;
        var data = new Inputs("recycled").Uniform(n);
        for (int round = 0; round < 5; round++)
        {
            var s = be.Allocate(n);
            be.Fill(s, 0, n, 0f); // slow on the simulator: still running when we return and re-rent
            be.Return(s);
            var t = be.Allocate(n);
            Assert.Same(s, t);
            be.Upload(data, t, 0);
            var back = Host.Down(be, t, n);
            be.Return(t);
            Assert.Equal(data, back);
        }
    }

    /// <summary>
    /// ILGPU copies from and to raw host addresses: unpinned arrays that a compacting GC moves mid-copy would
    /// upload stale memory (seen as rare sweep failures). Hammer uploads/downloads while another thread compacts.
    /// </summary>
    [Fact]
    public void HostCopiesSurviveCompactingGcs()
    {
        var be = Shared;
        using var stop = new CancellationTokenSource();
        var gc = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                // A pause between collections: back-to-back blocking GCs starved the test classes running in parallel
                // (the test host stalled past a minute in about half the runs on the 2-core machine).
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        gc.Start();
        try
        {
            var s = be.Allocate(4096);
            int gcsBefore = GC.CollectionCount(2);
            try
            {
                for (int i = 0; i < 200 || GC.CollectionCount(2) - gcsBefore < 20; i++) // at least 20 compactions overlap the copies
                {
                    var garbage = new object[64];
                    for (int k = 0; k < garbage.Length; k++) garbage[k] = new byte[k * 16];
                    var data = new float[1000 + i % 3000];
                    for (int k = 0; k < data.Length; k++) data[k] = k + i;
                    be.Upload(data, s, 7);
                    var back = new float[data.Length];
                    be.Download(s, 7, back);
                    Assert.Equal(data, back);
                    GC.KeepAlive(garbage);
                }
            }
            finally { be.Return(s); }
        }
        finally
        {
            stop.Cancel();
            gc.Join();
        }
    }

    [Fact]
    public void PoolReusesBuffers()
    {
        var be = Shared;
        long[] sizes = [1, 100, 5000, 70000, 100];
        void Cycle()
        {
            var held = sizes.Select(n => be.Allocate(n)).ToArray();
            foreach (var s in held) be.Return(s);
        }
        Cycle();
        long created = be.DriverAllocations;
        var (live0, _) = be.MemoryStats;
        for (int i = 0; i < 1000; i++) Cycle();
        Assert.Equal(created, be.DriverAllocations);
        Assert.Equal(live0, be.MemoryStats.liveBytes);

        // a training-like step inside a scope: after the first step no step creates a device buffer
        var dev = Device.Get("ilgpu-cpu");
        var w = Tensor.FromArray(new Inputs("pool").Uniform(12), [3, 4], dev, requiresGrad: true).Persist();
        try
        {
            long afterFirst = 0;
            for (int step = 0; step < 10; step++)
            {
                using (var scope = TensorScope.Begin())
                {
                    var x = Tensor.FromArray(new Inputs("x").Uniform(20), [5, 4], dev);
                    var loss = Losses.CrossEntropy(Tensor.Linear(x, w), [0, 1, 2, 1, 0]);
                    loss.Backward();
                    w.Grad!.Dispose();
                    w.Grad = null;
                }
                if (step == 1) afterFirst = be.DriverAllocations;
            }
            Assert.Equal(afterFirst, be.DriverAllocations);
        }
        finally { w.Dispose(); }
    }

    [Fact]
    public void TrimPoolReleasesPooledBuffers()
    {
        using var be = IlgpuBackend.CreateCpuSimulator(IlgpuBackend.SimulatorDevice);
        var s = be.Allocate(1000);
        be.Return(s);
        Assert.True(be.MemoryStats.pooledBytes > 0);
        be.TrimPool();
        Assert.Equal(0, be.MemoryStats.pooledBytes);
        Assert.Equal(0, be.MemoryStats.liveBytes);
    }

    /// <summary>Prints a few timings (not asserted: the simulator exists to test kernels, not to be fast).</summary>
    [Fact]
    public void Timings()
    {
        var cpu = Device.Cpu.Backend;
        var sim = Shared;
        foreach (var (name, op) in new (string, Action<IBackend, Storage[]>)[]
                 {
                     ("exp 64K", (be, s) => be.Unary(UnaryOp.Exp, s[0], s[1], 1 << 16)),
                     ("add row-broadcast 256x256", (be, s) => be.Binary(BinaryOp.Add, s[0], [256, 1], s[2], [0, 1], s[1], [256, 256])),
                     ("sum rows 256x256", (be, s) => be.Reduce(ReduceOp.Sum, s[0], s[1], 256, 256, 1)),
                     ("softmax 256x256", (be, s) => be.Softmax(s[0], s[1], 256, 256, false)),
                     ("gemm 64^3", (be, s) => be.Gemm(new GemmArgs(1, 64, 64, 64, 1f, 0f, s[0], 0, 0, 64, false, s[2], 0, 0, 64, false, s[1], 0, 0, 64))),
                     ("adam 64K", (be, s) => be.AdamStep(s[0], s[2], s[3], s[4], 1 << 16, new AdamArgs(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 1))),
                 })
        {
            double tc = Time(cpu, op), ts = Time(sim, op);
            output.WriteLine($"{name,-28} cpu {tc * 1e3,9:F3} ms   ilgpu-cpu {ts * 1e3,9:F3} ms   ({ts / tc:F0}x)");
        }
    }

    private static double Time(IBackend be, Action<IBackend, Storage[]> op)
    {
        var data = new Inputs("timing").Uniform(1 << 16, 0.1f, 1f);
        var s = Enumerable.Range(0, 5).Select(_ => Host.Up(be, data)).ToArray();
        try
        {
            op(be, s);
            be.Synchronize();
            var times = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                op(be, s);
                be.Synchronize();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            return times[times.Count / 2];
        }
        finally { foreach (var x in s) be.Return(x); }
    }
}
