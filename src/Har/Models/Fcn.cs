using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// The fully convolutional network of Wang–Yan–Oates (2017): three blocks of Conv1d ("same" padding, stride 1) → BN →
/// ReLU with 128/256/128 channels and kernels 8/5/3, global average pooling, linear classifier.
/// <para>Features, in order: "block1" (N, 128, T), "block2" (N, 256, T), "block3" (N, 128, T) — the block outputs
/// after ReLU. No auxiliary logits. Channels scale with <c>width</c> (1 by default).</para>
/// </summary>
public sealed class Fcn : HarModel
{
    public Fcn(ModelSpec spec, Rng rng, Device? device = null, double width = 1.0) : base(spec)
    {
        device ??= Device.Default;
        int c1 = Math.Max(8, (int)Math.Round(128 * width)), c2 = Math.Max(8, (int)Math.Round(256 * width));
        Block1 = RegisterModule("block1", ModelParts.ConvBn(spec.Channels, c1, 8, rng, device, relu: true));
        Block2 = RegisterModule("block2", ModelParts.ConvBn(c1, c2, 5, rng, device, relu: true));
        Block3 = RegisterModule("block3", ModelParts.ConvBn(c2, c1, 3, rng, device, relu: true));
        Classifier = RegisterModule("classifier", new Linear(c1, spec.Classes, true, rng, device));
    }

    public Sequential Block1 { get; }
    public Sequential Block2 { get; }
    public Sequential Block3 { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var b1 = Block1.Forward(x);
        var b2 = Block2.Forward(b1);
        var b3 = Block3.Forward(b2);
        var logits = Classifier.Forward(b3.GlobalAvgPool1d());
        return new ModelOutput(logits, [new("block1", b1), new("block2", b2), new("block3", b3)], []);
    }
}
