using System.Numerics.Tensors;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Reduce(ReduceOp op, Storage x, Storage y, int outer, int r, int inner)
    {
        float* px = S(x).Ptr, py = S(y).Ptr;
        if (inner == 1)
        {
            if (outer == 1 && r >= 1 << 20) { *py = ReduceLongRow(op, px, r); return; }
            CpuParallel.For(outer, Math.Max(1, 32768 / Math.Max(r, 1)), (o0, o1) =>
            {
                for (long o = o0; o < o1; o++) py[o] = ReduceRow(op, new ReadOnlySpan<float>(px + o * r, r));
            });
            return;
        }
        // reduce whole rows of length inner into the output row: vector adds, fixed order
        CpuParallel.For(outer, Math.Max(1, 32768 / Math.Max((long)r * inner, 1)), (o0, o1) =>
        {
            for (long o = o0; o < o1; o++)
            {
                var acc = new Span<float>(py + o * inner, inner);
                float* baseX = px + o * (long)r * inner;
                new ReadOnlySpan<float>(baseX, inner).CopyTo(acc);
                for (int k = 1; k < r; k++)
                {
                    var row = new ReadOnlySpan<float>(baseX + (long)k * inner, inner);
                    switch (op)
                    {
                        case ReduceOp.Sum: TensorPrimitives.Add(acc, row, acc); break;
                        case ReduceOp.Max: TensorPrimitives.Max(acc, row, acc); break;
                        case ReduceOp.Min: TensorPrimitives.Min(acc, row, acc); break;
                    }
                }
            }
        });
    }

    private static float ReduceRow(ReduceOp op, ReadOnlySpan<float> row) => op switch
    {
        ReduceOp.Sum => TensorPrimitives.Sum(row),
        ReduceOp.Max => TensorPrimitives.Max(row),
        _ => TensorPrimitives.Min(row),
    };

    /// <summary>A long row in fixed 256K-float chunks over the cores, combined in chunk order (same result for any thread count).</summary>
    private static float ReduceLongRow(ReduceOp op, float* p, int n)
    {
        const int chunk = 1 << 18;
        int chunks = (n + chunk - 1) / chunk;
        var partial = new float[chunks];
        CpuParallel.For(chunks, 1, (c0, c1) =>
        {
            for (long c = c0; c < c1; c++)
            {
                long start = c * chunk;
                partial[c] = ReduceRow(op, new ReadOnlySpan<float>(p + start, (int)Math.Min(chunk, n - start)));
            }
        });
        float acc = partial[0];
        for (int c = 1; c < chunks; c++)
            acc = op == ReduceOp.Sum ? acc + partial[c] : op == ReduceOp.Max ? MathF.Max(acc, partial[c]) : MathF.Min(acc, partial[c]);
        return acc;
    }

    public void Softmax(Storage x, Storage y, int rows, int cols, bool log)
    {
        float* px = S(x).Ptr, py = S(y).Ptr;
        CpuParallel.For(rows, Math.Max(1, 8192 / Math.Max(cols, 1)), (r0, r1) =>
        {
            float* e = stackalloc float[1024];
            for (long r = r0; r < r1; r++)
            {
                var src = new ReadOnlySpan<float>(px + r * cols, cols);
                var dst = new Span<float>(py + r * cols, cols);
                float max = TensorPrimitives.Max(src);
                TensorPrimitives.Subtract(src, max, dst);
                if (log)
                {
                    // e^(x − max) into a scratch row only to sum it
                    float sum = 0f;
                    for (int c0 = 0; c0 < cols; c0 += 1024)
                    {
                        int len = Math.Min(1024, cols - c0);
                        VecMath.Exp(py + r * cols + c0, e, len);
                        sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(e, len));
                    }
                    TensorPrimitives.Subtract(dst, MathF.Log(sum), dst);
                }
                else
                {
                    VecMath.Exp(py + r * cols, py + r * cols, cols);
                    TensorPrimitives.Multiply(dst, 1f / TensorPrimitives.Sum(dst), dst);
                }
            }
        });
    }

    public void SoftmaxBackward(Storage y, Storage dy, Storage dx, int rows, int cols, bool log)
    {
        float* py = S(y).Ptr, pg = S(dy).Ptr, pd = S(dx).Ptr;
        CpuParallel.For(rows, Math.Max(1, 8192 / Math.Max(cols, 1)), (r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                var yr = new ReadOnlySpan<float>(py + r * cols, cols);
                var gr = new ReadOnlySpan<float>(pg + r * cols, cols);
                var dr = new Span<float>(pd + r * cols, cols);
                if (log)
                {
                    // dx = dy - softmax * sum(dy)
                    float sum = TensorPrimitives.Sum(gr);
                    VecMath.Exp(py + r * cols, pd + r * cols, cols);
                    TensorPrimitives.MultiplyAdd(dr, -sum, gr, dr);
                }
                else
                {
                    // dx = y * (dy - <dy, y>)
                    float dot = TensorPrimitives.Dot(gr, yr);
                    TensorPrimitives.Subtract(gr, dot, dr);
                    TensorPrimitives.Multiply(dr, yr, dr);
                }
            }
        });
    }
}
