namespace HarFromScratch.Engine.Backends;

/// <summary>Per-element optimiser updates, shared by the cpu loops and the ILGPU kernels (PyTorch's formulas).</summary>
public static class OptimMath
{
    public static void Adam(ref float p, float g, ref float m, ref float v, in AdamArgs h) =>
        Adam(ref p, g, ref m, ref v, h, BiasCorrection(h.Beta1, h.Step), BiasCorrection(h.Beta2, h.Step));

    /// <summary>1 − βᵗ: the same for every element of a step (the cpu loop computes it once).</summary>
    public static float BiasCorrection(float beta, int step) => 1f - MathF.Pow(beta, step);

    /// <summary>Adam/AdamW with the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ given.</summary>
    public static void Adam(ref float p, float g, ref float m, ref float v, in AdamArgs h, float bc1, float bc2)
    {
        if (h.WeightDecay != 0f)
        {
            if (h.Decoupled) p -= h.Lr * h.WeightDecay * p; // AdamW
            else g += h.WeightDecay * p;                     // Adam with L2 penalty
        }
        m = h.Beta1 * m + (1f - h.Beta1) * g;
        v = h.Beta2 * v + (1f - h.Beta2) * g * g;
        p -= h.Lr * (m / bc1) / (MathF.Sqrt(v / bc2) + h.Eps);
    }

    public static void Sgd(ref float p, float g, ref float buf, in SgdArgs h)
    {
        if (h.WeightDecay != 0f) g += h.WeightDecay * p;
        if (h.Momentum != 0f)
        {
            buf = h.FirstStep ? g : h.Momentum * buf + (1f - h.Dampening) * g;
            g = h.Nesterov ? g + h.Momentum * buf : buf;
        }
        p -= h.Lr * g;
    }
}
