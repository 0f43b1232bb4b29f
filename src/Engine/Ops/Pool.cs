using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>1-D pooling over the last axis of (N, C, L) or (C, L) tensors, as torch.nn.functional.*_pool1d.</summary>
public sealed partial class Tensor
{
    private Pool1dArgs PoolArgs(string op, int kernel, int? stride, int padding, bool countIncludePad = true)
    {
        if (Rank is < 2 or > 3) throw new ArgumentException($"{op}: input must be (N, C, L) or (C, L), got {ShapeUtil.Format(Shape)}");
        int s = stride ?? kernel;
        if (kernel <= 0 || s <= 0 || padding < 0) throw new ArgumentException($"{op}: kernel {kernel}, stride {s} must be positive, padding {padding} non-negative");
        if (padding > kernel / 2) throw new ArgumentException($"{op}: padding {padding} must be at most half the kernel {kernel} (as in PyTorch)");
        int len = Shape[^1];
        int outLen = ConvOutLength(len, kernel, s, padding, padding);
        if (outLen <= 0) throw new ArgumentException($"{op}: input length {len} (padding {padding}) is shorter than the kernel {kernel}");
        return new Pool1dArgs((int)(Numel / len), len, outLen, kernel, s, padding, countIncludePad);
    }

    private int[] PooledShape(int outLen)
    {
        var s = (int[])Shape.Clone();
        s[^1] = outLen;
        return s;
    }

    /// <summary>Max over windows of <paramref name="kernel"/> (stride defaults to the kernel); padded positions never win.</summary>
    public Tensor MaxPool1d(int kernel, int? stride = null, int padding = 0)
    {
        var a = PoolArgs("MaxPool1d", kernel, stride, padding);
        var y = Empty(PooledShape(a.OutLength), Device);
        var argmax = Empty(PooledShape(a.OutLength), Device);
        Backend.MaxPool1d(a, Storage, y.Storage, argmax.Storage);
        var x = this;
        return y.Record("max_pool1d", [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.MaxPool1dBackward(a, g.Storage, argmax.Storage, dx.Storage);
            return [dx];
        });
    }

    /// <summary>Mean over windows of <paramref name="kernel"/>; zero padding counts in the divisor unless <paramref name="countIncludePad"/> is false.</summary>
    public Tensor AvgPool1d(int kernel, int? stride = null, int padding = 0, bool countIncludePad = true)
    {
        var a = PoolArgs("AvgPool1d", kernel, stride, padding, countIncludePad);
        var y = Empty(PooledShape(a.OutLength), Device);
        Backend.AvgPool1d(a, Storage, y.Storage);
        var x = this;
        return y.Record("avg_pool1d", [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.AvgPool1dBackward(a, g.Storage, dx.Storage);
            return [dx];
        });
    }

    /// <summary>Average pooling to <paramref name="outLength"/> positions: window i covers [⌊iL/out⌋, ⌈(i+1)L/out⌉).</summary>
    public Tensor AdaptiveAvgPool1d(int outLength)
    {
        if (Rank is < 2 or > 3) throw new ArgumentException($"AdaptiveAvgPool1d: input must be (N, C, L) or (C, L), got {ShapeUtil.Format(Shape)}");
        if (outLength <= 0) throw new ArgumentException($"AdaptiveAvgPool1d: output length {outLength} must be positive");
        int len = Shape[^1];
        if (len == 0) throw new ArgumentException("AdaptiveAvgPool1d: empty input length");
        int rows = (int)(Numel / len);
        var y = Empty(PooledShape(outLength), Device);
        Backend.AdaptiveAvgPool1d(Storage, y.Storage, rows, len, outLength);
        var x = this;
        return y.Record("adaptive_avg_pool1d", [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.AdaptiveAvgPool1dBackward(g.Storage, dx.Storage, rows, len, outLength);
            return [dx];
        });
    }

    /// <summary>
    /// Linear resampling of the last axis to <paramref name="outLength"/> positions, as torch's
    /// <c>F.interpolate(mode='linear', align_corners=False)</c>: a product with the constant
    /// <see cref="LinearInterpolationMatrix"/> (so its backward is the matrix product's). Any rank ≥ 1.
    /// </summary>
    public Tensor InterpolateLinear1d(int outLength)
    {
        if (Rank < 1) throw new ArgumentException("InterpolateLinear1d: a scalar has no axis to resample");
        if (outLength <= 0) throw new ArgumentException($"InterpolateLinear1d: output length {outLength} must be positive");
        int len = Shape[^1];
        if (len == 0) throw new ArgumentException($"InterpolateLinear1d: input {ShapeUtil.Format(Shape)} has an empty last axis");
        if (len == outLength) return this;
        // the matrix is a temporary of the current scope, like any intermediate of the step
        return MatMul(FromArray(LinearInterpolationMatrix(len, outLength), [len, outLength], Device));
    }

    /// <summary>
    /// The (from, to) matrix W of linear interpolation with align_corners=False: x (…, from) · W is x resampled to
    /// (…, to). Output j reads the source position (j + ½)·from/to − ½, clamped to [0, from − 1].
    /// </summary>
    public static float[] LinearInterpolationMatrix(int from, int to)
    {
        var w = new float[from * to];
        double scale = (double)from / to;
        for (int j = 0; j < to; j++)
        {
            double src = Math.Max((j + 0.5) * scale - 0.5, 0);
            int i0 = Math.Min((int)Math.Floor(src), from - 1);
            int i1 = Math.Min(i0 + 1, from - 1);
            double l1 = src - i0;
            w[i0 * to + j] += (float)(1 - l1);
            w[i1 * to + j] += (float)l1;
        }
        return w;
    }

    /// <summary>Mean over the time axis: (N, C, L) → (N, C), or (N, C, 1) with <paramref name="keepDim"/>.</summary>
    public Tensor GlobalAvgPool1d(bool keepDim = false)
    {
        var y = AdaptiveAvgPool1d(1);
        return keepDim ? y : y.Squeeze(-1);
    }
}
