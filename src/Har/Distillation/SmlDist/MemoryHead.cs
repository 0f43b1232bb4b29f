using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.SmlDist;

/// <summary>
/// Modern-Hopfield memory head (the "memory" classifier of SMLDist): M learnable stored patterns Y (M, d);
/// association A = softmax(β · q(x) · k(Y)ᵀ) over the M slots; readout A · v(Y) (N, d) → Linear → K logits.
/// q: Linear(in → d), k, v: Linear(d → d). Input x is a vector (N, in); a (N, C, T) feature is pooled over time first.
/// </summary>
public sealed class MemoryHead : Module
{
    public MemoryHead(int inFeatures, int slots, int dim, int classes, float beta, Rng rng, Device device)
    {
        if (slots < 1 || dim < 1) throw new ArgumentException($"memory head: slots ({slots}) and dim ({dim}) must be >= 1");
        InFeatures = inFeatures; Slots = slots; Dim = dim; Beta = beta;
        Patterns = RegisterParameter("patterns", TensorScope.Unscoped(() => Tensor.Randn([slots, dim], rng, device, std: 1f)));
        Query = RegisterModule("q", new Linear(inFeatures, dim, true, rng, device));
        Key = RegisterModule("k", new Linear(dim, dim, true, rng, device));
        Value = RegisterModule("v", new Linear(dim, dim, true, rng, device));
        Out = RegisterModule("out", new Linear(dim, classes, true, rng, device));
    }

    public int InFeatures { get; }
    public int Slots { get; }
    public int Dim { get; }
    public float Beta { get; }
    public Tensor Patterns { get; }
    public Linear Query { get; }
    public Linear Key { get; }
    public Linear Value { get; }
    public Linear Out { get; }

    /// <summary>Logits (N, K) and the log-association log A (N, M).</summary>
    public (Tensor logits, Tensor logAssociation) Run(Tensor x)
    {
        var q = Query.Forward(SmlDistMath.Pool(x));          // (N, d)
        var k = Key.Forward(Patterns);                        // (M, d)
        var v = Value.Forward(Patterns);                      // (M, d)
        var scores = q.MatMul(k.T) * Beta;                    // (N, M)
        var logA = scores.LogSoftmax(-1);
        var readout = logA.Exp().MatMul(v);                   // (N, d)
        return (Out.Forward(readout), logA);
    }

    public override Tensor Forward(Tensor input) => Run(input).logits;

    /// <summary>Copies another head's memory (patterns, k, v, out; q too when the input widths match).</summary>
    public void CopyMemoryFrom(MemoryHead other)
    {
        if (other.Slots != Slots || other.Dim != Dim || other.Out.OutFeatures != Out.OutFeatures)
            throw new ArgumentException("memory heads differ in slots, dim or classes");
        var mine = StateDict();
        foreach (var (name, t) in other.StateDict())
        {
            if (name.StartsWith("q.", StringComparison.Ordinal) && other.InFeatures != InFeatures) continue;
            mine[name].CopyFrom(t);
        }
    }
}

/// <summary>Small shared tensor helpers of SMLDist and HMKD.</summary>
public static class SmlDistMath
{
    /// <summary>Global average over time for (N, C, T); vectors (N, D) unchanged; higher ranks flattened after pooling the last axis.</summary>
    public static Tensor Pool(Tensor f) => f.Rank switch
    {
        2 => f,
        3 => f.GlobalAvgPool1d(),
        _ => f.Flatten(1),
    };

    /// <summary>Width of a feature after <see cref="Pool"/>.</summary>
    public static int PooledWidth(int[] perWindowShape) => perWindowShape.Length switch
    {
        1 => perWindowShape[0],
        2 => perWindowShape[0],
        _ => perWindowShape.Aggregate(1, (a, b) => a * b),
    };
}
