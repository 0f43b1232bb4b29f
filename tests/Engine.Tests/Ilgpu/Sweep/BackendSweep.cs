using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// The <see cref="IBackend"/>-level sweep: every method, every UnaryOp/BinaryOp/ReduceOp, odd sizes (1, 7, 129)
/// and the broadcast patterns. One line per case (or per generated group); add a row to cover a new op.
/// </summary>
public static class BackendSweep
{
    private static readonly int[] Sizes = [1, 7, 129];

    public static IReadOnlyList<SweepCase> Cases { get; } = Build();

    private static List<SweepCase> Build()
    {
        var c = new List<SweepCase>();

        // ---- memory
        foreach (var n in Sizes)
        {
            c.Add(Case($"fill/{n}", Tolerance.Elementwise, (s, r) =>
            {
                var x = s.Up(r.Uniform(n + 6));
                s.Be.Fill(x, 3, n, 1.25f);
                return [s.Down(x, n + 6)];
            }));
            c.Add(Case($"copy/{n}", Tolerance.Elementwise, (s, r) =>
            {
                var x = s.Up(r.Uniform(n + 5));
                var y = s.Up(r.Uniform(n + 9));
                s.Be.Copy(x, 2, y, 4, n);
                var part = new float[n];
                s.Be.Download(y, 4, part); // download at an offset
                return [s.Down(y, n + 9), part];
            }));
        }

        // ---- strided copies: (name, shape, source strides, source offset, destination strides, destination offset)
        (string, int[], long[], long, long[], long)[] copies =
        [
            ("transpose", [7, 5], [1, 7], 0, [5, 1], 0),
            ("permute3", [3, 4, 2], [1, 6, 3], 0, [8, 2, 1], 0),
            ("slice-step", [3, 4], [20, 3], 2, [4, 1], 0),
            ("expand-row", [4, 7], [0, 1], 0, [7, 1], 0),
            ("expand-col", [4, 7], [1, 0], 0, [7, 1], 0),
            ("scalar-fill", [3, 5], [0, 0], 5, [5, 1], 0),
            ("concat-dst", [3, 4], [4, 1], 0, [9, 1], 5),
            ("contiguous-offset", [129], [1], 3, [1], 1),
            ("rank8", [2, 2, 2, 2, 2, 2, 2, 3], [0, 64, 0, 16, 0, 4, 0, 1], 0, [384, 192, 96, 48, 24, 12, 6, 1], 0),
        ];
        foreach (var (name, shape, ss, so, ds, dof) in copies)
            c.Add(Case($"strided-copy/{name}", Tolerance.Elementwise, (s, r) =>
            {
                long srcLen = Extent(shape, ss) + so + 1, dstLen = Extent(shape, ds) + dof + 1;
                var x = s.Up(r.Uniform(srcLen));
                var y = s.Up(r.Uniform(dstLen));
                s.Be.StridedCopy(new StridedView(x, so, ss), new StridedView(y, dof, ds), shape);
                return [s.Down(y, dstLen)];
            }));

        // ---- unary forward + backward, every op
        foreach (var op in Enum.GetValues<UnaryOp>())
        foreach (var n in Sizes)
            c.Add(Case($"unary/{op}/{n}", Tolerance.Elementwise, (s, r) =>
            {
                var (lo, hi) = UnaryDomain(op);
                var (a, b) = UnaryParams(op);
                var x = s.Up(r.Uniform(n, lo, hi));
                var dy = s.Up(r.Uniform(n));
                var y = s.Empty(n);
                var dx = s.Empty(n);
                s.Be.Unary(op, x, y, n, a, b);
                s.Be.UnaryBackward(op, x, y, dy, dx, n, a, b);
                return [s.Down(y, n), s.Down(dx, n)];
            }));

        // ---- binary with broadcasting, every op: (name, a shape, b shape)
        (string, int[], int[])[] shapes =
        [
            ("same-1", [1], [1]),
            ("same-7", [7], [7]),
            ("same-129", [129], [129]),
            ("same-3x5x7", [3, 5, 7], [3, 5, 7]),
            ("scalar-rhs", [3, 7], []),
            ("scalar-lhs", [], [3, 7]),
            ("row", [4, 7], [7]),
            ("column", [4, 7], [4, 1]),
            ("middle-axis", [3, 5, 7], [3, 1, 7]),
            ("outer", [4, 1], [1, 7]),
            ("rank-up", [2, 3, 4], [3, 1]),
        ];
        foreach (var op in Enum.GetValues<BinaryOp>())
        foreach (var (name, sa, sb) in shapes)
            c.Add(Case($"binary/{op}/{name}", Tolerance.Elementwise, (s, r) =>
            {
                var outShape = ShapeUtil.Broadcast(sa, sb);
                var (xa, xb) = BinaryInputs(op, r, ShapeUtil.Numel(sa), ShapeUtil.Numel(sb));
                var a = s.Up(xa);
                var b = s.Up(xb);
                long n = ShapeUtil.Numel(outShape);
                var y = s.Empty(n);
                s.Be.Binary(op, a, ShapeUtil.BroadcastStrides(sa, outShape), b, ShapeUtil.BroadcastStrides(sb, outShape), y, outShape);
                return [s.Down(y, n)];
            }));
        // an operand read through permuted strides (a is stored (4, 7), read as its transpose (7, 4))
        c.Add(Case("binary/Sub/transposed-lhs", Tolerance.Elementwise, (s, r) =>
        {
            var a = s.Up(r.Uniform(28));
            var b = s.Up(r.Uniform(4));
            var y = s.Empty(28);
            s.Be.Binary(BinaryOp.Sub, a, [1, 7], b, [0, 1], y, [7, 4]);
            return [s.Down(y, 28)];
        }));
        // eight axes that cannot be merged: the most the ILGPU kernels take
        c.Add(Case("binary/Mul/rank8", Tolerance.Elementwise, (s, r) =>
        {
            int[] shape = [2, 2, 2, 2, 2, 2, 2, 3];
            var a = s.Up(r.Uniform(384));
            var b = s.Up(r.Uniform(24));
            var y = s.Empty(384);
            s.Be.Binary(BinaryOp.Mul, a, ShapeUtil.ContiguousStrides(shape), b, [0, 12, 0, 6, 0, 3, 0, 1], y, shape);
            return [s.Down(y, 384)];
        }));

        // ---- reductions, every op: (outer, r, inner)
        (int, int, int)[] reductions = [(1, 1, 1), (1, 7, 1), (3, 129, 1), (1, 129, 7), (7, 5, 3), (5, 1, 4), (2, 3000, 1), (1, 2500, 2)];
        foreach (var op in Enum.GetValues<ReduceOp>())
        foreach (var (outer, rr, inner) in reductions)
            c.Add(Case($"reduce/{op}/{outer}x{rr}x{inner}", Tolerance.Reduction.Scaled(Math.Sqrt(rr)), (s, r) =>
            {
                long n = (long)outer * rr * inner;
                var x = s.Up(r.Uniform(n));
                var y = s.Empty((long)outer * inner);
                s.Be.Reduce(op, x, y, outer, rr, inner);
                return [s.Down(y, (long)outer * inner)];
            }));

        // ---- gemm: batch, m, n, k, transA, transB, alpha, beta, A broadcast over batch, B broadcast, ld padding, offset
        (int, int, int, int, bool, bool, float, float, bool, bool, int, int)[] gemms =
        [
            (1, 1, 1, 1, false, false, 1f, 0f, false, false, 0, 0),
            (1, 7, 5, 3, false, false, 1f, 0f, false, false, 0, 0),
            (1, 7, 5, 3, true, false, 1f, 0f, false, false, 0, 0),
            (1, 7, 5, 3, false, true, 1f, 0f, false, false, 0, 0),
            (1, 7, 5, 3, true, true, 0.5f, 0f, false, false, 0, 0),
            (1, 129, 7, 129, false, false, 1f, 0f, false, false, 0, 0),
            (1, 9, 129, 17, false, true, 1f, 1f, false, false, 0, 0),
            (1, 6, 5, 4, false, false, 1.5f, -0.5f, false, false, 3, 2),
            (1, 5, 6, 4, true, true, 1f, 0f, false, false, 2, 5),
            (3, 4, 5, 6, false, false, 1f, 0f, false, false, 0, 0),
            (3, 4, 5, 6, true, false, 1f, 0.25f, true, false, 1, 1),
            (3, 4, 5, 6, false, true, 1f, 0f, false, true, 0, 3),
            (4, 7, 1, 9, false, false, 2f, 0f, false, false, 0, 0),
            (2, 3, 4, 0, false, false, 1f, 0.5f, false, false, 0, 0), // K = 0: C = beta * C
            (2, 3, 4, 5, false, false, 0f, 0f, false, false, 0, 0),   // alpha = 0: C = 0
        ];
        foreach (var g in gemms)
        {
            var (batch, m, n, k, ta, tb, alpha, beta, a0, b0, pad, off) = g;
            c.Add(Case($"gemm/b{batch}-{m}x{n}x{k}-{(ta ? "T" : "N")}{(tb ? "T" : "N")}-a{alpha}-b{beta}{(a0 ? "-bcastA" : "")}{(b0 ? "-bcastB" : "")}-pad{pad}-off{off}",
                Tolerance.Gemm, (s, r) => RunGemm(s, r, g)));
        }

        // ---- softmax forward + backward
        foreach (var (rows, cols) in new[] { (1, 1), (3, 7), (2, 129), (129, 3) })
        foreach (var log in new[] { false, true })
            c.Add(Case($"softmax/{(log ? "log" : "plain")}/{rows}x{cols}", Tolerance.Reduction, (s, r) =>
            {
                long n = (long)rows * cols;
                var x = s.Up(r.Uniform(n, -4f, 4f));
                var dy = s.Up(r.Uniform(n));
                var y = s.Empty(n);
                var dx = s.Empty(n);
                s.Be.Softmax(x, y, rows, cols, log);
                s.Be.SoftmaxBackward(y, dy, dx, rows, cols, log);
                return [s.Down(y, n), s.Down(dx, n)];
            }));

        // ---- optimisers: three steps
        foreach (var (name, h) in new[]
                 {
                     ("adam", new AdamArgs(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, false, 1)),
                     ("adam-l2", new AdamArgs(1e-2f, 0.9f, 0.99f, 1e-6f, 0.1f, false, 1)),
                     ("adamw", new AdamArgs(3e-3f, 0.8f, 0.999f, 1e-8f, 0.05f, true, 1)),
                 })
        foreach (var n in Sizes)
            c.Add(Case($"optim/{name}/{n}", Tolerance.Elementwise.Scaled(10), (s, r) =>
            {
                var p = s.Up(r.Uniform(n));
                var m = s.Filled(n, 0f);
                var v = s.Filled(n, 0f);
                for (int step = 1; step <= 3; step++)
                {
                    var grad = s.Up(r.Uniform(n));
                    s.Be.AdamStep(p, grad, m, v, n, h with { Step = step });
                }
                return [s.Down(p, n), s.Down(m, n), s.Down(v, n)];
            }));
        foreach (var (name, h) in new[]
                 {
                     ("sgd", new SgdArgs(0.1f, 0f, 0f, 0f, false, true)),
                     ("sgd-wd", new SgdArgs(0.1f, 0f, 0f, 0.01f, false, true)),
                     ("sgd-momentum", new SgdArgs(0.05f, 0.9f, 0f, 0f, false, true)),
                     ("sgd-nesterov-dampening", new SgdArgs(0.05f, 0.9f, 0.1f, 0.001f, true, true)),
                 })
        foreach (var n in Sizes)
            c.Add(Case($"optim/{name}/{n}", Tolerance.Elementwise.Scaled(10), (s, r) =>
            {
                var p = s.Up(r.Uniform(n));
                // without momentum the buffer is unused: pass a one-float dummy, as an optimiser may
                var buf = h.Momentum == 0f ? s.Filled(1, 0f) : s.Filled(n, 0f);
                for (int step = 0; step < 3; step++)
                {
                    var grad = s.Up(r.Uniform(n));
                    s.Be.SgdStep(p, grad, buf, n, h with { FirstStep = step == 0 });
                }
                return h.Momentum == 0f ? [s.Down(p, n)] : [s.Down(p, n), s.Down(buf, n)];
            }));

        return c;
    }

    private static SweepCase Case(string name, Tolerance tol, Func<Host.Session, Inputs, float[][]> body)
    {
        float[][] OnBackend(IBackend be)
        {
            using var s = new Host.Session(be);
            return body(s, new Inputs(name));
        }
        return new SweepCase(name, device => OnBackend(device.Backend), tol) { RunBackend = OnBackend };
    }

    private static long Extent(int[] shape, long[] strides)
    {
        long e = 0;
        for (int i = 0; i < shape.Length; i++) e += (shape[i] - 1) * strides[i];
        return e;
    }

    private static (float lo, float hi) UnaryDomain(UnaryOp op) => op switch
    {
        UnaryOp.Log or UnaryOp.Sqrt or UnaryOp.Reciprocal or UnaryOp.PowScalar => (0.2f, 3f),
        UnaryOp.Log1p => (-0.5f, 3f),
        UnaryOp.Relu6 or UnaryOp.Hardswish or UnaryOp.Hardsigmoid => (-8f, 8f),
        _ => (-4f, 4f),
    };

    private static (float a, float b) UnaryParams(UnaryOp op) => op switch
    {
        UnaryOp.Clamp => (-0.5f, 0.7f),
        UnaryOp.PowScalar => (1.7f, 0f),
        UnaryOp.Affine => (2.5f, -0.3f),
        UnaryOp.LeakyRelu => (0.1f, 0f),
        UnaryOp.Elu => (1.0f, 0f),
        _ => (0f, 0f),
    };

    private static (float[] a, float[] b) BinaryInputs(BinaryOp op, Inputs r, long na, long nb) => op switch
    {
        BinaryOp.Div => (r.Uniform(na, -2f, 2f), r.AwayFromZero(nb, 0.5f, 2f)),
        BinaryOp.Pow => (r.Uniform(na, 0.3f, 2f), r.Uniform(nb, -2f, 2f)),
        BinaryOp.Equal or BinaryOp.Greater or BinaryOp.Maximum or BinaryOp.Minimum => (r.Integers(na, -2, 2), r.Integers(nb, -2, 2)),
        _ => (r.Uniform(na), r.Uniform(nb)),
    };

    private static float[][] RunGemm(Host.Session s, Inputs r, (int, int, int, int, bool, bool, float, float, bool, bool, int, int) g)
    {
        var (batch, m, n, k, ta, tb, alpha, beta, a0, b0, pad, off) = g;
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        long strideA = a0 ? 0 : (long)aRows * lda, strideB = b0 ? 0 : (long)bRows * ldb, strideC = (long)m * ldc;
        long lenA = off + (batch - 1) * strideA + (long)aRows * lda;
        long lenB = off + (batch - 1) * strideB + (long)bRows * ldb;
        long lenC = off + (batch - 1) * strideC + (long)m * ldc;
        var a = s.Up(r.Uniform(Math.Max(lenA, 1)));
        var b = s.Up(r.Uniform(Math.Max(lenB, 1)));
        // beta = 0 must not read C: fill it with NaN, which would poison any product that reads it
        var c = beta == 0f ? s.Filled(lenC, float.NaN) : s.Up(r.Uniform(lenC));
        s.Be.Gemm(new GemmArgs(batch, m, n, k, alpha, beta, a, off, strideA, lda, ta, b, off, strideB, ldb, tb, c, off, strideC, ldc));
        var result = s.Down(c, lenC);
        if (beta == 0f) // the padding stays NaN on both devices; a NaN where C was written means C was read
            for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                if (float.IsNaN(result[off + bi * strideC + (long)i * ldc + j]))
                    throw new InvalidOperationException($"{s.Be.Name}: gemm with beta 0 read C (NaN at batch {bi}, row {i}, column {j})");
        return [result];
    }
}
