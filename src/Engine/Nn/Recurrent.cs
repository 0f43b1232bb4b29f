using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>
/// Shared parameter layout of <see cref="Lstm"/> and <see cref="Gru"/>: PyTorch names (weight_ih_l{k}, weight_hh_l{k},
/// bias_ih_l{k}, bias_hh_l{k}, with a _reverse suffix for the backward direction) and PyTorch's initialisation
/// U(−1/√H, 1/√H) for every tensor, so checkpoints are interchangeable with torch.nn.LSTM/GRU.
/// </summary>
public abstract class RecurrentBase : Module
{
    private readonly List<Tensor> _flat = new();

    protected RecurrentBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bidirectional, bool batchFirst, bool bias, Rng? rng, Device? device)
    {
        if (inputSize <= 0 || hiddenSize <= 0 || numLayers <= 0)
            throw new ArgumentException($"{GetType().Name}({inputSize}, {hiddenSize}, layers {numLayers}): sizes must be positive");
        InputSize = inputSize; HiddenSize = hiddenSize; NumLayers = numLayers; Bidirectional = bidirectional; BatchFirst = batchFirst; HasBias = bias;
        device ??= Device.Default;
        int D = bidirectional ? 2 : 1;
        float bound = 1f / MathF.Sqrt(hiddenSize);
        for (int l = 0; l < numLayers; l++)
        for (int d = 0; d < D; d++)
        {
            string sfx = $"_l{l}" + (d == 1 ? "_reverse" : "");
            int inF = l == 0 ? inputSize : hiddenSize * D;
            Tensor P(string name, int[] shape)
            {
                var t = RegisterParameter(name + sfx, TensorScope.Unscoped(() => Tensor.Zeros(shape, device)));
                Init.Uniform(t, -bound, bound, rng);
                _flat.Add(t);
                return t;
            }
            P("weight_ih", [gates * hiddenSize, inF]);
            P("weight_hh", [gates * hiddenSize, hiddenSize]);
            if (bias) { P("bias_ih", [gates * hiddenSize]); P("bias_hh", [gates * hiddenSize]); }
        }
    }

    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool Bidirectional { get; }
    public bool BatchFirst { get; }
    public bool HasBias { get; }

    /// <summary>All weights in PyTorch's flat order (per layer, per direction: w_ih, w_hh, b_ih, b_hh).</summary>
    public IReadOnlyList<Tensor> FlatWeights => _flat;

    protected override string ExtraRepr() =>
        $"{InputSize}, {HiddenSize}, layers={NumLayers}{(Bidirectional ? ", bidirectional" : "")}{(BatchFirst ? ", batch_first" : "")}{(HasBias ? "" : ", no bias")}";
}

/// <summary>torch.nn.LSTM: multi-layer, optionally bidirectional; input (T, B, in) or (B, T, in) when batch-first.</summary>
public sealed class Lstm(int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool batchFirst = false, bool bias = true,
    Rng? rng = null, Device? device = null) : RecurrentBase(4, inputSize, hiddenSize, numLayers, bidirectional, batchFirst, bias, rng, device)
{
    /// <summary>The output sequence (features D·H).</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null, null).output;

    /// <summary>Output, and the final states (layers·D, B, H); h0/c0 default to zeros.</summary>
    public (Tensor output, Tensor hN, Tensor cN) Forward(Tensor input, Tensor? h0, Tensor? c0) =>
        Ops.Recurrent.Lstm(input, FlatWeights, NumLayers, Bidirectional, BatchFirst, h0, c0, HasBias);
}

/// <summary>torch.nn.GRU: multi-layer, optionally bidirectional; input (T, B, in) or (B, T, in) when batch-first.</summary>
public sealed class Gru(int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false, bool batchFirst = false, bool bias = true,
    Rng? rng = null, Device? device = null) : RecurrentBase(3, inputSize, hiddenSize, numLayers, bidirectional, batchFirst, bias, rng, device)
{
    public override Tensor Forward(Tensor input) => Forward(input, null).output;

    public (Tensor output, Tensor hN) Forward(Tensor input, Tensor? h0) =>
        Ops.Recurrent.Gru(input, FlatWeights, NumLayers, Bidirectional, BatchFirst, h0, HasBias);
}
