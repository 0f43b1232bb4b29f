using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>
/// SP, similarity-preserving KD (Tung &amp; Mori 2019; RepDistiller <c>Similarity</c>): with F the flattened feature (N, ·),
/// G = row-normalise(F·Fᵀ) (each row divided by its L2 norm), <c>L = CE(s, y) + β·‖G_t − G_s‖²_F / N²</c>.
/// Works on any feature shapes (the Gram matrices are N × N). Defaults β = 3000, the last feature of each network
/// (<c>s_feat = t_feat = -1</c>; RepDistiller takes the last stage map before pooling).
/// </summary>
public sealed class SpLoss : BaselineLoss
{
    public SpLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        Pair = BaselineFeatures.Pair(setup, o.I("s_feat"), o.I("t_feat"), "sp");
        Describe("pairing", Pair + " (flattened)");
    }

    public float Beta { get; }
    public FeaturePair Pair { get; }
    public override string Method => "sp";

    public static Tensor Gram(Tensor f)
    {
        var x = f.Flatten(1);
        return BaselineFeatures.L2Normalize(x.MatMul(x.T), 1);
    }

    public static Tensor Similarity(Tensor fs, Tensor ft)
    {
        int n = fs.Shape[0];
        return (Gram(ft) - Gram(fs)).Square().Sum() * (1f / ((float)n * n));
    }

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Similarity(
        BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student"),
        BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher").Detach()) * Beta;
}

/// <summary>
/// CC, correlation congruence (Peng et al. 2019), the RepDistiller form: both last features (maps global-average-pooled to
/// vectors) are embedded by learned linear layers to feat_dim, e_s and e_t; with δ = |e_s − e_t|,
/// <c>L = CE(s, y) + β·mean_{i=0..N−2} Σ_d δ_{i,d}·δ_{i+1,d}</c> (consecutive samples of the batch; 0 for a batch of one).
/// Both embeddings train. Defaults β = 0.02, feat_dim = 128.
/// </summary>
public sealed class CcLoss : BaselineLoss
{
    public CcLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        int dim = o.I("feat_dim");
        if (dim < 1) throw new ArgumentException($"cc: feat_dim must be positive, got {dim}");
        Pair = BaselineFeatures.Pair(setup, -1, -1, "cc");
        EmbedS = RegisterModule("embed_s", new Linear(BaselineFeatures.VectorDim(Pair.Student), dim, true, setup.Rng, setup.Device));
        EmbedT = RegisterModule("embed_t", new Linear(BaselineFeatures.VectorDim(Pair.Teacher), dim, true, setup.Rng, setup.Device));
        Describe("pairing", Pair + " (pooled to vectors)");
    }

    public float Beta { get; }
    public FeaturePair Pair { get; }
    public Linear EmbedS { get; }
    public Linear EmbedT { get; }
    public override string Method => "cc";

    public static Tensor Correlation(Tensor es, Tensor et)
    {
        int n = es.Shape[0];
        if (n < 2) return (es * 0f).Sum();
        var d = (es - et).Abs();
        return (d.Slice(0, 0, n - 1) * d.Slice(0, 1, n - 1)).Sum(1).Mean();
    }

    public Tensor Term(DistillBatch b)
    {
        var fs = BaselineFeatures.ToVector(BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student"));
        var ft = BaselineFeatures.ToVector(BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher").Detach());
        return Correlation(EmbedS.Forward(fs), EmbedT.Forward(ft));
    }

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}

/// <summary>
/// RKD, relational KD (Park et al. 2019; RepDistiller <c>RKDLoss</c>) on the last features pooled to vectors:
/// distance term SmoothL1(ψ_D(s), ψ_D(t)) with ψ_D the pairwise Euclidean distances divided by their mean over distinct
/// pairs; angle term SmoothL1(ψ_A(s), ψ_A(t)) with ψ_A(i, j, k) = ⟨e_ij, e_ik⟩ for unit difference vectors
/// e_ij = normalize(x_j − x_i); teacher side without gradient.
/// <c>L = CE(s, y) + β·(w_d·distance + w_a·angle)</c>. Defaults w_d = 25, w_a = 50, β = 1.
/// </summary>
public sealed class RkdLoss : BaselineLoss
{
    public RkdLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta"); WDist = o.F("w_dist"); WAngle = o.F("w_angle");
        Pair = BaselineFeatures.Pair(setup, -1, -1, "rkd");
        Describe("pairing", Pair + " (pooled to vectors)");
    }

    public float Beta { get; }
    public float WDist { get; }
    public float WAngle { get; }
    public FeaturePair Pair { get; }
    public override string Method => "rkd";

    /// <summary>Pairwise distances (N, N), sqrt(clamp(‖x_i − x_j‖², 1e-12)), zero diagonal.</summary>
    public static Tensor PairwiseDistance(Tensor x)
    {
        int n = x.Shape[0];
        var sq = x.Square().Sum(1);
        var d2 = sq.Unsqueeze(1) + sq.Unsqueeze(0) - x.MatMul(x.T) * 2f;
        return d2.Clamp(1e-12f, float.MaxValue).Sqrt() * OffDiagonal(n, x);
    }

    private static Tensor OffDiagonal(int n, Tensor like)
    {
        var m = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i * n + j] = i == j ? 0f : 1f;
        return Tensor.FromArray(m, [n, n], like.Device);
    }

    /// <summary>Distances divided by their mean over the N(N−1) distinct pairs.</summary>
    public static Tensor NormalizedDistance(Tensor x)
    {
        int n = x.Shape[0];
        var d = PairwiseDistance(x);
        return d / (d.Sum() * (1f / (n * (n - 1f))));
    }

    /// <summary>ψ_A: (N, N, N), entry (i, j, k) = ⟨normalize(x_j − x_i), normalize(x_k − x_i)⟩.</summary>
    public static Tensor Angles(Tensor x)
    {
        var diff = x.Unsqueeze(0) - x.Unsqueeze(1);
        var e = BaselineFeatures.L2Normalize(diff, 2);
        return e.MatMul(e.Transpose(1, 2));
    }

    public static (Tensor distance, Tensor angle) Terms(Tensor s, Tensor t)
    {
        if (s.Shape[0] < 2) { var z = (s * 0f).Sum(); return (z, z); }
        var t0 = t.Detach();
        return (BaselineFeatures.SmoothL1(NormalizedDistance(s), NormalizedDistance(t0).Detach()),
            BaselineFeatures.SmoothL1(Angles(s), Angles(t0).Detach()));
    }

    public Tensor Term(DistillBatch b)
    {
        var (dist, angle) = Terms(BaselineFeatures.ToVector(BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student")),
            BaselineFeatures.ToVector(BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher")));
        return dist * WDist + angle * WAngle;
    }

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}

/// <summary>
/// PKT, probabilistic knowledge transfer (Passalis &amp; Tefas 2018; RepDistiller <c>PKT</c>) on the last features pooled
/// to vectors: x̂ = x / (‖x‖ + ε); cosine similarities K = x̂x̂ᵀ mapped to (K + 1)/2 and row-normalised into conditional
/// probabilities P (student) and Q (teacher); <c>L = CE(s, y) + β·mean_{i,j} Q_ij·log((Q_ij + ε)/(P_ij + ε))</c>.
/// Defaults β = 30000, ε = 1e-7.
/// </summary>
public sealed class PktLoss : BaselineLoss
{
    public const float Eps = 1e-7f;

    public PktLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        Pair = BaselineFeatures.Pair(setup, -1, -1, "pkt");
        Describe("pairing", Pair + " (pooled to vectors)");
    }

    public float Beta { get; }
    public FeaturePair Pair { get; }
    public override string Method => "pkt";

    public static Tensor Conditional(Tensor x)
    {
        // ‖x‖ through a clamp at 1e-30 so an all-zero row (possible after ReLU) has a zero, not infinite, gradient
        var norm = x.Square().Sum(1, keepDim: true).Clamp(1e-30f, float.MaxValue).Sqrt();
        var xn = x / (norm + Eps);
        var sim = (xn.MatMul(xn.T) + 1f) * 0.5f;
        return sim / sim.Sum(1, keepDim: true);
    }

    public static Tensor Divergence(Tensor s, Tensor t)
    {
        var p = Conditional(s);
        var q = Conditional(t.Detach()).Detach();
        return (q * ((q + Eps).Log() - (p + Eps).Log())).Mean();
    }

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Divergence(
        BaselineFeatures.ToVector(BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student")),
        BaselineFeatures.ToVector(BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher"))) * Beta;
}
