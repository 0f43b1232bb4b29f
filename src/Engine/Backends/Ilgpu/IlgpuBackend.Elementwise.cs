using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, UnaryOp, float, float>? _unary;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, UnaryOp, float, float>? _unaryBackward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, BinaryOp, StridedIndex>? _binary;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, BinaryOp>? _binaryContiguous;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, StridedIndex>? _stridedCopy;

    public void Unary(UnaryOp op, Storage x, Storage y, long n, float a = 0, float b = 0)
    {
        if (n <= 0) return;
        CheckRange(x, 0, n - 1, "Unary input");
        CheckRange(y, 0, n - 1, "Unary output");
        var e = Extent(n);
        K(ref _unary, ElementwiseKernels.Unary)(e, e.X, View(x), View(y), n, op, a, b);
    }

    public void UnaryBackward(UnaryOp op, Storage x, Storage y, Storage dy, Storage dx, long n, float a = 0, float b = 0)
    {
        if (n <= 0) return;
        CheckRange(x, 0, n - 1, "UnaryBackward x");
        CheckRange(y, 0, n - 1, "UnaryBackward y");
        CheckRange(dy, 0, n - 1, "UnaryBackward dy");
        CheckRange(dx, 0, n - 1, "UnaryBackward dx");
        var e = Extent(n);
        K(ref _unaryBackward, ElementwiseKernels.UnaryBackward)(e, e.X, View(x), View(y), View(dy), View(dx), n, op, a, b);
    }

    public void Binary(BinaryOp op, Storage a, long[] aStrides, Storage b, long[] bStrides, Storage y, int[] shape)
    {
        long n = ShapeUtil.Numel(shape);
        if (n <= 0) return;
        var (sh, st) = ShapeUtil.Coalesce(shape, aStrides, bStrides, ShapeUtil.ContiguousStrides(shape));
        var (aLo, aHi) = Footprint(0, sh, st[0]);
        var (bLo, bHi) = Footprint(0, sh, st[1]);
        CheckRange(a, aLo, aHi, "Binary a");
        CheckRange(b, bLo, bHi, "Binary b");
        CheckRange(y, 0, n - 1, "Binary output");
        var e = Extent(n);
        if (sh.Length == 1 && st[0][0] == 1 && st[1][0] == 1)
        {
            K(ref _binaryContiguous, ElementwiseKernels.BinaryContiguous)(e, e.X, View(a), View(b), View(y), n, op);
            return;
        }
        var index = StridedIndex.Create(sh, st[0], 0, st[1], 0, "Binary");
        K(ref _binary, ElementwiseKernels.Binary)(e, e.X, View(a), View(b), View(y), n, op, index);
    }

    public void StridedCopy(StridedView src, StridedView dst, int[] shape)
    {
        long n = ShapeUtil.Numel(shape);
        if (n <= 0) return;
        var (sh, st) = ShapeUtil.Coalesce(shape, src.Strides, dst.Strides);
        var (sLo, sHi) = Footprint(src.Offset, sh, st[0]);
        var (dLo, dHi) = Footprint(dst.Offset, sh, st[1]);
        CheckRange(src.Storage, sLo, sHi, "StridedCopy source");
        CheckRange(dst.Storage, dLo, dHi, "StridedCopy destination");
        if (sh.Length == 1 && st[0][0] == 1 && st[1][0] == 1)
        {
            Copy(src.Storage, src.Offset, dst.Storage, dst.Offset, n);
            return;
        }
        var index = StridedIndex.Create(sh, st[0], src.Offset, st[1], dst.Offset, "StridedCopy");
        var e = Extent(n);
        K(ref _stridedCopy, CopyKernels.StridedCopy)(e, e.X, View(src.Storage), View(dst.Storage), n, index);
    }
}
