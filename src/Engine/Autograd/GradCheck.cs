using System.Text;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Autograd;

/// <summary>
/// Compares autograd's gradients with central finite differences for any function of tensors.
/// The output is projected on a fixed random tensor R (L = Σ f(x)·R, summed in double) so every output element
/// is checked; each input element is perturbed by ±eps and (L₊ − L₋)/2eps is compared with the analytic value:
/// |analytic − numeric| ≤ atol + rtol·|numeric|. The report names the worst element.
/// </summary>
public static class GradCheck
{
    public sealed record Result(bool Passed, double WorstAbsError, int WorstInput, long WorstIndex, double Analytic, double Numeric, long Checked, string Report)
    {
        public override string ToString() => Report;
    }

    /// <param name="f">The function; it must be deterministic (dropout off, fixed masks).</param>
    /// <param name="inputs">Values at which to check; copies are made, the originals are not touched.</param>
    /// <param name="checkInputs">Which inputs to differentiate (all when null).</param>
    public static Result Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-3, double atol = 1e-3, double rtol = 1e-2,
        bool[]? checkInputs = null, ulong seed = 1, string name = "f")
    {
        using var scope = TensorScope.Begin();
        var leaves = inputs.Select((t, i) =>
        {
            var c = Tensor.FromArray(t.ToArray(), t.Shape, t.Device);
            c.RequiresGrad = checkInputs == null || checkInputs[i];
            return c;
        }).ToArray();

        // analytic: L = Σ f(x)·R
        var y = f(leaves);
        var rng = new Rng(seed);
        var r = new double[y.Numel];
        for (int i = 0; i < r.Length; i++) r[i] = rng.NextNormal();
        if (!y.RequiresGrad) throw new InvalidOperationException($"gradcheck of {name}: the output does not depend on any checked input");
        var rTensor = Tensor.FromArray(r.Select(v => (float)v).ToArray(), y.Shape, y.Device);
        y.Backward(rTensor);
        var analytic = leaves.Select(l => l.Grad?.ToArray()).ToArray();
        foreach (var l in leaves) { l.Grad?.Dispose(); l.Grad = null; }

        double Project()
        {
            using var s = TensorScope.Begin();
            using var _ = GradMode.NoGrad();
            var o = f(leaves).ToArray();
            double acc = 0;
            for (int i = 0; i < o.Length; i++) acc += o[i] * r[i];
            return acc;
        }

        double worstRatio = -1, worstAbs = 0, worstA = 0, worstN = 0;
        int worstInput = -1; long worstIndex = -1, count = 0;
        for (int k = 0; k < leaves.Length; k++)
        {
            if (!leaves[k].RequiresGrad) continue;
            var x = leaves[k].ToArray();
            for (long i = 0; i < x.Length; i++)
            {
                float orig = x[i];
                x[i] = orig + (float)eps; leaves[k].CopyFrom(x);
                double plus = Project();
                x[i] = orig - (float)eps; leaves[k].CopyFrom(x);
                double minus = Project();
                x[i] = orig; leaves[k].CopyFrom(x);
                // the perturbation actually applied in float32
                double h = ((double)(orig + (float)eps) - (orig - (float)eps));
                double numeric = (plus - minus) / h;
                double a = analytic[k]?[i] ?? 0.0;
                double err = Math.Abs(a - numeric);
                double ratio = err / (atol + rtol * Math.Abs(numeric));
                count++;
                if (ratio > worstRatio) { worstRatio = ratio; worstAbs = err; worstA = a; worstN = numeric; worstInput = k; worstIndex = i; }
            }
        }
        bool passed = worstRatio <= 1.0;
        var sb = new StringBuilder();
        sb.Append($"gradcheck {name}: {(passed ? "passed" : "FAILED")} over {count} elements (eps {eps}, atol {atol}, rtol {rtol}); ");
        if (worstInput >= 0)
            sb.Append($"worst: input {worstInput} {ShapeUtil.Format(inputs[worstInput].Shape)} element {worstIndex} {Unravel(worstIndex, inputs[worstInput].Shape)}: analytic {worstA:G6}, numeric {worstN:G6}, |diff| {worstAbs:G3}");
        return new Result(passed, worstAbs, worstInput, worstIndex, worstA, worstN, count, sb.ToString());
    }

    /// <summary>Runs <see cref="Check"/> and throws with its report when it fails.</summary>
    public static void Assert(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-3, double atol = 1e-3, double rtol = 1e-2, bool[]? checkInputs = null, string name = "f")
    {
        var r = Check(f, inputs, eps, atol, rtol, checkInputs, name: name);
        if (!r.Passed) throw new GradCheckException(r.Report);
    }

    private static string Unravel(long index, int[] shape)
    {
        var idx = new long[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--) { idx[d] = index % shape[d]; index /= shape[d]; }
        return "[" + string.Join(", ", idx) + "]";
    }
}

public sealed class GradCheckException(string message) : Exception(message);
