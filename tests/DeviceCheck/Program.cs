using System.Diagnostics;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Backends.Ilgpu;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Engine.Tests.Ilgpu;

namespace HarFromScratch.DeviceCheck;

/// <summary>
/// Runs the backend-agreement sweep of an ILGPU device (default: HAR_DEVICE, else cuda) against the cpu backend,
/// prints a pass/fail table and a few timings. Exit code 0 when every case agrees, 1 otherwise, 2 when the device
/// is missing.
/// <code>
/// HarFromScratch.DeviceCheck [--device cuda|opencl|ilgpu-cpu] [--filter text] [--no-timings] [--timings-only] [--large|--no-large]
/// </code>
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string device = Environment.GetEnvironmentVariable("HAR_DEVICE") is { Length: > 0 } env && env != "cpu" && env != "auto" ? env : "cuda";
        string? filter = null;
        bool timings = true, sweep = true;
        bool? large = null; // default: the benchmark-shape rows on real devices only
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device": device = args[++i]; break;
                case "--filter": filter = args[++i]; break;
                case "--no-timings": timings = false; break;
                case "--timings-only": sweep = false; break;
                case "--large": large = true; break;
                case "--no-large": large = false; break;
                case "-h" or "--help":
                    Console.WriteLine("HarFromScratch.DeviceCheck [--device cuda|opencl|ilgpu-cpu] [--filter text] [--no-timings] [--timings-only] [--large|--no-large]");
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine($"devices available: {string.Join(", ", Device.Available())}");
        Device target;
        try { target = Device.Get(device); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(IlgpuBackend.Describe());
            return 2;
        }
        Console.WriteLine(IlgpuBackend.Describe());
        if (target.Backend is IlgpuBackend ib)
        {
            var acc = ib.Accelerator;
            Console.WriteLine($"{device}: {acc.Name} ({acc.AcceleratorType}), {acc.MemorySize / (1L << 20)} MiB, {acc.NumMultiprocessors} MPs, " +
                              $"warp {acc.WarpSize}, max group {acc.MaxNumThreadsPerGroup}, GEMM tile {ib.GemmTile}");
        }

        int failed = 0;
        if (sweep) failed = RunSweep(target, filter, large ?? target.Backend is not IlgpuBackend { IsCpuSimulator: true });
        if (timings) RunTimings(target);
        return failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// ILGPU's PTX backend maps MathF to the approximate hardware instructions (ex2/lg2/sin/cos.approx, and
    /// tanh.approx.f32 with ~5e-4 relative error on sm_75+), so real GPUs get looser tolerances than the simulator.
    /// </summary>
    private static Tolerance ToleranceFor(SweepCase c, Device target)
    {
        if (target.Backend is IlgpuBackend { IsCpuSimulator: true }) return c.Tol;
        bool tanh = c.Name.Contains("Tanh", StringComparison.Ordinal) || c.Name.Contains("Gelu", StringComparison.Ordinal) || c.Name.Contains("mlp", StringComparison.Ordinal);
        return tanh ? new Tolerance(2e-3, 2e-4) : c.Tol.Scaled(10);
    }

    private static int RunSweep(Device target, string? filter, bool large)
    {
        IReadOnlyList<SweepCase> all = large ? [.. Sweep.All, .. Sweep.Large] : Sweep.All;
        var cases = all.Where(c => filter == null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        Console.WriteLine();
        Console.WriteLine($"agreement sweep: {target.Name} vs cpu, {cases.Count} cases");
        Console.WriteLine($"{"case",-58} {"result",-6} {"worst/tol",9}  detail");
        int failed = 0;
        var sw = Stopwatch.StartNew();
        foreach (var c in cases)
        {
            SweepResult r;
            try { r = Sweep.Compare(c, Device.Cpu, target, ToleranceFor(c, target)); }
            catch (Exception e) { r = new SweepResult(false, double.NaN, $"{e.GetType().Name}: {e.Message}"); }
            if (!r.Ok) failed++;
            Console.WriteLine($"{c.Name,-58} {(r.Ok ? "PASS" : "FAIL"),-6} {r.MaxError,9:P0}  {(r.Ok ? "" : r.Message)}");
        }
        Console.WriteLine($"{cases.Count - failed} passed, {failed} failed ({sw.Elapsed.TotalSeconds:F1} s)");
        return failed;
    }

    private static void RunTimings(Device target)
    {
        Console.WriteLine();
        Console.WriteLine($"timings (median of 10 after warm-up; {target.Name} vs cpu)");
        bool big = target.Backend is IlgpuBackend { IsCpuSimulator: false };
        int mm = big ? 2048 : 256;
        long n = big ? 1L << 24 : 1L << 18;
        int rows = big ? 8192 : 256, cols = 1024;
        var ops = new List<(string name, long size, Func<long, double> work, string unit, Action<IBackend, Storage[]> op)>
        {
            ($"exp {Count(n)}", n, s => 8.0 * s, "GB/s", (be, s) => be.Unary(UnaryOp.Exp, s[0], s[1], n)),
            ($"add (row broadcast) {Count(n)}", n, s => 8.0 * s, "GB/s", (be, s) => be.Binary(BinaryOp.Add, s[0], [cols, 1], s[2], [0, 1], s[1], [(int)(n / cols), cols])),
            ($"sum all {Count(n)}", n, s => 4.0 * s, "GB/s", (be, s) => be.Reduce(ReduceOp.Sum, s[0], s[1], 1, (int)n, 1)),
            ($"sum rows {rows}x{cols}", n, s => 4.0 * rows * cols, "GB/s", (be, s) => be.Reduce(ReduceOp.Sum, s[0], s[1], rows, cols, 1)),
            ($"softmax {rows}x{cols}", n, s => 8.0 * rows * cols, "GB/s", (be, s) => be.Softmax(s[0], s[1], rows, cols, false)),
            ($"adam {Count(n)}", n, s => 28.0 * s, "GB/s", (be, s) => be.AdamStep(s[0], s[2], s[3], s[4], n, new AdamArgs(1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 1))),
            ($"gemm {mm}^3 NN", n, s => 2.0 * mm * mm * mm, "GFLOP/s", (be, s) => be.Gemm(new GemmArgs(1, mm, mm, mm, 1f, 0f, s[0], 0, 0, mm, false, s[2], 0, 0, mm, false, s[1], 0, 0, mm))),
            ($"gemm {mm}^3 NT", n, s => 2.0 * mm * mm * mm, "GFLOP/s", (be, s) => be.Gemm(new GemmArgs(1, mm, mm, mm, 1f, 0f, s[0], 0, 0, mm, false, s[2], 0, 0, mm, true, s[1], 0, 0, mm))),
            ($"gemm batched 64x(128x128x64)", n, s => 2.0 * 64 * 128 * 128 * 64, "GFLOP/s", (be, s) => be.Gemm(new GemmArgs(64, 128, 128, 64, 1f, 0f, s[0], 0, 128 * 64, 64, false, s[2], 0, 64 * 128, 128, false, s[1], 0, 128 * 128, 128))),
        };
        long len = new[] { n, (long)mm * mm, (long)rows * cols, 64L * 128 * 128 }.Max(); // every operand fits every op
        var data = new Inputs("timings").Uniform(len, 0.1f, 1f);
        Console.WriteLine($"{"op",-32} {"cpu ms",10} {"cpu rate",14} {target.Name + " ms",14} {target.Name + " rate",18}");
        foreach (var (name, _, work, unit, op) in ops)
        {
            double tc, rc, tt, rt;
            try
            {
                (tc, rc) = Time(Device.Cpu.Backend, data, op, work(n));
                (tt, rt) = Time(target.Backend, data, op, work(n));
            }
            catch (Exception e)
            {
                Console.WriteLine($"{name,-32} failed: {e.GetType().Name}: {e.Message}");
                continue;
            }
            Console.WriteLine($"{name,-32} {tc * 1e3,10:F3} {rc / 1e9,9:F1} {unit,-4} {tt * 1e3,14:F3} {rt / 1e9,13:F1} {unit,-4}");
        }
        if (target.Backend is IlgpuBackend { IsCpuSimulator: false } gpu && gpu.GemmTile > 0)
        {
            // the thread-per-output kernel against the shared-memory tiled one
            int tile = gpu.GemmTile;
            gpu.GemmTile = 0;
            var (ts, _) = Time(gpu, data, ops[6].op, 0);
            gpu.GemmTile = tile;
            Console.WriteLine($"gemm {mm}^3 thread-per-output kernel: {ts * 1e3:F3} ms ({2.0 * mm * mm * mm / ts / 1e9:F1} GFLOP/s)");
        }
    }

    private static string Count(long n) => n >= 1 << 20 ? $"{n >> 20}M" : $"{n >> 10}K";

    private static (double seconds, double rate) Time(IBackend be, float[] data, Action<IBackend, Storage[]> op, double work)
    {
        var s = Enumerable.Range(0, 5).Select(_ => Host.Up(be, data)).ToArray();
        try
        {
            op(be, s);
            be.Synchronize();
            var times = new List<double>();
            for (int i = 0; i < 10; i++)
            {
                var sw = Stopwatch.StartNew();
                op(be, s);
                be.Synchronize();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            times.Sort();
            double t = times[times.Count / 2];
            return (t, work / t);
        }
        finally
        {
            foreach (var x in s) be.Return(x);
        }
    }
}
