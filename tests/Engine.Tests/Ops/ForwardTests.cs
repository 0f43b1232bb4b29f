using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Ops;

/// <summary>Forward values against plain reference loops (double accumulation) and hand-computed numbers.</summary>
public class ForwardTests
{
    private static float[] NaiveGemm(float[] a, float[] b, int m, int n, int k, bool ta, bool tb)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
            c[i * n + j] = (float)s;
        }
        return c;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 3)]
    [InlineData(8, 32, 16)]
    [InlineData(9, 33, 17)]
    [InlineData(129, 65, 300)]
    [InlineData(130, 1030, 257)] // crosses the MC, NC and KC block edges
    [InlineData(64, 512, 128)] // an LSTM step: B read in place, one packed A shared by the column groups
    [InlineData(64, 100, 300)] // B in place with a partial (packed) last panel, over two K blocks
    [InlineData(200, 48, 300)] // two row blocks shared by two column groups
    [InlineData(250, 40, 64)] // above the in-place-B row limit
    public void GemmMatchesReferenceForAllTransposes(int m, int n, int k)
    {
        var rng = new Rng(5);
        var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextNormal()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextNormal()).ToArray();
        var be = Cpu.Backend;
        foreach (var ta in new[] { false, true })
        foreach (var tb in new[] { false, true })
        {
            var sa = be.Allocate(a.Length); be.Upload(a, sa, 0);
            var sb = be.Allocate(b.Length); be.Upload(b, sb, 0);
            var sc = be.Allocate(m * n); be.Fill(sc, 0, m * n, float.NaN); // beta = 0 must not read C
            be.Gemm(new GemmArgs(1, m, n, k, 1f, 0f, sa, 0, 0, ta ? m : k, ta, sb, 0, 0, tb ? k : n, tb, sc, 0, 0, n));
            var got = new float[m * n];
            be.Download(sc, 0, got);
            AssertClose(NaiveGemm(a, b, m, n, k, ta, tb), got, 1e-4f * MathF.Sqrt(k), 1e-4f, $"gemm {m}x{n}x{k} ta={ta} tb={tb}");
            sa.Release(); sb.Release(); sc.Release();
        }
    }

    [Fact]
    public void GemmAlphaBetaAccumulates()
    {
        var a = Tensor.FromArray([1, 2, 3, 4], [2, 2], Cpu);
        var b = Tensor.FromArray([5, 6, 7, 8], [2, 2], Cpu);
        var c = Tensor.FromArray([1, 1, 1, 1], [2, 2], Cpu);
        Cpu.Backend.Gemm(new GemmArgs(1, 2, 2, 2, 2f, 3f, a.Storage, 0, 0, 2, false, b.Storage, 0, 0, 2, false, c.Storage, 0, 0, 2));
        Assert.Equal(new float[] { 2 * 19 + 3, 2 * 22 + 3, 2 * 43 + 3, 2 * 50 + 3 }, c.ToArray());
    }

    [Fact]
    public void BatchedMatMulBroadcastsBatch()
    {
        var a = Randn(1, 2, 1, 3, 4);
        var b = Randn(2, 1, 5, 4, 2);
        var y = a.MatMul(b);
        Assert.Equal(new[] { 2, 5, 3, 2 }, y.Shape);
        var ad = a.ToArray(); var bd = b.ToArray(); var yd = y.ToArray();
        for (int i = 0; i < 2; i++)
        for (int j = 0; j < 5; j++)
        {
            var expect = NaiveGemm(ad[(i * 12)..(i * 12 + 12)], bd[(j * 8)..(j * 8 + 8)], 3, 2, 4, false, false);
            AssertClose(expect, yd[((i * 5 + j) * 6)..((i * 5 + j) * 6 + 6)], 1e-5f, 1e-5f);
        }
    }

    [Fact]
    public void BroadcastingBinaryMatchesHandValues()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], [2, 3], Cpu);
        var col = Tensor.FromArray([10, 20], [2, 1], Cpu);
        var row = Tensor.FromArray([1, 0, -1], [3], Cpu);
        Assert.Equal(new float[] { 11, 12, 13, 24, 25, 26 }, (a + col).ToArray());
        Assert.Equal(new float[] { 1, 0, -3, 4, 0, -6 }, (a * row).ToArray());
        // (1, 2) row minus (3, 2): a.T = [[1,4],[2,5],[3,6]]
        Assert.Equal(new float[] { 9, 16, 8, 15, 7, 14 }, (col.Reshape(1, 2) - a.T).ToArray());
        Assert.Equal(new float[] { 0, 0, 1, 1, 1, 1 }, Tensor.GreaterMask(a, Tensor.Scalar(2.5f, Cpu)).ToArray());
        Assert.Equal(new float[] { 0, 0, 0, 1, 0, 1 }, Tensor.EqualMask(a, Tensor.FromArray([4, 0, 6], [3], Cpu)).ToArray());
    }

    [Fact]
    public void ReductionsMatchHandValues()
    {
        var x = Tensor.FromArray([1, 5, 2, 8, 3, 4], [2, 3], Cpu);
        Assert.Equal(new float[] { 8, 15 }, x.Sum(1).ToArray());
        Assert.Equal(new float[] { 9, 8, 6 }, x.Sum(0).ToArray());
        Assert.Equal(23f, x.Sum().Item());
        Assert.Equal(new float[] { 5, 8 }, x.Max(1).ToArray());
        Assert.Equal(new float[] { 1, 3 }, x.Min(1).ToArray());
        Assert.Equal(new[] { 2, 1 }, x.Mean(1, keepDim: true).Shape);
        AssertClose([13f / 3f, 7f], x.Var(1).ToArray(), 1e-5f); // (1,5,2): mean 8/3, ss = 26/3 → /2
        Assert.Equal(new[] { 1, 0 }, x.ArgMaxLastAxis());
    }

    [Fact]
    public void LongRowSumIsExactEnoughAndDeterministic()
    {
        int n = (1 << 21) + 3;
        var ones = Tensor.Ones([n], Cpu);
        Assert.Equal((float)n, ones.Sum().Item());
        var r = Randn(3, n);
        Assert.Equal(r.Sum().Item(), r.Sum().Item());
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndCrossEntropyMatchesHand()
    {
        var logits = Tensor.FromArray([1, 2, 3, 1, 1, 1], [2, 3], Cpu);
        var p = logits.Softmax(-1).ToArray();
        Assert.Equal(1f, p[0] + p[1] + p[2], 5);
        AssertClose([1f / 3, 1f / 3, 1f / 3], p[3..], 1e-6f);
        // CE = mean(-log p[label]); with smoothing ε: -(1-ε)log p_y - ε/C Σ log p
        var ce = Losses.CrossEntropy(logits, [2, 0]).Item();
        double lse0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        double expect = ((lse0 - 3) + Math.Log(3)) / 2;
        Assert.Equal(expect, ce, 5);
        var ceS = Losses.CrossEntropy(logits, [2, 0], 0.3f).Item();
        double row0 = 0.7 * (lse0 - 3) + 0.1 * (3 * lse0 - 6);
        double row1 = Math.Log(3);
        Assert.Equal((row0 + row1) / 2, ceS, 5);
        // class weights: Σ w[y]·ce / Σ w[y]; with w = (3, 1, 0.5) the rows (labels 2, 0) weigh 0.5 and 3
        var ceW = Losses.CrossEntropy(logits, [2, 0], classWeights: [3f, 1f, 0.5f]).Item();
        Assert.Equal((0.5 * (lse0 - 3) + 3 * Math.Log(3)) / 3.5, ceW, 5);
        // uniform weights change nothing; a zero-weight row drops out
        Assert.Equal(ce, Losses.CrossEntropy(logits, [2, 0], classWeights: [2f, 2f, 2f]).Item(), 5);
        Assert.Equal(Math.Log(3), Losses.CrossEntropy(logits, [2, 0], classWeights: [1f, 1f, 0f]).Item(), 5);
        Assert.Contains("2 class weights for 3 classes", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, [2, 0], classWeights: [1f, 1f])).Message);
        Assert.Contains("class weight 0", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(logits, [2, 0], classWeights: [0f, 1f, 0f])).Message);
    }

    [Fact]
    public void KlAndMseMatchHand()
    {
        var p = Tensor.FromArray([0.5f, 0.5f], [1, 2], Cpu);
        var q = Tensor.FromArray([0.25f, 0.75f], [1, 2], Cpu);
        double kl = 0.5 * Math.Log(0.5 / 0.25) + 0.5 * Math.Log(0.5 / 0.75);
        Assert.Equal(kl, Losses.KlDivergence(q.Log(), p).Item(), 5);
        // row weights: Σ_i w_i·KL_i / N; the second row's KL is 0 (P = Q), so only the first row's weight shows
        var p2 = Tensor.FromArray([0.5f, 0.5f, 0.1f, 0.9f], [2, 2], Cpu);
        var q2 = Tensor.FromArray([0.25f, 0.75f, 0.1f, 0.9f], [2, 2], Cpu);
        Assert.Equal(0.5 * kl / 2, Losses.KlDivergence(q2.Log(), p2, [0.5f, 1.5f]).Item(), 5);
        Assert.Equal(1.5 * kl / 2, Losses.KlDivergence(q2.Log(), p2, [1.5f, 0.5f]).Item(), 5);
        Assert.Contains("3 row weights for 2 rows", Assert.Throws<ArgumentException>(() => Losses.KlDivergence(q2.Log(), p2, [1f, 1f, 1f])).Message);
        Assert.Equal((1 + 4) / 2f, Losses.Mse(Tensor.FromArray([1, 2], [2], Cpu), Tensor.FromArray([0, 4], [2], Cpu)).Item());
    }

    [Fact]
    public void ShapeOpsMoveTheRightElements()
    {
        var x = Tensor.Arange(0, 24, 1, Cpu).Reshape(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal(new[] { 4, 2, 3 }, p.Shape);
        Assert.Equal(new float[] { 0, 4, 8, 12, 16, 20 }, p.ToArray()[..6]);
        Assert.Equal(new float[] { 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23 }, x.Slice(1, 1, 2).ToArray());
        Assert.Equal(new float[] { 0, 2, 4, 6 }, Tensor.Arange(0, 8, 1, Cpu).Slice(0, 0, 4, step: 2).ToArray());
        var c = Tensor.Concat([Tensor.Zeros([2, 1], Cpu), Tensor.Ones([2, 2], Cpu)], 1);
        Assert.Equal(new float[] { 0, 1, 1, 0, 1, 1 }, c.ToArray());
        var s = Tensor.Stack([Tensor.Zeros([2], Cpu), Tensor.Ones([2], Cpu)], 1);
        Assert.Equal(new[] { 2, 2 }, s.Shape);
        Assert.Equal(new float[] { 0, 1, 0, 1 }, s.ToArray());
    }

    [Fact]
    public void ErrorsNameTheShapes()
    {
        var a = Tensor.Zeros([2, 3], Cpu);
        var b = Tensor.Zeros([4], Cpu);
        var e = Assert.Throws<ArgumentException>(() => a + b);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4)", e.Message);
        Assert.Contains("(2, 3)", Assert.Throws<ArgumentException>(() => a.MatMul(a)).Message);
        Assert.Contains("(5)", Assert.Throws<ArgumentException>(() => a.Reshape(5)).Message);
        Assert.Contains("label 7", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(a, [0, 7])).Message);
    }

    [Fact]
    public void ToStringShowsShapeDeviceAndValues()
    {
        var t = Tensor.FromArray([1.5f, -2, 3, 4], [2, 2], Cpu);
        t.RequiresGrad = true;
        var s = (t * 2f).ToString();
        Assert.Contains("Tensor(2, 2) on cpu", s);
        Assert.Contains("grad_fn=affine", s);
        Assert.Contains("[[3, -4],", s);
        var big = Tensor.Arange(0, 100, 1, Cpu).ToString();
        Assert.Contains("...", big);
    }
}

public class CpuRangeCheckTests
{
    [Fact]
    public void BadSizesThrowInsteadOfReadingOutOfBounds()
    {
        var be = HarFromScratch.Engine.Devices.Device.Cpu.Backend;
        var small = be.Allocate(64);
        var big = be.Allocate(4096);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            be.Gemm(new GemmArgs(1, 32, 32, 32, 1f, 0f, small, 0, 0, 32, false, big, 0, 0, 32, false, big, 0, 0, 32)));
        Assert.Contains("Gemm A", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => be.Unary(UnaryOp.Exp, small, big, 5000));
        Assert.Throws<ArgumentOutOfRangeException>(() => be.StridedCopy(new StridedView(small, 0, [64, 1]), new StridedView(big, 0, [64, 1]), [2, 64]));
        small.Release(); big.Release();
    }
}
