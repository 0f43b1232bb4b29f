using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// One inverted residual block: depthwise kernel, expansion channels, output channels, squeeze-excitation on the
/// expansion, activation, stride. Channel counts are at width 1 (the width multiplier scales them).
/// </summary>
public sealed record MobileNetBlock(int Kernel, int Expand, int Out, bool Se, Act Act, int Stride);

/// <summary>
/// A MobileNet-1D architecture: stem conv (k3, stride 2) → stages of inverted residual blocks → 1x1 head conv →
/// global average pool → [hidden linear → act → dropout] → linear classifier. <see cref="Version"/> is "v3"
/// (Hardswish/ReLU, SE) or "v2" (ReLU6, no SE; only differs by the block table). Channel counts at width 1.
/// </summary>
public sealed record MobileNetConfig(string Version, int StemChannels, Act StemAct, MobileNetBlock[][] Stages,
    int HeadChannels, int HiddenDim, Act HeadAct, float Dropout)
{
    private static MobileNetBlock B(int k, int exp, int outC, bool se, Act act, int s) => new(k, exp, outC, se, act, s);
    private const Act RE = Act.ReLU, HS = Act.Hardswish, R6 = Act.ReLU6;

    /// <summary>
    /// MobileNetV3-Large's block table in 1-D (15 blocks, overall stride 32 with the stem), head 1x1 conv to 480,
    /// hidden 640. The SMLDist teacher of the MobileNet family.
    /// </summary>
    public static MobileNetConfig Large => new("v3", 16, HS,
    [
        [B(3, 16, 16, false, RE, 1), B(3, 64, 24, false, RE, 2), B(3, 72, 24, false, RE, 1)],
        [B(5, 72, 40, true, RE, 2), B(5, 120, 40, true, RE, 1), B(5, 120, 40, true, RE, 1)],
        [B(3, 240, 80, false, HS, 2), B(3, 200, 80, false, HS, 1), B(3, 184, 80, false, HS, 1), B(3, 184, 80, false, HS, 1),
         B(3, 480, 112, true, HS, 1), B(3, 672, 112, true, HS, 1)],
        [B(5, 672, 160, true, HS, 2), B(5, 960, 160, true, HS, 1), B(5, 960, 160, true, HS, 1)],
    ], 480, 640, HS, 0.2f);

    /// <summary>MobileNetV3-Small's block table in 1-D (11 blocks, overall stride 32), head 1x1 conv to 288, hidden 512.</summary>
    public static MobileNetConfig Small => new("v3", 16, HS,
    [
        [B(3, 16, 16, true, RE, 2)],
        [B(3, 72, 24, false, RE, 2), B(3, 88, 24, false, RE, 1)],
        [B(5, 96, 40, true, HS, 2), B(5, 240, 40, true, HS, 1), B(5, 240, 40, true, HS, 1), B(5, 120, 48, true, HS, 1), B(5, 144, 48, true, HS, 1)],
        [B(5, 288, 96, true, HS, 2), B(5, 576, 96, true, HS, 1), B(5, 576, 96, true, HS, 1)],
    ], 288, 512, HS, 0.2f);

    /// <summary>A shallow Small (one block per stage, 6 in all; same stage strides), used at width 0.5.</summary>
    public static MobileNetConfig Tiny => new("v3", 16, HS,
    [
        [B(3, 16, 16, true, RE, 2)],
        [B(3, 72, 24, false, RE, 2)],
        [B(5, 96, 40, true, HS, 2), B(5, 120, 48, true, HS, 1)],
        [B(5, 288, 96, true, HS, 2)],
    ], 192, 0, HS, 0.1f);

    /// <summary>MobileNetV2's block table (expansion 6, ReLU6, no SE) shortened to 1-D windows: 9 blocks, stride 32, head 1x1 conv to 320.</summary>
    public static MobileNetConfig V2Small => new("v2", 16, R6,
    [
        [B(3, 16, 16, false, R6, 1), B(3, 96, 24, false, R6, 2)],
        [B(3, 144, 32, false, R6, 2), B(3, 192, 32, false, R6, 1)],
        [B(3, 192, 64, false, R6, 2), B(3, 384, 64, false, R6, 1), B(3, 384, 96, false, R6, 1)],
        [B(3, 576, 160, false, R6, 2), B(3, 960, 160, false, R6, 1)],
    ], 320, 0, R6, 0.2f);
}

/// <summary>
/// MobileNet-1D (V3-style inverted residuals with squeeze-excitation and Hardswish/ReLU, or the V2-style variant with
/// ReLU6 and no SE), with a width multiplier on every channel count (rounded to a multiple of 8).
/// Input (N, C, T); the stem convolution halves T, and each stage's first block halves it again.
/// <para>Features, in order: "stage1".."stageS" — the output of each stage, (N, C_s, T_s). For the presets at width 1
/// on T = 128: stage1 (N, 16|24, 32), stage2 (N, 24|40, 16), stage3 (N, 48|112, 8), stage4 (N, 96|160, 4)
/// (small | large). Every preset has 4 stages with the same strides, so stage features of two presets align in time.
/// No auxiliary logits.</para>
/// Parameter names: stem.0 (conv), stem.1 (BN), stages.{s}.{b}.(expand|depthwise|se|project).*, head.0/1 (1x1 conv, BN),
/// hidden (optional linear), classifier.
/// </summary>
public sealed class MobileNet1d : HarModel
{
    private readonly List<Sequential> _stages = new();

    public MobileNet1d(ModelSpec spec, MobileNetConfig config, double width, Rng rng, Device? device = null) : base(spec)
    {
        if (!(width > 0 && width <= 8)) throw new ArgumentException($"{spec.Name}: width multiplier {width} must be in (0, 8]");
        if (config.Stages.Length == 0) throw new ArgumentException($"{spec.Name}: no stages");
        device ??= Device.Default;
        Config = config;
        Width = width;
        int Ch(int c) => SqueezeExcitation.MakeDivisible(c * width, 8);

        int stem = Ch(config.StemChannels);
        Stem = RegisterModule("stem", new Sequential(
            new Conv1d(spec.Channels, stem, 3, 2, 1, bias: false, rng: rng, device: device),
            new BatchNorm1d(stem, device: device), ModelParts.Activation(config.StemAct)));

        var stages = RegisterModule("stages", new Sequential());
        int cin = stem;
        foreach (var stage in config.Stages)
        {
            var seq = new Sequential();
            foreach (var b in stage)
            {
                int exp = Ch(b.Expand), cout = Ch(b.Out);
                seq.Add(new InvertedResidual1d(cin, exp, cout, b.Kernel, b.Stride, b.Se, () => ModelParts.Activation(b.Act), rng, device));
                cin = cout;
            }
            stages.Add(seq);
            _stages.Add(seq);
        }

        int head = Ch(config.HeadChannels);
        Head = RegisterModule("head", new Sequential(
            new Conv1d(cin, head, 1, bias: false, rng: rng, device: device),
            new BatchNorm1d(head, device: device), ModelParts.Activation(config.HeadAct)));
        int feat = head;
        if (config.HiddenDim > 0)
        {
            int hidden = Ch(config.HiddenDim);
            Hidden = RegisterModule("hidden", new Linear(head, hidden, true, rng, device));
            feat = hidden;
        }
        HeadAct = ModelParts.Activation(config.HeadAct);
        Drop = RegisterModule("dropout", new Dropout(config.Dropout, rng.Fork()));
        Classifier = RegisterModule("classifier", new Linear(feat, spec.Classes, true, rng, device));
        ModelParts.MobileNetInit(this, rng);
    }

    public MobileNetConfig Config { get; }
    public double Width { get; }
    public Sequential Stem { get; }
    public Sequential Head { get; }
    public Linear? Hidden { get; }
    private Module HeadAct { get; }
    public Dropout Drop { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var h = Stem.Forward(x);
        var features = new List<NamedFeature>(_stages.Count);
        for (int s = 0; s < _stages.Count; s++)
        {
            h = _stages[s].Forward(h);
            features.Add(new NamedFeature($"stage{s + 1}", h));
        }
        var v = Head.Forward(h).GlobalAvgPool1d();
        if (Hidden != null) v = HeadAct.Forward(Hidden.Forward(v));
        var logits = Classifier.Forward(Drop.Forward(v));
        return new ModelOutput(logits, features, []);
    }

    protected override string ExtraRepr() => $"{Config.Version}, width={Width}";
}
