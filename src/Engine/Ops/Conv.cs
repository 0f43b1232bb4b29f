using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>1-D convolution over (batch, channels, time), as torch.nn.functional.conv1d.</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Convolution of x (N, Cin, L) — or (Cin, L) unbatched — with weight (Cout, Cin/groups, K) and optional bias (Cout).
    /// Zero padding of <paramref name="padding"/> on both sides. groups = Cin is depthwise; K = 1 is pointwise.
    /// </summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv1dImpl(x, weight, bias, stride, padding, padding, dilation, groups);

    /// <summary>Convolution with padding "valid" (none) or "same" (output length = input length; stride 1; the odd extra zero goes right, as PyTorch).</summary>
    public static Tensor Conv1d(Tensor x, Tensor weight, Tensor? bias, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        switch (padding)
        {
            case "valid": return Conv1dImpl(x, weight, bias, stride, 0, 0, dilation, groups);
            case "same":
                if (stride != 1) throw new ArgumentException("Conv1d: padding \"same\" needs stride 1 (as in PyTorch)");
                int total = dilation * (weight.Shape[^1] - 1);
                return Conv1dImpl(x, weight, bias, 1, total / 2, total - total / 2, dilation, groups);
            default: throw new ArgumentException($"Conv1d: padding must be an integer, \"same\" or \"valid\", got \"{padding}\"");
        }
    }

    /// <summary>Output length of a convolution or pooling window.</summary>
    public static int ConvOutLength(int length, int kernel, int stride, int padLeft, int padRight, int dilation = 1) =>
        (length + padLeft + padRight - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>Pointwise convolutions over sequences shorter than this run as one linear layer over all positions.</summary>
    public const int ShortPointwiseLength = 16;

    private static Tensor Conv1dImpl(Tensor x, Tensor w, Tensor? bias, int stride, int padL, int padR, int dilation, int groups)
    {
        if (x.Rank == 2) return Conv1dImpl(x.Unsqueeze(0), w, bias, stride, padL, padR, dilation, groups).Squeeze(0);
        SameDevice("Conv1d", x, w);
        if (bias != null) SameDevice("Conv1d", x, bias);
        if (x.Rank != 3) throw new ArgumentException($"Conv1d: input must be (N, C, L) or (C, L), got {ShapeUtil.Format(x.Shape)}");
        if (w.Rank != 3) throw new ArgumentException($"Conv1d: weight must be (Cout, Cin/groups, K), got {ShapeUtil.Format(w.Shape)}");
        int n = x.Shape[0], cin = x.Shape[1], len = x.Shape[2], cout = w.Shape[0], k = w.Shape[2];
        if (groups <= 0 || cin % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"Conv1d: groups {groups} must divide input channels {cin} and output channels {cout}");
        if (w.Shape[1] != cin / groups)
            throw new ArgumentException($"Conv1d: weight {ShapeUtil.Format(w.Shape)} expects {w.Shape[1] * groups} input channels for groups {groups}, input {ShapeUtil.Format(x.Shape)} has {cin}");
        if (bias != null && (bias.Rank != 1 || bias.Shape[0] != cout))
            throw new ArgumentException($"Conv1d: bias {ShapeUtil.Format(bias.Shape)} does not match {cout} output channels");
        if (stride <= 0 || dilation <= 0 || padL < 0 || padR < 0 || k <= 0)
            throw new ArgumentException($"Conv1d: stride {stride}, dilation {dilation}, padding ({padL}, {padR}) and kernel {k} must be positive (padding non-negative)");
        int outLen = ConvOutLength(len, k, stride, padL, padR, dilation);
        if (outLen <= 0)
            throw new ArgumentException($"Conv1d: input length {len} with padding ({padL}, {padR}) is shorter than the dilated kernel {dilation * (k - 1) + 1}");
        if (k == 1 && groups == 1 && stride == 1 && padL == 0 && padR == 0 && len < ShortPointwiseLength)
        {
            // 1x1 convolution over a short sequence (deep MobileNet stages, squeeze-excitation): one GEMM over all
            // N·L positions beats the per-sample conv kernel there (counts its MACs through Linear)
            return Linear(x.Transpose(1, 2), w.Reshape(cout, cin), bias).Transpose(1, 2);
        }
        var args = new Conv1dArgs(n, cin, cout, len, outLen, k, stride, padL, dilation, groups);
        HarFromScratch.Engine.Ops.MacCounter.Add((long)n * cout * outLen * (cin / groups) * k);
        var y = Empty([n, cout, outLen], x.Device);
        var be = x.Backend;
        be.Conv1d(args, x.Storage, w.Storage, bias?.Storage, y.Storage);
        Tensor[] inputs = bias == null ? [x, w] : [x, w, bias];
        return y.Record("conv1d", inputs, g =>
        {
            Tensor? dx = null, dw = null, db = null;
            if (x.RequiresGrad)
            {
                dx = Empty([n, cin, len], x.Device);
                be.Conv1dBackwardInput(args, g.Storage, w.Storage, dx.Storage);
            }
            bool wantBias = bias is { RequiresGrad: true };
            if (w.RequiresGrad)
            {
                dw = Empty((int[])w.Shape.Clone(), x.Device);
                if (wantBias) db = Empty([cout], x.Device);
                be.Conv1dBackwardWeight(args, x.Storage, g.Storage, dw.Storage, db?.Storage);
            }
            else if (wantBias) db = g.Sum([0, 2]);
            return bias == null ? [dx, dw] : [dx, dw, db];
        });
    }
}
