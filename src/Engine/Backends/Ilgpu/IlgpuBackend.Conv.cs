using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Convolution family (issue 3): host side of <see cref="ConvKernels"/>, every range checked before launch.</summary>
public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, ConvGeometry, int>? _convForward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, ConvGeometry>? _convBackwardInput, _convBackwardWeight;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, int, int>? _channelSum;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, PoolGeometry>? _maxPool, _maxPoolBackward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, PoolGeometry>? _avgPool, _avgPoolBackward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long, int, int>? _adaptivePool, _adaptivePoolBackward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _bnStats;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _bnForward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _bnBackwardSums;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _bnBackwardData;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _lnForward;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _lnBackwardData;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long, NormGeometry>? _lnBackwardParams;

    private static void CheckConv(in Conv1dArgs a)
    {
        if (a.Batch < 0 || a.Groups <= 0 || a.InChannels <= 0 || a.OutChannels <= 0 || a.InChannels % a.Groups != 0 || a.OutChannels % a.Groups != 0
            || a.Kernel <= 0 || a.Stride <= 0 || a.Dilation <= 0 || a.PadLeft < 0 || a.InLength <= 0 || a.OutLength <= 0)
            throw new ArgumentException($"conv1d: invalid geometry {a}");
    }

    private static long XLen(in Conv1dArgs a) => (long)a.Batch * a.InChannels * a.InLength;
    private static long YLen(in Conv1dArgs a) => (long)a.Batch * a.OutChannels * a.OutLength;
    private static long WLen(in Conv1dArgs a) => (long)a.OutChannels * a.InPerGroup * a.Kernel;

    public void Conv1d(in Conv1dArgs a, Storage x, Storage w, Storage? bias, Storage y)
    {
        CheckConv(a);
        long n = YLen(a);
        if (n == 0) return;
        CheckRange(x, 0, XLen(a) - 1, "Conv1d x");
        CheckRange(w, 0, WLen(a) - 1, "Conv1d w");
        CheckRange(y, 0, n - 1, "Conv1d y");
        if (bias != null) CheckRange(bias, 0, a.OutChannels - 1, "Conv1d bias");
        var e = Extent(n);
        K(ref _convForward, ConvKernels.Conv1dForward)(e, e.X, View(x), View(w), View(bias ?? w), View(y), n, new ConvGeometry(a), bias != null ? 1 : 0);
    }

    public void Conv1dBackwardInput(in Conv1dArgs a, Storage dy, Storage w, Storage dx)
    {
        CheckConv(a);
        long n = XLen(a);
        if (n == 0) return;
        CheckRange(dy, 0, YLen(a) - 1, "Conv1dBackwardInput dy");
        CheckRange(w, 0, WLen(a) - 1, "Conv1dBackwardInput w");
        CheckRange(dx, 0, n - 1, "Conv1dBackwardInput dx");
        var e = Extent(n);
        K(ref _convBackwardInput, ConvKernels.Conv1dBackwardInput)(e, e.X, View(dy), View(w), View(dx), n, new ConvGeometry(a));
    }

    public void Conv1dBackwardWeight(in Conv1dArgs a, Storage x, Storage dy, Storage dw, Storage? dbias)
    {
        CheckConv(a);
        long n = WLen(a);
        CheckRange(x, 0, XLen(a) - 1, "Conv1dBackwardWeight x");
        CheckRange(dy, 0, YLen(a) - 1, "Conv1dBackwardWeight dy");
        CheckRange(dw, 0, n - 1, "Conv1dBackwardWeight dw");
        var e = Extent(n);
        K(ref _convBackwardWeight, ConvKernels.Conv1dBackwardWeight)(e, e.X, View(x), View(dy), View(dw), n, new ConvGeometry(a));
        if (dbias == null) return;
        CheckRange(dbias, 0, a.OutChannels - 1, "Conv1dBackwardWeight dbias");
        var eb = Extent(a.OutChannels);
        K(ref _channelSum, ConvKernels.ChannelSum)(eb, eb.X, View(dy), View(dbias), a.OutChannels, a.Batch, a.OutLength);
    }

    private static void CheckPool(in Pool1dArgs a, Storage x, Storage y, string op)
    {
        if (a.Rows < 0 || a.InLength <= 0 || a.OutLength <= 0 || a.Kernel <= 0 || a.Stride <= 0 || a.PadLeft < 0)
            throw new ArgumentException($"{op}: invalid geometry {a}");
        CheckRange(x, 0, (long)a.Rows * a.InLength - 1, op + " input");
        CheckRange(y, 0, (long)a.Rows * a.OutLength - 1, op + " output");
    }

    public void MaxPool1d(in Pool1dArgs a, Storage x, Storage y, Storage argmax)
    {
        CheckPool(a, x, y, "MaxPool1d");
        long n = (long)a.Rows * a.OutLength;
        CheckRange(argmax, 0, n - 1, "MaxPool1d argmax");
        if (n == 0) return;
        var e = Extent(n);
        K(ref _maxPool, ConvKernels.MaxPool1d)(e, e.X, View(x), View(y), View(argmax), n, new PoolGeometry(a));
    }

    public void MaxPool1dBackward(in Pool1dArgs a, Storage dy, Storage argmax, Storage dx)
    {
        CheckPool(a, dx, dy, "MaxPool1dBackward");
        CheckRange(argmax, 0, (long)a.Rows * a.OutLength - 1, "MaxPool1dBackward argmax");
        long n = (long)a.Rows * a.InLength;
        if (n == 0) return;
        var e = Extent(n);
        K(ref _maxPoolBackward, ConvKernels.MaxPool1dBackward)(e, e.X, View(dy), View(argmax), View(dx), n, new PoolGeometry(a));
    }

    public void AvgPool1d(in Pool1dArgs a, Storage x, Storage y)
    {
        CheckPool(a, x, y, "AvgPool1d");
        long n = (long)a.Rows * a.OutLength;
        if (n == 0) return;
        var e = Extent(n);
        K(ref _avgPool, ConvKernels.AvgPool1d)(e, e.X, View(x), View(y), n, new PoolGeometry(a));
    }

    public void AvgPool1dBackward(in Pool1dArgs a, Storage dy, Storage dx)
    {
        CheckPool(a, dx, dy, "AvgPool1dBackward");
        long n = (long)a.Rows * a.InLength;
        if (n == 0) return;
        var e = Extent(n);
        K(ref _avgPoolBackward, ConvKernels.AvgPool1dBackward)(e, e.X, View(dy), View(dx), n, new PoolGeometry(a));
    }

    public void AdaptiveAvgPool1d(Storage x, Storage y, int rows, int inLength, int outLength)
    {
        if (rows <= 0) return;
        if (inLength <= 0 || outLength <= 0) throw new ArgumentException($"AdaptiveAvgPool1d: lengths {inLength} -> {outLength}");
        CheckRange(x, 0, (long)rows * inLength - 1, "AdaptiveAvgPool1d input");
        CheckRange(y, 0, (long)rows * outLength - 1, "AdaptiveAvgPool1d output");
        long n = (long)rows * outLength;
        var e = Extent(n);
        K(ref _adaptivePool, ConvKernels.AdaptiveAvgPool1d)(e, e.X, View(x), View(y), n, inLength, outLength);
    }

    public void AdaptiveAvgPool1dBackward(Storage dy, Storage dx, int rows, int inLength, int outLength)
    {
        if (rows <= 0) return;
        if (inLength <= 0 || outLength <= 0) throw new ArgumentException($"AdaptiveAvgPool1dBackward: lengths {inLength} -> {outLength}");
        CheckRange(dy, 0, (long)rows * outLength - 1, "AdaptiveAvgPool1dBackward dy");
        CheckRange(dx, 0, (long)rows * inLength - 1, "AdaptiveAvgPool1dBackward dx");
        long n = (long)rows * inLength;
        var e = Extent(n);
        K(ref _adaptivePoolBackward, ConvKernels.AdaptiveAvgPool1dBackward)(e, e.X, View(dy), View(dx), n, inLength, outLength);
    }

    private static NormGeometry Norm(int n, int c, int t, Storage? weight, Storage? bias, float eps, bool batchStats = false) => new()
    {
        N = n, C = c, T = t, HasWeight = weight != null ? 1 : 0, HasBias = bias != null ? 1 : 0, BatchStats = batchStats ? 1 : 0, Eps = eps,
    };

    public void BatchNormStats(Storage x, Storage mean, Storage var, int n, int c, int t)
    {
        if (c <= 0) return;
        CheckRange(x, 0, (long)n * c * t - 1, "BatchNormStats x");
        CheckRange(mean, 0, c - 1, "BatchNormStats mean");
        CheckRange(var, 0, c - 1, "BatchNormStats var");
        var e = Extent(c);
        K(ref _bnStats, ConvKernels.BatchNormStats)(e, e.X, View(x), View(mean), View(var), c, Norm(n, c, t, null, null, 0f));
    }

    public void BatchNormForward(Storage x, Storage mean, Storage var, Storage? weight, Storage? bias, Storage y, int n, int c, int t, float eps)
    {
        long len = (long)n * c * t;
        if (len <= 0) return;
        CheckRange(x, 0, len - 1, "BatchNormForward x");
        CheckRange(y, 0, len - 1, "BatchNormForward y");
        CheckRange(mean, 0, c - 1, "BatchNormForward mean");
        CheckRange(var, 0, c - 1, "BatchNormForward var");
        if (weight != null) CheckRange(weight, 0, c - 1, "BatchNormForward weight");
        if (bias != null) CheckRange(bias, 0, c - 1, "BatchNormForward bias");
        var e = Extent(len);
        K(ref _bnForward, ConvKernels.BatchNormForward)(e, e.X, View(x), View(mean), View(var), View(weight ?? mean), View(bias ?? mean), View(y), len,
            Norm(n, c, t, weight, bias, eps));
    }

    public void BatchNormBackward(Storage x, Storage dy, Storage mean, Storage var, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias,
        int n, int c, int t, float eps, bool batchStats)
    {
        long len = (long)n * c * t;
        if (len <= 0 || c <= 0) return;
        CheckRange(x, 0, len - 1, "BatchNormBackward x");
        CheckRange(dy, 0, len - 1, "BatchNormBackward dy");
        CheckRange(mean, 0, c - 1, "BatchNormBackward mean");
        CheckRange(var, 0, c - 1, "BatchNormBackward var");
        if (weight != null) CheckRange(weight, 0, c - 1, "BatchNormBackward weight");
        if (dx != null) CheckRange(dx, 0, len - 1, "BatchNormBackward dx");
        if (dweight != null) CheckRange(dweight, 0, c - 1, "BatchNormBackward dweight");
        if (dbias != null) CheckRange(dbias, 0, c - 1, "BatchNormBackward dbias");
        var g = Norm(n, c, t, weight, null, eps, batchStats);
        var sums = Allocate(2L * c);
        try
        {
            var ec = Extent(c);
            K(ref _bnBackwardSums, ConvKernels.BatchNormBackwardSums)(ec, ec.X, View(x), View(dy), View(mean), View(var), View(sums), c, g);
            if (dbias != null) Copy(sums, 0, dbias, 0, c);
            if (dweight != null) Copy(sums, c, dweight, 0, c);
            if (dx != null)
            {
                var e = Extent(len);
                K(ref _bnBackwardData, ConvKernels.BatchNormBackwardData)(e, e.X, View(x), View(dy), View(mean), View(var), View(weight ?? mean),
                    View(sums), View(dx), len, g);
            }
        }
        finally { Return(sums); } // stream order: later users of the buffer run after these kernels
    }

    public void LayerNorm(Storage x, Storage? weight, Storage? bias, Storage y, Storage mean, Storage rstd, int rows, int cols, float eps)
    {
        if (rows <= 0 || cols <= 0) return;
        long len = (long)rows * cols;
        CheckRange(x, 0, len - 1, "LayerNorm x");
        CheckRange(y, 0, len - 1, "LayerNorm y");
        CheckRange(mean, 0, rows - 1, "LayerNorm mean");
        CheckRange(rstd, 0, rows - 1, "LayerNorm rstd");
        if (weight != null) CheckRange(weight, 0, cols - 1, "LayerNorm weight");
        if (bias != null) CheckRange(bias, 0, cols - 1, "LayerNorm bias");
        var e = Extent(rows);
        K(ref _lnForward, ConvKernels.LayerNormForward)(e, e.X, View(x), View(weight ?? x), View(bias ?? x), View(y), View(mean), View(rstd), rows,
            Norm(rows, cols, 1, weight, bias, eps));
    }

    public void LayerNormBackward(Storage x, Storage dy, Storage mean, Storage rstd, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias, int rows, int cols)
    {
        if (rows <= 0 || cols <= 0) return;
        long len = (long)rows * cols;
        CheckRange(x, 0, len - 1, "LayerNormBackward x");
        CheckRange(dy, 0, len - 1, "LayerNormBackward dy");
        CheckRange(mean, 0, rows - 1, "LayerNormBackward mean");
        CheckRange(rstd, 0, rows - 1, "LayerNormBackward rstd");
        if (weight != null) CheckRange(weight, 0, cols - 1, "LayerNormBackward weight");
        if (dx != null) CheckRange(dx, 0, len - 1, "LayerNormBackward dx");
        if (dweight != null) CheckRange(dweight, 0, cols - 1, "LayerNormBackward dweight");
        if (dbias != null) CheckRange(dbias, 0, cols - 1, "LayerNormBackward dbias");
        var g = Norm(rows, cols, 1, weight, null, 0f);
        if (dx != null)
        {
            var e = Extent(rows);
            K(ref _lnBackwardData, ConvKernels.LayerNormBackwardData)(e, e.X, View(x), View(dy), View(mean), View(rstd), View(weight ?? x), View(dx), rows, g);
        }
        if (dweight == null && dbias == null) return;
        var sums = Allocate(2L * cols);
        try
        {
            var ec = Extent(cols);
            K(ref _lnBackwardParams, ConvKernels.LayerNormBackwardParams)(ec, ec.X, View(x), View(dy), View(mean), View(rstd), View(sums), cols, g);
            if (dweight != null) Copy(sums, 0, dweight, 0, cols);
            if (dbias != null) Copy(sums, cols, dbias, 0, cols);
        }
        finally { Return(sums); }
    }
}
