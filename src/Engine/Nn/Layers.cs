using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>y = x·Wᵀ + b over the last axis; W is (out, in) as in PyTorch.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Rng? rng = null, Device? device = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentException($"Linear({inFeatures}, {outFeatures}): sizes must be positive");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        device ??= Device.Default;
        Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Zeros([outFeatures, inFeatures], device)));
        if (bias) Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros([outFeatures], device)));
        Init.PyTorchDefault(Weight, Bias, rng);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);
    protected override string ExtraRepr() => $"{InFeatures} -> {OutFeatures}{(Bias == null ? ", no bias" : "")}";
}

/// <summary>Runs its children in order.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    public Sequential(params Module[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    public Sequential Add(Module layer)
    {
        RegisterModule(_layers.Count.ToString(), layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;
    public Module this[int i] => _layers[i];

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var l in _layers) x = l.Forward(x);
        return x;
    }
}

/// <summary>An elementwise activation as a layer (ReLU, Tanh, GELU, Hardswish, ...).</summary>
public sealed class Activation(UnaryOp op, float a = 0f, float b = 0f) : Module
{
    public UnaryOp Op { get; } = op;
    public override Tensor Forward(Tensor input) => input.Apply(Op, a, b);
    protected override string ExtraRepr() => Op.ToString();

    public static Activation ReLU() => new(UnaryOp.Relu);
    public static Activation Tanh() => new(UnaryOp.Tanh);
    public static Activation Sigmoid() => new(UnaryOp.Sigmoid);
}

/// <summary>Flattens all axes after the first.</summary>
public sealed class Flatten : Module
{
    public override Tensor Forward(Tensor input) => input.Flatten(1);
}
