namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Grow-only pinned scratch arrays, one set per thread, for kernels that pack or transpose (GEMM panels, FFT
/// lanes, im2col): no allocation after the first call of a size, and raw pointers without fixed blocks.
/// </summary>
internal static unsafe class PinnedScratch
{
    /// <summary>A pointer to <paramref name="buf"/>, first grown (and pinned) to at least <paramref name="size"/> floats.</summary>
    public static float* Get(ref float[]? buf, long size)
    {
        if (buf == null || buf.Length < size) buf = GC.AllocateUninitializedArray<float>((int)Math.Max(size, 64), pinned: true);
        return (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buf[0]);
    }
}
