using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public override Tensor Forward(Tensor input) => input.MaxPool1d(kernelSize, stride, padding);
    protected override string ExtraRepr() => $"k={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
}

public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Module
{
    public override Tensor Forward(Tensor input) => input.AvgPool1d(kernelSize, stride, padding, countIncludePad);
    protected override string ExtraRepr() => $"k={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
}

public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    public override Tensor Forward(Tensor input) => input.AdaptiveAvgPool1d(outputSize);
    protected override string ExtraRepr() => $"{outputSize}";
}

/// <summary>Mean over time: (N, C, L) → (N, C) (or (N, C, 1) with keepDim).</summary>
public sealed class GlobalAvgPool1d(bool keepDim = false) : Module
{
    public override Tensor Forward(Tensor input) => input.GlobalAvgPool1d(keepDim);
}

/// <summary>Inverted dropout, active in training mode only; its own generator (given, or forked from the global one).</summary>
public sealed class Dropout : Module
{
    private readonly Rng _rng;

    public Dropout(float p = 0.5f, Rng? rng = null)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentException($"Dropout: probability {p} must be in [0, 1]");
        P = p;
        _rng = RegisterRng("rng", rng ?? Rng.Global.Fork());
    }

    public float P { get; }
    public override Tensor Forward(Tensor input) => input.Dropout(P, _rng, Training);
    protected override string ExtraRepr() => $"p={P}";
}
