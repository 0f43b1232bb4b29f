using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>
/// Squeeze-and-excitation over (N, C, L), as torchvision's: global average over time → 1x1 conv C→S → ReLU →
/// 1x1 conv S→C → Hardsigmoid → per-channel scale of the input.
/// </summary>
public sealed class SqueezeExcitation : Module
{
    public SqueezeExcitation(int channels, int squeezeChannels, Rng? rng = null, Device? device = null)
    {
        Fc1 = RegisterModule("fc1", new Conv1d(channels, squeezeChannels, 1, rng: rng, device: device));
        Fc2 = RegisterModule("fc2", new Conv1d(squeezeChannels, channels, 1, rng: rng, device: device));
    }

    public Conv1d Fc1 { get; }
    public Conv1d Fc2 { get; }

    public override Tensor Forward(Tensor input)
    {
        var s = input.GlobalAvgPool1d(keepDim: true);
        s = Fc2.Forward(Fc1.Forward(s).Relu()).Hardsigmoid();
        return input * s;
    }

    /// <summary>Channels rounded to a multiple of <paramref name="divisor"/>, never below 90% of the value (MobileNet's _make_divisible).</summary>
    public static int MakeDivisible(double v, int divisor = 8, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int r = Math.Max(min, (int)(v + divisor / 2.0) / divisor * divisor);
        if (r < 0.9 * v) r += divisor;
        return r;
    }
}

/// <summary>
/// MobileNetV3-style inverted residual block over (N, C, L): [1x1 expand → BN → act] (when expand ≠ in) → depthwise k
/// (stride, padding k/2) → BN → act → [squeeze-excitation] → 1x1 project → BN, plus the input when stride is 1 and
/// in = out. The activation is Hardswish unless given.
/// </summary>
public sealed class InvertedResidual1d : Module
{
    private readonly Func<Module> _act;

    public InvertedResidual1d(int inChannels, int expandChannels, int outChannels, int kernelSize = 5, int stride = 1, bool useSe = true,
        Func<Module>? activation = null, Rng? rng = null, Device? device = null)
    {
        _act = activation ?? (() => new Hardswish());
        InChannels = inChannels; OutChannels = outChannels; Stride = stride;
        UseResidual = stride == 1 && inChannels == outChannels;
        if (expandChannels != inChannels)
        {
            Expand = RegisterModule("expand", new Sequential(
                new Conv1d(inChannels, expandChannels, 1, bias: false, rng: rng, device: device),
                new BatchNorm1d(expandChannels, device: device), _act()));
        }
        Depthwise = RegisterModule("depthwise", new Sequential(
            new Conv1d(expandChannels, expandChannels, kernelSize, stride, (kernelSize - 1) / 2, groups: expandChannels, bias: false, rng: rng, device: device),
            new BatchNorm1d(expandChannels, device: device), _act()));
        if (useSe) Se = RegisterModule("se", new SqueezeExcitation(expandChannels, SqueezeExcitation.MakeDivisible(expandChannels / 4.0, 8), rng, device));
        Project = RegisterModule("project", new Sequential(
            new Conv1d(expandChannels, outChannels, 1, bias: false, rng: rng, device: device),
            new BatchNorm1d(outChannels, device: device)));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Stride { get; }
    public bool UseResidual { get; }
    public Sequential? Expand { get; }
    public Sequential Depthwise { get; }
    public SqueezeExcitation? Se { get; }
    public Sequential Project { get; }

    public override Tensor Forward(Tensor input)
    {
        var h = Expand != null ? Expand.Forward(input) : input;
        h = Depthwise.Forward(h);
        if (Se != null) h = Se.Forward(h);
        h = Project.Forward(h);
        return UseResidual ? h + input : h;
    }

    protected override string ExtraRepr() => $"{InChannels} -> {OutChannels}, stride={Stride}{(UseResidual ? ", residual" : "")}";
}
