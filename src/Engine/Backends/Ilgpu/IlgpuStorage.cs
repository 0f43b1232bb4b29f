using HarFromScratch.Engine.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>A device buffer of floats owned by an <see cref="IlgpuBackend"/> (pooled; disposed when the pool is trimmed).</summary>
public sealed class IlgpuStorage : Storage
{
    internal IlgpuStorage(IlgpuBackend backend, MemoryBuffer1D<float, Stride1D.Dense> buffer) : base(backend, buffer.Length)
    {
        Buffer = buffer;
        View = buffer.View;
    }

    public MemoryBuffer1D<float, Stride1D.Dense> Buffer { get; }

    /// <summary>The whole buffer as a kernel argument.</summary>
    public ArrayView<float> View { get; }
}
