using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Ops;

/// <summary>
/// LSTM and GRU layers as fused ops. Each layer (both directions when bidirectional) is ONE autograd op:
/// the forward runs the input projection of all time steps as one GEMM, then per time step the recurrent GEMM and
/// the fused cell kernel (for the LSTM one backend call, LstmStepForward, which the cpu backend runs per block of
/// batch rows); the backward runs backpropagation through time with the fused cell-gradient kernel and one GEMM per
/// step (LstmStepBackward), and forms the weight gradients and the input gradient as single GEMMs over all steps.
/// Weights follow PyTorch: W_ih (G·H, in), W_hh (G·H, H), b_ih, b_hh (G·H) with gates (i, f, g, o) for the LSTM
/// (G = 4) and (r, z, n) for the GRU (G = 3).
/// Layouts: input (T, B, in) or (B, T, in) when batch-first; output likewise with D·H features (forward direction
/// first); states (layers·D, B, H).
/// </summary>
public static class Recurrent
{
    public enum Cell { Lstm, Gru }

    /// <summary>
    /// A multi-layer LSTM, as torch.nn.LSTM: <paramref name="weights"/> is the flat PyTorch list
    /// [w_ih_l0, w_hh_l0, (b_ih_l0, b_hh_l0), (reverse of the same), w_ih_l1, ...].
    /// </summary>
    public static (Tensor output, Tensor hN, Tensor cN) Lstm(Tensor input, IReadOnlyList<Tensor> weights, int numLayers, bool bidirectional,
        bool batchFirst = false, Tensor? h0 = null, Tensor? c0 = null, bool hasBiases = true)
    {
        var (y, h, c) = Stack(Cell.Lstm, input, weights, numLayers, bidirectional, batchFirst, h0, c0, hasBiases);
        return (y, h, c!);
    }

    /// <summary>A multi-layer GRU, as torch.nn.GRU (same weight list convention as <see cref="Lstm"/>).</summary>
    public static (Tensor output, Tensor hN) Gru(Tensor input, IReadOnlyList<Tensor> weights, int numLayers, bool bidirectional,
        bool batchFirst = false, Tensor? h0 = null, bool hasBiases = true)
    {
        var (y, h, _) = Stack(Cell.Gru, input, weights, numLayers, bidirectional, batchFirst, h0, null, hasBiases);
        return (y, h);
    }

    private static (Tensor y, Tensor hN, Tensor? cN) Stack(Cell cell, Tensor input, IReadOnlyList<Tensor> weights, int numLayers, bool bidirectional,
        bool batchFirst, Tensor? h0, Tensor? c0, bool hasBiases)
    {
        int D = bidirectional ? 2 : 1;
        int per = hasBiases ? 4 : 2;
        if (weights.Count != numLayers * D * per)
            throw new ArgumentException($"{cell}: expected {numLayers * D * per} weight tensors for {numLayers} layer(s), {(bidirectional ? "bidirectional" : "unidirectional")}, {(hasBiases ? "with" : "without")} biases; got {weights.Count}");
        var x = input;
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (int l = 0; l < numLayers; l++)
        {
            var w = new Tensor[D][];
            for (int d = 0; d < D; d++) w[d] = Enumerable.Range(0, per).Select(k => weights[(l * D + d) * per + k]).ToArray();
            var lh0 = h0 == null ? null : numLayers == 1 ? h0 : h0.Slice(0, l * D, D);
            var lc0 = c0 == null ? null : numLayers == 1 ? c0 : c0.Slice(0, l * D, D);
            var (y, hN, cN) = Layer(cell, x, batchFirst, w, lh0, lc0);
            hs.Add(hN);
            if (cN != null) cs.Add(cN);
            x = y;
        }
        var h = hs.Count == 1 ? hs[0] : Tensor.Concat(hs, 0);
        var c = cs.Count == 0 ? null : cs.Count == 1 ? cs[0] : Tensor.Concat(cs, 0);
        return (x, h, c);
    }

    /// <summary>Gradients that reach hN/cN, handed to the layer's backward (they are outputs of the same op).</summary>
    private sealed class StateGrads
    {
        public Tensor? DHn, DCn;
    }

    /// <summary>
    /// One layer, all directions. <paramref name="w"/>[d] = [W_ih, W_hh, (b_ih, b_hh)]; <paramref name="h0"/>/<paramref name="c0"/> are (D, B, H).
    /// </summary>
    public static (Tensor y, Tensor hN, Tensor? cN) Layer(Cell cell, Tensor x, bool batchFirst, Tensor[][] w, Tensor? h0, Tensor? c0)
    {
        if (x.Rank != 3) throw new ArgumentException($"{cell}: input must be {(batchFirst ? "(batch, seq, features)" : "(seq, batch, features)")}, got {ShapeUtil.Format(x.Shape)}");
        int D = w.Length;
        int T = batchFirst ? x.Shape[1] : x.Shape[0];
        int B = batchFirst ? x.Shape[0] : x.Shape[1];
        int I = x.Shape[2];
        int gk = cell == Cell.Lstm ? 4 : 3;
        int H = w[0][1].Shape[1];
        int G = gk * H;
        bool bias = w[0].Length == 4;
        foreach (var wd in w)
        {
            foreach (var t in wd) Tensor.SameDevice(cell.ToString(), x, t);
            if (!ShapeUtil.SameShape(wd[0].Shape, [G, I]) || !ShapeUtil.SameShape(wd[1].Shape, [G, H]) || (bias && (!ShapeUtil.SameShape(wd[2].Shape, [G]) || !ShapeUtil.SameShape(wd[3].Shape, [G]))))
                throw new ArgumentException($"{cell}: weights {string.Join(", ", wd.Select(t => ShapeUtil.Format(t.Shape)))} do not fit input size {I}, hidden {H} (expected ({G}, {I}), ({G}, {H}){(bias ? $", ({G}), ({G})" : "")})");
        }
        if (h0 != null && !ShapeUtil.SameShape(h0.Shape, [D, B, H]))
            throw new ArgumentException($"{cell}: h0 must be ({D}, {B}, {H}) for this layer, got {ShapeUtil.Format(h0.Shape)}");
        if (c0 != null && !ShapeUtil.SameShape(c0.Shape, [D, B, H]))
            throw new ArgumentException($"{cell}: c0 must be ({D}, {B}, {H}) for this layer, got {ShapeUtil.Format(c0.Shape)}");
        if (T == 0 || B == 0) throw new ArgumentException($"{cell}: empty sequence or batch {ShapeUtil.Format(x.Shape)}");
        MacCounter.Add((long)D * T * B * G * (I + H));

        var be = x.Backend;
        var dev = x.Device;
        int rows = T * B;
        int DH = D * H;
        long RowBase(int t) => batchFirst ? t : (long)t * B;
        long rs = batchFirst ? T : 1;

        var y = Tensor.Empty(batchFirst ? [B, T, DH] : [T, B, DH], dev);
        var hN = Tensor.Empty([D, B, H], dev);
        var cN = cell == Cell.Lstm ? Tensor.Empty([D, B, H], dev) : null;
        Tensor? zeroState = (h0 == null || (cell == Cell.Lstm && c0 == null)) ? Tensor.Zeros([B, H], dev) : null;

        // saved per direction: gate activations (LSTM) or (r, z, n, ghn) (GRU); cell states; h_prev of each step
        var gates = new Tensor[D];
        var cells = new Tensor?[D];
        var hprev = new Tensor[D];
        var strides2 = new long[] { 0, 1 };
        using (GradMode.NoGrad())
        {
            for (int d = 0; d < D; d++)
            {
                var (wih, whh) = (w[d][0], w[d][1]);
                var gx = Tensor.Empty([rows, G], dev);
                float beta = 0f;
                if (bias)
                {
                    if (cell == Cell.Lstm) be.Binary(BinaryOp.Add, w[d][2].Storage, strides2, w[d][3].Storage, strides2, gx.Storage, [rows, G]);
                    else be.StridedCopy(new StridedView(w[d][2].Storage, 0, strides2), new StridedView(gx.Storage, 0, [G, 1]), [rows, G]);
                    beta = 1f;
                }
                be.Gemm(new GemmArgs(1, rows, G, I, 1f, beta, x.Storage, 0, 0, I, false, wih.Storage, 0, 0, I, true, gx.Storage, 0, 0, G));

                var hp = Tensor.Empty([rows, H], dev);
                var cs = cell == Cell.Lstm ? Tensor.Empty([rows, H], dev) : null;
                var saved = cell == Cell.Gru ? Tensor.Empty([rows, 4 * H], dev) : null;
                var gh = cell == Cell.Gru ? Tensor.Empty([B, G], dev) : null;
                // W_hh transposed once to (H, G): each step's GEMM then streams it row by row instead of gathering columns
                var whhT = Tensor.Empty([H, G], dev);
                be.StridedCopy(new StridedView(whh.Storage, 0, [1, H]), new StridedView(whhT.Storage, 0, [G, 1]), [H, G]);
                var h0d = h0 != null ? new RowView(h0.Storage, (long)d * B * H, H) : new RowView(zeroState!.Storage, 0, H);
                var c0d = c0 != null ? new RowView(c0.Storage, (long)d * B * H, H) : cell == Cell.Lstm ? new RowView(zeroState!.Storage, 0, H) : default;
                int first = d == 0 ? 0 : T - 1;
                be.StridedCopy(new StridedView(h0d.Storage, h0d.Offset, [H, 1]), new StridedView(hp.Storage, RowBase(first) * H, [rs * H, 1]), [B, H]);
                for (int s = 0; s < T; s++)
                {
                    int t = d == 0 ? s : T - 1 - s;
                    int tPrev = d == 0 ? t - 1 : t + 1;
                    int tNext = d == 0 ? t + 1 : t - 1;
                    long rb = RowBase(t);
                    var hView = new RowView(y.Storage, rb * DH + (long)d * H, rs * DH);
                    RowView? hCopy = s < T - 1 ? new RowView(hp.Storage, RowBase(tNext) * H, rs * H) : null;
                    if (cell == Cell.Lstm)
                    {
                        var cPrev = s == 0 ? c0d : new RowView(cs!.Storage, RowBase(tPrev) * H, rs * H);
                        be.LstmStepForward(B, H, new RowView(hp.Storage, rb * H, rs * H), whhT.Storage, new RowView(gx.Storage, rb * G, rs * G),
                            cPrev, new RowView(cs!.Storage, rb * H, rs * H), hView, hCopy);
                    }
                    else
                    {
                        be.Gemm(new GemmArgs(1, B, G, H, 1f, 0f, hp.Storage, rb * H, 0, (int)(rs * H), false, whhT.Storage, 0, 0, G, false, gh!.Storage, 0, 0, G));
                        be.GruCellForward(B, H, new RowView(gx.Storage, rb * G, rs * G), new RowView(gh.Storage, 0, G), bias ? w[d][3].Storage : null,
                            new RowView(hp.Storage, rb * H, rs * H), new RowView(saved!.Storage, rb * 4 * H, rs * 4 * H), hView, hCopy);
                    }
                }
                int last = d == 0 ? T - 1 : 0;
                be.StridedCopy(new StridedView(y.Storage, RowBase(last) * DH + (long)d * H, [rs * DH, 1]), new StridedView(hN.Storage, (long)d * B * H, [H, 1]), [B, H]);
                if (cell == Cell.Lstm)
                    be.StridedCopy(new StridedView(cs!.Storage, RowBase(last) * H, [rs * H, 1]), new StridedView(cN!.Storage, (long)d * B * H, [H, 1]), [B, H]);
                gh?.Dispose();
                whhT.Dispose();
                if (cell == Cell.Lstm) { gates[d] = gx; cells[d] = cs; }
                else { gx.Dispose(); gates[d] = saved!; }
                hprev[d] = hp;
            }
        }

        var inputs = new List<Tensor> { x };
        foreach (var wd in w) inputs.AddRange(wd);
        int h0Index = -1, c0Index = -1;
        if (h0 != null) { h0Index = inputs.Count; inputs.Add(h0); }
        if (c0 != null) { c0Index = inputs.Count; inputs.Add(c0); }
        var states = new StateGrads();
        var inArr = inputs.ToArray();
        int per = w[0].Length;

        y.Record(cell == Cell.Lstm ? "lstm" : "gru", inArr, g =>
        {
            var r = new Tensor?[inArr.Length];
            Tensor? dx = x.RequiresGrad ? Tensor.Empty((int[])x.Shape.Clone(), dev) : null;
            Tensor? dh0 = h0 is { RequiresGrad: true } ? Tensor.Empty([D, B, H], dev) : null;
            Tensor? dc0 = c0 is { RequiresGrad: true } ? Tensor.Empty([D, B, H], dev) : null;
            for (int d = 0; d < D; d++)
            {
                var (wih, whh) = (w[d][0], w[d][1]);
                var dGx = Tensor.Empty([rows, G], dev);
                var dGh = cell == Cell.Gru ? Tensor.Empty([rows, G], dev) : dGx;
                var dhRec = Tensor.Empty([B, H], dev);
                if (states.DHn != null) be.Copy(states.DHn.Storage, (long)d * B * H, dhRec.Storage, 0, (long)B * H);
                else be.Fill(dhRec.Storage, 0, (long)B * H, 0f);
                Tensor? dc = null;
                if (cell == Cell.Lstm)
                {
                    dc = Tensor.Empty([B, H], dev);
                    if (states.DCn != null) be.Copy(states.DCn.Storage, (long)d * B * H, dc.Storage, 0, (long)B * H);
                    else be.Fill(dc.Storage, 0, (long)B * H, 0f);
                }
                var c0d = c0 != null ? new RowView(c0.Storage, (long)d * B * H, H) : cell == Cell.Lstm ? new RowView(zeroState!.Storage, 0, H) : default;
                var dhR = new RowView(dhRec.Storage, 0, H);
                for (int s = T - 1; s >= 0; s--)
                {
                    int t = d == 0 ? s : T - 1 - s;
                    int tPrev = d == 0 ? t - 1 : t + 1;
                    long rb = RowBase(t);
                    var dhOut = new RowView(g.Storage, rb * DH + (long)d * H, rs * DH);
                    if (cell == Cell.Lstm)
                    {
                        var cPrev = s == 0 ? c0d : new RowView(cells[d]!.Storage, RowBase(tPrev) * H, rs * H);
                        be.LstmStepBackward(B, H, new RowView(gates[d].Storage, rb * G, rs * G), cPrev, new RowView(cells[d]!.Storage, rb * H, rs * H),
                            dhOut, dhR, new RowView(dc!.Storage, 0, H), new RowView(dGx.Storage, rb * G, rs * G), whh.Storage);
                    }
                    else
                    {
                        be.GruCellBackward(B, H, new RowView(gates[d].Storage, rb * 4 * H, rs * 4 * H), new RowView(hprev[d].Storage, rb * H, rs * H),
                            dhOut, dhR, new RowView(dGx.Storage, rb * G, rs * G), new RowView(dGh.Storage, rb * G, rs * G));
                        be.Gemm(new GemmArgs(1, B, H, G, 1f, 1f, dGh.Storage, rb * G, 0, (int)(rs * G), false, whh.Storage, 0, 0, H, false, dhRec.Storage, 0, 0, H));
                    }
                }
                if (dh0 != null) be.Copy(dhRec.Storage, 0, dh0.Storage, (long)d * B * H, (long)B * H);
                if (dc0 != null) be.Copy(dc!.Storage, 0, dc0.Storage, (long)d * B * H, (long)B * H);
                int k0 = 1 + d * per;
                if (wih.RequiresGrad)
                {
                    var dw = Tensor.Empty([G, I], dev);
                    be.Gemm(new GemmArgs(1, G, I, rows, 1f, 0f, dGx.Storage, 0, 0, G, true, x.Storage, 0, 0, I, false, dw.Storage, 0, 0, I));
                    r[k0] = dw;
                }
                if (whh.RequiresGrad)
                {
                    var dw = Tensor.Empty([G, H], dev);
                    be.Gemm(new GemmArgs(1, G, H, rows, 1f, 0f, dGh.Storage, 0, 0, G, true, hprev[d].Storage, 0, 0, H, false, dw.Storage, 0, 0, H));
                    r[k0 + 1] = dw;
                }
                if (per == 4)
                {
                    if (w[d][2].RequiresGrad || (cell == Cell.Lstm && w[d][3].RequiresGrad))
                    {
                        var db = Tensor.Empty([G], dev);
                        be.Reduce(ReduceOp.Sum, dGx.Storage, db.Storage, 1, rows, G);
                        if (w[d][2].RequiresGrad) r[k0 + 2] = db;
                        if (cell == Cell.Lstm && w[d][3].RequiresGrad) r[k0 + 3] = w[d][2].RequiresGrad ? db.Clone() : db;
                    }
                    if (cell == Cell.Gru && w[d][3].RequiresGrad)
                    {
                        var db = Tensor.Empty([G], dev);
                        be.Reduce(ReduceOp.Sum, dGh.Storage, db.Storage, 1, rows, G);
                        r[k0 + 3] = db;
                    }
                }
                if (dx != null)
                    be.Gemm(new GemmArgs(1, rows, I, G, 1f, d == 0 ? 0f : 1f, dGx.Storage, 0, 0, G, false, wih.Storage, 0, 0, I, false, dx.Storage, 0, 0, I));
                dGx.Dispose();
                if (cell == Cell.Gru) dGh.Dispose();
                dhRec.Dispose();
                dc?.Dispose();
            }
            states.DHn = states.DCn = null;
            r[0] = dx;
            if (h0Index >= 0) r[h0Index] = dh0;
            if (c0Index >= 0) r[c0Index] = dc0;
            return r;
        });

        if (y.GradFn == null)
        {
            // nothing will differentiate this: release what the backward would have read
            foreach (var t in gates) t.Dispose();
            foreach (var t in cells) t?.Dispose();
            foreach (var t in hprev) t.Dispose();
            zeroState?.Dispose();
            return (y, hN, cN);
        }
        // hN and cN are outputs of the same op: their gradients are handed to the layer's backward
        hN.Record(cell == Cell.Lstm ? "lstm_hn" : "gru_hn", [y], g => { states.DHn = g; return [Tensor.ZerosLike(y)]; });
        cN?.Record("lstm_cn", [y], g => { states.DCn = g; return [Tensor.ZerosLike(y)]; });
        return (y, hN, cN);
    }
}
