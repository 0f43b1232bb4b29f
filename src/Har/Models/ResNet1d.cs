using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// Residual block of the 1-D ResNet of Wang–Yan–Oates (2017) / ResNetLSTMaN: conv k8 → BN → ReLU → conv k5 → BN → ReLU →
/// conv k3 → BN ("same" padding, stride 1), plus a shortcut — conv k1 → BN when the channel count changes, BN of the
/// input when it does not (as ResNetLSTMaN's third block) — then ReLU. (N, Cin, T) → (N, Cout, T).
/// Parameter names: conv1/conv2/conv3 (each .0 conv, .1 BN), shortcut (.0 conv, .1 BN, or a lone BN).
/// </summary>
public sealed class ResidualBlock1d : Module
{
    public ResidualBlock1d(int cin, int cout, Rng rng, Device device, int[]? kernels = null)
    {
        kernels ??= [8, 5, 3];
        if (kernels.Length != 3) throw new ArgumentException("ResidualBlock1d: three kernel sizes");
        Conv1 = RegisterModule("conv1", ModelParts.ConvBn(cin, cout, kernels[0], rng, device, relu: true));
        Conv2 = RegisterModule("conv2", ModelParts.ConvBn(cout, cout, kernels[1], rng, device, relu: true));
        Conv3 = RegisterModule("conv3", ModelParts.ConvBn(cout, cout, kernels[2], rng, device, relu: false));
        Shortcut = RegisterModule<Module>("shortcut", cin == cout
            ? new BatchNorm1d(cout, device: device)
            : ModelParts.ConvBn(cin, cout, 1, rng, device, relu: false));
    }

    public Sequential Conv1 { get; }
    public Sequential Conv2 { get; }
    public Sequential Conv3 { get; }
    public Module Shortcut { get; }

    public override Tensor Forward(Tensor input) =>
        (Conv3.Forward(Conv2.Forward(Conv1.Forward(input))) + Shortcut.Forward(input)).Relu();
}

/// <summary>Three <see cref="ResidualBlock1d"/> in a row (the CNN branch of ResNetLSTMaN and the body of ResNet-1D).</summary>
public sealed class ResNetBranch : Module
{
    public ResNetBranch(int cin, int[] channels, Rng rng, Device device)
    {
        var blocks = new List<ResidualBlock1d>();
        int c = cin;
        for (int i = 0; i < channels.Length; i++)
        {
            blocks.Add(RegisterModule($"block{i + 1}", new ResidualBlock1d(c, channels[i], rng, device)));
            c = channels[i];
        }
        Blocks = blocks;
        Channels = (int[])channels.Clone();
    }

    public IReadOnlyList<ResidualBlock1d> Blocks { get; }
    public int[] Channels { get; }

    public override Tensor Forward(Tensor input) => Run(input)[^1];

    /// <summary>The output of every block, in order.</summary>
    public List<Tensor> Run(Tensor input)
    {
        var outs = new List<Tensor>(Blocks.Count);
        var h = input;
        foreach (var b in Blocks) { h = b.Forward(h); outs.Add(h); }
        return outs;
    }
}

/// <summary>
/// ResNet-1D teacher: three residual blocks (kernels 8/5/3 inside each; channels <see cref="DefaultChannels"/> by
/// default), global average pooling, linear classifier.
/// <para>Features, in order: "block1" (N, c1, T), "block2" (N, c2, T), "block3" (N, c3, T) — the block outputs.
/// No auxiliary logits.</para>
/// </summary>
public sealed class ResNet1d : HarModel
{
    /// <summary>Wang–Yan–Oates' channel counts (64/128/128): a quarter of ResNetLSTMaN's CNN branch in MACs.</summary>
    public static readonly int[] DefaultChannels = [64, 128, 128];

    public ResNet1d(ModelSpec spec, Rng rng, Device? device = null, int[]? channels = null) : base(spec)
    {
        device ??= Device.Default;
        channels ??= DefaultChannels;
        Body = RegisterModule("body", new ResNetBranch(spec.Channels, channels, rng, device));
        Classifier = RegisterModule("classifier", new Linear(channels[^1], spec.Classes, true, rng, device));
    }

    public ResNetBranch Body { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var outs = Body.Run(x);
        var logits = Classifier.Forward(outs[^1].GlobalAvgPool1d());
        return new ModelOutput(logits, outs.Select((o, i) => new NamedFeature($"block{i + 1}", o)).ToList(), []);
    }
}
