using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Geometry of a 1-D convolution over (batch, channels, time) tensors, all contiguous.
/// x is (Batch, InChannels, InLength), w is (OutChannels, InChannels/Groups, Kernel), y is (Batch, OutChannels, OutLength).
/// y[n, co, t] = bias[co] + Σ_{ci in group, k} w[co, ci, k] · x[n, ci, t·Stride + k·Dilation − PadLeft],
/// reading zeros outside [0, InLength). Right padding is implied by OutLength (so "same" padding may be asymmetric).
/// </summary>
public readonly record struct Conv1dArgs(
    int Batch, int InChannels, int OutChannels, int InLength, int OutLength,
    int Kernel, int Stride, int PadLeft, int Dilation, int Groups)
{
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;

    /// <summary>Each output channel reads exactly one input channel (depthwise, any channel multiplier).</summary>
    public bool IsDepthwise => InPerGroup == 1;

    /// <summary>Kernel 1, stride 1, no padding: a matrix product per batch element and group.</summary>
    public bool IsPointwise => Kernel == 1 && Stride == 1 && PadLeft == 0 && OutLength == InLength;

    /// <summary>Multiply-adds of the forward pass.</summary>
    public long Macs => (long)Batch * OutChannels * OutLength * InPerGroup * Kernel;
}

/// <summary>
/// Geometry of a 1-D pooling window over (Rows = batch·channels, InLength) rows: output t covers input
/// positions t·Stride − PadLeft + [0, Kernel). Max pooling ignores padded positions; average pooling divides by
/// Kernel when CountIncludePad, else by the number of real positions in the window.
/// </summary>
public readonly record struct Pool1dArgs(int Rows, int InLength, int OutLength, int Kernel, int Stride, int PadLeft, bool CountIncludePad = true);

/// <summary>The convolution family: convolutions, pooling and normalisation kernels (issue 3).</summary>
public partial interface IBackend
{
    /// <summary>Convolution forward; <paramref name="bias"/> (OutChannels) may be null.</summary>
    void Conv1d(in Conv1dArgs a, Storage x, Storage w, Storage? bias, Storage y);

    /// <summary>dx = ∂L/∂x from dy (written, not accumulated).</summary>
    void Conv1dBackwardInput(in Conv1dArgs a, Storage dy, Storage w, Storage dx);

    /// <summary>dw (OutChannels, InChannels/Groups, Kernel) and, when not null, dbias (OutChannels), written; reduced in a fixed order.</summary>
    void Conv1dBackwardWeight(in Conv1dArgs a, Storage x, Storage dy, Storage dw, Storage? dbias);

    /// <summary>Max over each window; <paramref name="argmax"/> receives the input position of the maximum (as a float; −1 for an all-padding window).</summary>
    void MaxPool1d(in Pool1dArgs a, Storage x, Storage y, Storage argmax);

    /// <summary>dx (written) from dy through the saved argmax positions.</summary>
    void MaxPool1dBackward(in Pool1dArgs a, Storage dy, Storage argmax, Storage dx);

    void AvgPool1d(in Pool1dArgs a, Storage x, Storage y);

    /// <summary>dx (written) from dy.</summary>
    void AvgPool1dBackward(in Pool1dArgs a, Storage dy, Storage dx);

    /// <summary>Adaptive average pooling of (rows, inLength) to (rows, outLength): window i is [⌊i·L/out⌋, ⌈(i+1)·L/out⌉).</summary>
    void AdaptiveAvgPool1d(Storage x, Storage y, int rows, int inLength, int outLength);

    void AdaptiveAvgPool1dBackward(Storage dy, Storage dx, int rows, int inLength, int outLength);

    /// <summary>Per-channel mean and biased variance of an (n, c, t) tensor over n and t.</summary>
    void BatchNormStats(Storage x, Storage mean, Storage var, int n, int c, int t);

    /// <summary>y = (x − mean[c]) / sqrt(var[c] + eps) · weight[c] + bias[c] over an (n, c, t) tensor; weight/bias may be null (1 and 0).</summary>
    void BatchNormForward(Storage x, Storage mean, Storage var, Storage? weight, Storage? bias, Storage y, int n, int c, int t, float eps);

    /// <summary>
    /// Gradients of <see cref="BatchNormForward"/>. With <paramref name="batchStats"/> the mean and var were computed from this
    /// batch (training: the gradient flows through them); otherwise they are constants (eval with running statistics).
    /// Any of dx, dweight, dbias may be null (not wanted). All are written.
    /// </summary>
    void BatchNormBackward(Storage x, Storage dy, Storage mean, Storage var, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias,
        int n, int c, int t, float eps, bool batchStats);

    /// <summary>Normalises each row of a (rows, cols) tensor; saves per-row mean and 1/std; weight/bias (cols) may be null.</summary>
    void LayerNorm(Storage x, Storage? weight, Storage? bias, Storage y, Storage mean, Storage rstd, int rows, int cols, float eps);

    /// <summary>Gradients of <see cref="LayerNorm"/>; any output may be null. dweight/dbias are reduced over rows in a fixed order.</summary>
    void LayerNormBackward(Storage x, Storage dy, Storage mean, Storage rstd, Storage? weight, Storage? dx, Storage? dweight, Storage? dbias, int rows, int cols);
}
