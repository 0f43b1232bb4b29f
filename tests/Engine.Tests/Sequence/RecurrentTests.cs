using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Sequence;

/// <summary>Fused LSTM/GRU ops: finite differences, and agreement with the same network unrolled from elementwise/matmul ops.</summary>
public class RecurrentTests
{
    private static Tensor[] Weights(int gates, int inSize, int hidden, int layers, int dirs, ulong seed)
    {
        var list = new List<Tensor>();
        ulong s = seed;
        for (int l = 0; l < layers; l++)
        for (int d = 0; d < dirs; d++)
        {
            int inF = l == 0 ? inSize : hidden * dirs;
            list.Add(Randn(s++, gates * hidden, inF) * 0.5f);
            list.Add(Randn(s++, gates * hidden, hidden) * 0.5f);
            list.Add(Randn(s++, gates * hidden) * 0.3f);
            list.Add(Randn(s++, gates * hidden) * 0.3f);
        }
        return list.ToArray();
    }

    private static Tensor Flat(params Tensor?[] parts) => Tensor.Concat(parts.Where(p => p != null).Select(p => p!.Reshape(-1)).ToList(), 0);

    /// <summary>The textbook LSTM/GRU written with the engine's generic ops, step by step (time-first layout).</summary>
    private static (Tensor y, Tensor hN, Tensor? cN) Unrolled(Recurrent.Cell cell, Tensor x, Tensor[] w, int layers, int dirs, Tensor h0, Tensor? c0)
    {
        int T = x.Shape[0];
        var hs = new List<Tensor>(); var cs = new List<Tensor>();
        var input = x;
        for (int l = 0; l < layers; l++)
        {
            var outs = new List<Tensor>();
            for (int d = 0; d < dirs; d++)
            {
                int k = (l * dirs + d) * 4;
                var (wih, whh, bih, bhh) = (w[k], w[k + 1], w[k + 2], w[k + 3]);
                int H = whh.Shape[1];
                var h = h0.Slice(0, l * dirs + d, 1).Squeeze(0);
                var c = c0?.Slice(0, l * dirs + d, 1).Squeeze(0);
                var ys = new Tensor[T];
                for (int s = 0; s < T; s++)
                {
                    int t = d == 0 ? s : T - 1 - s;
                    var xt = input.Slice(0, t, 1).Squeeze(0);
                    var gi = xt.MatMul(wih.T) + bih;
                    var gh = h.MatMul(whh.T) + bhh;
                    if (cell == Recurrent.Cell.Lstm)
                    {
                        var gsum = gi + gh;
                        var i = gsum.Slice(1, 0, H).Sigmoid();
                        var f = gsum.Slice(1, H, H).Sigmoid();
                        var g = gsum.Slice(1, 2 * H, H).Tanh();
                        var o = gsum.Slice(1, 3 * H, H).Sigmoid();
                        c = f * c! + i * g;
                        h = o * c.Tanh();
                    }
                    else
                    {
                        var r = (gi.Slice(1, 0, H) + gh.Slice(1, 0, H)).Sigmoid();
                        var z = (gi.Slice(1, H, H) + gh.Slice(1, H, H)).Sigmoid();
                        var n = (gi.Slice(1, 2 * H, H) + r * gh.Slice(1, 2 * H, H)).Tanh();
                        h = (1f - z) * n + z * h;
                    }
                    ys[t] = h;
                }
                hs.Add(h);
                if (c != null) cs.Add(c);
                outs.Add(Tensor.Stack(ys, 0));
            }
            input = outs.Count == 1 ? outs[0] : Tensor.Concat(outs, 2);
        }
        return (input, Tensor.Stack(hs, 0), cs.Count > 0 ? Tensor.Stack(cs, 0) : null);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LstmGradCheck3Steps2LayersBidirectional(bool batchFirst)
    {
        int T = 3, B = 2, I = 3, H = 2, L = 2, D = 2;
        var w = Weights(4, I, H, L, D, 100);
        var x = Randn(1, batchFirst ? [B, T, I] : [T, B, I]);
        var h0 = Randn(2, L * D, B, H) * 0.5f;
        var c0 = Randn(3, L * D, B, H) * 0.5f;
        GradCheck.Assert(t =>
        {
            var (y, hN, cN) = Recurrent.Lstm(t[0], t[3..], L, true, batchFirst, t[1], t[2]);
            return Flat(y, hN, cN);
        }, [x, h0, c0, .. w], atol: 2e-3, rtol: 2e-2, name: "lstm");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GruGradCheck3Steps2LayersBidirectional(bool batchFirst)
    {
        int T = 3, B = 2, I = 3, H = 2, L = 2, D = 2;
        var w = Weights(3, I, H, L, D, 200);
        var x = Randn(4, batchFirst ? [B, T, I] : [T, B, I]);
        var h0 = Randn(5, L * D, B, H) * 0.5f;
        GradCheck.Assert(t =>
        {
            var (y, hN) = Recurrent.Gru(t[0], t[2..], L, true, batchFirst, t[1]);
            return Flat(y, hN);
        }, [x, h0, .. w], atol: 2e-3, rtol: 2e-2, name: "gru");
    }

    [Fact]
    public void LstmGradCheckOnlyFinalStateWithoutInitialState()
    {
        var w = Weights(4, 3, 3, 1, 1, 300);
        var x = Randn(6, 4, 2, 3);
        GradCheck.Assert(t => Recurrent.Lstm(t[0], t[1..], 1, false).hN, [x, .. w], atol: 2e-3, rtol: 2e-2, name: "lstm hN");
        GradCheck.Assert(t => Recurrent.Lstm(t[0], t[1..], 1, false).cN, [x, .. w], atol: 2e-3, rtol: 2e-2, name: "lstm cN");
    }

    [Fact]
    public void LstmStepSplitIntoRowBlocksMatchesUnrolledComposition()
    {
        // B = 61, H = 64: big enough that the cpu backend runs each step (recurrent GEMM + cell) as two blocks of rows,
        // 61 = 10 full row tiles + 1 row, so a block boundary and a partial tile are both exercised
        int T = 3, B = 61, I = 5, H = 64, L = 1, D = 1;
        var w = Weights(4, I, H, L, D, 500);
        foreach (var t in w) t.RequiresGrad = true;
        var xt = Randn(11, T, B, I);
        xt.RequiresGrad = true;
        var h0 = Randn(12, L * D, B, H) * 0.5f; h0.RequiresGrad = true;
        var c0 = Randn(13, L * D, B, H) * 0.5f; c0.RequiresGrad = true;
        var proj = Randn(14, T, B, D * H);
        var (ry, rh, rc) = Unrolled(Recurrent.Cell.Lstm, xt, w, L, D, h0, c0);
        ((ry * proj).Sum() + rh.Square().Sum() + rc!.Sum()).Backward();
        var refGrads = new[] { xt, h0, c0 }.Concat(w).Select(t => t.Grad!.ToArray()).ToArray();
        foreach (var t in new[] { xt, h0, c0 }.Concat(w)) t.Grad = null;

        var (y, hN, cN) = Recurrent.Lstm(xt, w, L, false, false, h0, c0);
        AssertClose(ry.ToArray(), y.ToArray(), 1e-5f, 1e-4f, "output");
        AssertClose(rc.ToArray(), cN.ToArray(), 1e-5f, 1e-4f, "cN");
        ((y * proj).Sum() + hN.Square().Sum() + cN.Sum()).Backward();
        var got = new[] { xt, h0, c0 }.Concat(w).Select(t => t.Grad!.ToArray()).ToArray();
        for (int i = 0; i < got.Length; i++) AssertClose(refGrads[i], got[i], 1e-4f, 1e-3f, $"gradient of input {i}");
    }

    [Theory]
    [InlineData("lstm", false)]
    [InlineData("lstm", true)]
    [InlineData("gru", false)]
    [InlineData("gru", true)]
    public void MatchesUnrolledComposition(string kind, bool batchFirst)
    {
        var cell = kind == "lstm" ? Recurrent.Cell.Lstm : Recurrent.Cell.Gru;
        int T = 5, B = 3, I = 4, H = 9, L = 2, D = 2; // H = 9: vector body and scalar tail of the kernels
        var w = Weights(cell == Recurrent.Cell.Lstm ? 4 : 3, I, H, L, D, 400);
        foreach (var t in w) t.RequiresGrad = true;
        var xt = Randn(7, T, B, I);
        xt.RequiresGrad = true;
        var h0 = Randn(8, L * D, B, H) * 0.5f; h0.RequiresGrad = true;
        var c0 = Randn(9, L * D, B, H) * 0.5f; c0.RequiresGrad = true;
        var proj = Randn(10, T, B, D * H);

        var (ry, rh, rc) = Unrolled(cell, xt, w, L, D, h0, cell == Recurrent.Cell.Lstm ? c0 : null);
        var refLoss = (ry * proj).Sum() + rh.Square().Sum() + (rc?.Sum() ?? Tensor.Scalar(0f));
        refLoss.Backward();
        var refGrads = new[] { xt, h0, c0 }.Concat(w).Select(t => t.Grad?.ToArray()).ToArray();
        foreach (var t in new[] { xt, h0, c0 }.Concat(w)) t.Grad = null;

        var xin = batchFirst ? xt.Transpose(0, 1) : xt;
        Tensor y, hN; Tensor? cN = null;
        if (cell == Recurrent.Cell.Lstm) (y, hN, cN) = Recurrent.Lstm(xin, w, L, true, batchFirst, h0, c0);
        else (y, hN) = Recurrent.Gru(xin, w, L, true, batchFirst, h0);
        var yt = batchFirst ? y.Transpose(0, 1) : y;
        AssertClose(ry.ToArray(), yt.ToArray(), 1e-5f, 1e-4f, "output");
        AssertClose(rh.ToArray(), hN.ToArray(), 1e-5f, 1e-4f, "hN");
        if (rc != null) AssertClose(rc.ToArray(), cN!.ToArray(), 1e-5f, 1e-4f, "cN");
        var loss = (yt * proj).Sum() + hN.Square().Sum() + (cN?.Sum() ?? Tensor.Scalar(0f));
        loss.Backward();
        var got = new[] { xt, h0, c0 }.Concat(w).Select(t => t.Grad?.ToArray()).ToArray();
        for (int i = 0; i < got.Length; i++)
        {
            if (refGrads[i] == null) { Assert.True(got[i] == null || got[i]!.All(v => v == 0f), $"gradient {i} should be absent"); continue; }
            AssertClose(refGrads[i]!, got[i]!, 1e-4f, 1e-3f, $"gradient of input {i}");
        }
    }

    [Fact]
    public void ModulesUsePyTorchNamesAndShapes()
    {
        var lstm = new Lstm(5, 7, numLayers: 2, bidirectional: true, batchFirst: true, rng: new Rng(1), device: Cpu);
        var names = lstm.NamedParameters().Select(p => p.name).ToList();
        Assert.Equal(16, names.Count);
        Assert.Contains("weight_ih_l0", names);
        Assert.Contains("bias_hh_l1_reverse", names);
        Assert.Equal([28, 14], lstm.StateDict()["weight_ih_l1"].Shape);
        var (y, h, c) = lstm.Forward(Randn(1, 3, 4, 5), null, null);
        Assert.Equal([3, 4, 14], y.Shape);
        Assert.Equal([4, 3, 7], h.Shape);
        Assert.Equal([4, 3, 7], c.Shape);

        var gru = new Gru(5, 6, rng: new Rng(2), device: Cpu);
        Assert.Equal([18, 5], gru.StateDict()["weight_ih_l0"].Shape);
        Assert.Equal([4, 2, 6], gru.Forward(Randn(2, 4, 2, 5)).Shape);
    }
}

/// <summary>Reads the device-wide live-bytes counter, so it runs outside the parallel test collections.</summary>
[Collection(nameof(HarFromScratch.Engine.Tests.Tensors.MemoryTests))]
public class RecurrentMemoryTests
{
    [Fact]
    public void NoGradForwardReleasesSavedBuffers()
    {
        var lstm = new Lstm(4, 8, device: Cpu, rng: new Rng(3));
        var x = Randn(4, 6, 2, 4);
        var be = Cpu.Backend;
        using (GradMode.NoGrad())
        using (TensorScope.Begin()) lstm.Forward(x);
        var before = be.MemoryStats.liveBytes;
        using (GradMode.NoGrad())
        using (TensorScope.Begin()) lstm.Forward(x);
        Assert.Equal(before, be.MemoryStats.liveBytes);
    }
}
