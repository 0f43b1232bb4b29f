using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Backends;

/// <summary>
/// Discrete Fourier transforms along the last axis, for any length (radix-2 for powers of two, Bluestein's chirp-z
/// otherwise). Complex values are interleaved (re, im) float pairs: a complex tensor of logical shape (..., n) is
/// stored as (..., n, 2). Transforms are unnormalised sums multiplied by <c>scale</c>:
/// forward X_k = scale·Σ_j x_j e^{−2πi jk/n}; inverse x_j = scale·Σ_k X_k e^{+2πi jk/n}.
/// </summary>
public partial interface IBackend
{
    /// <summary>Complex DFT of <paramref name="rows"/> vectors of <paramref name="n"/> complex values; x and y are (rows, n, 2).</summary>
    void Fft(Storage x, Storage y, int rows, int n, bool inverse, float scale);

    /// <summary>Real-input DFT: x (rows, n) → y (rows, n/2 + 1, 2), the non-negative frequencies.</summary>
    void Rfft(Storage x, Storage y, int rows, int n, float scale);

    /// <summary>
    /// Inverse of <see cref="Rfft"/>: x (rows, n/2 + 1, 2) is taken as the half of a Hermitian spectrum (the imaginary
    /// parts of the DC bin and, for even n, the Nyquist bin are ignored) → real y (rows, n). Scale 1/n gives numpy's irfft.
    /// </summary>
    void Irfft(Storage x, Storage y, int rows, int n, float scale);

    /// <summary>|z| of <paramref name="count"/> interleaved complex values → count floats.</summary>
    void ComplexAbs(Storage x, Storage y, long count);

    /// <summary>dx = dy·z/|z| (zero where |z| = 0), from x, y = |x| and dy; dx is interleaved like x.</summary>
    void ComplexAbsBackward(Storage x, Storage y, Storage dy, Storage dx, long count);
}
