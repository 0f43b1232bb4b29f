using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Matrix products: batched matmul with NumPy batch broadcasting, and the fused linear layer op.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// (..., m, k) @ (..., k, n) → (..., m, n) with broadcast batch axes; 1-D operands are treated as a row
    /// (left) or column (right) vector and that axis is dropped from the result, as NumPy does.
    /// </summary>
    public Tensor MatMul(Tensor other)
    {
        SameDevice("MatMul", this, other);
        if (Rank == 0 || other.Rank == 0) throw new ArgumentException("MatMul: operands must have at least one axis");
        if (Rank == 1) { var r = Unsqueeze(0).MatMul(other); return r.Squeeze(-2); }
        if (other.Rank == 1) { var r = MatMul(other.Unsqueeze(1)); return r.Squeeze(-1); }
        if (Shape[^1] != other.Shape[^2])
            throw new ArgumentException($"MatMul: inner sizes differ: {ShapeUtil.Format(Shape)} @ {ShapeUtil.Format(other.Shape)}");
        var a = this;
        var b = other;
        var y = MatMulRaw(a, false, b, false);
        HarFromScratch.Engine.Ops.MacCounter.Add(y.Numel * Shape[^1]);
        return y.Record("matmul", [a, b], g =>
        [
            a.RequiresGrad ? MatMulRaw(g, false, b, true).SumTo(a.Shape) : null,
            !b.RequiresGrad ? null
                : b.Rank == 2 && a.Rank > 2 // weight shared over a's batch: one GEMM over all rows
                    ? MatMulRaw(a.Reshape(-1, a.Shape[^1]), true, g.Reshape(-1, g.Shape[^1]), false)
                    : MatMulRaw(a, true, g, false).SumTo(b.Shape),
        ]);
    }

    /// <summary>
    /// op(a) @ op(b) over broadcast batch axes, no autograd. The result has the broadcast batch shape; when b has
    /// no batch axes the batch of a is folded into its rows (one large GEMM instead of many small ones).
    /// </summary>
    internal static Tensor MatMulRaw(Tensor a, bool transA, Tensor b, bool transB)
    {
        int m = transA ? a.Shape[^1] : a.Shape[^2];
        int k = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2];
        int n = transB ? b.Shape[^2] : b.Shape[^1];
        if (k != kb) throw new ArgumentException($"MatMul: inner sizes differ ({k} vs {kb}) for {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        var batchA = a.Shape[..^2];
        var batchB = b.Shape[..^2];
        var batch = ShapeUtil.Broadcast(batchA, batchB, "MatMul batch");
        int nb = (int)ShapeUtil.Numel(batch);
        var be = a.Backend;

        if (!transA && ShapeUtil.Numel(batchB) == 1 && ShapeUtil.SameShape(batchA, batch))
        {
            // fold a's batch into rows: (B*m, k) @ (k, n)
            var y1 = Empty([.. batch, m, n], a.Device);
            be.Gemm(new GemmArgs(1, nb * m, n, k, 1f, 0f, a.Storage, 0, 0, a.Shape[^1], false,
                b.Storage, 0, 0, b.Shape[^1], transB, y1.Storage, 0, 0, n));
            return y1;
        }
        var ea = ShapeUtil.SameShape(batchA, batch) || ShapeUtil.Numel(batchA) == 1 ? a : a.ExpandBatch(batch);
        var eb = ShapeUtil.SameShape(batchB, batch) || ShapeUtil.Numel(batchB) == 1 ? b : b.ExpandBatch(batch);
        long strideA = ShapeUtil.Numel(ea.Shape[..^2]) == 1 && nb > 1 ? 0 : (long)ea.Shape[^1] * ea.Shape[^2];
        long strideB = ShapeUtil.Numel(eb.Shape[..^2]) == 1 && nb > 1 ? 0 : (long)eb.Shape[^1] * eb.Shape[^2];
        var y = Empty([.. batch, m, n], a.Device);
        be.Gemm(new GemmArgs(nb, m, n, k, 1f, 0f, ea.Storage, 0, strideA, ea.Shape[^1], transA,
            eb.Storage, 0, strideB, eb.Shape[^1], transB, y.Storage, 0, (long)m * n, n));
        return y;
    }

    private Tensor ExpandBatch(int[] batch)
    {
        using var _ = Autograd.GradMode.NoGrad();
        return Expand([.. batch, Shape[^2], Shape[^1]]);
    }

    /// <summary>
    /// y = x @ wᵀ + bias, with w stored (out, in) as in PyTorch; x is (..., in). One GEMM forward, two backward.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        SameDevice("Linear", x, weight);
        if (weight.Rank != 2 || x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException($"Linear: input {ShapeUtil.Format(x.Shape)} does not match weight {ShapeUtil.Format(weight.Shape)} (expected (..., {weight.Shape[^1]}))");
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException($"Linear: bias {ShapeUtil.Format(bias.Shape)} does not match weight {ShapeUtil.Format(weight.Shape)}");
        int inF = weight.Shape[1], outF = weight.Shape[0];
        int rows = (int)(x.Numel / Math.Max(inF, 1));
        HarFromScratch.Engine.Ops.MacCounter.Add((long)rows * inF * outF);
        var outShape = (int[])x.Shape.Clone();
        outShape[^1] = outF;
        var y = Empty(outShape, x.Device);
        var be = x.Backend;
        float beta = 0f;
        if (bias != null)
        {
            be.StridedCopy(new StridedView(bias.Storage, 0, [0, 1]), new StridedView(y.Storage, 0, [outF, 1]), [rows, outF]);
            beta = 1f;
        }
        be.Gemm(new GemmArgs(1, rows, outF, inF, 1f, beta, x.Storage, 0, 0, inF, false, weight.Storage, 0, 0, inF, true, y.Storage, 0, 0, outF));
        Tensor[] inputs = bias == null ? [x, weight] : [x, weight, bias];
        return y.Record("linear", inputs, g =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Empty((int[])x.Shape.Clone(), x.Device);
                be.Gemm(new GemmArgs(1, rows, inF, outF, 1f, 0f, g.Storage, 0, 0, outF, false, weight.Storage, 0, 0, inF, false, dx.Storage, 0, 0, inF));
            }
            if (weight.RequiresGrad)
            {
                dw = Empty([outF, inF], x.Device);
                be.Gemm(new GemmArgs(1, outF, inF, rows, 1f, 0f, g.Storage, 0, 0, outF, true, x.Storage, 0, 0, inF, false, dw.Storage, 0, 0, inF));
            }
            if (bias is { RequiresGrad: true })
                db = g.Reshape(rows, outF).Sum(0);
            return bias == null ? [dx, dw] : [dx, dw, db];
        });
    }
}
