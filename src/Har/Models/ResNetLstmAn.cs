using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// ResNetLSTMaN, HMKD's teacher: a residual CNN branch (three <see cref="ResidualBlock1d"/>, kernels 8/5/3, channels
/// 128/256/256, the third with a BN shortcut) → global average pooling (256), and an LSTM-attention branch
/// (<see cref="LstmAttentionBranch"/>: LSTM over time, hidden 128, scaled dot-product attention pooling of its outputs)
/// (128); the two concatenated (384) → linear classifier. One auxiliary head per residual block: GAP → linear → K.
/// <para>Features, in order: "block1" (N, 128, T), "block2" (N, 256, T), "block3" (N, 256, T), "lstm" (N, 128, T)
/// (LSTM outputs, channels-first), "attention" (N, 128).</para>
/// <para>Auxiliary logits: three, (N, K) each, from block1, block2, block3 in that order.</para>
/// </summary>
public sealed class ResNetLstmAn : HarModel
{
    public static readonly int[] DefaultChannels = [128, 256, 256];

    public ResNetLstmAn(ModelSpec spec, Rng rng, Device? device = null, int[]? channels = null, int hidden = 128) : base(spec)
    {
        device ??= Device.Default;
        channels ??= DefaultChannels;
        Cnn = RegisterModule("cnn", new ResNetBranch(spec.Channels, channels, rng, device));
        Rnn = RegisterModule("rnn", new LstmAttentionBranch(spec.Channels, hidden, 1, rng, device));
        var aux = RegisterModule("aux", new Sequential());
        foreach (var c in channels) aux.Add(new Linear(c, spec.Classes, true, rng, device));
        AuxHeads = aux;
        Classifier = RegisterModule("classifier", new Linear(channels[^1] + hidden, spec.Classes, true, rng, device));
    }

    public ResNetBranch Cnn { get; }
    public LstmAttentionBranch Rnn { get; }
    public Sequential AuxHeads { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var blocks = Cnn.Run(x);
        var pooled = blocks.Select(b => b.GlobalAvgPool1d()).ToList();
        var aux = pooled.Select((p, i) => AuxHeads[i].Forward(p)).ToList();
        var (seq, _, att) = Rnn.Run(x);
        var logits = Classifier.Forward(Tensor.Concat([pooled[^1], att], 1));
        var features = blocks.Select((b, i) => new NamedFeature($"block{i + 1}", b)).ToList();
        features.Add(new NamedFeature("lstm", ModelParts.ChannelsFirst(seq)));
        features.Add(new NamedFeature("attention", att));
        return new ModelOutput(logits, features, aux);
    }
}
