using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>Base of the named activation layers: one backend unary op (forward and derivative), as <see cref="Activation"/>.</summary>
public abstract class ElementwiseActivation(UnaryOp op, float a = 0f, float b = 0f) : Module
{
    public UnaryOp Op { get; } = op;
    /// <summary>The op's parameter (negative slope, alpha).</summary>
    public float Parameter { get; } = a;
    public float Parameter2 { get; } = b;
    public override Tensor Forward(Tensor input) => input.Apply(Op, Parameter, Parameter2);
}

public sealed class ReLU() : ElementwiseActivation(UnaryOp.Relu);
public sealed class ReLU6() : ElementwiseActivation(UnaryOp.Relu6);
public sealed class LeakyReLU(float negativeSlope = 0.01f) : ElementwiseActivation(UnaryOp.LeakyRelu, negativeSlope)
{
    protected override string ExtraRepr() => $"{Parameter}";
}
public sealed class ELU(float alpha = 1f) : ElementwiseActivation(UnaryOp.Elu, alpha)
{
    protected override string ExtraRepr() => $"alpha={Parameter}";
}
public sealed class SELU() : ElementwiseActivation(UnaryOp.Selu);
/// <summary>GELU, tanh approximation.</summary>
public sealed class GELU() : ElementwiseActivation(UnaryOp.Gelu);
public sealed class SiLU() : ElementwiseActivation(UnaryOp.Silu);
public sealed class Hardswish() : ElementwiseActivation(UnaryOp.Hardswish);
public sealed class Hardsigmoid() : ElementwiseActivation(UnaryOp.Hardsigmoid);
