using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Softmax over the last axis of (rows, cols): one thread per row, the cpu backend's algorithm.</summary>
public static class SoftmaxKernels
{
    /// <summary>y = softmax(x) (log = 0) or log_softmax(x) (log = 1), max-subtracted.</summary>
    [IlgpuKernel]
    public static void Softmax(Index1D t, long stride, ArrayView<float> x, ArrayView<float> y, int rows, int cols, int log)
    {
        for (long row = t; row < rows; row += stride)
        {
            long b = row * cols;
            float max = x[b];
            for (int j = 1; j < cols; j++) { float v = x[b + j]; if (v > max) max = v; }
            float sum = 0f;
            if (log != 0)
            {
                for (int j = 0; j < cols; j++) sum += MathF.Exp(x[b + j] - max);
                float lse = MathF.Log(sum);
                for (int j = 0; j < cols; j++) y[b + j] = x[b + j] - max - lse;
            }
            else
            {
                for (int j = 0; j < cols; j++) { float e = MathF.Exp(x[b + j] - max); y[b + j] = e; sum += e; }
                float inv = 1f / sum;
                for (int j = 0; j < cols; j++) y[b + j] *= inv;
            }
        }
    }

    /// <summary>dx from the softmax output y: y*(dy - &lt;dy,y&gt;), or for log-softmax dy - exp(y)*sum(dy).</summary>
    [IlgpuKernel]
    public static void SoftmaxBackward(Index1D t, long stride, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int rows, int cols, int log)
    {
        for (long row = t; row < rows; row += stride)
        {
            long b = row * cols;
            float s = 0f;
            if (log != 0)
            {
                for (int j = 0; j < cols; j++) s += dy[b + j];
                for (int j = 0; j < cols; j++) dx[b + j] = dy[b + j] - MathF.Exp(y[b + j]) * s;
            }
            else
            {
                for (int j = 0; j < cols; j++) s += dy[b + j] * y[b + j];
                for (int j = 0; j < cols; j++) dx[b + j] = (dy[b + j] - s) * y[b + j];
            }
        }
    }
}
