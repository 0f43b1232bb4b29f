using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// Transformer-encoder teacher: patch embedding (Conv1d C → d_model 64, kernel = stride = patch 4, so T/4 tokens),
/// sinusoidal positional encoding, three pre-norm encoder layers (4 heads, feed-forward 128, GELU, dropout 0.1),
/// final LayerNorm, mean over tokens, linear classifier.
/// <para>Features, in order: "embed" — the patch embedding with positions, (N, 64, T/4); "encoder1".."encoder3" — each
/// layer's output, (N, 64, T/4) (tokens as the time axis, channels-first). No auxiliary logits.</para>
/// </summary>
public sealed class TransformerModel : HarModel
{
    private readonly List<TransformerEncoderLayer> _layers = new();

    public TransformerModel(ModelSpec spec, Rng rng, Device? device = null, int dModel = 64, int heads = 4, int layers = 3,
        int feedForward = 128, int patch = 4, float dropout = 0.1f) : base(spec)
    {
        device ??= Device.Default;
        if (spec.Length < patch) throw new ArgumentException($"{spec.Name}: window length {spec.Length} is shorter than the patch {patch}");
        Tokens = (spec.Length - patch) / patch + 1;
        Embed = RegisterModule("embed", new Conv1d(spec.Channels, dModel, patch, patch, 0, rng: rng, device: device));
        Position = RegisterModule("position", new SinusoidalPositionalEncoding(dModel, Tokens, dropout, true, rng, device));
        var enc = RegisterModule("encoder", new Sequential());
        for (int i = 0; i < layers; i++)
        {
            var l = new TransformerEncoderLayer(dModel, heads, feedForward, dropout, normFirst: true, gelu: true, rng: rng, device: device);
            enc.Add(l);
            _layers.Add(l);
        }
        Norm = RegisterModule("norm", new LayerNorm(dModel, device: device));
        Classifier = RegisterModule("classifier", new Linear(dModel, spec.Classes, true, rng, device));
    }

    public int Tokens { get; }
    public Conv1d Embed { get; }
    public SinusoidalPositionalEncoding Position { get; }
    public LayerNorm Norm { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var h = Position.Forward(Embed.Forward(x).Transpose(1, 2)); // (N, L, d)
        var features = new List<NamedFeature> { new("embed", ModelParts.ChannelsFirst(h)) };
        for (int i = 0; i < _layers.Count; i++)
        {
            h = _layers[i].Forward(h);
            features.Add(new NamedFeature($"encoder{i + 1}", ModelParts.ChannelsFirst(h)));
        }
        var logits = Classifier.Forward(Norm.Forward(h).Mean(1));
        return new ModelOutput(logits, features, []);
    }
}
