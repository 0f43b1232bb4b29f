using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>
/// torch.nn.MultiheadAttention (batch_first=True): parameters in_proj_weight (3E, E), in_proj_bias (3E), out_proj.weight,
/// out_proj.bias; xavier-uniform projection weights and zero biases as in PyTorch. Dropout on the attention weights.
/// </summary>
public sealed class MultiheadAttention : Module
{
    private readonly Rng _rng;

    public MultiheadAttention(int embedDim, int numHeads, float dropout = 0f, bool bias = true, Rng? rng = null, Device? device = null)
    {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention({embedDim}, {numHeads}): embed dim must be a positive multiple of the head count");
        EmbedDim = embedDim; NumHeads = numHeads; Dropout = dropout;
        device ??= Device.Default;
        rng ??= Rng.Global;
        _rng = RegisterRng("rng", rng.Fork());
        InProjWeight = RegisterParameter("in_proj_weight", TensorScope.Unscoped(() => Tensor.Zeros([3 * embedDim, embedDim], device)));
        Init.XavierUniform(InProjWeight, rng: rng);
        if (bias) InProjBias = RegisterParameter("in_proj_bias", TensorScope.Unscoped(() => Tensor.Zeros([3 * embedDim], device)));
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, rng, device));
        if (OutProj.Bias != null) Init.Constant(OutProj.Bias, 0f);
    }

    public int EmbedDim { get; }
    public int NumHeads { get; }
    public float Dropout { get; }
    public Tensor InProjWeight { get; }
    public Tensor? InProjBias { get; }
    public Linear OutProj { get; }

    /// <summary>Self-attention of x (B, L, E).</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input);

    /// <summary>Attention of query (B, Lq, E) over key/value (B, Lk, E); masks as in <see cref="Ops.Attention.MultiHead"/>.</summary>
    public Tensor Forward(Tensor query, Tensor key, Tensor value, Tensor? additiveMask = null, Tensor? keyPaddingMask = null) =>
        Ops.Attention.MultiHead(query, key, value, NumHeads, InProjWeight, InProjBias, OutProj.Weight, OutProj.Bias,
            additiveMask, keyPaddingMask, Training ? Dropout : 0f, _rng);

    protected override string ExtraRepr() => $"embed={EmbedDim}, heads={NumHeads}{(Dropout > 0 ? $", dropout={Dropout}" : "")}";
}

/// <summary>
/// Additive (Bahdanau) attention pooling over time: score_t = vᵀ tanh(W h_t + b), α = softmax_t(score), out = Σ_t α_t h_t.
/// Input (B, T, F) → (B, F). Optional mask (B, T) with 1 for valid steps.
/// </summary>
public sealed class AttentionPooling : Module
{
    public AttentionPooling(int inputDim, int attentionDim, Rng? rng = null, Device? device = null)
    {
        Proj = RegisterModule("proj", new Linear(inputDim, attentionDim, true, rng, device));
        Score = RegisterModule("score", new Linear(attentionDim, 1, false, rng, device));
    }

    public Linear Proj { get; }
    public Linear Score { get; }

    public override Tensor Forward(Tensor input) => Forward(input, null);

    public Tensor Forward(Tensor input, Tensor? validMask) => Pool(input, validMask).output;

    /// <summary>The pooled features (B, F) and the attention weights (B, T).</summary>
    public (Tensor output, Tensor weights) Pool(Tensor input, Tensor? validMask = null)
    {
        if (input.Rank != 3) throw new ArgumentException($"AttentionPooling: input must be (batch, time, features), got {ShapeUtil.Format(input.Shape)}");
        var scores = Score.Forward(Proj.Forward(input).Tanh()).Squeeze(-1); // (B, T)
        if (validMask != null) scores = scores + (validMask - 1f) * -Ops.Attention.MaskedValue;
        var alpha = scores.Softmax(-1);
        var pooled = alpha.Unsqueeze(1).MatMul(input).Squeeze(1);
        return (pooled, alpha);
    }
}

/// <summary>
/// Layer normalisation over the last axis composed from mean/variance ops, with PyTorch's parameter names (weight, bias).
/// Private to the Transformer layer until the conv branch's fused LayerNorm lands; swap it then (same names and maths).
/// </summary>
internal sealed class ComposedLayerNorm : Module
{
    private readonly float _eps;

    public ComposedLayerNorm(int dim, float eps, Device? device)
    {
        _eps = eps;
        device ??= Device.Default;
        Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Ones([dim], device)));
        Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros([dim], device)));
    }

    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public override Tensor Forward(Tensor x)
    {
        var centered = x - x.Mean(-1, keepDim: true);
        var variance = centered.Square().Mean(-1, keepDim: true);
        return centered / (variance + _eps).Sqrt() * Weight + Bias;
    }
}

/// <summary>
/// torch.nn.TransformerEncoderLayer (batch_first=True): self-attention and a two-layer MLP, each with a residual
/// connection, LayerNorm after (post-norm, PyTorch's default) or before (norm_first) each block. Parameter names match
/// PyTorch (self_attn.*, linear1, linear2, norm1, norm2). GELU is the tanh approximation (PyTorch's default GELU is exact
/// erf; the two differ by &lt; 1e-3).
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    private readonly Rng _rng;

    public TransformerEncoderLayer(int dModel, int nHead, int dimFeedforward = 2048, float dropout = 0.1f, bool normFirst = false,
        bool gelu = true, float layerNormEps = 1e-5f, Rng? rng = null, Device? device = null)
    {
        rng ??= Rng.Global;
        _rng = RegisterRng("rng", rng.Fork());
        DropoutP = dropout; NormFirst = normFirst; Gelu = gelu;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nHead, dropout, true, rng, device));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, true, rng, device));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, true, rng, device));
        Norm1 = RegisterModule("norm1", new ComposedLayerNorm(dModel, layerNormEps, device));
        Norm2 = RegisterModule("norm2", new ComposedLayerNorm(dModel, layerNormEps, device));
    }

    public MultiheadAttention SelfAttn { get; }
    public Linear Linear1 { get; }
    public Linear Linear2 { get; }
    internal Module Norm1 { get; }
    internal Module Norm2 { get; }
    public float DropoutP { get; }
    public bool NormFirst { get; }
    public bool Gelu { get; }

    private Tensor Drop(Tensor x) => Training ? Ops.Attention.Dropout(x, DropoutP, _rng) : x;

    public override Tensor Forward(Tensor x) => Forward(x, null, null);

    /// <summary>x (B, L, d_model); masks as in <see cref="MultiheadAttention.Forward(Tensor, Tensor, Tensor, Tensor?, Tensor?)"/>.</summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask, Tensor? keyPaddingMask)
    {
        Tensor Sa(Tensor t) => Drop(SelfAttn.Forward(t, t, t, additiveMask, keyPaddingMask));
        Tensor Ff(Tensor t) => Drop(Linear2.Forward(Drop(Linear1.Forward(t).Apply(Gelu ? UnaryOp.Gelu : UnaryOp.Relu))));
        if (NormFirst)
        {
            x = x + Sa(Norm1.Forward(x));
            return x + Ff(Norm2.Forward(x));
        }
        x = Norm1.Forward(x + Sa(x));
        return Norm2.Forward(x + Ff(x));
    }
}

/// <summary>
/// Fixed sinusoidal positional encoding (Vaswani et al.): pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(...),
/// kept as buffer "pe" (maxLen, d). Adds to x (B, L, d) (or (L, B, d) when not batch-first), then dropout.
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    private readonly Rng _rng;

    public SinusoidalPositionalEncoding(int dModel, int maxLen = 5000, float dropout = 0f, bool batchFirst = true, Rng? rng = null, Device? device = null)
    {
        _rng = RegisterRng("rng", (rng ?? Rng.Global).Fork());
        DropoutP = dropout; BatchFirst = batchFirst;
        var pe = new float[maxLen * dModel];
        for (int p = 0; p < maxLen; p++)
        for (int i = 0; i < dModel; i++)
        {
            double freq = Math.Pow(10000.0, -(i - i % 2) / (double)dModel);
            pe[p * dModel + i] = (float)(i % 2 == 0 ? Math.Sin(p * freq) : Math.Cos(p * freq));
        }
        Pe = RegisterBuffer("pe", TensorScope.Unscoped(() => Tensor.FromArray(pe, [maxLen, dModel], device ?? Device.Default)));
    }

    public Tensor Pe { get; }
    public float DropoutP { get; }
    public bool BatchFirst { get; }

    public override Tensor Forward(Tensor x) => PositionalAdd(x, Pe, BatchFirst, Training ? DropoutP : 0f, _rng);

    internal static Tensor PositionalAdd(Tensor x, Tensor table, bool batchFirst, float dropout, Rng rng)
    {
        if (x.Rank != 3) throw new ArgumentException($"positional encoding: input must be 3-D, got {ShapeUtil.Format(x.Shape)}");
        int len = batchFirst ? x.Shape[1] : x.Shape[0];
        if (len > table.Shape[0]) throw new ArgumentException($"positional encoding: sequence of {len} exceeds max length {table.Shape[0]}");
        var pe = table.Slice(0, 0, len);
        if (!batchFirst) pe = pe.Unsqueeze(1);
        return Ops.Attention.Dropout(x + pe, dropout, rng);
    }
}

/// <summary>Learned positional embedding: parameter "weight" (maxLen, d), N(0, 0.02²) initialised, added to x (B, L, d).</summary>
public sealed class LearnedPositionalEncoding : Module
{
    private readonly Rng _rng;

    public LearnedPositionalEncoding(int dModel, int maxLen, float dropout = 0f, bool batchFirst = true, Rng? rng = null, Device? device = null)
    {
        rng ??= Rng.Global;
        _rng = RegisterRng("rng", rng.Fork());
        DropoutP = dropout; BatchFirst = batchFirst;
        Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Zeros([maxLen, dModel], device ?? Device.Default)));
        Init.Normal(Weight, 0f, 0.02f, rng);
    }

    public Tensor Weight { get; }
    public float DropoutP { get; }
    public bool BatchFirst { get; }

    public override Tensor Forward(Tensor x) => SinusoidalPositionalEncoding.PositionalAdd(x, Weight, BatchFirst, Training ? DropoutP : 0f, _rng);
}
