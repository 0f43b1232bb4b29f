using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Random;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Inverted dropout and activation shorthands.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Inverted dropout: each element is zeroed with probability <paramref name="p"/> and the rest scaled by 1/(1 − p),
    /// so the expectation is unchanged; identity when not <paramref name="training"/> or p = 0. The mask is drawn on the host
    /// from <paramref name="rng"/> (one draw per element in order), so a seed gives the same mask on every device.
    /// The gradient is the same mask: dx = dy·mask/(1 − p).
    /// </summary>
    public Tensor Dropout(float p, Rng? rng = null, bool training = true)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"Dropout: probability {p} must be in [0, 1]");
        if (!training || p == 0f) return this;
        rng ??= Rng.Global;
        var mask = new float[Numel];
        if (p < 1f)
        {
            float scale = 1f / (1f - p);
            for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < p ? 0f : scale;
        }
        return this * FromArray(mask, Shape, Device);
    }

    public Tensor Relu6() => Apply(UnaryOp.Relu6);
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => Apply(UnaryOp.LeakyRelu, negativeSlope);
    public Tensor Elu(float alpha = 1f) => Apply(UnaryOp.Elu, alpha);
    public Tensor Selu() => Apply(UnaryOp.Selu);
    /// <summary>GELU, tanh approximation.</summary>
    public Tensor Gelu() => Apply(UnaryOp.Gelu);
    public Tensor Silu() => Apply(UnaryOp.Silu);
    public Tensor Hardswish() => Apply(UnaryOp.Hardswish);
    public Tensor Hardsigmoid() => Apply(UnaryOp.Hardsigmoid);
}
