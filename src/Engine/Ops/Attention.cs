using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Ops;

/// <summary>Attention as fused ops: scaled dot-product attention (batched GEMMs + row softmax, hand-written backward) and multi-head attention.</summary>
public static class Attention
{
    /// <summary>The additive value that masked positions get (finite, so a fully masked row gives uniform weights, not NaN).</summary>
    public const float MaskedValue = -1e9f;

    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v over the last two axes. q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv) with the same
    /// batch axes; scale defaults to 1/√d. <paramref name="additiveMask"/> is added to the scores (broadcast to
    /// (..., Lq, Lk); it may require grad). <paramref name="allowedMask"/> is boolean as 0/1 floats, 1 = may attend (as
    /// torch's scaled_dot_product_attention). Dropout on the attention weights when <paramref name="dropout"/> &gt; 0
    /// (inverted scaling, mask drawn from <paramref name="rng"/>).
    /// </summary>
    public static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? additiveMask = null, Tensor? allowedMask = null,
        float dropout = 0f, Rng? rng = null, float? scale = null)
    {
        if (q.Rank < 2 || k.Rank != q.Rank || v.Rank != q.Rank)
            throw new ArgumentException($"ScaledDotProduct: q, k, v must have the same rank ≥ 2, got {ShapeUtil.Format(q.Shape)}, {ShapeUtil.Format(k.Shape)}, {ShapeUtil.Format(v.Shape)}");
        var batch = q.Shape[..^2];
        if (!ShapeUtil.SameShape(batch, k.Shape[..^2]) || !ShapeUtil.SameShape(batch, v.Shape[..^2]) || q.Shape[^1] != k.Shape[^1] || k.Shape[^2] != v.Shape[^2])
            throw new ArgumentException($"ScaledDotProduct: shapes do not fit: q {ShapeUtil.Format(q.Shape)}, k {ShapeUtil.Format(k.Shape)}, v {ShapeUtil.Format(v.Shape)} (need (..., Lq, d), (..., Lk, d), (..., Lk, dv))");
        Tensor.SameDevice("ScaledDotProduct", q, k);
        Tensor.SameDevice("ScaledDotProduct", q, v);
        if (dropout is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(dropout), $"dropout must be in [0, 1), got {dropout}");
        if (allowedMask != null)
        {
            Tensor add;
            using (GradMode.NoGrad()) add = (allowedMask - 1f) * -MaskedValue;
            additiveMask = additiveMask == null ? add : additiveMask + add;
        }

        int nb = (int)ShapeUtil.Numel(batch), lq = q.Shape[^2], lk = k.Shape[^2], d = q.Shape[^1], dv = v.Shape[^1];
        float sc = scale ?? 1f / MathF.Sqrt(d);
        MacCounter.Add((long)nb * lq * lk * (d + dv));
        var be = q.Backend;
        var dev = q.Device;
        var scoreShape = (int[])[.. batch, lq, lk];
        var scores = Tensor.Empty(scoreShape, dev);
        be.Gemm(new GemmArgs(nb, lq, lk, d, sc, 0f, q.Storage, 0, (long)lq * d, d, false, k.Storage, 0, (long)lk * d, d, true, scores.Storage, 0, (long)lq * lk, lk));
        if (additiveMask != null)
        {
            var strides = ShapeUtil.ContiguousStrides(scoreShape);
            be.Binary(BinaryOp.Add, scores.Storage, strides, additiveMask.Storage, ShapeUtil.BroadcastStrides(additiveMask.Shape, scoreShape), scores.Storage, scoreShape);
        }
        var p = Tensor.Empty(scoreShape, dev);
        be.Softmax(scores.Storage, p.Storage, nb * lq, lk, false);
        scores.Dispose();
        Tensor? keep = null, pd = p;
        if (dropout > 0f)
        {
            rng ??= Rng.Global;
            var m = new float[p.Numel];
            float inv = 1f / (1f - dropout);
            for (int i = 0; i < m.Length; i++) m[i] = rng.NextFloat() >= dropout ? inv : 0f;
            keep = Tensor.FromArray(m, scoreShape, dev);
            pd = Tensor.Empty(scoreShape, dev);
            var st = ShapeUtil.ContiguousStrides(scoreShape);
            be.Binary(BinaryOp.Mul, p.Storage, st, keep.Storage, st, pd.Storage, scoreShape);
        }
        var o = Tensor.Empty([.. batch, lq, dv], dev);
        be.Gemm(new GemmArgs(nb, lq, dv, lk, 1f, 0f, pd.Storage, 0, (long)lq * lk, lk, false, v.Storage, 0, (long)lk * dv, dv, false, o.Storage, 0, (long)lq * dv, dv));
        var mask = additiveMask;
        Tensor[] inputs = mask != null ? [q, k, v, mask] : [q, k, v];
        o.Record("sdpa", inputs, g =>
        {
            Tensor? dq = null, dk = null, dvv = null, dmask = null;
            if (v.RequiresGrad)
            {
                dvv = Tensor.Empty((int[])v.Shape.Clone(), dev);
                be.Gemm(new GemmArgs(nb, lk, dv, lq, 1f, 0f, pd.Storage, 0, (long)lq * lk, lk, true, g.Storage, 0, (long)lq * dv, dv, false, dvv.Storage, 0, (long)lk * dv, dv));
            }
            if (q.RequiresGrad || k.RequiresGrad || mask is { RequiresGrad: true })
            {
                var dp = Tensor.Empty(scoreShape, dev);
                be.Gemm(new GemmArgs(nb, lq, lk, dv, 1f, 0f, g.Storage, 0, (long)lq * dv, dv, false, v.Storage, 0, (long)lk * dv, dv, true, dp.Storage, 0, (long)lq * lk, lk));
                if (keep != null)
                {
                    var st = ShapeUtil.ContiguousStrides(scoreShape);
                    be.Binary(BinaryOp.Mul, dp.Storage, st, keep.Storage, st, dp.Storage, scoreShape);
                }
                var ds = Tensor.Empty(scoreShape, dev);
                be.SoftmaxBackward(p.Storage, dp.Storage, ds.Storage, nb * lq, lk, false);
                dp.Dispose();
                if (q.RequiresGrad)
                {
                    dq = Tensor.Empty((int[])q.Shape.Clone(), dev);
                    be.Gemm(new GemmArgs(nb, lq, d, lk, sc, 0f, ds.Storage, 0, (long)lq * lk, lk, false, k.Storage, 0, (long)lk * d, d, false, dq.Storage, 0, (long)lq * d, d));
                }
                if (k.RequiresGrad)
                {
                    dk = Tensor.Empty((int[])k.Shape.Clone(), dev);
                    be.Gemm(new GemmArgs(nb, lk, d, lq, sc, 0f, ds.Storage, 0, (long)lq * lk, lk, true, q.Storage, 0, (long)lq * d, d, false, dk.Storage, 0, (long)lk * d, d));
                }
                if (mask is { RequiresGrad: true }) dmask = ds.SumTo(mask.Shape);
            }
            return mask != null ? [dq, dk, dvv, dmask] : [dq, dk, dvv];
        });
        return o;
    }

    /// <summary>
    /// Multi-head attention with PyTorch's parameters (in_proj_weight (3E, E), in_proj_bias (3E), out_proj (E, E) + bias),
    /// batch-first: query (B, Lq, E), key/value (B, Lk, E). <paramref name="additiveMask"/> broadcasts to (B, heads, Lq, Lk);
    /// <paramref name="keyPaddingMask"/> (B, Lk) has 1 where a key is padding (ignored), as torch's key_padding_mask.
    /// </summary>
    public static Tensor MultiHead(Tensor query, Tensor key, Tensor value, int heads, Tensor inProjWeight, Tensor? inProjBias,
        Tensor outProjWeight, Tensor? outProjBias, Tensor? additiveMask = null, Tensor? keyPaddingMask = null, float dropout = 0f, Rng? rng = null)
    {
        if (query.Rank != 3) throw new ArgumentException($"MultiHead: query must be (batch, seq, embed), got {ShapeUtil.Format(query.Shape)}");
        int b = query.Shape[0], lq = query.Shape[1], e = query.Shape[2];
        if (e % heads != 0) throw new ArgumentException($"MultiHead: embed dim {e} is not divisible by {heads} heads");
        int hd = e / heads;
        int lk = key.Shape[1];
        Tensor q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            // self-attention: one projection GEMM for q, k and v
            var qkv = Tensor.Linear(query, inProjWeight, inProjBias).Reshape(b, lq, 3, heads, hd).Permute(2, 0, 3, 1, 4).Reshape(3, b * heads * lq * hd);
            q = qkv.Slice(0, 0, 1).Reshape(b, heads, lq, hd);
            k = qkv.Slice(0, 1, 1).Reshape(b, heads, lq, hd);
            v = qkv.Slice(0, 2, 1).Reshape(b, heads, lq, hd);
        }
        else
        {
            Tensor Proj(Tensor x, int part, int len)
            {
                var w = inProjWeight.Slice(0, part * e, e);
                var bias = inProjBias?.Slice(0, part * e, e);
                return Tensor.Linear(x, w, bias).Reshape(b, len, heads, hd).Permute(0, 2, 1, 3);
            }
            q = Proj(query, 0, lq); k = Proj(key, 1, lk); v = Proj(value, 2, lk);
        }
        Tensor? mask = additiveMask;
        if (keyPaddingMask != null)
        {
            if (!ShapeUtil.SameShape(keyPaddingMask.Shape, [b, lk]))
                throw new ArgumentException($"MultiHead: key padding mask must be ({b}, {lk}), got {ShapeUtil.Format(keyPaddingMask.Shape)}");
            Tensor pad;
            using (GradMode.NoGrad()) pad = (keyPaddingMask * MaskedValue).Reshape(b, 1, 1, lk);
            mask = mask == null ? pad : mask + pad;
        }
        var o = ScaledDotProduct(q, k, v, mask, null, dropout, rng);
        var merged = o.Permute(0, 2, 1, 3).Reshape(b, lq, e);
        return Tensor.Linear(merged, outProjWeight, outProjBias);
    }

    /// <summary>Inverted dropout with a seeded mask (identity when p = 0).</summary>
    internal static Tensor Dropout(Tensor x, float p, Rng rng)
    {
        if (p <= 0f) return x;
        if (p >= 1f) return x * 0f;
        var m = new float[x.Numel];
        float inv = 1f / (1f - p);
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextFloat() >= p ? inv : 0f;
        return x * Tensor.FromArray(m, x.Shape, x.Device);
    }
}
