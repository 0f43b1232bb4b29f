using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Ops;

/// <summary>Loss functions, composed from differentiable tensor ops (so their gradients need no extra code).</summary>
public static class Losses
{
    /// <summary>
    /// Mean cross-entropy of logits (N, C) against integer labels, with label smoothing ε:
    /// target = (1-ε)·onehot + ε/C, loss = -Σ target·log_softmax(logits) averaged over N.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels, float labelSmoothing = 0f)
    {
        if (logits.Rank != 2) throw new ArgumentException($"CrossEntropy: logits must be (N, C), got {ShapeUtil.Format(logits.Shape)}");
        int n = logits.Shape[0], c = logits.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"CrossEntropy: {labels.Length} labels for {n} rows of logits");
        if (labelSmoothing is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing must be in [0, 1), got {labelSmoothing}");
        var target = new float[n * c];
        float off = labelSmoothing / c, on = 1f - labelSmoothing + off;
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)c) throw new ArgumentOutOfRangeException(nameof(labels), $"CrossEntropy: label {labels[i]} at index {i} is outside [0, {c})");
            for (int j = 0; j < c; j++) target[i * c + j] = off;
            target[i * c + labels[i]] = on;
        }
        // not disposed here: the backward of the product inside SoftCrossEntropy reads it (the enclosing scope owns it)
        var t = Tensor.FromArray(target, [n, c], logits.Device);
        return SoftCrossEntropy(logits, t);
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
    /// Σ P·(log P − log Q) / N, with 0·log 0 = 0.
    /// </summary>
    public static Tensor KlDivergence(Tensor logQ, Tensor p)
    {
        if (!ShapeUtil.SameShape(logQ.Shape, p.Shape))
            throw new ArgumentException($"KlDivergence: log Q {ShapeUtil.Format(logQ.Shape)} vs P {ShapeUtil.Format(p.Shape)}");
        int n = logQ.Rank == 0 ? 1 : logQ.Shape[0];
        var logP = p.Clamp(1e-30f, float.MaxValue).Log();
        return (p * (logP - logQ)).Sum() * (1f / n);
    }

    /// <summary>
    /// Hinton distillation term τ²·KL(softmax(teacher/τ) ‖ softmax(student/τ)), batch mean; the teacher side
    /// receives gradients too unless it is detached by the caller.
    /// </summary>
    public static Tensor KlDivergenceWithLogits(Tensor studentLogits, Tensor teacherLogits, float temperature = 1f)
    {
        var logQ = (studentLogits / temperature).LogSoftmax(-1);
        var p = (teacherLogits / temperature).Softmax(-1);
        return KlDivergence(logQ, p) * (temperature * temperature);
    }
}
