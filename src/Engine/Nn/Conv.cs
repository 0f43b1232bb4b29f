using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>1-D convolution layer over (N, C, L), as torch.nn.Conv1d (weight (out, in/groups, k), PyTorch default init).</summary>
public sealed class Conv1d : Module
{
    private readonly string? _paddingMode;

    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Rng? rng = null, Device? device = null)
        : this(inChannels, outChannels, kernelSize, stride, padding, null, dilation, groups, bias, rng, device) { }

    /// <summary>With padding "same" or "valid".</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, string padding, int stride = 1, int dilation = 1, int groups = 1,
        bool bias = true, Rng? rng = null, Device? device = null)
        : this(inChannels, outChannels, kernelSize, stride, 0, padding, dilation, groups, bias, rng, device) { }

    private Conv1d(int inChannels, int outChannels, int kernelSize, int stride, int padding, string? paddingMode, int dilation, int groups,
        bool bias, Rng? rng, Device? device)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0 || groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv1d({inChannels}, {outChannels}, k={kernelSize}, groups={groups}): sizes must be positive and channels divisible by groups");
        if (paddingMode is not (null or "same" or "valid")) throw new ArgumentException($"Conv1d: padding \"{paddingMode}\" is not \"same\" or \"valid\"");
        InChannels = inChannels; OutChannels = outChannels; KernelSize = kernelSize;
        Stride = stride; Padding = padding; _paddingMode = paddingMode; Dilation = dilation; Groups = groups;
        device ??= Device.Default;
        Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Zeros([outChannels, inChannels / groups, kernelSize], device)));
        if (bias) Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros([outChannels], device)));
        Init.PyTorchDefault(Weight, Bias, rng);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => _paddingMode == null
        ? Tensor.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups)
        : Tensor.Conv1d(input, Weight, Bias, _paddingMode, Stride, Dilation, Groups);

    protected override string ExtraRepr() =>
        $"{InChannels} -> {OutChannels}, k={KernelSize}, stride={Stride}, padding={_paddingMode ?? Padding.ToString()}" +
        (Dilation != 1 ? $", dilation={Dilation}" : "") + (Groups != 1 ? $", groups={Groups}" : "") + (Bias == null ? ", no bias" : "");
}
