using ILGPU;
using ILGPU.Runtime;

namespace HarFromScratch.Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, GemmParams>? _gemm;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>? _gemmTiled;

    /// <summary>
    /// Tile edge of <see cref="GemmKernels.GemmTiled"/> (group = tile x tile threads, at most the device's group
    /// size); 0 disables it. 16 on GPUs, 0 on the CPU simulator. A tuning knob (tests and DeviceCheck flip it).
    /// </summary>
    public int GemmTile
    {
        get => _gemmTile;
        set
        {
            if (value < 0 || (long)value * value > Accelerator.MaxNumThreadsPerGroup || 2L * value * value * sizeof(float) > Accelerator.MaxSharedMemoryPerGroup)
                throw new ArgumentOutOfRangeException(nameof(value), $"GemmTile {value}: {value}x{value} threads or {2 * value * value * 4} bytes of shared memory exceed what {Accelerator.Name} allows per group");
            _gemmTile = value;
        }
    }

    private int _gemmTile;

    /// <summary>Products with at least this many multiply-adds per batch item use the tiled kernel (when enabled).</summary>
    public long GemmTiledMinWork { get; set; } = 1L << 18;

    /// <summary>Which kernel the last GEMM used ("tiled" or "simple"), for tests.</summary>
    internal string LastGemmKernel { get; private set; } = "";

    private void InitGemm()
    {
        // 16 x 16 = 256 threads per group fits every CUDA/OpenCL GPU; the CPU simulator's 2-thread groups cannot tile
        GemmTile = IsGpu && Accelerator.MaxNumThreadsPerGroup >= 256 ? 16 : 0;
    }

    public void Gemm(in GemmArgs args)
    {
        if (args.Batch <= 0 || args.M <= 0 || args.N <= 0) return;
        var g = GemmParams.From(args);
        if (g.K < 0) throw new ArgumentException($"Gemm: negative K {g.K}");
        if (g.Alpha == 0f) g.K = 0; // C = beta * C without reading A or B, as the cpu backend does
        CheckGemm(args, g);
        long n = (long)g.Batch * g.M * g.N;
        int tile = GemmTile;
        if (tile > 0 && g.K > 0 && (long)g.M * g.N * g.K >= GemmTiledMinWork && g.Batch <= 65535)
        {
            var grid = new Index3D((g.N + tile - 1) / tile, (g.M + tile - 1) / tile, g.Batch);
            var cfg = new KernelConfig(grid, new Index3D(tile, tile, 1), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
            KG(ref _gemmTiled, GemmKernels.GemmTiled)(cfg, View(args.A), View(args.B), View(args.C), g);
            LastGemmKernel = "tiled";
            return;
        }
        var e = Extent(n);
        K(ref _gemm, GemmKernels.Gemm)(e, e.X, View(args.A), View(args.B), View(args.C), n, g);
        LastGemmKernel = "simple";
    }

    private static void CheckGemm(in GemmArgs a, in GemmParams g) => BackendChecks.CheckGemm(a);
}
