using HarFromScratch.Engine.Backends;

namespace HarFromScratch.Engine.Tensors;

/// <summary>Softmax and log-softmax along an axis (fused row kernels; other axes go through a permute).</summary>
public sealed partial class Tensor
{
    public Tensor Softmax(int axis = -1) => SoftmaxImpl(axis, log: false);
    public Tensor LogSoftmax(int axis = -1) => SoftmaxImpl(axis, log: true);

    private Tensor SoftmaxImpl(int axis, bool log)
    {
        axis = ShapeUtil.NormalizeAxis(axis, Rank, log ? "LogSoftmax" : "Softmax");
        if (axis != Rank - 1)
        {
            var p = Transpose(axis, -1);
            return p.SoftmaxImpl(-1, log).Transpose(axis, -1);
        }
        int cols = Shape[^1];
        int rows = (int)(Numel / Math.Max(cols, 1));
        var y = Empty((int[])Shape.Clone(), Device);
        Backend.Softmax(Storage, y.Storage, rows, cols, log);
        return y.Record(log ? "log_softmax" : "softmax", [this], g =>
        {
            var dx = Empty((int[])y.Shape.Clone(), y.Device);
            y.Backend.SoftmaxBackward(y.Storage, g.Storage, dx.Storage, rows, cols, log);
            return [dx];
        });
    }
}
