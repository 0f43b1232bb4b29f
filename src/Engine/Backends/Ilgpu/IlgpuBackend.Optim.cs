using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, AdamParams>? _adam;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, SgdParams>? _sgd;

    public void AdamStep(Storage param, Storage grad, Storage m, Storage v, long n, in AdamArgs args)
    {
        if (n <= 0) return;
        CheckRange(param, 0, n - 1, "AdamStep param");
        CheckRange(grad, 0, n - 1, "AdamStep grad");
        CheckRange(m, 0, n - 1, "AdamStep m");
        CheckRange(v, 0, n - 1, "AdamStep v");
        var e = Extent(n);
        K(ref _adam, OptimKernels.Adam)(e, e.X, View(param), View(grad), View(m), View(v), n, AdamParams.From(args));
    }

    public void SgdStep(Storage param, Storage grad, Storage momentum, long n, in SgdArgs args)
    {
        if (n <= 0) return;
        CheckRange(param, 0, n - 1, "SgdStep param");
        CheckRange(grad, 0, n - 1, "SgdStep grad");
        if (args.Momentum != 0f) CheckRange(momentum, 0, n - 1, "SgdStep momentum");
        var e = Extent(n);
        K(ref _sgd, OptimKernels.Sgd)(e, e.X, View(param), View(grad), View(momentum), n, SgdParams.From(args));
    }
}
