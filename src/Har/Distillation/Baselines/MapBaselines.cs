using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>
/// Pairs of maps for the activation-map methods (AT, NST): maps (N, C, T) keep their time axis and the longer is
/// adaptive-average-pooled to the shorter length (RepDistiller's rule). A vector feature (N, D) has no time axis; when
/// either side of a pair is a vector, both sides are global-average-pooled to vectors and each vector is read as a
/// one-channel map over its D units, (N, 1, D), pooled to the shorter width — a documented fallback so the methods run
/// on MLP students.
/// </summary>
public static class MapPairs
{
    public static (Tensor s, Tensor t) Align(Tensor fs, Tensor ft)
    {
        if (fs.Rank == 3 && ft.Rank == 3) return BaselineFeatures.PoolToShorter(fs, ft);
        return BaselineFeatures.PoolToShorter(BaselineFeatures.ToVector(fs).Unsqueeze(1), BaselineFeatures.ToVector(ft).Unsqueeze(1));
    }
}

/// <summary>
/// AT, attention transfer (Zagoruyko &amp; Komodakis 2017; RepDistiller <c>Attention</c>): the attention map of a feature
/// f (N, C, T) is a(f) = normalize_T(mean_c f^p), and <c>L = CE(s, y) + β·Σ_pairs mean_{n,t} (a(f_s) − a(f_t))²</c>, after
/// pooling the longer map to the shorter length. Defaults β = 1000, p = 2, pairs = 3 (the last three features of each
/// network aligned from the end; RepDistiller uses every intermediate stage).
/// </summary>
public sealed class AtLoss : BaselineLoss
{
    public AtLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta"); P = o.F("p");
        Pairs = BaselineFeatures.LastPairs(setup, o.I("pairs"), "at");
        Describe("pairing", string.Join("; ", Pairs));
    }

    public float Beta { get; }
    public float P { get; }
    public IReadOnlyList<FeaturePair> Pairs { get; }
    public override string Method => "at";

    /// <summary>normalize(mean_c f^p) over time: (N, C, T) → (N, T).</summary>
    public Tensor AttentionMap(Tensor f)
    {
        var powered = P == 2f ? f.Square() : f.Abs().Pow(P);
        return BaselineFeatures.L2Normalize(powered.Mean(1), 1);
    }

    public Tensor PairLoss(Tensor fs, Tensor ft)
    {
        var (s, t) = MapPairs.Align(fs, ft);
        return (AttentionMap(s) - AttentionMap(t)).Square().Mean();
    }

    public Tensor Term(DistillBatch b) => BaselineFeatures.SumOverPairs(b, Pairs, (_, fs, ft) => PairLoss(fs, ft));

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}

/// <summary>
/// NST, neuron selectivity transfer (Huang &amp; Wang 2017; RepDistiller <c>NSTLoss</c>): each channel's time profile is
/// L2-normalised, f̂ (N, C, T), and with the polynomial kernel k(a, b) = (aᵀb)² over channel pairs,
/// <c>MMD² = mean k(f̂_t, f̂_t) + mean k(f̂_s, f̂_s) − 2·mean k(f̂_s, f̂_t)</c> (the teacher-teacher term detached);
/// <c>L = CE(s, y) + β·Σ_pairs MMD²</c>. Longer maps are pooled to the shorter length. Defaults β = 50, pairs = 3.
/// </summary>
public sealed class NstLoss : BaselineLoss
{
    public NstLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        Pairs = BaselineFeatures.LastPairs(setup, o.I("pairs"), "nst");
        Describe("pairing", string.Join("; ", Pairs));
    }

    public float Beta { get; }
    public IReadOnlyList<FeaturePair> Pairs { get; }
    public override string Method => "nst";

    /// <summary>Mean over (n, i, j) of (a_i · b_j)², a (N, Ca, T), b (N, Cb, T).</summary>
    public static Tensor PolyKernelMean(Tensor a, Tensor b) => a.MatMul(b.Transpose(1, 2)).Square().Mean();

    public static Tensor PairLoss(Tensor fs, Tensor ft)
    {
        var (s, t) = MapPairs.Align(fs, ft);
        s = BaselineFeatures.L2Normalize(s, 2);
        t = BaselineFeatures.L2Normalize(t, 2);
        return PolyKernelMean(t, t).Detach() + PolyKernelMean(s, s) - PolyKernelMean(s, t) * 2f;
    }

    public Tensor Term(DistillBatch b) => BaselineFeatures.SumOverPairs(b, Pairs, (_, fs, ft) => PairLoss(fs, ft));

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}
