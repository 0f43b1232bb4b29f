using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace HarFromScratch.Benchmarks;

public static class Program
{
    /// <summary>
    /// HAR_BENCH_INPROCESS=1 runs every benchmark in this process: on a machine with only the self-contained bundle
    /// (scripts/cuda-check.sh) there is no SDK to build the usual per-benchmark child process. A mutator job applies
    /// the toolchain to the jobs the classes declare by attribute too, which `--inProcess` alone does not reach.
    /// </summary>
    public static void Main(string[] args)
    {
        IConfig? config = null;
        if (Environment.GetEnvironmentVariable("HAR_BENCH_INPROCESS") is "1" or "true")
            config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
