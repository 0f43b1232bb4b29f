using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, int, int, ReduceOp>? _reduce;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, int, int, int, int, ReduceOp>? _reducePartial;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, int, int, int>? _softmax;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>? _softmaxBackward;

    /// <summary>Axis length above which a reduction with few outputs is split into fixed chunks (two passes).</summary>
    internal int ReduceChunk { get; set; } = 1024;

    public void Reduce(ReduceOp op, Storage x, Storage y, int outer, int r, int inner)
    {
        long outputs = (long)outer * inner;
        if (outputs <= 0) return;
        if (r <= 0) throw new ArgumentException($"Reduce: cannot reduce an empty axis (outer {outer}, r {r}, inner {inner})");
        CheckRange(x, 0, outputs * r - 1, "Reduce input");
        CheckRange(y, 0, outputs - 1, "Reduce output");
        int chunk = ReduceChunk;
        // few outputs over a long axis leave most of a GPU idle: reduce fixed chunks first, then the partials
        if (r > 2 * chunk && outputs * 4 < MaxLaunch)
        {
            int chunks = (r + chunk - 1) / chunk;
            long np = outputs * chunks;
            var partial = Allocate(np);
            try
            {
                var ep = Extent(np);
                K(ref _reducePartial, ReduceKernels.ReducePartial)(ep, ep.X, View(x), View(partial), np, r, inner, chunk, chunks, op);
                Reduce(op, partial, y, outer, chunks, inner);
            }
            finally { Return(partial); } // stream order: later kernels that reuse the buffer run after these
            return;
        }
        var e = Extent(outputs);
        K(ref _reduce, ReduceKernels.Reduce)(e, e.X, View(x), View(y), outputs, r, inner, op);
    }

    public void Softmax(Storage x, Storage y, int rows, int cols, bool log)
    {
        if (rows <= 0 || cols <= 0) return;
        CheckRange(x, 0, (long)rows * cols - 1, "Softmax input");
        CheckRange(y, 0, (long)rows * cols - 1, "Softmax output");
        var e = Extent(rows);
        K(ref _softmax, SoftmaxKernels.Softmax)(e, e.X, View(x), View(y), rows, cols, log ? 1 : 0);
    }

    public void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, bool log)
    {
        if (rows <= 0 || cols <= 0) return;
        long n = (long)rows * cols;
        CheckRange(y, 0, n - 1, "SoftmaxBackward y");
        CheckRange(dy, 0, n - 1, "SoftmaxBackward dy");
        CheckRange(dx, 0, n - 1, "SoftmaxBackward dx");
        var e = Extent(rows);
        K(ref _softmaxBackward, SoftmaxKernels.SoftmaxBackward)(e, e.X, View(y), View(dy), View(dx), rows, cols, log ? 1 : 0);
    }
}
