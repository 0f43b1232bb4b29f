using HarFromScratch.Engine.Tensors;
using ILGPU;

namespace HarFromScratch.Engine.Backends.Ilgpu;

/// <summary>DFTs as direct sums (<see cref="SpectralKernels"/>): one thread per output element, any length.</summary>
public sealed partial class IlgpuBackend
{
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, int, int, int, float>? _dft;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, int, int, float>? _rdft;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, int, int, float>? _irdft;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, long>? _complexAbs;
    private Action<Index1D, long, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, long>? _complexAbsBackward;

    public void Fft(Storage x, Storage y, int rows, int n, bool inverse, float scale)
    {
        if (rows <= 0 || n <= 0) return;
        long len = 2L * rows * n;
        CheckRange(x, 0, len - 1, "Fft input");
        CheckRange(y, 0, len - 1, "Fft output");
        if (ReferenceEquals(x, y)) throw new ArgumentException("Fft: input and output must differ");
        var e = Extent((long)rows * n);
        K(ref _dft, SpectralKernels.Dft)(e, e.X, View(x), View(y), rows, n, inverse ? 1 : 0, scale);
    }

    public void Rfft(Storage x, Storage y, int rows, int n, float scale)
    {
        if (rows <= 0 || n <= 0) return;
        int m = n / 2 + 1;
        CheckRange(x, 0, (long)rows * n - 1, "Rfft input");
        CheckRange(y, 0, 2L * rows * m - 1, "Rfft output");
        var e = Extent((long)rows * m);
        K(ref _rdft, SpectralKernels.Rdft)(e, e.X, View(x), View(y), rows, n, scale);
    }

    public void Irfft(Storage x, Storage y, int rows, int n, float scale)
    {
        if (rows <= 0 || n <= 0) return;
        int m = n / 2 + 1;
        CheckRange(x, 0, 2L * rows * m - 1, "Irfft input");
        CheckRange(y, 0, (long)rows * n - 1, "Irfft output");
        var e = Extent((long)rows * n);
        K(ref _irdft, SpectralKernels.IrDft)(e, e.X, View(x), View(y), rows, n, scale);
    }

    public void ComplexAbs(Storage x, Storage y, long count)
    {
        if (count <= 0) return;
        CheckRange(x, 0, 2 * count - 1, "ComplexAbs input");
        CheckRange(y, 0, count - 1, "ComplexAbs output");
        var e = Extent(count);
        K(ref _complexAbs, SpectralKernels.ComplexAbs)(e, e.X, View(x), View(y), count);
    }

    public void ComplexAbsBackward(Storage x, Storage y, Storage dy, Storage dx, long count)
    {
        if (count <= 0) return;
        CheckRange(x, 0, 2 * count - 1, "ComplexAbsBackward x");
        CheckRange(y, 0, count - 1, "ComplexAbsBackward y");
        CheckRange(dy, 0, count - 1, "ComplexAbsBackward dy");
        CheckRange(dx, 0, 2 * count - 1, "ComplexAbsBackward dx");
        var e = Extent(count);
        K(ref _complexAbsBackward, SpectralKernels.ComplexAbsBackward)(e, e.X, View(x), View(y), View(dy), View(dx), count);
    }
}
