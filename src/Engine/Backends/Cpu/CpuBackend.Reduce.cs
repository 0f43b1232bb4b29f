using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
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
        // reduce rows of length inner into the output row, element-wise in a fixed order (k = 0, 1, ...); the columns are
        // split into slices so that a single long reduction (a bias gradient over 8192 rows) still uses every core
        int slices = outer >= CpuParallel.Threads ? 1 : Math.Max(1, Math.Min(4 * CpuParallel.Threads, inner / 64));
        int width = (inner + slices - 1) / slices;
        width = (width + 7) / 8 * 8;
        slices = (inner + width - 1) / width;
        CpuParallel.For((long)outer * slices, Math.Max(1, 32768 / Math.Max((long)r * width, 1)), (t0, t1) =>
        {
            for (long t = t0; t < t1; t++)
            {
                long o = t / slices;
                int j0 = (int)(t % slices) * width, n = Math.Min(width, inner - j0);
                float* acc = py + o * inner + j0;
                float* baseX = px + o * (long)r * inner + j0;
                new ReadOnlySpan<float>(baseX, n).CopyTo(new Span<float>(acc, n));
                for (int k = 1; k < r; k++)
                {
                    float* row = baseX + (long)k * inner;
                    int j = 0;
                    if (Vector256.IsHardwareAccelerated)
                    {
                        for (; j + 8 <= n; j += 8)
                        {
                            var a = Vector256.Load(acc + j);
                            var v = Vector256.Load(row + j);
                            a = op switch { ReduceOp.Sum => a + v, ReduceOp.Max => Vector256.Max(a, v), _ => Vector256.Min(a, v) };
                            a.Store(acc + j);
                        }
                    }
                    for (; j < n; j++)
                        acc[j] = op switch { ReduceOp.Sum => acc[j] + row[j], ReduceOp.Max => MathF.Max(acc[j], row[j]), _ => MathF.Min(acc[j], row[j]) };
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
