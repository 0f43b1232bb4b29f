using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Autograd;

/// <summary>
/// Reverse-mode differentiation: sort the graph below the root topologically, then run each node's backward
/// closure in reverse order, summing gradients that reach a tensor along several paths. Leaves that require
/// gradients accumulate into <see cref="Tensor.Grad"/> (which outlives any scope, like the parameter itself).
/// </summary>
internal static class Backprop
{
    public static void Run(Tensor root, Tensor? seed)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad (no parameter with RequiresGrad reached it, or it was computed under NoGrad)");
        if (seed == null && root.Numel != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a scalar, got shape {ShapeUtil.Format(root.Shape)}");
        if (seed != null && !ShapeUtil.SameShape(seed.Shape, root.Shape))
            throw new ArgumentException($"Backward(gradient): gradient shape {ShapeUtil.Format(seed.Shape)} differs from {ShapeUtil.Format(root.Shape)}");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using var _ = GradMode.NoGrad();
        grads[root] = seed ?? Tensor.OnesLike(root);

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            if (t.GradFn is not { } node)
            {
                AccumulateLeaf(t, g);
                continue;
            }
            long t0 = OpProfiler.BackwardStart();
            var inputGrads = node.Backward(g);
            OpProfiler.BackwardDone(node.OpName, t0);
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                var input = node.Inputs[k];
                var gi = inputGrads[k];
                if (gi == null || !input.RequiresGrad) continue;
                if (!ShapeUtil.SameShape(gi.Shape, input.Shape))
                    throw new InvalidOperationException($"backward of {node.OpName} returned gradient {ShapeUtil.Format(gi.Shape)} for input {k} of shape {ShapeUtil.Format(input.Shape)}");
                grads[input] = grads.TryGetValue(input, out var prev) ? prev + gi : gi;
            }
        }
    }

    private static void AccumulateLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad == null || leaf.Grad.IsDisposed)
            leaf.Grad = TensorScope.Unscoped(() => g.Clone());
        else
            leaf.Grad.AddInPlace(g);
    }

    /// <summary>Tensors that require grad, each after all of its inputs (iterative DFS: graphs of LSTMs are deep).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs;
            if (inputs != null && next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var child = inputs[next];
                if (child.RequiresGrad && visited.Add(child)) stack.Push((child, 0));
            }
            else order.Add(t);
        }
        return order;
    }
}
