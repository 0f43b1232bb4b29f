using HarFromScratch.Engine.Autograd;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Batch normalisation over (N, C[, L]) and layer normalisation over trailing axes, as torch.nn.functional.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Batch norm of x (N, C, L) or (N, C) per channel. Training: normalises with the batch mean and biased variance over
    /// N and L, and (when given) updates the running buffers in place: running = (1 − momentum)·running + momentum·batch,
    /// with the unbiased variance, as PyTorch. Eval: normalises with the running statistics (which must be given).
    /// weight/bias (C) are the affine parameters, either may be null.
    /// </summary>
    public static Tensor BatchNorm1d(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank is < 2 or > 3) throw new ArgumentException($"BatchNorm1d: input must be (N, C, L) or (N, C), got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[0], c = x.Shape[1], t = x.Rank == 3 ? x.Shape[2] : 1;
        foreach (var (p, name) in new[] { (runningMean, "running mean"), (runningVar, "running var"), (weight, "weight"), (bias, "bias") })
        {
            if (p == null) continue;
            SameDevice("BatchNorm1d", x, p);
            if (p.Rank != 1 || p.Shape[0] != c) throw new ArgumentException($"BatchNorm1d: {name} {ShapeUtil.Format(p.Shape)} does not match {c} channels");
        }
        var be = x.Backend;
        Tensor mean, var;
        if (training)
        {
            long count = (long)n * t;
            if (count <= 1) throw new ArgumentException($"BatchNorm1d: training needs more than one value per channel, got input {ShapeUtil.Format(x.Shape)}");
            mean = Empty([c], x.Device);
            var = Empty([c], x.Device);
            be.BatchNormStats(x.Storage, mean.Storage, var.Storage, n, c, t);
            if (runningMean != null && runningVar != null)
                using (GradMode.NoGrad())
                {
                    runningMean.CopyFrom(runningMean * (1f - momentum) + mean * momentum);
                    runningVar.CopyFrom(runningVar * (1f - momentum) + var * (momentum * count / (count - 1)));
                }
        }
        else
        {
            if (runningMean == null || runningVar == null) throw new ArgumentException("BatchNorm1d: eval mode needs the running mean and variance");
            mean = runningMean;
            var = runningVar;
        }
        var y = Empty((int[])x.Shape.Clone(), x.Device);
        be.BatchNormForward(x.Storage, mean.Storage, var.Storage, weight?.Storage, bias?.Storage, y.Storage, n, c, t, eps);
        Tensor[] inputs = (weight, bias) switch
        {
            (null, null) => [x],
            (not null, null) => [x, weight],
            (null, not null) => [x, bias],
            _ => [x, weight, bias],
        };
        return y.Record("batch_norm1d", inputs, g =>
        {
            var dx = x.RequiresGrad ? Empty((int[])x.Shape.Clone(), x.Device) : null;
            var dw = weight is { RequiresGrad: true } ? Empty([c], x.Device) : null;
            var db = bias is { RequiresGrad: true } ? Empty([c], x.Device) : null;
            be.BatchNormBackward(x.Storage, g.Storage, mean.Storage, var.Storage, weight?.Storage, dx?.Storage, dw?.Storage, db?.Storage, n, c, t, eps, training);
            var r = new List<Tensor?> { dx };
            if (weight != null) r.Add(dw);
            if (bias != null) r.Add(db);
            return r.ToArray();
        });
    }

    /// <summary>Layer norm over the trailing axes <paramref name="normalizedShape"/>; weight/bias have that shape (either may be null).</summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > x.Rank || !ShapeUtil.SameShape(x.Shape[^k..], normalizedShape))
            throw new ArgumentException($"LayerNorm: normalized shape {ShapeUtil.Format(normalizedShape)} is not the trailing shape of {ShapeUtil.Format(x.Shape)}");
        foreach (var (p, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (p == null) continue;
            SameDevice("LayerNorm", x, p);
            if (!ShapeUtil.SameShape(p.Shape, normalizedShape)) throw new ArgumentException($"LayerNorm: {name} {ShapeUtil.Format(p.Shape)} differs from {ShapeUtil.Format(normalizedShape)}");
        }
        int cols = (int)ShapeUtil.Numel(normalizedShape);
        int rows = cols == 0 ? 0 : (int)(x.Numel / cols);
        var be = x.Backend;
        var y = Empty((int[])x.Shape.Clone(), x.Device);
        var mean = Empty([rows], x.Device);
        var rstd = Empty([rows], x.Device);
        be.LayerNorm(x.Storage, weight?.Storage, bias?.Storage, y.Storage, mean.Storage, rstd.Storage, rows, cols, eps);
        Tensor[] inputs = (weight, bias) switch
        {
            (null, null) => [x],
            (not null, null) => [x, weight],
            (null, not null) => [x, bias],
            _ => [x, weight, bias],
        };
        return y.Record("layer_norm", inputs, g =>
        {
            var dx = x.RequiresGrad ? Empty((int[])x.Shape.Clone(), x.Device) : null;
            var dw = weight is { RequiresGrad: true } ? Empty((int[])normalizedShape.Clone(), x.Device) : null;
            var db = bias is { RequiresGrad: true } ? Empty((int[])normalizedShape.Clone(), x.Device) : null;
            be.LayerNormBackward(x.Storage, g.Storage, mean.Storage, rstd.Storage, weight?.Storage, dx?.Storage, dw?.Storage, db?.Storage, rows, cols);
            var r = new List<Tensor?> { dx };
            if (weight != null) r.Add(dw);
            if (bias != null) r.Add(db);
            return r.ToArray();
        });
    }
}
