using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// Agreement rows of the convolution family (issue 3): conv1d over every option, pooling, batch/layer norm (train and
/// eval), dropout and a small MobileNet-style composite. Like <see cref="TensorSweep"/>, each row compares the output
/// and the gradient of every input after backward of sum(output·w). Part of <see cref="Sweep.All"/>, so
/// tests/DeviceCheck runs it against cuda as well.
/// </summary>
public static class ConvSweep
{
    private sealed record Row(string Name, int[][] Shapes, Func<Tensor[], Tensor> Op, double TolScale = 1);

    private static Row R(string name, int[][] shapes, Func<Tensor[], Tensor> op, double tolScale = 1) => new(name, shapes, op, tolScale);

    private static Tensor Const(Tensor like, float[] values) => Tensor.FromArray(values, [values.Length], like.Device);

    private static IEnumerable<Row> Rows()
    {
        yield return R("conv/general", [[2, 3, 11], [4, 3, 3], [4]], t => Tensor.Conv1d(t[0], t[1], t[2], 1, 1));
        yield return R("conv/grouped-stride-dilation", [[2, 4, 10], [6, 2, 3], [6]], t => Tensor.Conv1d(t[0], t[1], t[2], stride: 2, padding: 0, dilation: 2, groups: 2));
        yield return R("conv/large-padding-stride3", [[2, 3, 12], [5, 3, 3]], t => Tensor.Conv1d(t[0], t[1], null, stride: 3, padding: 4));
        yield return R("conv/same-even-kernel-dilated", [[2, 3, 9], [2, 3, 4]], t => Tensor.Conv1d(t[0], t[1], null, "same", dilation: 2));
        yield return R("conv/depthwise-k5", [[2, 5, 13], [5, 1, 5]], t => Tensor.Conv1d(t[0], t[1], null, 1, 2, 1, 5));
        yield return R("conv/depthwise-k9-long", [[1, 3, 40], [3, 1, 9], [3]], t => Tensor.Conv1d(t[0], t[1], t[2], 1, 4, 1, 3));
        yield return R("conv/depthwise-mult2-stride2", [[2, 4, 9], [8, 1, 3], [8]], t => Tensor.Conv1d(t[0], t[1], t[2], stride: 2, padding: 1, groups: 4));
        yield return R("conv/pointwise", [[2, 6, 7], [4, 6, 1], [4]], t => Tensor.Conv1d(t[0], t[1], t[2]));
        yield return R("conv/pointwise-grouped", [[2, 6, 7], [4, 3, 1]], t => Tensor.Conv1d(t[0], t[1], null, groups: 2));

        yield return R("pool/max-k2", [[2, 3, 11]], t => t[0].MaxPool1d(2));
        yield return R("pool/max-k3-s2-p1", [[2, 3, 11]], t => t[0].MaxPool1d(3, 2, 1));
        yield return R("pool/max-k3-s1", [[2, 3, 8]], t => t[0].MaxPool1d(3, 1));
        yield return R("pool/avg-k3-s2-p1", [[2, 3, 11]], t => t[0].AvgPool1d(3, 2, 1));
        yield return R("pool/avg-exclude-pad", [[2, 3, 11]], t => t[0].AvgPool1d(4, 3, 2, countIncludePad: false));
        yield return R("pool/adaptive-11-3", [[2, 3, 11]], t => t[0].AdaptiveAvgPool1d(3));
        yield return R("pool/adaptive-5-8", [[2, 3, 5]], t => t[0].AdaptiveAvgPool1d(8));
        yield return R("pool/global", [[2, 3, 7]], t => t[0].GlobalAvgPool1d());

        yield return R("norm/batchnorm-train", [[3, 4, 5], [4], [4]], t => Tensor.BatchNorm1d(t[0], null, null, t[1], t[2], training: true), 10);
        yield return R("norm/batchnorm-train-no-affine-2d", [[6, 3]], t => Tensor.BatchNorm1d(t[0], null, null, null, null, training: true), 10);
        yield return R("norm/batchnorm-eval", [[3, 4, 5], [4], [4]], t =>
            Tensor.BatchNorm1d(t[0], Const(t[0], [0.1f, -0.2f, 0.3f, 0f]), Const(t[0], [0.5f, 1.5f, 1f, 2f]), t[1], t[2], training: false));
        yield return R("norm/batchnorm-running-stats", [[3, 4, 5]], t =>
        {
            var rm = Const(t[0], [0.1f, -0.2f, 0.3f, 0f]);
            var rv = Const(t[0], [0.5f, 1.5f, 1f, 2f]);
            var y = Tensor.BatchNorm1d(t[0], rm, rv, null, null, training: true, momentum: 0.3f);
            return Tensor.Concat([y.Reshape(-1), rm, rv], 0);
        }, 10);
        yield return R("norm/layernorm", [[2, 3, 5], [5], [5]], t => Tensor.LayerNorm(t[0], [5], t[1], t[2]), 10);
        yield return R("norm/layernorm-2-axes-no-affine", [[2, 3, 5]], t => Tensor.LayerNorm(t[0], [3, 5]), 10);

        yield return R("dropout/p0.3", [[4, 25]], t => t[0].Dropout(0.3f, new Rng(5)));

        // expand 1x1 → BN → hardswish → depthwise k5 → BN → hardswish → SE-like scale → project 1x1 → BN → residual
        yield return R("block/inverted-residual", [[2, 4, 9], [8, 4, 1], [8, 1, 5], [4, 8], [8, 4], [4, 8, 1]], t =>
        {
            var h = Tensor.BatchNorm1d(Tensor.Conv1d(t[0], t[1]), null, null, null, null, true).Hardswish();
            h = Tensor.BatchNorm1d(Tensor.Conv1d(h, t[2], null, 1, 2, 1, 8), null, null, null, null, true).Hardswish();
            var s = h.GlobalAvgPool1d();                                  // (2, 8)
            s = Tensor.Linear(Tensor.Linear(s, t[3]).Relu(), t[4]).Hardsigmoid(); // (2, 8)
            h = h * s.Unsqueeze(-1);
            return Tensor.BatchNorm1d(Tensor.Conv1d(h, t[5]), null, null, null, null, true) + t[0];
        }, 20);
    }

    public static IReadOnlyList<SweepCase> Cases { get; } = Rows().Select(ToCase).ToList();

    private static SweepCase ToCase(Row row) => new("conv/" + row.Name, device => Run(row, device), Tolerance.Composite.Scaled(row.TolScale));

    private static float[][] Run(Row row, Device device) =>
        Sweep.OutputAndGradients(row.Name, row.Shapes, row.Op, device, (inputs, _, n) => inputs.Uniform(n, -1.5f, 1.5f));
}
