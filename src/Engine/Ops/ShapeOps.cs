using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Layout ops: reshape (shares storage), permute/transpose, slice, concat, stack (copies via strided copy).</summary>
public sealed partial class Tensor
{
    /// <summary>Same data, new shape (one size may be -1). Shares storage.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            long known = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) known *= s[i];
            if (known == 0 || Numel % known != 0)
                throw new ArgumentException($"Reshape: cannot infer -1 in {ShapeUtil.Format(shape)} for {Numel} elements");
            s[infer] = (int)(Numel / known);
        }
        if (ShapeUtil.Numel(s) != Numel)
            throw new ArgumentException($"Reshape: {ShapeUtil.Format(Shape)} ({Numel} elements) cannot become {ShapeUtil.Format(shape)}");
        Storage.Retain();
        var y = new Tensor(Storage, s, Device);
        var x = this;
        return y.Record("reshape", [x], g => [g.Reshape(x.Shape)]);
    }

    public Tensor Flatten(int startAxis = 1)
    {
        startAxis = ShapeUtil.NormalizeAxis(startAxis, Rank, "Flatten");
        return Reshape([.. Shape[..startAxis], (int)ShapeUtil.Numel(Shape.AsSpan(startAxis))]);
    }

    public Tensor Unsqueeze(int axis)
    {
        axis = ShapeUtil.NormalizeAxis(axis, Rank + 1, "Unsqueeze"); // negative counts from the end of the result: -1 appends
        var s = Shape.ToList();
        s.Insert(axis, 1);
        return Reshape(s.ToArray());
    }

    public Tensor Squeeze(int axis)
    {
        axis = ShapeUtil.NormalizeAxis(axis, Rank, "Squeeze");
        if (Shape[axis] != 1) throw new ArgumentException($"Squeeze: axis {axis} of {ShapeUtil.Format(Shape)} is not 1");
        return Reshape(Shape.Where((_, i) => i != axis).ToArray());
    }

    /// <summary>Reorders axes: result axis i is input axis dims[i]. Copies.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute: {dims.Length} axes given for rank {Rank}");
        var d = dims.Select(a => ShapeUtil.NormalizeAxis(a, Rank, "Permute")).ToArray();
        if (d.Distinct().Count() != Rank) throw new ArgumentException($"Permute: axes [{string.Join(",", dims)}] are not a permutation");
        var inStrides = ShapeUtil.ContiguousStrides(Shape);
        var outShape = d.Select(a => Shape[a]).ToArray();
        var y = Empty(outShape, Device);
        Backend.StridedCopy(new StridedView(Storage, 0, d.Select(a => inStrides[a]).ToArray()),
            new StridedView(y.Storage, 0, ShapeUtil.ContiguousStrides(outShape)), outShape);
        var inverse = new int[Rank];
        for (int i = 0; i < Rank; i++) inverse[d[i]] = i;
        return y.Record("permute", [this], g => [g.Permute(inverse)]);
    }

    public Tensor Transpose(int a, int b)
    {
        var d = Enumerable.Range(0, Rank).ToArray();
        a = ShapeUtil.NormalizeAxis(a, Rank, "Transpose");
        b = ShapeUtil.NormalizeAxis(b, Rank, "Transpose");
        (d[a], d[b]) = (d[b], d[a]);
        return Permute(d);
    }

    /// <summary>Matrix transpose of the last two axes.</summary>
    public Tensor T => Transpose(-1, -2);

    /// <summary>Elements start, start+step, ... (length of them) along <paramref name="axis"/>. Copies.</summary>
    public Tensor Slice(int axis, int start, int length, int step = 1)
    {
        axis = ShapeUtil.NormalizeAxis(axis, Rank, "Slice");
        if (start < 0) start += Shape[axis];
        if (step < 1 || length < 0 || start < 0 || (length > 0 && start + (long)(length - 1) * step >= Shape[axis]))
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: start {start}, length {length}, step {step} outside axis {axis} of {ShapeUtil.Format(Shape)}");
        var outShape = (int[])Shape.Clone();
        outShape[axis] = length;
        var y = Empty(outShape, Device);
        var view = SliceView(axis, start, step);
        Backend.StridedCopy(view, new StridedView(y.Storage, 0, ShapeUtil.ContiguousStrides(outShape)), outShape);
        var x = this;
        return y.Record("slice", [x], g =>
        {
            var dx = ZerosLike(x);
            dx.Backend.StridedCopy(new StridedView(g.Storage, 0, ShapeUtil.ContiguousStrides(g.Shape)), dx.SliceView(axis, start, step), g.Shape);
            return [dx];
        });
    }

    private StridedView SliceView(int axis, int start, int step)
    {
        var strides = ShapeUtil.ContiguousStrides(Shape);
        long offset = start * strides[axis];
        strides[axis] *= step;
        return new StridedView(Storage, offset, strides);
    }

    /// <summary>Joins tensors along an existing axis.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> parts, int axis)
    {
        if (parts.Count == 0) throw new ArgumentException("Concat: no tensors");
        var first = parts[0];
        axis = ShapeUtil.NormalizeAxis(axis, first.Rank, "Concat");
        int total = 0;
        foreach (var p in parts)
        {
            SameDevice("Concat", first, p);
            if (p.Rank != first.Rank || Enumerable.Range(0, first.Rank).Any(i => i != axis && p.Shape[i] != first.Shape[i]))
                throw new ArgumentException($"Concat: shape {ShapeUtil.Format(p.Shape)} does not match {ShapeUtil.Format(first.Shape)} outside axis {axis}");
            total += p.Shape[axis];
        }
        var outShape = (int[])first.Shape.Clone();
        outShape[axis] = total;
        var y = Empty(outShape, first.Device);
        var offsets = new int[parts.Count];
        int at = 0;
        for (int k = 0; k < parts.Count; k++)
        {
            offsets[k] = at;
            var p = parts[k];
            if (p.Numel > 0)
                first.Backend.StridedCopy(new StridedView(p.Storage, 0, ShapeUtil.ContiguousStrides(p.Shape)), y.SliceView(axis, at, 1), p.Shape);
            at += p.Shape[axis];
        }
        var inputs = parts.ToArray();
        return y.Record("concat", inputs, g =>
        {
            var r = new Tensor?[inputs.Length];
            for (int k = 0; k < inputs.Length; k++)
                if (inputs[k].RequiresGrad) r[k] = g.Slice(axis, offsets[k], inputs[k].Shape[axis]);
            return r;
        });
    }

    /// <summary>Joins same-shaped tensors along a new axis.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> parts, int axis = 0)
    {
        if (parts.Count == 0) throw new ArgumentException("Stack: no tensors");
        int a = axis < 0 ? axis + parts[0].Rank + 1 : axis;
        foreach (var p in parts)
            if (!ShapeUtil.SameShape(p.Shape, parts[0].Shape))
                throw new ArgumentException($"Stack: shape {ShapeUtil.Format(p.Shape)} differs from {ShapeUtil.Format(parts[0].Shape)}");
        return Concat(parts.Select(p => p.Unsqueeze(a)).ToList(), a);
    }

    /// <summary>Splits into pieces of the given sizes along an axis.</summary>
    public Tensor[] Split(int[] sizes, int axis)
    {
        axis = ShapeUtil.NormalizeAxis(axis, Rank, "Split");
        if (sizes.Sum() != Shape[axis]) throw new ArgumentException($"Split: sizes [{string.Join(",", sizes)}] do not add up to axis {axis} of {ShapeUtil.Format(Shape)}");
        var r = new Tensor[sizes.Length];
        int at = 0;
        for (int i = 0; i < sizes.Length; i++) { r[i] = Slice(axis, at, sizes[i]); at += sizes[i]; }
        return r;
    }
}
