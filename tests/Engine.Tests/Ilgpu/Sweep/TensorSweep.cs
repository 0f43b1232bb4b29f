using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// The tensor-level sweep (in the style of ggml's test-backend-ops): each row names an op, its input shapes and
/// a function of the inputs. Both devices get the same inputs; the sweep compares the output and, after
/// backward of sum(output * w) for a fixed random w, the gradient of every input. Adding an op is one line.
/// </summary>
public static class TensorSweep
{
    /// <summary>Input values: general, positive (log, sqrt, pow), or probabilities are built inside the op.</summary>
    public enum Domain { Any, Positive }

    private sealed record Row(string Name, int[][] Shapes, Func<Tensor[], Tensor> Op, Domain Domain = Domain.Any);

    private static Row R(string name, int[][] shapes, Func<Tensor[], Tensor> op, Domain d = Domain.Any) => new(name, shapes, op, d);

    private static readonly int[] Labels5of7 = [3, 0, 6, 6, 1];

    private static IEnumerable<Row> Rows()
    {
        // binary ops with broadcasting
        (string, int[], int[])[] bshapes = [("same", [3, 4], [3, 4]), ("row", [3, 4], [4]), ("outer", [3, 1], [1, 4]), ("middle", [2, 3, 4], [2, 1, 4]), ("scalar", [2, 3], [])];
        foreach (var (bn, sa, sb) in bshapes)
        {
            yield return R($"add/{bn}", [sa, sb], t => t[0] + t[1]);
            yield return R($"sub/{bn}", [sa, sb], t => t[0] - t[1]);
            yield return R($"mul/{bn}", [sa, sb], t => t[0] * t[1]);
            yield return R($"div/{bn}", [sa, sb], t => t[0] / (t[1] + 2f), Domain.Positive);
            yield return R($"pow/{bn}", [sa, sb], t => t[0].Pow(t[1]), Domain.Positive);
            yield return R($"maximum/{bn}", [sa, sb], t => Tensor.Maximum(t[0], t[1]));
            yield return R($"minimum/{bn}", [sa, sb], t => Tensor.Minimum(t[0], t[1]));
        }
        // every unary op through Apply (positive inputs keep log/sqrt/pow defined)
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            var (a, b) = op switch
            {
                UnaryOp.Clamp => (-0.3f, 0.4f), UnaryOp.PowScalar => (2.5f, 0f), UnaryOp.Affine => (-1.5f, 0.25f),
                UnaryOp.LeakyRelu => (0.2f, 0f), UnaryOp.Elu => (0.7f, 0f), _ => (0f, 0f),
            };
            bool positive = op is UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Reciprocal or UnaryOp.PowScalar or UnaryOp.Log1p;
            yield return R($"unary/{op}", [[3, 5]], t => t[0].Apply(op, a, b), positive ? Domain.Positive : Domain.Any);
        }
        yield return R("scalar-ops", [[4, 3]], t => (2f - t[0]) * 0.5f + 1f);
        yield return R("scalar-div", [[4, 3]], t => 3f / t[0] + t[0] / 4f, Domain.Positive);

        // reductions
        yield return R("sum/all", [[3, 4, 5]], t => t[0].Sum());
        yield return R("sum/axis0", [[3, 4, 5]], t => t[0].Sum(0));
        yield return R("sum/axes02", [[3, 4, 5]], t => t[0].Sum([0, 2]));
        yield return R("sum/last-keepdim", [[3, 4, 5]], t => t[0].Sum(-1, keepDim: true));
        yield return R("mean/axis1", [[3, 4, 5]], t => t[0].Mean(1));
        yield return R("mean/all", [[7, 9]], t => t[0].Mean());
        yield return R("max/last", [[3, 4, 5]], t => t[0].Max(-1));
        yield return R("max/all", [[6, 7]], t => t[0].Max());
        yield return R("min/axis1", [[3, 4, 5]], t => t[0].Min(1));
        yield return R("var/axis1", [[3, 4, 5]], t => t[0].Var(1));
        yield return R("var/axes02-biased", [[3, 4, 5]], t => t[0].Var([0, 2], unbiased: false));

        // shape ops
        yield return R("reshape", [[3, 4, 5]], t => t[0].Reshape(12, 5) * t[0].Reshape(12, 5));
        yield return R("permute", [[2, 3, 4]], t => t[0].Permute(2, 0, 1));
        yield return R("transpose", [[5, 7]], t => t[0].T);
        yield return R("slice", [[6, 5]], t => t[0].Slice(0, 1, 3, step: 2));
        yield return R("slice-last", [[4, 9]], t => t[0].Slice(-1, 2, 4));
        yield return R("concat", [[2, 3], [4, 3]], t => Tensor.Concat([t[0], t[1]], 0));
        yield return R("concat-last", [[2, 3], [2, 5]], t => Tensor.Concat([t[0], t[1]], 1));
        yield return R("stack", [[3, 4], [3, 4], [3, 4]], t => Tensor.Stack([t[0], t[1], t[2]], 1));
        yield return R("split", [[7, 3]], t => { var p = t[0].Split([2, 5], 0); return p[0].Sum() * p[1].Mean(0); });
        yield return R("unsqueeze-squeeze", [[3, 4]], t => t[0].Unsqueeze(1).Squeeze(1).Unsqueeze(0));
        yield return R("flatten", [[2, 3, 4]], t => t[0].Flatten());
        yield return R("expand", [[3, 1]], t => t[0].Expand([3, 4]));

        // products
        yield return R("matmul/2d", [[3, 4], [4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/batched", [[2, 3, 4], [2, 4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/broadcast-rhs", [[2, 3, 4], [4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/broadcast-lhs", [[3, 4], [2, 4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/broadcast-batch", [[2, 1, 3, 4], [3, 4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/vec-mat", [[4], [4, 5]], t => t[0].MatMul(t[1]));
        yield return R("matmul/mat-vec", [[3, 4], [4]], t => t[0].MatMul(t[1]));
        yield return R("matmul/odd", [[7, 129], [129, 1]], t => t[0].MatMul(t[1]));
        yield return R("linear", [[5, 4], [3, 4], [3]], t => Tensor.Linear(t[0], t[1], t[2]));
        yield return R("linear/no-bias-3d", [[2, 5, 4], [3, 4]], t => Tensor.Linear(t[0], t[1]));

        // softmax family and losses
        yield return R("softmax/last", [[4, 7]], t => t[0].Softmax());
        yield return R("softmax/axis0", [[4, 7]], t => t[0].Softmax(0));
        yield return R("log-softmax/last", [[4, 7]], t => t[0].LogSoftmax());
        yield return R("log-softmax/3d-middle", [[2, 5, 3]], t => t[0].LogSoftmax(1));
        yield return R("cross-entropy", [[5, 7]], t => Losses.CrossEntropy(t[0], Labels5of7));
        yield return R("cross-entropy/smoothing", [[5, 7]], t => Losses.CrossEntropy(t[0], Labels5of7, labelSmoothing: 0.1f));
        yield return R("soft-cross-entropy", [[5, 7], [5, 7]], t => Losses.SoftCrossEntropy(t[0], t[1].Softmax()));
        yield return R("mse", [[6, 3], [6, 3]], t => Losses.Mse(t[0], t[1]));
        yield return R("kl", [[4, 6], [4, 6]], t => Losses.KlDivergence(t[0].LogSoftmax(), t[1].Softmax()));
        yield return R("kl/logits-temperature", [[4, 6], [4, 6]], t => Losses.KlDivergenceWithLogits(t[0], t[1], temperature: 2f));

        // a small composite: a two-layer MLP with GELU and a loss
        yield return R("mlp", [[6, 5], [8, 5], [8], [3, 8]], t =>
            Losses.CrossEntropy(Tensor.Linear(Tensor.Linear(t[0], t[1], t[2]).Apply(UnaryOp.Gelu), t[3]), [0, 2, 1, 1, 0, 2], 0.05f));
    }

    public static IReadOnlyList<SweepCase> Cases { get; } = Rows().Select(ToCase).ToList();

    private static SweepCase ToCase(Row row) => new("tensor/" + row.Name, device => Run(row, device), Tolerance.Composite);

    private static float[][] Run(Row row, Device device) =>
        Sweep.OutputAndGradients(row.Name, row.Shapes, row.Op, device,
            (inputs, _, n) => row.Domain == Domain.Positive ? inputs.Uniform(n, 0.3f, 2f) : inputs.Uniform(n, -1.5f, 1.5f));
}
