using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>
/// KD (Hinton et al. 2015), as RepDistiller's <c>DistillKL</c> with its KD script:
/// <c>L = (1 − α)·CE(s, y) + α·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))</c>, KL summed over classes and averaged over the batch.
/// Defaults α = 0.9, τ = 4. With <c>--soft-class-weights</c> each window's KL counts its class weight (as its CE does).
/// </summary>
public sealed class KdLoss : BaselineLoss
{
    public KdLoss(MethodOptions o) : base(o)
    {
        Alpha = o.F("alpha");
        Tau = o.F("tau");
        if (Tau <= 0) throw new ArgumentException($"kd: tau must be positive, got {Tau}");
    }

    public float Alpha { get; }
    public float Tau { get; }
    public override string Method => "kd";

    public override Tensor Loss(DistillBatch b)
    {
        var ce = BaselineFeatures.StudentCe(b);
        var kl = Losses.KlDivergenceWithLogits(b.Student.Logits, b.Teacher.Logits.Detach(), Tau, b.SoftWeights);
        return ce * (1f - Alpha) + kl * Alpha;
    }
}

/// <summary>
/// DKD, decoupled KD (Zhao et al. 2022; the <c>dkd_loss</c> of mdistiller and of ETBiDecSD's <c>decouple_loss.py</c>):
/// with p = softmax(z/τ), the binary distribution b = [p_gt, 1 − p_gt] and the non-target distribution
/// p̂ = softmax(z/τ − 1000·onehot(y)),
/// <c>L = CE(s, y) + w(e)·τ²·(α·KL(b_t ‖ b_s) + β·KL(p̂_t ‖ p̂_s))</c>, w(e) = min(e / warmup, 1) for epoch e (1-based).
/// Defaults α = 1, β = 8, τ = 4, warmup = 20 epochs (mdistiller's CIFAR setting).
/// </summary>
public sealed class DkdLoss : BaselineLoss
{
    public DkdLoss(MethodOptions o) : base(o)
    {
        Alpha = o.F("alpha"); Beta = o.F("beta"); Tau = o.F("tau"); Warmup = o.F("warmup");
        if (Tau <= 0) throw new ArgumentException($"dkd: tau must be positive, got {Tau}");
    }

    public float Alpha { get; }
    public float Beta { get; }
    public float Tau { get; }
    public float Warmup { get; }
    public override string Method => "dkd";

    /// <summary>The distillation weight at an epoch: min(epoch / warmup, 1) (1 when warmup ≤ 0).</summary>
    public float WarmupFactor(int epoch) => Warmup <= 0 ? 1f : Math.Min(epoch / Warmup, 1f);

    public override Tensor Loss(DistillBatch b)
    {
        var ce = BaselineFeatures.StudentCe(b);
        return ce + Decoupled(b.Student.Logits, b.Teacher.Logits.Detach(), b.Labels, Alpha, Beta, Tau, b.SoftWeights) * WarmupFactor(b.Epoch);
    }

    /// <summary>τ²·(α·TCKD + β·NCKD), batch mean (row-weighted with <paramref name="rowWeights"/>).</summary>
    public static Tensor Decoupled(Tensor student, Tensor teacher, int[] labels, float alpha, float beta, float tau, float[]? rowWeights = null)
    {
        int n = student.Shape[0], c = student.Shape[1];
        var gt = new float[n * c];
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)c) throw new ArgumentOutOfRangeException(nameof(labels), $"dkd: label {labels[i]} outside [0, {c})");
            gt[i * c + labels[i]] = 1f;
        }
        var gtMask = Tensor.FromArray(gt, [n, c], student.Device);
        var otherMask = 1f - gtMask;
        var zs = student / tau;
        var zt = teacher / tau;
        var ps = zs.Softmax(-1);
        var pt = zt.Softmax(-1);
        var bs = Tensor.Concat([(ps * gtMask).Sum(1, keepDim: true), (ps * otherMask).Sum(1, keepDim: true)], 1);
        var bt = Tensor.Concat([(pt * gtMask).Sum(1, keepDim: true), (pt * otherMask).Sum(1, keepDim: true)], 1);
        var tckd = Losses.KlDivergence(bs.Clamp(1e-30f, float.MaxValue).Log(), bt, rowWeights);
        var ptNon = (zt - gtMask * 1000f).Softmax(-1);
        var logPsNon = (zs - gtMask * 1000f).LogSoftmax(-1);
        var nckd = Losses.KlDivergence(logPsNon, ptNon, rowWeights);
        return (tckd * alpha + nckd * beta) * (tau * tau);
    }
}

/// <summary>
/// DML, deep mutual learning (Zhang et al. 2018) between the student and the teacher, both trained:
/// <c>L = CE(s, y) + w·τ²·KL(sg(p_t) ‖ p_s) + CE(t, y) + w·τ²·KL(sg(p_s) ‖ p_t)</c>, p = softmax(z/τ), sg = stop-gradient,
/// so each network's parameters get its own CE and its own mimicry term only. Defaults w = 1, τ = 1 (the paper's setting).
/// </summary>
public sealed class DmlLoss : BaselineLoss
{
    public DmlLoss(MethodOptions o) : base(o)
    {
        Weight = o.F("kl_weight"); Tau = o.F("tau");
        if (Tau <= 0) throw new ArgumentException($"dml: tau must be positive, got {Tau}");
    }

    public float Weight { get; }
    public float Tau { get; }
    public override string Method => "dml";
    public override bool Mutual => true;

    public override Tensor Loss(DistillBatch b)
    {
        var s = b.Student.Logits;
        var t = b.Teacher.Logits;
        var w = b.SoftWeights;
        var student = b.Ce(s) + Losses.KlDivergenceWithLogits(s, t.Detach(), Tau, w) * Weight;
        var teacher = b.Ce(t) + Losses.KlDivergenceWithLogits(t, s.Detach(), Tau, w) * Weight;
        return student + teacher;
    }
}
