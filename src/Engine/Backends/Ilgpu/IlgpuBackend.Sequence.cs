using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>Fused LSTM/GRU step kernels (<see cref="SequenceKernels"/>): each row view is range-checked and cut to the rows it covers.</summary>
public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CellArgs>? _lstmFwd;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CellArgs>? _lstmBwd;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CellArgs>? _gruFwd;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CellArgs>? _gruBwd;

    /// <summary>The sub-view holding <paramref name="batch"/> rows of <paramref name="width"/> floats (checked), and its row stride.</summary>
    private (ArrayView<float> view, long stride) Rows(RowView v, int batch, int width, string what)
    {
        if (v.RowStride < 0) throw new ArgumentException($"{what}: negative row stride");
        long hi = v.Offset + (batch - 1) * v.RowStride + width - 1;
        CheckRange(v.Storage, v.Offset, hi, what);
        return (View(v.Storage).SubView(v.Offset, hi - v.Offset + 1), v.RowStride);
    }

    /// <summary>An optional row view, or a one-element stand-in that the kernel never reads (flag 0).</summary>
    private (ArrayView<float> view, long stride, int has) OptRows(RowView? v, int batch, int width, Storage standIn, string what)
    {
        if (v is { } r) { var (view, s) = Rows(r, batch, width, what); return (view, s, 1); }
        return (View(standIn).SubView(0, 1), 0, 0);
    }

    public void LstmCellForward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy)
    {
        if (batch <= 0 || hidden <= 0) return;
        var g = Rows(gates, batch, 4 * hidden, "LstmCellForward gates");
        var cp = Rows(cPrev, batch, hidden, "LstmCellForward c_prev");
        var cc = Rows(c, batch, hidden, "LstmCellForward c");
        var hh = Rows(h, batch, hidden, "LstmCellForward h");
        var hc = OptRows(hCopy, batch, hidden, h.Storage, "LstmCellForward h copy");
        var a = new CellArgs { Batch = batch, Hidden = hidden, HasOptional = hc.has, S0 = g.stride, S1 = cp.stride, S2 = cc.stride, S3 = hh.stride, S4 = hc.stride };
        var e = Extent((long)batch * hidden);
        K(ref _lstmFwd, SequenceKernels.LstmForward)(e, e.X, g.view, cp.view, cc.view, hh.view, hc.view, a);
    }

    public void LstmCellBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates)
    {
        if (batch <= 0 || hidden <= 0) return;
        var g = Rows(gates, batch, 4 * hidden, "LstmCellBackward gates");
        var cp = Rows(cPrev, batch, hidden, "LstmCellBackward c_prev");
        var cc = Rows(c, batch, hidden, "LstmCellBackward c");
        var dout = OptRows(dhOut, batch, hidden, dhRec.Storage, "LstmCellBackward dh_out");
        var dr = Rows(dhRec, batch, hidden, "LstmCellBackward dh_rec");
        var dcc = Rows(dc, batch, hidden, "LstmCellBackward dc");
        var dg = Rows(dGates, batch, 4 * hidden, "LstmCellBackward dgates");
        var a = new CellArgs { Batch = batch, Hidden = hidden, HasOptional = dout.has, S0 = g.stride, S1 = cp.stride, S2 = cc.stride, S3 = dout.stride, S4 = dr.stride, S5 = dcc.stride, S6 = dg.stride };
        var e = Extent((long)batch * hidden);
        K(ref _lstmBwd, SequenceKernels.LstmBackward)(e, e.X, g.view, cp.view, cc.view, dout.view, dr.view, dcc.view, dg.view, a);
    }

    public void GruCellForward(int batch, int hidden, RowView gx, RowView gh, Storage? biasHh, RowView hPrev, RowView saved, RowView h, RowView? hCopy)
    {
        if (batch <= 0 || hidden <= 0) return;
        var x = Rows(gx, batch, 3 * hidden, "GruCellForward gx");
        var hh = Rows(gh, batch, 3 * hidden, "GruCellForward gh");
        ArrayView<float> bias;
        if (biasHh != null) { CheckRange(biasHh, 0, 3L * hidden - 1, "GruCellForward bias"); bias = View(biasHh).SubView(0, 3L * hidden); }
        else bias = View(h.Storage).SubView(0, 1);
        var hp = Rows(hPrev, batch, hidden, "GruCellForward h_prev");
        var s = Rows(saved, batch, 4 * hidden, "GruCellForward saved");
        var ho = Rows(h, batch, hidden, "GruCellForward h");
        var hc = OptRows(hCopy, batch, hidden, h.Storage, "GruCellForward h copy");
        var a = new CellArgs { Batch = batch, Hidden = hidden, HasOptional = hc.has, HasBias = biasHh != null ? 1 : 0, S0 = x.stride, S1 = hh.stride, S2 = hp.stride, S3 = s.stride, S4 = ho.stride, S5 = hc.stride };
        var e = Extent((long)batch * hidden);
        K(ref _gruFwd, SequenceKernels.GruForward)(e, e.X, x.view, hh.view, bias, hp.view, s.view, ho.view, hc.view, a);
    }

    public void GruCellBackward(int batch, int hidden, RowView saved, RowView hPrev, RowView? dhOut, RowView dhRec, RowView dGx, RowView dGh)
    {
        if (batch <= 0 || hidden <= 0) return;
        var s = Rows(saved, batch, 4 * hidden, "GruCellBackward saved");
        var hp = Rows(hPrev, batch, hidden, "GruCellBackward h_prev");
        var dout = OptRows(dhOut, batch, hidden, dhRec.Storage, "GruCellBackward dh_out");
        var dr = Rows(dhRec, batch, hidden, "GruCellBackward dh_rec");
        var gx = Rows(dGx, batch, 3 * hidden, "GruCellBackward dgx");
        var gh = Rows(dGh, batch, 3 * hidden, "GruCellBackward dgh");
        var a = new CellArgs { Batch = batch, Hidden = hidden, HasOptional = dout.has, S0 = s.stride, S1 = hp.stride, S2 = dout.stride, S3 = dr.stride, S4 = gx.stride, S5 = gh.stride };
        var e = Extent((long)batch * hidden);
        K(ref _gruBwd, SequenceKernels.GruBackward)(e, e.X, s.view, hp.view, dout.view, dr.view, gx.view, gh.view, a);
    }
}
