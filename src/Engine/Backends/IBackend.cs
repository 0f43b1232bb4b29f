using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// What a device must do. Tensors and autograd know nothing else about devices. All buffers are flat float32
/// storages; shapes arrive as sizes. Outputs are written, never accumulated, unless a method says otherwise.
/// The interface is partial: op families (convolution, sequence, spectral) add their own files.
/// </summary>
public partial interface IBackend : IDisposable
{
    /// <summary>Device name as users type it: cpu, cuda, opencl, ilgpu-cpu.</summary>
    string Name { get; }

    /// <summary>An uninitialised buffer of at least <paramref name="length"/> floats, from the pool when possible.</summary>
    Storage Allocate(long length);

    /// <summary>Takes a released storage back into the pool.</summary>
    void Return(Storage storage);

    /// <summary>Bytes currently handed out and bytes kept in the pool (for leak tests and reports).</summary>
    (long liveBytes, long pooledBytes) MemoryStats { get; }

    /// <summary>Frees pooled buffers.</summary>
    void TrimPool();

    void Fill(Storage dst, long offset, long length, float value);
    void Upload(ReadOnlySpan<float> src, Storage dst, long offset);
    void Download(Storage src, long offset, Span<float> dst);

    /// <summary>Contiguous copy of <paramref name="length"/> floats.</summary>
    void Copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length);

    /// <summary>dst[i...] = src[i...] over <paramref name="shape"/>, both sides strided (stride 0 = broadcast read).</summary>
    void StridedCopy(StridedView src, StridedView dst, int[] shape);

    /// <summary>y = f(x), elementwise over n floats.</summary>
    void Unary(UnaryOp op, Storage x, Storage y, long n, float a = 0, float b = 0);

    /// <summary>dx = dy * f'(x) (y = f(x) is given because some derivatives are cheaper from it).</summary>
    void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, long n, float a = 0, float b = 0);

    /// <summary>y[i...] = a[i...] (op) b[i...] over <paramref name="shape"/>; a and b read through broadcast strides, y contiguous.</summary>
    void Binary(BinaryOp op, Storage a, long[] aStrides, Storage b, long[] bStrides, Storage y, int[] shape);

    /// <summary>Reduces the middle axis of an (outer, r, inner) contiguous tensor into (outer, inner).</summary>
    void Reduce(ReduceOp op, Storage x, Storage y, int outer, int r, int inner);

    void Gemm(in GemmArgs args);

    /// <summary>Softmax (or log-softmax) over the last axis of a (rows, cols) tensor.</summary>
    void Softmax(Storage x, Storage y, int rows, int cols, bool log);

    /// <summary>Gradient of <see cref="Softmax"/> from its output y and upstream gradient dy.</summary>
    void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, bool log);

    /// <summary>Fused Adam/AdamW update of n parameters in place (m and v are the moment buffers).</summary>
    void AdamStep(Storage param, Storage grad, Storage m, Storage v, long n, in AdamArgs args);

    /// <summary>Fused SGD update in place (momentum buffer unused when momentum is 0).</summary>
    void SgdStep(Storage param, Storage grad, Storage momentum, long n, in SgdArgs args);

    /// <summary>Waits for queued work (no-op on synchronous backends).</summary>
    void Synchronize();
}
