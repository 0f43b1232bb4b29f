using HarFromScratch.Engine.Tensors;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>
/// The ILGPU backend: one accelerator (CUDA GPU, OpenCL device, or ILGPU's CPU simulator), float32 device buffers
/// from a size-class pool, and hand-written kernels (see <c>Kernels/</c>) loaded once per accelerator.
/// All work is queued on the accelerator's default stream, so it runs in issue order; <see cref="Download"/> and
/// <see cref="Synchronize"/> wait for it. Op families live in partial files (<c>IlgpuBackend.&lt;Family&gt;.cs</c>).
/// </summary>
public sealed partial class IlgpuBackend : IBackend
{
    // ---------------------------------------------------------------- process-wide context and instances

    /// <summary>The simulated CPU device of <c>ilgpu-cpu</c>: 2 threads per group, the lowest launch cost measured.</summary>
    internal static CPUDevice SimulatorDevice => new(2, 1, 1);

    private static readonly object Gate = new();
    private static Context? _context;
    private static readonly Dictionary<string, IlgpuBackend?> Instances = new();
    private static readonly List<string> Problems = new();
    private static string? _contextProblem;

    /// <summary>The one ILGPU context of the process (CUDA, OpenCL and the CPU simulator, algorithms enabled).</summary>
    internal static Context SharedContext
    {
        get
        {
            lock (Gate) return _context ??= CreateSharedContext();
        }
    }

    private static Context CreateSharedContext()
    {
        try
        {
            return Context.Create(b => b.Cuda().OpenCL().CPU(SimulatorDevice).EnableAlgorithms());
        }
        catch (Exception e)
        {
            // a broken driver install must not take the cpu simulator (or the process) down with it
            _contextProblem = $"CUDA/OpenCL enumeration failed, simulator only: {e.GetType().Name}: {e.Message}";
            return Context.Create(b => b.CPU(SimulatorDevice).EnableAlgorithms());
        }
    }

    /// <summary>Whether <paramref name="kind"/> (cuda, opencl, ilgpu-cpu) works here. Never throws.</summary>
    public static bool IsAvailable(string kind) => GetOrCreate(kind) != null;

    /// <summary>The process-wide backend of <paramref name="kind"/>, or null when it is absent. Never throws for absence.</summary>
    public static IBackend? Create(string kind) => GetOrCreate(kind);

    private static IlgpuBackend? GetOrCreate(string kind)
    {
        var key = kind.Trim().ToLowerInvariant();
        lock (Gate)
        {
            if (Instances.TryGetValue(key, out var b)) return b;
            b = TryCreate(key);
            Instances[key] = b;
            return b;
        }
    }

    private static IlgpuBackend? TryCreate(string kind)
    {
        Context ctx;
        try { ctx = SharedContext; }
        catch (Exception e) { Problems.Add($"{kind}: ILGPU context: {e.Message}"); return null; }
        try
        {
            switch (kind)
            {
                case "ilgpu-cpu":
                    return new IlgpuBackend(kind, ctx.CreateCPUAccelerator(0), null);
                case "cuda":
                    foreach (var dev in ctx.GetCudaDevices())
                        if (TryDevice(kind, ctx, dev) is { } cuda) return cuda;
                    return null;
                case "opencl":
                    // PoCL and other CPU OpenCL runtimes often lack features ILGPU needs (generic address space):
                    // take the first device on which a kernel really runs
                    foreach (var dev in ctx.GetCLDevices())
                        if (TryDevice(kind, ctx, dev) is { } cl) return cl;
                    return null;
                default:
                    return null;
            }
        }
        catch (Exception e)
        {
            Problems.Add($"{kind}: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }

    private static IlgpuBackend? TryDevice(string kind, Context ctx, ILGPU.Runtime.Device dev)
    {
        Accelerator? acc = null;
        try
        {
            acc = dev.CreateAccelerator(ctx);
            var be = new IlgpuBackend(kind, acc, null);
            be.SmokeTest();
            return be;
        }
        catch (Exception e)
        {
            lock (Gate) Problems.Add($"{kind}: {dev.Name}: {e.GetType().Name}: {e.Message}");
            acc?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// What ILGPU found in this process (devices of the shared context) and why any kind is unavailable: the first
    /// thing to print on a new GPU machine.
    /// </summary>
    public static string Describe()
    {
        var sb = new System.Text.StringBuilder();
        try
        {
            var ctx = SharedContext;
            sb.AppendLine($"ILGPU {typeof(Context).Assembly.GetName().Version}: {ctx.Devices.Length} device(s)");
            foreach (var d in ctx.Devices)
                sb.AppendLine($"  {d.AcceleratorType,-7} {d.Name}, {d.MemorySize / (1L << 20)} MiB, max group {d.MaxNumThreadsPerGroup}");
        }
        catch (Exception e) { sb.AppendLine($"ILGPU context failed: {e.Message}"); }
        lock (Gate)
        {
            if (_contextProblem != null) sb.AppendLine("  " + _contextProblem);
            foreach (var p in Problems) sb.AppendLine("  unavailable: " + p);
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>
    /// A backend over a private context with the given simulated CPU device (tests use larger groups than
    /// <c>ilgpu-cpu</c> to run the shared-memory kernels). The caller disposes it.
    /// </summary>
    internal static IlgpuBackend CreateCpuSimulator(CPUDevice device, string name = "ilgpu-cpu-test")
    {
        var ctx = Context.Create(b => b.CPU(device).EnableAlgorithms());
        return new IlgpuBackend(name, ctx.CreateCPUAccelerator(0), ctx);
    }

    /// <summary>Allocates, fills, downloads: proves that kernels compile and run on this device.</summary>
    private void SmokeTest()
    {
        var s = Allocate(3);
        try
        {
            Fill(s, 0, 3, 2.5f);
            Span<float> v = stackalloc float[3];
            Download(s, 0, v);
            if (v[0] != 2.5f || v[2] != 2.5f) throw new InvalidOperationException($"{Name}: smoke test read back {v[0]}");
        }
        finally { Return(s); }
    }

    // ---------------------------------------------------------------- instance

    private readonly BufferPool<IlgpuStorage> _pool;
    private readonly Context? _ownedContext;
    private long _driverAllocations;
    private bool _disposed;

    private IlgpuBackend(string name, Accelerator accelerator, Context? ownedContext)
    {
        Name = name;
        Accelerator = accelerator;
        _ownedContext = ownedContext;
        MaxLaunch = (int)Math.Max(1, Math.Min(accelerator.MaxNumThreads, 1L << 20));
        _pool = new BufferPool<IlgpuStorage>(AllocateBuffer, s => s.Buffer.Dispose());
        InitGemm();
    }

    public string Name { get; }

    /// <summary>The ILGPU accelerator this backend runs on.</summary>
    public Accelerator Accelerator { get; }

    internal AcceleratorType AcceleratorType => Accelerator.AcceleratorType;

    /// <summary>Whether this is a real device (CUDA/OpenCL) rather than the CPU simulator.</summary>
    internal bool IsGpu => AcceleratorType != AcceleratorType.CPU;

    /// <summary>True on ilgpu-cpu (ILGPU's CPU simulator: for testing kernels, slow).</summary>
    public bool IsCpuSimulator => AcceleratorType == AcceleratorType.CPU;

    /// <summary>
    /// Most threads one grid-stride kernel launches (every thread then loops over i, i + extent, ...): all the
    /// device's resident threads on a GPU, the simulator's 2 threads on ilgpu-cpu.
    /// </summary>
    internal int MaxLaunch { get; set; }

    /// <summary>Device buffers created since start (pool misses); a steady training loop keeps this constant.</summary>
    internal long DriverAllocations => Interlocked.Read(ref _driverAllocations);

    private IlgpuStorage AllocateBuffer(long n)
    {
        var buf = Accelerator.Allocate1D<float>(n);
        Interlocked.Increment(ref _driverAllocations);
        return new IlgpuStorage(this, buf);
    }

    /// <summary>The storage as this backend's buffer; a clear error for storages of other devices.</summary>
    internal IlgpuStorage S(Storage s)
    {
        if (s is IlgpuStorage g && ReferenceEquals(g.Backend, this)) return g;
        throw new ArgumentException($"{Name} backend got a storage of {s.Backend.Name}; move the tensor with To(Device.Get(\"{Name}\"))");
    }

    /// <summary>The whole buffer of <paramref name="s"/> as a kernel argument (checked to belong to this backend).</summary>
    internal ArrayView<float> View(Storage s) => S(s).View;

    /// <summary>Range checks before launches: an out-of-bounds index in a kernel would kill the process on the CPU simulator.</summary>
    internal static void CheckRange(Storage s, long lo, long hi, string what) => BackendChecks.CheckRange(s, lo, hi, what);

    internal static (long lo, long hi) Footprint(long offset, ReadOnlySpan<int> shape, ReadOnlySpan<long> strides) => BackendChecks.Footprint(offset, shape, strides);

    /// <summary>Grid-stride launch extent for <paramref name="n"/> items.</summary>
    internal Index1D Extent(long n) => new((int)Math.Max(1, Math.Min(n, MaxLaunch)));

    public Storage Allocate(long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _pool.Rent(Math.Max(length, 1));
    }

    public void Return(Storage storage) => _pool.Return(S(storage));

    public (long liveBytes, long pooledBytes) MemoryStats => (_pool.LiveBytes, _pool.PooledBytes);

    public void TrimPool()
    {
        Synchronize(); // queued kernels may still use pooled buffers
        _pool.Trim();
    }

    public void Synchronize() => Accelerator.Synchronize();

    public void Dispose()
    {
        if (_disposed) return;
        TrimPool();
        _disposed = true;
        if (_ownedContext != null)
        {
            Accelerator.Dispose();
            _ownedContext.Dispose();
        }
    }

    public override string ToString() => $"{Name} ({Accelerator.Name})";

    // ---------------------------------------------------------------- memory ops

    public void Fill(Storage dst, long offset, long length, float value)
    {
        if (length <= 0) return;
        CheckRange(dst, offset, offset + length - 1, "Fill");
        K(ref _fill, ElementwiseKernels.Fill)(Extent(length), Extent(length).X, View(dst), offset, length, value);
    }

    public unsafe void Upload(ReadOnlySpan<float> src, Storage dst, long offset)
    {
        if (src.Length == 0) return;
        CheckRange(dst, offset, offset + src.Length - 1, "Upload");
        // ILGPU takes the raw address of the host data: pin it, or a GC that moves the array mid-copy makes the
        // copy read stale memory. CopyFromCPU synchronises the stream, so src is free again when we return.
        fixed (float* p = src)
            View(dst).SubView(offset, src.Length).CopyFromCPU(ref *p, src.Length);
    }

    public unsafe void Download(Storage src, long offset, Span<float> dst)
    {
        if (dst.Length == 0) return;
        CheckRange(src, offset, offset + dst.Length - 1, "Download");
        Synchronize();
        fixed (float* p = dst)
            View(src).SubView(offset, dst.Length).CopyToCPU(ref *p, dst.Length);
    }

    /// <summary>Contiguous device copy (a driver memcpy on the default stream). Overlapping ranges are not supported.</summary>
    public void Copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length)
    {
        if (length <= 0) return;
        CheckRange(src, srcOffset, srcOffset + length - 1, "Copy source");
        CheckRange(dst, dstOffset, dstOffset + length - 1, "Copy destination");
        if (ReferenceEquals(src, dst) && srcOffset == dstOffset) return;
        var s = View(src).SubView(srcOffset, length);
        var d = View(dst).SubView(dstOffset, length);
        if (ReferenceEquals(src, dst) && srcOffset < dstOffset + length && dstOffset < srcOffset + length)
            throw new ArgumentException("Copy: overlapping source and destination ranges in one storage");
        s.CopyTo(d);
    }

    private Action<Index1D, long, ArrayView<float>, long, long, float>? _fill;
}
