using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Engine.Backends.Ilgpu;

namespace HarFromScratch.Engine.Devices;

/// <summary>
/// A place where tensors live and ops run. Names as users type them: <c>cpu</c> (managed SIMD backend),
/// <c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c> (ILGPU backends), and <c>auto</c> (cuda, then opencl, then cpu).
/// Each device is created once per process and shared (kernels are compiled once per accelerator).
/// </summary>
public sealed class Device
{
    public static readonly string[] KnownNames = ["auto", "cpu", "cuda", "opencl", "ilgpu-cpu"];

    private static readonly object Gate = new();
    private static readonly Dictionary<string, Device> Created = new();
    private static Device? _default;

    private Device(string name, IBackend backend)
    {
        Name = name;
        Backend = backend;
    }

    public string Name { get; }
    public IBackend Backend { get; }

    public static Device Cpu => Get("cpu");

    /// <summary>Cores the <c>cpu</c> backend splits an op over (default: all). One per process is the better choice when
    /// several training runs share a machine: small ops split poorly, and results do not depend on it.</summary>
    public static int CpuThreads
    {
        get => CpuParallel.Threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"cpu threads must be at least 1, got {value}");
            CpuParallel.Threads = value;
        }
    }

    /// <summary>The device used when none is given: <c>HAR_DEVICE</c> if set, else <c>auto</c>.</summary>
    public static Device Default
    {
        get => _default ??= Get(Environment.GetEnvironmentVariable("HAR_DEVICE") is { Length: > 0 } env ? env : "auto");
        set => _default = value;
    }

    /// <summary>Resolves a device by name; an absent or unknown device is an error listing what exists here.</summary>
    public static Device Get(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        lock (Gate)
        {
            if (Created.TryGetValue(key, out var d)) return d;
            Device made = key switch
            {
                "cpu" => new Device("cpu", new CpuBackend()),
                "auto" => AutoSelect(),
                "cuda" or "opencl" or "ilgpu-cpu" => new Device(key, IlgpuBackend.Create(key)
                    ?? throw new ArgumentException($"device '{name}' is not available on this machine; available: {string.Join(", ", Available())}")),
                _ => throw new ArgumentException($"unknown device '{name}'; expected one of {string.Join(", ", KnownNames)} (available here: {string.Join(", ", Available())})"),
            };
            Created[key] = made;
            return made;
        }
    }

    private static Device AutoSelect()
    {
        foreach (var kind in new[] { "cuda", "opencl" })
            if (IlgpuBackend.IsAvailable(kind)) return Get(kind);
        return Get("cpu");
    }

    /// <summary>The device names usable on this machine.</summary>
    public static IReadOnlyList<string> Available()
    {
        var r = new List<string> { "cpu" };
        foreach (var kind in new[] { "cuda", "opencl", "ilgpu-cpu" })
            if (IlgpuBackend.IsAvailable(kind)) r.Add(kind);
        return r;
    }

    public override string ToString() => Name;
}
