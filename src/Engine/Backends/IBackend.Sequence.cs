using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Rows of a matrix inside a storage: row r starts at <c>Offset + r * RowStride</c> and its columns are contiguous.
/// Recurrent kernels address one time step of a (batch, features) slab this way, whatever the sequence layout
/// (time-first: row stride = features; batch-first: row stride = seq * features).
/// </summary>
public readonly record struct RowView(Storage Storage, long Offset, long RowStride)
{
    public RowView At(long extraOffset) => this with { Offset = Offset + extraOffset };
}

/// <summary>
/// Fused recurrent-cell kernels. One call per time step covers all batch rows and all gates; the matrix products
/// around them (input projection for all steps, recurrent product per step, weight gradients at the end) are
/// ordinary <see cref="Gemm"/> calls made by the op. Gate orders are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
/// </summary>
public partial interface IBackend
{
    /// <summary>
    /// One LSTM step over <paramref name="batch"/> rows. <paramref name="gates"/> (batch, 4H) holds the
    /// pre-activations x·W_ihᵀ + b_ih + b_hh + h_prev·W_hhᵀ and is overwritten with the activations
    /// (σ(i), σ(f), tanh(g), σ(o)), which the backward pass reads. Writes c = f·c_prev + i·g and h = o·tanh(c).
    /// <paramref name="hCopy"/>, when given, receives a second copy of h (the op keeps each step's h_prev contiguous).
    /// </summary>
    void LstmCellForward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy);

    /// <summary>
    /// Gradient of one LSTM step. dh = <paramref name="dhOut"/> (gradient of this step's output, optional) +
    /// <paramref name="dhRec"/> (gradient from the next step); <paramref name="dc"/> holds the gradient reaching c
    /// from the next step and is overwritten with the gradient of c_prev. Writes the pre-activation gradients
    /// (batch, 4H) to <paramref name="dGates"/>. <paramref name="gates"/> are the activations saved by the forward.
    /// </summary>
    void LstmCellBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates);

    /// <summary>
    /// The recurrent product and the cell of one LSTM step: <paramref name="gates"/> += h_prev·W_hhᵀ, with
    /// <paramref name="hPrev"/> (batch, H) rows and <paramref name="whhT"/> W_hh transposed (H, 4H) row-major, then
    /// <see cref="LstmCellForward"/>. Every batch row is independent, so a backend may run both per block of rows
    /// (the cpu backend does: one parallel region per step, the gates still in cache for the cell).
    /// </summary>
    void LstmStepForward(int batch, int hidden, RowView hPrev, Storage whhT, RowView gates, RowView cPrev, RowView c, RowView h, RowView? hCopy)
    {
        Gemm(LstmRecurrentProduct(batch, hidden, hPrev, whhT, gates));
        LstmCellForward(batch, hidden, gates, cPrev, c, h, hCopy);
    }

    /// <summary>The product of <see cref="LstmStepForward"/>: gates (batch, 4H) += h_prev (batch, H) · W_hhᵀ (H, 4H).</summary>
    static GemmArgs LstmRecurrentProduct(int batch, int hidden, RowView hPrev, Storage whhT, RowView gates) =>
        new(1, batch, 4 * hidden, hidden, 1f, 1f, hPrev.Storage, hPrev.Offset, 0, (int)hPrev.RowStride, false, whhT, 0, 0, 4 * hidden, false,
            gates.Storage, gates.Offset, 0, (int)gates.RowStride);

    /// <summary>The product of <see cref="LstmStepBackward"/>: dhRec (batch, H) = dGates (batch, 4H) · W_hh (4H, H).</summary>
    static GemmArgs LstmRecurrentGradient(int batch, int hidden, RowView dGates, Storage whh, RowView dhRec) =>
        new(1, batch, hidden, 4 * hidden, 1f, 0f, dGates.Storage, dGates.Offset, 0, (int)dGates.RowStride, false, whh, 0, 0, hidden, false,
            dhRec.Storage, dhRec.Offset, 0, (int)dhRec.RowStride);

    /// <summary>
    /// <see cref="LstmCellBackward"/> then the recurrent gradient <paramref name="dhRec"/> = dGates·W_hh (W_hh (4H, H)
    /// row-major), which the next (earlier) step reads; per block of rows on the cpu backend.
    /// </summary>
    void LstmStepBackward(int batch, int hidden, RowView gates, RowView cPrev, RowView c, RowView? dhOut, RowView dhRec, RowView dc, RowView dGates, Storage whh)
    {
        LstmCellBackward(batch, hidden, gates, cPrev, c, dhOut, dhRec, dc, dGates);
        Gemm(LstmRecurrentGradient(batch, hidden, dGates, whh, dhRec));
    }

    /// <summary>
    /// One GRU step: <paramref name="gx"/> (batch, 3H) = x·W_ihᵀ + b_ih, <paramref name="gh"/> (batch, 3H) =
    /// h_prev·W_hhᵀ (without bias; <paramref name="biasHh"/> (3H) is added here). r = σ(gx_r + gh_r + b_hr),
    /// z = σ(gx_z + gh_z + b_hz), n = tanh(gx_n + r·(gh_n + b_hn)), h = (1 − z)·n + z·h_prev.
    /// Saves (r, z, n, gh_n + b_hn) to <paramref name="saved"/> (batch, 4H) for the backward pass.
    /// </summary>
    void GruCellForward(int batch, int hidden, RowView gx, RowView gh, Storage? biasHh, RowView hPrev, RowView saved, RowView h, RowView? hCopy);

    /// <summary>
    /// Gradient of one GRU step. dh = <paramref name="dhOut"/> (optional) + <paramref name="dhRec"/>; writes the
    /// input-side pre-activation gradients (dr, dz, dn) to <paramref name="dGx"/> and the hidden-side ones
    /// (dr, dz, dn·r) to <paramref name="dGh"/>, and overwrites <paramref name="dhRec"/> with the direct part of
    /// the gradient of h_prev (dh·z; the op adds dGh·W_hh with a GEMM).
    /// </summary>
    void GruCellBackward(int batch, int hidden, RowView saved, RowView hPrev, RowView? dhOut, RowView dhRec, RowView dGx, RowView dGh);
}
