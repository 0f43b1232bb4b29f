using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Ops;

/// <summary>Loss functions, composed from differentiable tensor ops (so their gradients need no extra code).</summary>
public static class Losses
{
    /// <summary>
    /// Mean cross-entropy of logits (N, C) against integer labels, with label smoothing ε:
    /// target = (1-ε)·onehot + ε/C, loss = -Σ target·log_softmax(logits) averaged over N.
    /// With <paramref name="classWeights"/> (one per class, as PyTorch's <c>weight</c>) each row counts w[y_i] times and
    /// the mean is Σ_i w[y_i]·ce_i / Σ_i w[y_i], so rare classes can weigh as much as frequent ones.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels, float labelSmoothing = 0f, float[]? classWeights = null)
    {
        if (logits.Rank != 2) throw new ArgumentException($"CrossEntropy: logits must be (N, C), got {ShapeUtil.Format(logits.Shape)}");
        int n = logits.Shape[0], c = logits.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"CrossEntropy: {labels.Length} labels for {n} rows of logits");
        if (labelSmoothing is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing must be in [0, 1), got {labelSmoothing}");
        if (classWeights != null && classWeights.Length != c)
            throw new ArgumentException($"CrossEntropy: {classWeights.Length} class weights for {c} classes");
        var target = new float[n * c];
        float off = labelSmoothing / c, on = 1f - labelSmoothing + off;
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)c) throw new ArgumentOutOfRangeException(nameof(labels), $"CrossEntropy: label {labels[i]} at index {i} is outside [0, {c})");
            for (int j = 0; j < c; j++) target[i * c + j] = off;
            target[i * c + labels[i]] = on;
        }
        if (classWeights != null)
        {
            // scale each target row by its row weight: the plain mean below then becomes the weighted mean
            var rows = RowWeights(labels, classWeights);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++) target[i * c + j] *= rows[i];
        }
        var t = Tensor.FromArray(target, [n, c], logits.Device); // saved for backward: owned by the scope, not disposed here
        return SoftCrossEntropy(logits, t);
    }

    /// <summary>
    /// Per-row weights w[y_i]·N / Σ_j w[y_j] (mean 1) of a batch with class weights: a mean of per-row losses scaled by
    /// them is the class-weighted mean (PyTorch's <c>weight</c> semantics).
    /// </summary>
    public static float[] RowWeights(int[] labels, float[] classWeights)
    {
        double total = 0;
        foreach (var y in labels)
        {
            if ((uint)y >= (uint)classWeights.Length) throw new ArgumentOutOfRangeException(nameof(labels), $"label {y} is outside [0, {classWeights.Length}) of the class weights");
            float w = classWeights[y];
            if (!(w >= 0) || float.IsInfinity(w)) throw new ArgumentOutOfRangeException(nameof(classWeights), $"CrossEntropy: class weight {w} of class {y} is not a finite number >= 0");
            total += w;
        }
        if (!(total > 0)) throw new ArgumentException("CrossEntropy: every row of the batch has class weight 0");
        return labels.Select(y => (float)(classWeights[y] * labels.Length / total)).ToArray();
    }

    /// <summary>Mean over rows of -Σ target·log_softmax(logits) for a probability target (N, C).</summary>
    public static Tensor SoftCrossEntropy(Tensor logits, Tensor target)
    {
        if (!ShapeUtil.SameShape(logits.Shape, target.Shape))
            throw new ArgumentException($"SoftCrossEntropy: logits {ShapeUtil.Format(logits.Shape)} vs target {ShapeUtil.Format(target.Shape)}");
        int n = logits.Shape[0];
        return (target * logits.LogSoftmax(-1)).Sum() * (-1f / n);
    }

    /// <summary>Mean squared error over all elements.</summary>
    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        if (!ShapeUtil.SameShape(prediction.Shape, target.Shape))
            throw new ArgumentException($"Mse: prediction {ShapeUtil.Format(prediction.Shape)} vs target {ShapeUtil.Format(target.Shape)}");
        return (prediction - target).Square().Mean();
    }

    /// <summary>
    /// KL(P ‖ Q) averaged over the batch (PyTorch's kl_div(logQ, P, reduction='batchmean')):
    /// Σ P·(log P − log Q) / N, with 0·log 0 = 0. With <paramref name="rowWeights"/> (one per row, e.g. <see cref="RowWeights"/>,
    /// mean 1) row i's KL counts w_i times: Σ_i w_i·KL_i / N.
    /// </summary>
    public static Tensor KlDivergence(Tensor logQ, Tensor p, float[]? rowWeights = null)
    {
        if (!ShapeUtil.SameShape(logQ.Shape, p.Shape))
            throw new ArgumentException($"KlDivergence: log Q {ShapeUtil.Format(logQ.Shape)} vs P {ShapeUtil.Format(p.Shape)}");
        int n = logQ.Rank == 0 ? 1 : logQ.Shape[0];
        var logP = p.Clamp(1e-30f, float.MaxValue).Log();
        var terms = p * (logP - logQ);
        if (rowWeights != null) terms = terms * RowColumn(rowWeights, logQ, "KlDivergence");
        return terms.Sum() * (1f / n);
    }

    /// <summary>
    /// Hinton distillation term τ²·KL(softmax(teacher/τ) ‖ softmax(student/τ)), batch mean (row-weighted with
    /// <paramref name="rowWeights"/>, as <see cref="KlDivergence"/>); the teacher side receives gradients too unless it is
    /// detached by the caller.
    /// </summary>
    public static Tensor KlDivergenceWithLogits(Tensor studentLogits, Tensor teacherLogits, float temperature = 1f, float[]? rowWeights = null)
    {
        var logQ = (studentLogits / temperature).LogSoftmax(-1);
        var p = (teacherLogits / temperature).Softmax(-1);
        return KlDivergence(logQ, p, rowWeights) * (temperature * temperature);
    }

    /// <summary>Per-row weights as an (N, 1, ..., 1) tensor that broadcasts over the other axes of <paramref name="like"/>.</summary>
    private static Tensor RowColumn(float[] weights, Tensor like, string op)
    {
        if (like.Rank == 0 || weights.Length != like.Shape[0])
            throw new ArgumentException($"{op}: {weights.Length} row weights for {(like.Rank == 0 ? "a scalar" : like.Shape[0] + " rows")} of {ShapeUtil.Format(like.Shape)}");
        var shape = new int[like.Rank];
        Array.Fill(shape, 1);
        shape[0] = weights.Length;
        return Tensor.FromArray(weights, shape, like.Device);
    }
}
