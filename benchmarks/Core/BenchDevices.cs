using HarFromScratch.Engine.Devices;

namespace HarFromScratch.Benchmarks.Core;

/// <summary>Devices to benchmark: the cpu backend and every ILGPU device present (cuda on a GPU machine). HAR_BENCH_DEVICES overrides.</summary>
public static class BenchDevices
{
    public static IEnumerable<string> All()
    {
        var env = Environment.GetEnvironmentVariable("HAR_BENCH_DEVICES");
        if (!string.IsNullOrWhiteSpace(env)) return env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return Device.Available();
    }

    /// <summary>
    /// For the model-sized benchmarks (LSTM, FFT, attention, MobileNet): cpu and every real ILGPU device, not ILGPU's
    /// CPU emulator (~1 us per element: one LSTM step would take minutes). HAR_BENCH_DEVICES overrides.
    /// </summary>
    public static IEnumerable<string> Fast() => All().Where(d => d != "ilgpu-cpu" || HasOverride);

    /// <summary>HAR_THREADS (as for har): the cpu backend's cores, e.g. 1 to see how an op scales.</summary>
    public static void ApplyThreads()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("HAR_THREADS"), out int n) && n > 0) Device.CpuThreads = n;
    }

    private static bool HasOverride => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("HAR_BENCH_DEVICES"));
}

/// <summary>
/// Base of the model-sized benchmarks: one run per device of <see cref="BenchDevices.Fast"/> (cpu and real GPUs);
/// <see cref="Target"/> is the device of the current run.
/// </summary>
public abstract class DeviceBenchmark
{
    [BenchmarkDotNet.Attributes.ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "";

    public IEnumerable<string> Devices() => BenchDevices.Fast();

    protected Device Target => HarFromScratch.Engine.Devices.Device.Get(Device);
}
