using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation.Baselines;
using static HarFromScratch.Har.Tests.Distillation.Baselines.BaselineFixture;

namespace HarFromScratch.Har.Tests.Distillation.Baselines;

/// <summary>Each baseline's loss against a value computed here with plain double arithmetic on a tiny batch.</summary>
public class BaselineValueTests
{
    private readonly BaselineFixture _f = new();
    private double[][] Sl => Ref.Mat(_f.SLogits, N, K);
    private double[][] Tl => Ref.Mat(_f.TLogits, N, K);
    private double[][][] S1 => Ref.Map(_f.S1, N, 2, 4);
    private double[][] S2 => Ref.Mat(_f.S2, N, 5);
    private double[][][] T1 => Ref.Map(_f.T1, N, 3, 6);
    private double[][] T2 => Ref.Mat(_f.T2, N, 4);
    private double CeS => Ref.Ce(Sl, _f.Labels);

    private float Eval(string method, int epoch = 1, params (string, string)[] o)
    {
        using var scope = TensorScope.Begin();
        var loss = Make(method, _f.Setup(), o);
        return loss.Loss(_f.Batch(epoch)).Item();
    }

    private double KlMean(double[][] teacher, double[][] student, double tau) =>
        Enumerable.Range(0, N).Select(i => Ref.Kl(Ref.Softmax(teacher[i], tau), Ref.Softmax(student[i], tau))).Average();

    [Fact]
    public void Kd()
    {
        double expected = 0.1 * CeS + 0.9 * 16 * KlMean(Tl, Sl, 4);
        Close(expected, Eval("kd"), what: "kd");
        Close(0.5 * CeS + 0.5 * 4 * KlMean(Tl, Sl, 2), Eval("kd", 1, ("alpha", "0.5"), ("tau", "2")), what: "kd alpha 0.5 tau 2");
    }

    [Fact]
    public void Dkd()
    {
        double tau = 4, tckd = 0, nckd = 0;
        for (int i = 0; i < N; i++)
        {
            int y = _f.Labels[i];
            var ps = Ref.Softmax(Sl[i], tau); var pt = Ref.Softmax(Tl[i], tau);
            tckd += Ref.Kl([pt[y], 1 - pt[y]], [ps[y], 1 - ps[y]]);
            var zs = Sl[i].Where((_, j) => j != y).ToArray(); var zt = Tl[i].Where((_, j) => j != y).ToArray();
            nckd += Ref.Kl(Ref.Softmax(zt, tau), Ref.Softmax(zs, tau));
        }
        tckd /= N; nckd /= N;
        // epoch 10 of a 20-epoch warmup: weight 0.5
        double expected = CeS + 0.5 * tau * tau * (1 * tckd + 8 * nckd);
        Close(expected, Eval("dkd", 10), what: "dkd");
        Close(CeS + tau * tau * (tckd + 8 * nckd), Eval("dkd", 25), what: "dkd after warmup");
    }

    [Fact]
    public void Dml()
    {
        double expected = CeS + KlMean(Tl, Sl, 1) + Ref.Ce(Tl, _f.Labels) + KlMean(Sl, Tl, 1);
        Close(expected, Eval("dml"), what: "dml");
    }

    [Fact]
    public void FitNetOnVectorsAndOnMaps()
    {
        using var scope = TensorScope.Begin();
        // default pairing: last features, both vectors s2 (5) -> t2 (4)
        var fit = (FitNetLoss)Make("fitnet", _f.Setup());
        var w = Ref.W(fit.Regressor.Weight.ToArray(), 4, 5); var b = fit.Regressor.Bias!.ToArray().Select(v => (double)v).ToArray();
        double mse = 0;
        for (int i = 0; i < N; i++) { var r = Ref.Affine(w, b, S2[i]); for (int o = 0; o < 4; o++) mse += Math.Pow(r[o] - T2[i][o], 2); }
        mse /= N * 4;
        Close(CeS + 100 * mse, fit.Loss(_f.Batch()).Item(), what: "fitnet vectors");

        // maps: s1 (2, 4) -> 1x1 conv to 3 channels -> interpolated to 6 steps, vs t1 (3, 6)
        var fm = (FitNetLoss)Make("fitnet", _f.Setup(), ("s_feat", "0"), ("t_feat", "0"));
        Assert.True(fm.BothMaps);
        var wm = Ref.W(fm.Regressor.Weight.ToArray(), 3, 2); var bm = fm.Regressor.Bias!.ToArray().Select(v => (double)v).ToArray();
        double mm = 0;
        for (int i = 0; i < N; i++)
        {
            var cols = Enumerable.Range(0, 4).Select(t => Ref.Affine(wm, bm, [S1[i][0][t], S1[i][1][t]])).ToArray();
            for (int o = 0; o < 3; o++)
            {
                var up = Ref.Interp(cols.Select(c => c[o]).ToArray(), 6);
                for (int t = 0; t < 6; t++) mm += Math.Pow(up[t] - T1[i][o][t], 2);
            }
        }
        mm /= N * 3 * 6;
        Close(CeS + 100 * mm, fm.Loss(_f.Batch()).Item(), what: "fitnet maps");

        // a student map hinted by a teacher vector: the map is pooled to a vector first
        var fx = (FitNetLoss)Make("fitnet", _f.Setup(), ("s_feat", "0"), ("t_feat", "1"));
        var wx = Ref.W(fx.Regressor.Weight.ToArray(), 4, 2); var bx = fx.Regressor.Bias!.ToArray().Select(v => (double)v).ToArray();
        double mx = 0;
        for (int i = 0; i < N; i++) { var r = Ref.Affine(wx, bx, Ref.Gap(S1[i])); for (int o = 0; o < 4; o++) mx += Math.Pow(r[o] - T2[i][o], 2); }
        Close(CeS + 100 * mx / (N * 4), fx.Loss(_f.Batch()).Item(), what: "fitnet map->vector");
    }

    /// <summary>The two default pairs of the fixture, brought to equal length: (s1, t1 pooled 6 -> 4), (s2 pooled 5 -> 4 as one channel, t2).</summary>
    private (double[][] s, double[][] t)[] MapPairsOf(int i) =>
    [
        (S1[i], T1[i].Select(r => Ref.AdaptivePool(r, 4)).ToArray()),
        ([Ref.AdaptivePool(S2[i], 4)], [T2[i]]),
    ];

    [Fact]
    public void At()
    {
        double[] At(double[][] f) => Ref.Normalize(Enumerable.Range(0, f[0].Length).Select(t => f.Average(c => c[t] * c[t])).ToArray());
        double total = 0;
        for (int p = 0; p < 2; p++)
        {
            double sum = 0;
            for (int i = 0; i < N; i++)
            {
                var (s, t) = MapPairsOf(i)[p];
                var a = At(s); var b = At(t);
                sum += a.Select((v, k) => Math.Pow(v - b[k], 2)).Sum();
            }
            total += sum / (N * 4);
        }
        Close(CeS + 1000 * total, Eval("at"), what: "at");
    }

    [Fact]
    public void Nst()
    {
        static double K(double[][] a, double[][] b) =>
            a.SelectMany(x => b.Select(y => Math.Pow(Ref.Dot(x, y), 2))).Average();
        double total = 0;
        for (int p = 0; p < 2; p++)
        {
            double sum = 0;
            for (int i = 0; i < N; i++)
            {
                var (s, t) = MapPairsOf(i)[p];
                var sn = s.Select(Ref.Normalize).ToArray(); var tn = t.Select(Ref.Normalize).ToArray();
                sum += K(tn, tn) + K(sn, sn) - 2 * K(sn, tn);
            }
            total += sum / N;
        }
        Close(CeS + 50 * total, Eval("nst"), what: "nst");
    }

    [Fact]
    public void SpOnFlattenedMaps()
    {
        static double[][] G(double[][] f)
        {
            var g = f.Select(a => f.Select(b => Ref.Dot(a, b)).ToArray()).ToArray();
            return g.Select(Ref.Normalize).ToArray();
        }
        var gs = G(S1.Select(m => m.SelectMany(r => r).ToArray()).ToArray());
        var gt = G(T1.Select(m => m.SelectMany(r => r).ToArray()).ToArray());
        double d = 0;
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) d += Math.Pow(gt[i][j] - gs[i][j], 2);
        Close(CeS + 3000 * d / (N * N), Eval("sp", 1, ("s_feat", "0"), ("t_feat", "0")), what: "sp");
    }

    [Fact]
    public void Cc()
    {
        using var scope = TensorScope.Begin();
        var cc = (CcLoss)Make("cc", _f.Setup(), ("feat_dim", "6"));
        var ws = Ref.W(cc.EmbedS.Weight.ToArray(), 6, 5); var bs = cc.EmbedS.Bias!.ToArray().Select(v => (double)v).ToArray();
        var wt = Ref.W(cc.EmbedT.Weight.ToArray(), 6, 4); var bt = cc.EmbedT.Bias!.ToArray().Select(v => (double)v).ToArray();
        var delta = Enumerable.Range(0, N).Select(i =>
        {
            var es = Ref.Affine(ws, bs, S2[i]); var et = Ref.Affine(wt, bt, T2[i]);
            return es.Select((v, k) => Math.Abs(v - et[k])).ToArray();
        }).ToArray();
        double corr = (Ref.Dot(delta[0], delta[1]) + Ref.Dot(delta[1], delta[2])) / 2;
        Close(CeS + 0.02 * corr, cc.Loss(_f.Batch()).Item(), what: "cc");
    }

    [Fact]
    public void Vid()
    {
        using var scope = TensorScope.Begin();
        var vid = (VidLoss)Make("vid", _f.Setup());
        Assert.Equal(2, vid.Heads.Count);
        double total = 0;
        for (int p = 0; p < 2; p++)
        {
            var h = vid.Heads[p];
            int cs = p == 0 ? 2 : 5, ct = p == 0 ? 3 : 4;
            var w1 = Ref.W(h.Conv1.Weight.ToArray(), ct, cs); var w2 = Ref.W(h.Conv2.Weight.ToArray(), ct, ct); var w3 = Ref.W(h.Conv3.Weight.ToArray(), ct, ct);
            var var_ = h.LogScale.ToArray().Select(v => Math.Log(1 + Math.Exp(v)) + 1e-5).ToArray();
            Assert.All(var_, v => Assert.InRange(v, 5 - 1e-4, 5 + 1e-4)); // initialised to init_var
            double sum = 0; int count = 0;
            for (int i = 0; i < N; i++)
            {
                // columns (time steps) of the student and teacher maps, equal length; vectors are length-1 maps
                var sCols = p == 0 ? Ref.Transpose(S1[i]) : [S2[i]];
                var tCols = p == 0 ? Ref.Transpose(T1[i].Select(r => Ref.AdaptivePool(r, 4)).ToArray()) : [T2[i]];
                for (int t = 0; t < sCols.Length; t++)
                {
                    var mu = Ref.Affine(w3, null, Ref.Affine(w2, null, Ref.Affine(w1, null, sCols[t]).Select(v => Math.Max(v, 0)).ToArray()).Select(v => Math.Max(v, 0)).ToArray());
                    for (int c = 0; c < ct; c++) { sum += 0.5 * (Math.Pow(mu[c] - tCols[t][c], 2) / var_[c] + Math.Log(var_[c])); count++; }
                }
            }
            total += sum / count;
        }
        Close(CeS + total, vid.Loss(_f.Batch()).Item(), what: "vid");
    }

    [Fact]
    public void Rkd()
    {
        static double[][] Dist(double[][] x)
        {
            int n = x.Length;
            var d = x.Select((a, i) => x.Select((b, j) => i == j ? 0 : Math.Sqrt(a.Select((v, k) => (v - b[k]) * (v - b[k])).Sum())).ToArray()).ToArray();
            double mean = d.SelectMany(r => r).Sum() / (n * (n - 1));
            return d.Select(r => r.Select(v => v / mean).ToArray()).ToArray();
        }
        static double[] Angles(double[][] x)
        {
            int n = x.Length;
            var r = new List<double>();
            for (int i = 0; i < n; i++)
            {
                var e = x.Select(xj => Ref.Normalize(xj.Select((v, k) => v - x[i][k]).ToArray())).ToArray();
                for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) r.Add(Ref.Dot(e[j], e[k]));
            }
            return r.ToArray();
        }
        var ds = Dist(S2); var dt = Dist(T2);
        double dist = 0;
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) dist += Ref.SmoothL1(ds[i][j] - dt[i][j]);
        dist /= N * N;
        var as_ = Angles(S2); var at = Angles(T2);
        double angle = as_.Select((v, i) => Ref.SmoothL1(v - at[i])).Average();
        Close(CeS + 25 * dist + 50 * angle, Eval("rkd"), what: "rkd");
    }

    [Fact]
    public void Pkt()
    {
        const double eps = 1e-7;
        static double[][] P(double[][] x)
        {
            var xn = x.Select(v => { double n = Ref.Norm(v) + eps; return v.Select(a => a / n).ToArray(); }).ToArray();
            var s = xn.Select(a => xn.Select(b => (Ref.Dot(a, b) + 1) / 2).ToArray()).ToArray();
            return s.Select(r => { double t = r.Sum(); return r.Select(v => v / t).ToArray(); }).ToArray();
        }
        var ps = P(S2); var pt = P(T2);
        double kl = 0;
        for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) kl += pt[i][j] * Math.Log((pt[i][j] + eps) / (ps[i][j] + eps));
        kl /= N * N;
        Close(CeS + 30000 * kl, Eval("pkt"), rel: 5e-4, what: "pkt");
    }

    [Fact]
    public void CrdWithItsMemoryBank()
    {
        using var scope = TensorScope.Begin();
        const int dim = 3, negatives = 5, nData = 8;
        var crd = (CrdLoss)Make("crd", _f.Setup(nData), ("feat_dim", "3"), ("nce_k", "5"));
        var memS0 = Ref.Mat(crd.MemoryS.ToArray(), nData, dim);
        var memT0 = Ref.Mat(crd.MemoryT.ToArray(), nData, dim);
        var ws = Ref.W(crd.EmbedS.Weight.ToArray(), dim, 5); var bs = crd.EmbedS.Bias!.ToArray().Select(v => (double)v).ToArray();
        var wt = Ref.W(crd.EmbedT.Weight.ToArray(), dim, 4); var bt = crd.EmbedT.Bias!.ToArray().Select(v => (double)v).ToArray();
        var vs = S2.Select(x => Ref.Normalize(Ref.Affine(ws, bs, x))).ToArray();
        var vt = T2.Select(x => Ref.Normalize(Ref.Affine(wt, bt, x))).ToArray();

        float loss = crd.Loss(_f.Batch()).Item();
        var idx = crd.LastNegatives!;
        Assert.Equal(negatives, idx.Length);
        Assert.All(idx, i => Assert.InRange(i, 0, nData - 1));

        double Side(double[][] anchor, double[][] positive, double[][] bank)
        {
            var o = anchor.Select((a, i) => new[] { Math.Exp(Ref.Dot(a, positive[i]) / 0.07) }
                .Concat(idx.Select(k => Math.Exp(Ref.Dot(a, bank[k]) / 0.07))).ToArray()).ToArray();
            double z = o.SelectMany(r => r).Average() * nData;
            double mpn = negatives / (double)nData, sum = 0;
            foreach (var r in o)
            {
                sum += Math.Log(r[0] / z / (r[0] / z + mpn + 1e-7));
                for (int k = 1; k < r.Length; k++) sum += Math.Log(mpn / (r[k] / z + mpn + 1e-7));
            }
            return -sum / N;
        }
        double expected = CeS + 0.8 * (Side(vs, vt, memT0) + Side(vt, vs, memS0));
        Close(expected, loss, rel: 5e-4, what: "crd");

        // memory rows 0..2 now hold normalize(0.5·old + 0.5·new); the pointer advanced by the batch size
        var memS1 = Ref.Mat(crd.MemoryS.ToArray(), nData, dim);
        var memT1 = Ref.Mat(crd.MemoryT.ToArray(), nData, dim);
        for (int r = 0; r < nData; r++)
        {
            var es = r < N ? Ref.Normalize(memS0[r].Select((v, k) => 0.5 * v + 0.5 * vs[r][k]).ToArray()) : memS0[r];
            var et = r < N ? Ref.Normalize(memT0[r].Select((v, k) => 0.5 * v + 0.5 * vt[r][k]).ToArray()) : memT0[r];
            for (int k = 0; k < dim; k++) { Close(es[k], memS1[r][k], 1e-4, 1e-5, "memory_s"); Close(et[k], memT1[r][k], 1e-4, 1e-5, "memory_t"); }
        }
        var state = crd.State.ToArray();
        Assert.Equal(N, state[0]);
        Assert.True(state[1] > 0 && state[2] > 0, "normalisation constants are set on the first batch");

        // the normalisation constants stay fixed afterwards; the pointer wraps at n_data
        crd.Loss(_f.Batch()); crd.Loss(_f.Batch());
        var later = crd.State.ToArray();
        Assert.Equal(state[1], later[1]);
        Assert.Equal(state[2], later[2]);
        Assert.Equal(9 % nData, later[0]);
    }

    [Fact]
    public void CrdKeysItsBanksBySampleIndex()
    {
        using var scope = TensorScope.Begin();
        const int dim = 3, nData = 8;
        var crd = (CrdLoss)Make("crd", _f.Setup(nData), ("feat_dim", "3"), ("nce_k", "5"));
        var memS0 = Ref.Mat(crd.MemoryS.ToArray(), nData, dim);
        var memT0 = Ref.Mat(crd.MemoryT.ToArray(), nData, dim);
        var ws = Ref.W(crd.EmbedS.Weight.ToArray(), dim, 5); var bs = crd.EmbedS.Bias!.ToArray().Select(v => (double)v).ToArray();
        var wt = Ref.W(crd.EmbedT.Weight.ToArray(), dim, 4); var bt = crd.EmbedT.Bias!.ToArray().Select(v => (double)v).ToArray();
        var vs = S2.Select(x => Ref.Normalize(Ref.Affine(ws, bs, x))).ToArray();
        var vt = T2.Select(x => Ref.Normalize(Ref.Affine(wt, bt, x))).ToArray();
        var keys = Enumerable.Range(0, N).Select(i => (7 - 2 * i + nData) % nData).ToArray(); // 7, 5, 3, ...

        float loss = crd.Loss(_f.Batch() with { Indices = keys }).Item();
        var idx = crd.LastNegatives!;
        double Side(double[][] anchor, double[][] ownBank, double[][] bank)
        {
            // positive: the other network's bank row of the same sample (RepDistiller), not its live embedding
            var o = anchor.Select((a, i) => new[] { Math.Exp(Ref.Dot(a, ownBank[keys[i]]) / 0.07) }
                .Concat(idx.Select(k => Math.Exp(Ref.Dot(a, bank[k]) / 0.07))).ToArray()).ToArray();
            double z = o.SelectMany(r => r).Average() * nData;
            double mpn = idx.Length / (double)nData, sum = 0;
            foreach (var r in o)
            {
                sum += Math.Log(r[0] / z / (r[0] / z + mpn + 1e-7));
                for (int k = 1; k < r.Length; k++) sum += Math.Log(mpn / (r[k] / z + mpn + 1e-7));
            }
            return -sum / N;
        }
        Close(CeS + 0.8 * (Side(vs, memT0, memT0) + Side(vt, memS0, memS0)), loss, rel: 5e-4, what: "crd keyed");

        // exactly the keyed rows moved, to normalize(0.5·old + 0.5·new); the running pointer is not used
        var memS1 = Ref.Mat(crd.MemoryS.ToArray(), nData, dim);
        for (int r = 0; r < nData; r++)
        {
            int i = Array.IndexOf(keys, r);
            var es = i >= 0 ? Ref.Normalize(memS0[r].Select((v, k) => 0.5 * v + 0.5 * vs[i][k]).ToArray()) : memS0[r];
            for (int k = 0; k < dim; k++) Close(es[k], memS1[r][k], 1e-4, 1e-5, $"memory_s row {r}");
        }
        Assert.Equal(0f, crd.State.ToArray()[0]);

        var bad = Assert.Throws<ArgumentException>(() => crd.Loss(_f.Batch() with { Indices = keys.Select(k => k + nData).ToArray() }));
        Assert.Contains("outside the memory bank of 8 rows", bad.Message);
    }
}
