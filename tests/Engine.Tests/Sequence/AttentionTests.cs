using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Sequence;

/// <summary>Attention ops and modules: finite differences, agreement with a composition of generic ops, mask semantics.</summary>
public class AttentionTests
{
    private static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, string name, bool[]? which = null) =>
        GradCheck.Assert(f, inputs, atol: 2e-3, rtol: 2e-2, checkInputs: which, name: name);

    /// <summary>Finite differences for a sample of every parameter of a module (the module's own leaves).</summary>
    private static void ParamCheck(Module m, Func<Tensor> f, int perParam = 5, double eps = 1e-3)
    {
        using var scope = TensorScope.Begin();
        m.ZeroGrad();
        var y = f();
        var r = Randn(99, y.Shape);
        (y * r).Sum().Backward();
        var rv = r.ToArray();
        double Loss()
        {
            using var s = TensorScope.Begin();
            using var ng = GradMode.NoGrad();
            var o = f().ToArray();
            double acc = 0;
            for (int i = 0; i < o.Length; i++) acc += (double)o[i] * rv[i];
            return acc;
        }
        foreach (var (name, p) in m.NamedParameters())
        {
            var g = p.Grad!.ToArray();
            var v = p.ToArray();
            for (int k = 0; k < perParam; k++)
            {
                int i = (int)((long)k * 7919 % v.Length);
                float orig = v[i];
                v[i] = orig + (float)eps; p.CopyFrom(v); double lp = Loss();
                v[i] = orig - (float)eps; p.CopyFrom(v); double lm = Loss();
                v[i] = orig; p.CopyFrom(v);
                double num = (lp - lm) / (2 * eps);
                Assert.True(Math.Abs(num - g[i]) <= 3e-3 + 3e-2 * Math.Abs(num), $"{name}[{i}]: analytic {g[i]}, numeric {num}");
            }
        }
        m.ZeroGrad();
    }

    [Fact]
    public void ScaledDotProductGradCheckWithMasks()
    {
        var q = Randn(1, 2, 3, 4); var k = Randn(2, 2, 5, 4); var v = Randn(3, 2, 5, 3);
        var add = Randn(4, 3, 5) * 0.5f; // broadcast over the batch
        Check(t => Attention.ScaledDotProduct(t[0], t[1], t[2], t[3]), [q, k, v, add], "sdpa additive mask");
        var allowed = Tensor.FromArray([1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1], [3, 5], Cpu);
        Check(t => Attention.ScaledDotProduct(t[0], t[1], t[2], allowedMask: allowed), [q, k, v], "sdpa boolean mask");
    }

    [Fact]
    public void ScaledDotProductMatchesComposition()
    {
        var q = Randn(5, 3, 6, 8); var k = Randn(6, 3, 7, 8); var v = Randn(7, 3, 7, 5);
        var allowed = Tensor.FromArray(Enumerable.Range(0, 42).Select(i => i % 3 == 0 ? 0f : 1f).ToArray(), [6, 7], Cpu);
        foreach (var t in new[] { q, k, v }) t.RequiresGrad = true;
        var refOut = ((q.MatMul(k.T) / MathF.Sqrt(8) + (allowed - 1f) * 1e9f).Softmax(-1)).MatMul(v);
        var proj = Randn(8, refOut.Shape);
        (refOut * proj).Sum().Backward();
        var refGrads = new[] { q, k, v }.Select(t => t.Grad!.ToArray()).ToArray();
        foreach (var t in new[] { q, k, v }) t.Grad = null;
        var o = Attention.ScaledDotProduct(q, k, v, allowedMask: allowed);
        AssertClose(refOut.ToArray(), o.ToArray(), 1e-5f, 1e-4f, "output");
        (o * proj).Sum().Backward();
        for (int i = 0; i < 3; i++) AssertClose(refGrads[i], new[] { q, k, v }[i].Grad!.ToArray(), 1e-5f, 1e-4f, $"grad {i}");
    }

    [Fact]
    public void MaskedKeysGetNoWeight()
    {
        var q = Randn(1, 1, 2, 4); var k = Randn(2, 1, 3, 4);
        var v = Tensor.FromArray([1, 0, 0, 1, 100, 100], [1, 3, 2], Cpu);
        var allowed = Tensor.FromArray([1, 1, 0], [1, 1, 3], Cpu);
        var o = Attention.ScaledDotProduct(q, k, v, allowedMask: allowed).ToArray();
        Assert.All(o, x => Assert.True(x <= 1f + 1e-5f));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MultiHeadGradCheck(bool self)
    {
        int b = 2, l = 3, e = 4, h = 2;
        var x = Randn(10, b, l, e); var kv = Randn(11, b, 4, e);
        var inW = Randn(12, 3 * e, e) * 0.5f; var inB = Randn(13, 3 * e) * 0.1f;
        var outW = Randn(14, e, e) * 0.5f; var outB = Randn(15, e) * 0.1f;
        var pad = Tensor.FromArray(self ? [0, 0, 1, 0, 0, 0] : [0, 0, 1, 0, 0, 1, 0, 0], [b, self ? l : 4], Cpu);
        if (self)
            Check(t => Attention.MultiHead(t[0], t[0], t[0], h, t[1], t[2], t[3], t[4], keyPaddingMask: pad), [x, inW, inB, outW, outB], "mha self");
        else
            Check(t => Attention.MultiHead(t[0], t[5], t[5], h, t[1], t[2], t[3], t[4], keyPaddingMask: pad), [x, inW, inB, outW, outB, kv], "mha cross");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TransformerEncoderLayerGradCheck(bool normFirst)
    {
        var layer = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0.1f, normFirst: normFirst, rng: new Rng(5), device: Cpu);
        layer.Eval();
        var x = Randn(20, 2, 3, 4);
        Check(t => layer.Forward(t[0]), [x], "transformer layer input");
        ParamCheck(layer, () => layer.Forward(x));
        var names = layer.NamedParameters().Select(p => p.name).ToHashSet();
        foreach (var n in new[] { "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "linear1.weight", "linear2.bias", "norm1.weight", "norm2.bias" })
            Assert.Contains(n, names);
    }

    [Fact]
    public void TransformerDropoutIsActiveOnlyInTraining()
    {
        var layer = new TransformerEncoderLayer(8, 2, dimFeedforward: 16, dropout: 0.5f, rng: new Rng(6), device: Cpu);
        var x = Randn(21, 2, 5, 8);
        layer.Eval();
        var a = layer.Forward(x).ToArray();
        AssertClose(a, layer.Forward(x).ToArray());
        layer.Train();
        Assert.NotEqual(a, layer.Forward(x).ToArray());
    }

    [Fact]
    public void AttentionPoolingGradCheckAndMask()
    {
        var pool = new AttentionPooling(3, 4, new Rng(7), Cpu);
        var x = Randn(30, 2, 5, 3);
        var valid = Tensor.FromArray([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5], Cpu);
        Check(t => pool.Forward(t[0], valid), [x], "attention pooling");
        ParamCheck(pool, () => pool.Forward(x, valid));
        var (_, w) = pool.Pool(x, valid);
        var wv = w.ToArray();
        Assert.Equal(0f, wv[3], 6); Assert.Equal(0f, wv[4], 6);
        Assert.Equal(1.0, wv[..5].Sum(), 5);
    }

    [Fact]
    public void PositionalEncodings()
    {
        var pe = new SinusoidalPositionalEncoding(6, maxLen: 10, device: Cpu);
        var t = pe.Pe.ToArray();
        Assert.Equal(MathF.Sin(1f), t[6], 5);
        Assert.Equal(MathF.Cos(1f), t[7], 5);
        Assert.Equal(MathF.Sin(3f / MathF.Pow(10000f, 2f / 6f)), t[3 * 6 + 2], 5);
        var x = Randn(40, 2, 4, 6);
        var y = pe.Forward(x).ToArray();
        Assert.Equal(x.ToArray()[6 + 1] + t[7], y[6 + 1], 5);
        Check(v => pe.Forward(v[0]), [x], "sinusoidal");

        var learned = new LearnedPositionalEncoding(6, 10, rng: new Rng(8), device: Cpu);
        ParamCheck(learned, () => learned.Forward(x));
        var tf = new SinusoidalPositionalEncoding(6, maxLen: 10, batchFirst: false, device: Cpu);
        Assert.Equal([4, 2, 6], tf.Forward(Randn(41, 4, 2, 6)).Shape);
    }
}
