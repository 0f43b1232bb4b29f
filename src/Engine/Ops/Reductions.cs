using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Reductions over axes (sum, mean, max, min, var) and the broadcasting helpers their gradients need.</summary>
public sealed partial class Tensor
{
    /// <summary>Sum over <paramref name="axes"/> (all axes when empty).</summary>
    public Tensor Sum(int[]? axes = null, bool keepDim = false) => ReduceWithGrad(ReduceOp.Sum, axes, keepDim);
    public Tensor Sum(int axis, bool keepDim = false) => Sum([axis], keepDim);

    public Tensor Mean(int[]? axes = null, bool keepDim = false)
    {
        var ax = NormalizeAxes(axes, "Mean");
        long count = 1;
        foreach (var a in ax) count *= Shape[a];
        return Sum(ax, keepDim) * (1f / Math.Max(count, 1));
    }
    public Tensor Mean(int axis, bool keepDim = false) => Mean([axis], keepDim);

    public Tensor Max(int[]? axes = null, bool keepDim = false) => ReduceWithGrad(ReduceOp.Max, axes, keepDim);
    public Tensor Max(int axis, bool keepDim = false) => Max([axis], keepDim);
    public Tensor Min(int[]? axes = null, bool keepDim = false) => ReduceWithGrad(ReduceOp.Min, axes, keepDim);
    public Tensor Min(int axis, bool keepDim = false) => Min([axis], keepDim);

    /// <summary>Variance over axes; unbiased (n-1) by default, as PyTorch.</summary>
    public Tensor Var(int[]? axes = null, bool unbiased = true, bool keepDim = false)
    {
        var ax = NormalizeAxes(axes, "Var");
        long count = 1;
        foreach (var a in ax) count *= Shape[a];
        var centered = this - Mean(ax, keepDim: true);
        long denom = unbiased ? count - 1 : count;
        if (denom <= 0) throw new ArgumentException($"Var: {count} element(s) along axes [{string.Join(",", ax)}] of {ShapeUtil.Format(Shape)} give no unbiased variance");
        return centered.Square().Sum(ax, keepDim) * (1f / denom);
    }
    public Tensor Var(int axis, bool unbiased = true, bool keepDim = false) => Var([axis], unbiased, keepDim);

    private int[] NormalizeAxes(int[]? axes, string op)
    {
        if (axes == null || axes.Length == 0) return Enumerable.Range(0, Rank).ToArray();
        var r = axes.Select(a => ShapeUtil.NormalizeAxis(a, Rank, op)).Distinct().OrderBy(a => a).ToArray();
        return r;
    }

    private Tensor ReduceWithGrad(ReduceOp op, int[]? axes, bool keepDim)
    {
        var ax = NormalizeAxes(axes, op.ToString());
        var keepShape = (int[])Shape.Clone();
        foreach (var a in ax) keepShape[a] = 1;
        var kept = ReduceRaw(op, ax);
        var x = this;
        kept.Record(op.ToString().ToLowerInvariant(), [x], g =>
        {
            if (op == ReduceOp.Sum) return [g.Expand(x.Shape)];
            // max/min: the gradient goes to the elements equal to the result, split evenly among ties
            var mask = EqualMask(x, kept);
            var count = mask.ReduceRaw(ReduceOp.Sum, ax);
            return [mask * (g / count)];
        });
        if (keepDim) return kept;
        var outShape = Shape.Where((_, i) => !ax.Contains(i)).ToArray();
        return kept.Reshape(outShape);
    }

    /// <summary>Reduction without autograd, result keeps reduced axes as size 1. Adjacent axes reduce in one pass.</summary>
    internal Tensor ReduceRaw(ReduceOp op, int[] sortedAxes)
    {
        Tensor cur = this;
        var shape = (int[])Shape.Clone();
        int i = sortedAxes.Length - 1;
        while (i >= 0)
        {
            // take the run of adjacent axes ending at sortedAxes[i]
            int hiAxis = sortedAxes[i], loAxis = hiAxis;
            while (i - 1 >= 0 && sortedAxes[i - 1] == loAxis - 1) { i--; loAxis--; }
            i--;
            int outer = (int)ShapeUtil.Numel(shape.AsSpan(0, loAxis));
            int r = (int)ShapeUtil.Numel(shape.AsSpan(loAxis, hiAxis - loAxis + 1));
            int inner = (int)ShapeUtil.Numel(shape.AsSpan(hiAxis + 1));
            for (int a = loAxis; a <= hiAxis; a++) shape[a] = 1;
            var next = Empty((int[])shape.Clone(), Device);
            Backend.Reduce(op, cur.Storage, next.Storage, outer, r, inner);
            if (!ReferenceEquals(cur, this)) cur.Dispose();
            cur = next;
        }
        if (ReferenceEquals(cur, this))
        {
            cur = Empty((int[])shape.Clone(), Device);
            Backend.Copy(Storage, 0, cur.Storage, 0, Numel);
        }
        return cur;
    }

    /// <summary>Sums a broadcast result back to <paramref name="shape"/> (the adjoint of broadcasting).</summary>
    public Tensor SumTo(int[] shape)
    {
        if (ShapeUtil.SameShape(Shape, shape)) return this;
        int lead = Rank - shape.Length;
        if (lead < 0) throw new ArgumentException($"SumTo: cannot sum {ShapeUtil.Format(Shape)} to larger rank {ShapeUtil.Format(shape)}");
        var axes = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (i < lead) { axes.Add(i); continue; }
            int target = shape[i - lead];
            if (target == 1 && Shape[i] != 1) axes.Add(i);
            else if (target != Shape[i]) throw new ArgumentException($"SumTo: {ShapeUtil.Format(Shape)} does not broadcast from {ShapeUtil.Format(shape)}");
        }
        return Sum(axes.ToArray(), keepDim: true).Reshape(shape);
    }

    /// <summary>Materialises broadcasting to <paramref name="shape"/>. Differentiable (gradient: <see cref="SumTo"/>).</summary>
    public Tensor Expand(int[] shape)
    {
        var outShape = ShapeUtil.Broadcast(Shape, shape, "Expand");
        if (!ShapeUtil.SameShape(outShape, shape))
            throw new ArgumentException($"Expand: {ShapeUtil.Format(Shape)} cannot expand to {ShapeUtil.Format(shape)}");
        if (ShapeUtil.SameShape(Shape, shape)) return this;
        var y = Empty((int[])shape.Clone(), Device);
        Backend.StridedCopy(new StridedView(Storage, 0, ShapeUtil.BroadcastStrides(Shape, shape)),
            new StridedView(y.Storage, 0, ShapeUtil.ContiguousStrides(shape)), shape);
        var x = this;
        return y.Record("expand", [x], g => [g.SumTo(x.Shape)]);
    }

    /// <summary>Index of the largest value along the last axis, for each row (host side; for predictions).</summary>
    public int[] ArgMaxLastAxis()
    {
        int cols = Shape[^1];
        int rows = (int)(Numel / Math.Max(cols, 1));
        var data = ToArray();
        var r = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            int best = 0;
            for (int j = 1; j < cols; j++)
                if (data[i * cols + j] > data[i * cols + best]) best = j;
            r[i] = best;
        }
        return r;
    }
}
