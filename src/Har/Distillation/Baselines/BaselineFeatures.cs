using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>A student feature paired with a teacher feature: indices into the two networks' feature lists and their shapes.</summary>
public sealed record FeaturePair(int StudentIndex, FeatureShape Student, int TeacherIndex, FeatureShape Teacher)
{
    public override string ToString() => $"{Student.Name}{ShapeUtil.Format(Student.Shape)}<-{Teacher.Name}{ShapeUtil.Format(Teacher.Shape)}";
}

/// <summary>
/// Feature plumbing shared by the baselines: choosing feature pairs, turning maps (N, C, T) into vectors (N, C) by
/// global average pooling, matching time lengths (linear interpolation or adaptive average pooling), L2 normalisation
/// and the Smooth-L1 loss, all composed from differentiable engine ops.
/// </summary>
public static class BaselineFeatures
{
    /// <summary>A feature index; negative counts from the end (-1 = the last feature).</summary>
    public static int Resolve(int index, int count, string side, string method)
    {
        if (count == 0) throw new ArgumentException($"{method}: the {side} exposes no named features, the method needs at least one");
        int i = index < 0 ? count + index : index;
        if (i < 0 || i >= count) throw new ArgumentException($"{method}: {side} feature index {index} is out of range (it has {count} features)");
        return i;
    }

    /// <summary>One pair, by index in each network (defaults: the last feature of each).</summary>
    public static FeaturePair Pair(DistillSetup setup, int studentIndex, int teacherIndex, string method)
    {
        int s = Resolve(studentIndex, setup.StudentFeatures.Count, "student", method);
        int t = Resolve(teacherIndex, setup.TeacherFeatures.Count, "teacher", method);
        return new FeaturePair(s, setup.StudentFeatures[s], t, setup.TeacherFeatures[t]);
    }

    /// <summary>
    /// The last <paramref name="pairs"/> features of each network, aligned from the end (last with last, second-to-last with
    /// second-to-last, ...); fewer when a network has fewer features.
    /// </summary>
    public static IReadOnlyList<FeaturePair> LastPairs(DistillSetup setup, int pairs, string method)
    {
        int ns = setup.StudentFeatures.Count, nt = setup.TeacherFeatures.Count;
        if (ns == 0 || nt == 0) throw new ArgumentException($"{method}: both networks must expose named features (student {ns}, teacher {nt})");
        if (pairs < 1) throw new ArgumentException($"{method}: pairs must be at least 1, got {pairs}");
        int p = Math.Min(pairs, Math.Min(ns, nt));
        return Enumerable.Range(0, p)
            .Select(k => new FeaturePair(ns - p + k, setup.StudentFeatures[ns - p + k], nt - p + k, setup.TeacherFeatures[nt - p + k]))
            .ToList();
    }

    /// <summary>The feature of a batch output for a pair side, checked by name.</summary>
    public static Tensor Get(ModelOutput o, int index, FeatureShape expected, string side)
    {
        if (index >= o.Features.Count || o.Features[index].Name != expected.Name)
            throw new ArgumentException($"{side} output has no feature '{expected.Name}' at position {index}; it has: {string.Join(", ", o.Features.Select(f => f.Name))}");
        return o.Features[index].Value;
    }

    /// <summary>
    /// Σ over <paramref name="pairs"/> of <c>pairLoss(k, student feature, teacher feature)</c>, the teacher side detached
    /// (k, the pair's index, picks a per-pair head): the feature term of the multi-pair methods (AT, NST, VID).
    /// </summary>
    public static Tensor SumOverPairs(DistillBatch b, IReadOnlyList<FeaturePair> pairs, Func<int, Tensor, Tensor, Tensor> pairLoss)
    {
        Tensor? sum = null;
        for (int k = 0; k < pairs.Count; k++)
        {
            var p = pairs[k];
            var l = pairLoss(k, Get(b.Student, p.StudentIndex, p.Student, "student"), Get(b.Teacher, p.TeacherIndex, p.Teacher, "teacher").Detach());
            sum = sum == null ? l : sum + l;
        }
        return sum ?? throw new InvalidOperationException("no feature pairs to distil");
    }

    /// <summary>Width of a feature as a vector: C for a map (C, T), D for a vector (D).</summary>
    public static int VectorDim(FeatureShape f) => f.Shape[0];

    public static bool IsMap(FeatureShape f) => f.Shape.Length == 2;

    /// <summary>(N, C, T) → (N, C) by global average pooling over time; (N, D) unchanged.</summary>
    public static Tensor ToVector(Tensor f) => f.Rank switch
    {
        2 => f,
        3 => f.GlobalAvgPool1d(),
        _ => throw new ArgumentException($"feature of shape {ShapeUtil.Format(f.Shape)} is neither (N, C, T) nor (N, D)"),
    };

    /// <summary>(N, C, T) unchanged; (N, D) → (N, D, 1), a map of length one (so 1x1 convolutions act as linear layers).</summary>
    public static Tensor AsMap(Tensor f) => f.Rank == 3 ? f : f.Unsqueeze(2);

    /// <summary>Pools the longer of two (N, ·, T) tensors to the length of the shorter (adaptive average pooling), as RepDistiller's AT/NST/VID.</summary>
    public static (Tensor a, Tensor b) PoolToShorter(Tensor a, Tensor b)
    {
        int la = a.Shape[^1], lb = b.Shape[^1];
        if (la > lb) a = a.AdaptiveAvgPool1d(lb);
        else if (lb > la) b = b.AdaptiveAvgPool1d(la);
        return (a, b);
    }

    /// <summary>x / max(‖x‖₂, eps) along <paramref name="axis"/> (PyTorch <c>F.normalize</c>); zero vectors stay zero with zero gradient through the norm.</summary>
    public static Tensor L2Normalize(Tensor x, int axis, float eps = 1e-12f)
    {
        var norm = x.Square().Sum(axis, keepDim: true).Clamp(eps * eps, float.MaxValue).Sqrt();
        return x / norm;
    }

    /// <summary>Mean Smooth-L1 (Huber with β = 1): 0.5·d² where |d| &lt; 1, |d| − 0.5 elsewhere; written as 0.5·c² + (|d| − c), c = min(|d|, 1).</summary>
    public static Tensor SmoothL1(Tensor prediction, Tensor target)
    {
        if (!ShapeUtil.SameShape(prediction.Shape, target.Shape))
            throw new ArgumentException($"SmoothL1: prediction {ShapeUtil.Format(prediction.Shape)} vs target {ShapeUtil.Format(target.Shape)}");
        var a = (prediction - target).Abs();
        var c = a.Clamp(0f, 1f);
        return (c.Square() * 0.5f + (a - c)).Mean();
    }

    /// <summary>Student cross-entropy on the labels.</summary>
    public static Tensor StudentCe(DistillBatch b) => b.Ce(b.Student.Logits);
}

/// <summary>Common base of the baselines: the coefficients in effect (and the feature pairing, where there is one) as settings.</summary>
public abstract class BaselineLoss : DistillationLoss
{
    private readonly Dictionary<string, string> _settings;

    protected BaselineLoss(MethodOptions options) => _settings = new Dictionary<string, string>(options.AsStrings());

    public override IReadOnlyDictionary<string, string> Settings => _settings;

    /// <summary>Records the feature pairing in the settings (config.json and reports).</summary>
    protected void Describe(string key, string value) => _settings[key] = value;
}
