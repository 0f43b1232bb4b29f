using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// The Wang–Yan–Oates (2017) MLP baseline, HMKD's student: flatten → dropout 0.1 → fc1 (500) ReLU → dropout 0.2 →
/// fc2 (500) ReLU → dropout 0.2 → fc3 (500) ReLU → dropout 0.3 → classifier (K). Drop rates, not keep rates.
/// Parameters: (C·T·500 + 500) + 2·(500·500 + 500) + (500·K + K).
/// <para>Features, in order: "fc1", "fc2", "fc3" — the hidden activations after ReLU (before dropout), (N, 500) each.
/// No auxiliary logits.</para>
/// </summary>
public sealed class Mlp : HarModel
{
    public const int Hidden = 500;

    public Mlp(ModelSpec spec, Rng rng, Device? device = null, int hidden = Hidden) : base(spec)
    {
        device ??= Device.Default;
        int inF = spec.Channels * spec.Length;
        Drop0 = RegisterModule("drop0", new Dropout(0.1f, rng.Fork()));
        Fc1 = RegisterModule("fc1", new Linear(inF, hidden, true, rng, device));
        Drop1 = RegisterModule("drop1", new Dropout(0.2f, rng.Fork()));
        Fc2 = RegisterModule("fc2", new Linear(hidden, hidden, true, rng, device));
        Drop2 = RegisterModule("drop2", new Dropout(0.2f, rng.Fork()));
        Fc3 = RegisterModule("fc3", new Linear(hidden, hidden, true, rng, device));
        Drop3 = RegisterModule("drop3", new Dropout(0.3f, rng.Fork()));
        Classifier = RegisterModule("classifier", new Linear(hidden, spec.Classes, true, rng, device));
    }

    public Dropout Drop0 { get; }
    public Linear Fc1 { get; }
    public Dropout Drop1 { get; }
    public Linear Fc2 { get; }
    public Dropout Drop2 { get; }
    public Linear Fc3 { get; }
    public Dropout Drop3 { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var h1 = Fc1.Forward(Drop0.Forward(x.Flatten(1))).Relu();
        var h2 = Fc2.Forward(Drop1.Forward(h1)).Relu();
        var h3 = Fc3.Forward(Drop2.Forward(h2)).Relu();
        var logits = Classifier.Forward(Drop3.Forward(h3));
        return new ModelOutput(logits, [new("fc1", h1), new("fc2", h2), new("fc3", h3)], []);
    }
}
