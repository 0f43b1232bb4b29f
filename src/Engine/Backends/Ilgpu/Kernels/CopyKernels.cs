using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Strided copies (permute, slice, concat, expand): A is the source walk, B the destination walk.</summary>
public static class CopyKernels
{
    [IlgpuKernel]
    public static void StridedCopy(Index1D t, long stride, ArrayView<float> src, ArrayView<float> dst, long n, StridedIndex index)
    {
        for (long i = t; i < n; i += stride)
        {
            index.Offsets(i, out long os, out long od);
            dst[od] = src[os];
        }
    }
}
