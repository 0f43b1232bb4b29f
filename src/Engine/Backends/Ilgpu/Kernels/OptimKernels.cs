using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Fused optimiser updates in place; the per-element formula is <see cref="OptimMath"/>.</summary>
public static class OptimKernels
{
    [IlgpuKernel]
    public static void Adam(Index1D t, long stride, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m,
        ArrayView<float> v, long n, AdamArgs args)
    {
        for (long i = t; i < n; i += stride)
        {
            float p = param[i], mi = m[i], vi = v[i];
            OptimMath.Adam(ref p, grad[i], ref mi, ref vi, args);
            param[i] = p; m[i] = mi; v[i] = vi;
        }
    }

    [IlgpuKernel]
    public static void Sgd(Index1D t, long stride, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> momentum, long n, SgdArgs args)
    {
        for (long i = t; i < n; i += stride)
        {
            float p = param[i];
            if (args.Momentum != 0f)
            {
                float b = momentum[i];
                OptimMath.Sgd(ref p, grad[i], ref b, args);
                momentum[i] = b;
            }
            else
            {
                float unused = 0f; // the momentum buffer may be a dummy when momentum is 0: never touch it
                OptimMath.Sgd(ref p, grad[i], ref unused, args);
            }
            param[i] = p;
        }
    }
}
