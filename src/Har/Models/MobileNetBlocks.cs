using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// A 1x1 convolution (weight (out, in, 1), optional bias: torch.nn.Conv1d's layout and init) that runs as one GEMM over
/// all N·L positions when the sequence is short. The cpu conv kernels do one small GEMM per sample with the time axis
/// as the GEMM's inner (backward-weight) or column (forward, backward-input) dimension, which is slow when L is below
/// ~16 (deep MobileNet stages have L = 4..8, squeeze-excitation L = 1): there the input is transposed to (N·L, in) and
/// multiplied by the weight as a linear layer. Same maths either way.
/// </summary>
public sealed class Pointwise1d : Module
{
    /// <summary>Sequences shorter than this take the engine's transposed-GEMM path.</summary>
    public const int ShortLength = Tensor.ShortPointwiseLength;

    public Pointwise1d(int inChannels, int outChannels, bool bias, Rng rng, Device device)
    {
        InChannels = inChannels; OutChannels = outChannels;
        Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Zeros([outChannels, inChannels, 1], device)));
        if (bias) Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros([outChannels], device)));
        Init.PyTorchDefault(Weight, Bias, rng);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>(N, in, L) → (N, out, L); (N, in) → (N, out).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank == 2) return Tensor.Linear(x, Weight.Reshape(OutChannels, InChannels), Bias); // pooled vectors (N, C)
        return Tensor.Conv1d(x, Weight, Bias); // short sequences take the engine's GEMM path
    }

    protected override string ExtraRepr() => $"{InChannels} -> {OutChannels}, k=1{(Bias == null ? ", no bias" : "")}";
}

/// <summary>
/// Squeeze-excitation over (N, C, L) as torchvision's (and the engine's <see cref="SqueezeExcitation"/>, same parameter
/// names fc1/fc2 with 1x1-conv shapes): mean over time → fc1 C→S → ReLU → fc2 S→C → Hardsigmoid → channel scale; the
/// two 1x1 convs run as linear layers on the pooled (N, C).
/// </summary>
public sealed class SqueezeExcite1d : Module
{
    public SqueezeExcite1d(int channels, int squeeze, Rng rng, Device device)
    {
        Fc1 = RegisterModule("fc1", new Pointwise1d(channels, squeeze, true, rng, device));
        Fc2 = RegisterModule("fc2", new Pointwise1d(squeeze, channels, true, rng, device));
    }

    public Pointwise1d Fc1 { get; }
    public Pointwise1d Fc2 { get; }

    public override Tensor Forward(Tensor input)
    {
        var s = Fc2.Forward(Fc1.Forward(input.GlobalAvgPool1d()).Relu()).Hardsigmoid();
        return input * s.Unsqueeze(2);
    }
}

/// <summary>
/// Inverted residual block over (N, C, L), the MobileNet-1D unit: [1x1 expand → BN → act] (when expand ≠ in) →
/// depthwise k (stride s, padding (k−1)/2) → BN → act → [squeeze-excitation on the expansion] → 1x1 linear projection →
/// BN, plus the input when s = 1 and in = out (no activation after the add). Parameter names as the engine's
/// <see cref="InvertedResidual1d"/>: expand.0/1, depthwise.0/1, se.fc1/fc2, project.0/1.
/// </summary>
public sealed class MobileNetBlock1d : Module
{
    public MobileNetBlock1d(int inChannels, int expandChannels, int outChannels, int kernel, int stride, bool se, Act act, Rng rng, Device device)
    {
        InChannels = inChannels; OutChannels = outChannels; Stride = stride;
        UseResidual = stride == 1 && inChannels == outChannels;
        if (expandChannels != inChannels)
            Expand = RegisterModule("expand", new Sequential(
                new Pointwise1d(inChannels, expandChannels, false, rng, device), new BatchNorm1d(expandChannels, device: device), ModelParts.Activation(act)));
        Depthwise = RegisterModule("depthwise", new Sequential(
            new Conv1d(expandChannels, expandChannels, kernel, stride, (kernel - 1) / 2, groups: expandChannels, bias: false, rng: rng, device: device),
            new BatchNorm1d(expandChannels, device: device), ModelParts.Activation(act)));
        if (se) Se = RegisterModule("se", new SqueezeExcite1d(expandChannels, SqueezeExcitation.MakeDivisible(expandChannels / 4.0, 8), rng, device));
        Project = RegisterModule("project", new Sequential(
            new Pointwise1d(expandChannels, outChannels, false, rng, device), new BatchNorm1d(outChannels, device: device)));
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Stride { get; }
    public bool UseResidual { get; }
    public Sequential? Expand { get; }
    public Sequential Depthwise { get; }
    public SqueezeExcite1d? Se { get; }
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
