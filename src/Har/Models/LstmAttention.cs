using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>
/// LSTM over time with scaled dot-product attention pooling of its outputs: x (N, C, T) is read as a sequence of T
/// steps of C features; the LSTM (hidden H) gives outputs o_1..o_T; the query is a projection of the last output
/// (q = W_q o_T), keys and values projections of all outputs (k_t = W_k o_t, v_t = W_v o_t), and the pooled vector is
/// softmax(q·kᵀ/√H)·v (N, H). Parameter names: lstm.* (PyTorch's), query, key, value.
/// </summary>
public sealed class LstmAttentionBranch : Module
{
    public LstmAttentionBranch(int inputSize, int hidden, int layers, Rng rng, Device device)
    {
        Hidden = hidden;
        Lstm = RegisterModule("lstm", new Lstm(inputSize, hidden, layers, batchFirst: true, rng: rng, device: device));
        Query = RegisterModule("query", new Linear(hidden, hidden, true, rng, device));
        Key = RegisterModule("key", new Linear(hidden, hidden, true, rng, device));
        Value = RegisterModule("value", new Linear(hidden, hidden, true, rng, device));
    }

    public int Hidden { get; }
    public Lstm Lstm { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }

    public override Tensor Forward(Tensor input) => Run(input).pooled;

    /// <summary>The LSTM outputs (N, T, H), the last output (N, H) and the attention-pooled vector (N, H).</summary>
    public (Tensor sequence, Tensor last, Tensor pooled) Run(Tensor x)
    {
        var seq = Lstm.Forward(x.Transpose(1, 2)); // (N, T, H)
        int t = seq.Shape[1];
        var last = seq.Slice(1, t - 1, 1);        // (N, 1, H)
        var pooled = Engine.Ops.Attention.ScaledDotProduct(Query.Forward(last), Key.Forward(seq), Value.Forward(seq)); // (N, 1, H)
        return (seq, last.Squeeze(1), pooled.Squeeze(1));
    }
}

/// <summary>
/// LSTM-attention teacher: a two-layer LSTM (hidden 128) over time, attention pooling of its outputs
/// (<see cref="LstmAttentionBranch"/>), and a linear classifier on [last output, pooled] (2H).
/// <para>Features, in order: "lstm" — the LSTM outputs channels-first, (N, H, T); "attention" — the pooled vector,
/// (N, H). No auxiliary logits.</para>
/// </summary>
public sealed class LstmAttentionModel : HarModel
{
    public LstmAttentionModel(ModelSpec spec, Rng rng, Device? device = null, int hidden = 128, int layers = 2) : base(spec)
    {
        device ??= Device.Default;
        Branch = RegisterModule("branch", new LstmAttentionBranch(spec.Channels, hidden, layers, rng, device));
        Classifier = RegisterModule("classifier", new Linear(2 * hidden, spec.Classes, true, rng, device));
    }

    public LstmAttentionBranch Branch { get; }
    public Linear Classifier { get; }

    public override ModelOutput Run(Tensor x)
    {
        CheckInput(x);
        var (seq, last, pooled) = Branch.Run(x);
        var logits = Classifier.Forward(Tensor.Concat([last, pooled], 1));
        return new ModelOutput(logits, [new("lstm", ModelParts.ChannelsFirst(seq)), new("attention", pooled)], []);
    }
}
