using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary><see cref="AdamArgs"/> as a kernel parameter (kernel parameters must be blittable: no bool).</summary>
public struct AdamParams
{
    public float Lr, Beta1, Beta2, Eps, WeightDecay;
    public int Decoupled, Step;

    public static AdamParams From(in AdamArgs a) => new()
    {
        Lr = a.Lr, Beta1 = a.Beta1, Beta2 = a.Beta2, Eps = a.Eps, WeightDecay = a.WeightDecay,
        Decoupled = a.Decoupled ? 1 : 0, Step = a.Step,
    };

    public readonly AdamArgs ToArgs() => new(Lr, Beta1, Beta2, Eps, WeightDecay, Decoupled != 0, Step);
}

/// <summary><see cref="SgdArgs"/> as a kernel parameter.</summary>
public struct SgdParams
{
    public float Lr, Momentum, Dampening, WeightDecay;
    public int Nesterov, FirstStep;

    public static SgdParams From(in SgdArgs a) => new()
    {
        Lr = a.Lr, Momentum = a.Momentum, Dampening = a.Dampening, WeightDecay = a.WeightDecay,
        Nesterov = a.Nesterov ? 1 : 0, FirstStep = a.FirstStep ? 1 : 0,
    };

    public readonly SgdArgs ToArgs() => new(Lr, Momentum, Dampening, WeightDecay, Nesterov != 0, FirstStep != 0);
}

/// <summary>Fused optimiser updates in place; the per-element formula is <see cref="OptimMath"/>.</summary>
public static class OptimKernels
{
    [IlgpuKernel]
    public static void Adam(Index1D t, long stride, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> m,
        ArrayView<float> v, long n, AdamParams h)
    {
        var args = h.ToArgs();
        for (long i = t; i < n; i += stride)
        {
            float p = param[i], mi = m[i], vi = v[i];
            OptimMath.Adam(ref p, grad[i], ref mi, ref vi, args);
            param[i] = p; m[i] = mi; v[i] = vi;
        }
    }

    [IlgpuKernel]
    public static void Sgd(Index1D t, long stride, ArrayView<float> param, ArrayView<float> grad, ArrayView<float> momentum, long n, SgdParams h)
    {
        var args = h.ToArgs();
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
