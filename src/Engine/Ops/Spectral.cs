namespace HarFromScratch.Engine.Tensors;

/// <summary>
/// Differentiable FFTs along the last axis, any length. Complex tensors are real tensors with a trailing axis of
/// size 2 holding (re, im): a complex signal of n samples is (..., n, 2). Conventions follow numpy/torch.fft
/// (norm="backward"): Fft/Rfft unnormalised, Ifft/Irfft scaled by 1/n.
/// Gradients are those of the real-valued maps (re, im) → (re, im), which is what a real loss needs:
/// d/dx Fft = unnormalised inverse Fft of the gradient; d/dx Rfft = irfft-like transform with the Hermitian weights
/// (1 for DC and Nyquist, ½ elsewhere); d/dX Irfft = rfft of the gradient weighted (1, 2, ..., 2, 1)/n.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Real signal (..., n) → its n/2 + 1 non-negative-frequency bins (..., n/2 + 1, 2).</summary>
    public Tensor Rfft()
    {
        if (Rank == 0) throw new ArgumentException("Rfft: needs at least one axis");
        int n = Shape[^1];
        if (n == 0) throw new ArgumentException($"Rfft: empty last axis in {ShapeUtil.Format(Shape)}");
        int m = n / 2 + 1;
        int rows = (int)(Numel / n);
        var y = Empty([.. Shape[..^1], m, 2], Device);
        Backend.Rfft(Storage, y.Storage, rows, n, 1f);
        var x = this;
        return y.Record("rfft", [x], g =>
        {
            var w = HermitianWeights(n, 1f, 0.5f, x);
            var gw = g * w;
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.Irfft(gw.Storage, dx.Storage, rows, n, 1f);
            return [dx];
        });
    }

    /// <summary>
    /// Half spectrum (..., n/2 + 1, 2) → real signal (..., n); <paramref name="n"/> defaults to 2·(bins − 1) (pass the
    /// odd length explicitly, as in numpy). Imaginary parts of the DC and Nyquist bins are ignored.
    /// </summary>
    public Tensor Irfft(int? n = null)
    {
        CheckComplex("Irfft");
        int m = Shape[^2];
        int len = n ?? 2 * (m - 1);
        if (len <= 0 || len / 2 + 1 != m)
            throw new ArgumentException($"Irfft: {m} bins do not form the half spectrum of length {len} (needs {len / 2 + 1}); shape {ShapeUtil.Format(Shape)}");
        int rows = (int)(Numel / (2L * m));
        var y = Empty([.. Shape[..^2], len], Device);
        Backend.Irfft(Storage, y.Storage, rows, len, 1f / len);
        var x = this;
        return y.Record("irfft", [x], g =>
        {
            var r = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.Rfft(g.Storage, r.Storage, rows, len, 1f / len);
            return [r * HermitianWeights(len, 1f, 2f, x)];
        });
    }

    /// <summary>Complex DFT (..., n, 2) → (..., n, 2), unnormalised.</summary>
    public Tensor Fft() => ComplexFft(inverse: false);

    /// <summary>Inverse complex DFT (..., n, 2) → (..., n, 2), scaled by 1/n.</summary>
    public Tensor Ifft() => ComplexFft(inverse: true);

    private Tensor ComplexFft(bool inverse)
    {
        CheckComplex(inverse ? "Ifft" : "Fft");
        int n = Shape[^2];
        int rows = (int)(Numel / (2L * n));
        float scale = inverse ? 1f / n : 1f;
        var y = Empty((int[])Shape.Clone(), Device);
        Backend.Fft(Storage, y.Storage, rows, n, inverse, scale);
        var x = this;
        return y.Record(inverse ? "ifft" : "fft", [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            // adjoint of the DFT matrix is the conjugate one: forward ↔ inverse, same scale
            x.Backend.Fft(g.Storage, dx.Storage, rows, n, !inverse, scale);
            return [dx];
        });
    }

    /// <summary>|z| of a complex tensor (..., 2) → (...). The gradient at z = 0 is taken as 0.</summary>
    public Tensor ComplexAbs()
    {
        CheckComplex("ComplexAbs");
        long count = Numel / 2;
        var y = Empty(Shape[..^1], Device);
        Backend.ComplexAbs(Storage, y.Storage, count);
        var x = this;
        return y.Record("complex_abs", [x], g =>
        {
            var dx = Empty((int[])x.Shape.Clone(), x.Device);
            x.Backend.ComplexAbsBackward(x.Storage, y.Storage, g.Storage, dx.Storage, count);
            return [dx];
        });
    }

    /// <summary>|z|² of a complex tensor (..., 2) → (...).</summary>
    public Tensor ComplexPower()
    {
        CheckComplex("ComplexPower");
        return Square().Sum(-1);
    }

    /// <summary>log(1 + |z|) of a complex tensor (..., 2) → (...): a log-magnitude that is finite at 0.</summary>
    public Tensor LogMagnitude() => ComplexAbs().Log1p();

    private void CheckComplex(string op)
    {
        if (Rank < 2 || Shape[^1] != 2)
            throw new ArgumentException($"{op}: expects a complex tensor (..., n, 2) with (re, im) in the last axis, got {ShapeUtil.Format(Shape)}");
    }

    /// <summary>(n/2 + 1, 2) weights: <paramref name="edge"/> for DC and (even n) Nyquist, <paramref name="inner"/> elsewhere.</summary>
    private static Tensor HermitianWeights(int n, float edge, float inner, Tensor like)
    {
        int m = n / 2 + 1;
        var w = new float[2 * m];
        for (int k = 0; k < m; k++)
        {
            bool isEdge = k == 0 || (n % 2 == 0 && k == n / 2);
            w[2 * k] = w[2 * k + 1] = isEdge ? edge : inner;
        }
        return FromArray(w, [m, 2], like.Device);
    }
}
