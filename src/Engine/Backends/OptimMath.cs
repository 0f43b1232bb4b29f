namespace HarFromScratch.Engine.Backends;

/// <summary>Per-element optimiser updates, shared by the cpu loops and the ILGPU kernels (PyTorch's formulas).</summary>
public static class OptimMath
{
    public static void Adam(ref float p, float g, ref float m, ref float v, in AdamArgs h)
    {
        if (h.WeightDecay != 0f)
        {
            if (h.Decoupled) p -= h.Lr * h.WeightDecay * p; // AdamW
            else g += h.WeightDecay * p;                     // Adam with L2 penalty
        }
        m = h.Beta1 * m + (1f - h.Beta1) * g;
        v = h.Beta2 * v + (1f - h.Beta2) * g * g;
        float bc1 = 1f - MathF.Pow(h.Beta1, h.Step);
        float bc2 = 1f - MathF.Pow(h.Beta2, h.Step);
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
