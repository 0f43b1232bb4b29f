using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Training;

/// <summary>
/// The supervised term every objective shares: cross-entropy to the labels with <c>--label-smoothing</c> and
/// <c>--class-weights</c>. Plain training and every distillation method call it (through
/// <see cref="Distillation.DistillBatch.Ce"/>), so the two options mean the same thing in `har train` and `har distill`.
/// </summary>
public sealed class LabelLoss
{
    public static readonly string[] WeightModes = ["none", "balanced", "sqrt"];
    public static readonly LabelLoss Plain = new(0f, null);

    public LabelLoss(float labelSmoothing, float[]? classWeights, bool weighSoftTerms = false)
    {
        if (weighSoftTerms && classWeights == null) throw new ArgumentException("--soft-class-weights: needs --class-weights balanced or sqrt");
        LabelSmoothing = labelSmoothing;
        ClassWeights = classWeights;
        WeighSoftTerms = weighSoftTerms;
    }

    public float LabelSmoothing { get; }
    /// <summary>One weight per class, or null for the plain mean.</summary>
    public float[]? ClassWeights { get; }
    /// <summary>Whether the class weights also weigh the distillation methods' soft-target terms (<c>--soft-class-weights</c>).</summary>
    public bool WeighSoftTerms { get; }

    public Tensor Of(Tensor logits, int[] labels) => Losses.CrossEntropy(logits, labels, LabelSmoothing, ClassWeights);

    /// <summary>The per-row weights w[y_i]·N/Σw[y] (mean 1), or null without class weights; for losses with their own hard-label form.</summary>
    public float[]? RowWeights(int[] labels) => ClassWeights == null ? null : Losses.RowWeights(labels, ClassWeights);

    /// <summary>
    /// The per-row weights of a distillation method's soft-target terms: <see cref="RowWeights"/> with <c>--soft-class-weights</c>,
    /// else null (every window counts once). Why: with class weights on the cross-entropy alone, a method that puts most of its
    /// loss on the teacher's soft targets (KD's default α = 0.9) hands the rare classes back to the teacher, which is weakest there.
    /// </summary>
    public float[]? SoftRowWeights(int[] labels) => WeighSoftTerms ? RowWeights(labels) : null;

    /// <summary>The run's label loss: its label smoothing and the class weights of <paramref name="mode"/> fitted on the training split.</summary>
    public static LabelLoss For(TrainOptions o, HarDataset data) =>
        new(o.LabelSmoothing, Weights(o.ClassWeights, data.Train.ClassCounts(data.NumClasses)), o.SoftClassWeights);

    /// <summary>
    /// Class weights from training-set counts n_c (N windows, K classes present): <c>balanced</c> w_c = N / (K·n_c)
    /// (every class weighs the same in total, as scikit-learn's "balanced"); <c>sqrt</c> w_c ∝ 1/√n_c, scaled so the
    /// average weight of a training window is 1 (a milder correction); <c>none</c> null. Absent classes get weight 0.
    /// </summary>
    public static float[]? Weights(string mode, int[] counts)
    {
        if (mode == "none") return null;
        long n = counts.Sum(c => (long)c);
        int present = counts.Count(c => c > 0);
        if (n == 0) throw new ArgumentException("--class-weights: the training split has no windows");
        var w = new double[counts.Length];
        switch (mode)
        {
            case "balanced":
                for (int c = 0; c < counts.Length; c++) w[c] = counts[c] > 0 ? (double)n / (present * counts[c]) : 0;
                break;
            case "sqrt":
                double mass = 0;
                for (int c = 0; c < counts.Length; c++) if (counts[c] > 0) { w[c] = 1 / Math.Sqrt(counts[c]); mass += counts[c] * w[c]; }
                for (int c = 0; c < counts.Length; c++) w[c] *= n / mass;
                break;
            default:
                throw new ArgumentException($"--class-weights: {mode} is not valid; expected {string.Join(", ", WeightModes)}");
        }
        return w.Select(v => (float)v).ToArray();
    }
}
