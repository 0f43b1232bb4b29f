using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// 8x8 AVX transposes: plain matrix transposes (<see cref="TransposeRows"/>, the conv weight gradient), and moving eight
/// rows of interleaved complex numbers (re, im, re, im, ...) into and out of the FFT's lane layout (split re/im arrays
/// whose element j is a vector of element j of the eight rows). The scalar form of these gathers and scatters cost more
/// than the butterflies themselves (~2/3 of an rfft over 128 samples).
/// </summary>
internal static unsafe class LaneTranspose
{
    public static bool Supported => Avx.IsSupported && System.Numerics.Vector<float>.Count == 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20); r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20); r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31); r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31); r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for r &lt; rows, c &lt; cols: 8×8 AVX blocks, scalar edges.</summary>
    public static void TransposeRows(float* src, long lds, float* dst, long ldd, int rows, int cols)
    {
        int r = 0;
        if (Supported)
            for (; r + 8 <= rows; r += 8)
            {
                int c = 0;
                for (; c + 8 <= cols; c += 8)
                {
                    float* s = src + r * lds + c;
                    var v0 = Vector256.Load(s); var v1 = Vector256.Load(s + lds); var v2 = Vector256.Load(s + 2 * lds); var v3 = Vector256.Load(s + 3 * lds);
                    var v4 = Vector256.Load(s + 4 * lds); var v5 = Vector256.Load(s + 5 * lds); var v6 = Vector256.Load(s + 6 * lds); var v7 = Vector256.Load(s + 7 * lds);
                    Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
                    float* d = dst + c * ldd + r;
                    v0.Store(d); v1.Store(d + ldd); v2.Store(d + 2 * ldd); v3.Store(d + 3 * ldd);
                    v4.Store(d + 4 * ldd); v5.Store(d + 5 * ldd); v6.Store(d + 6 * ldd); v7.Store(d + 7 * ldd);
                }
                for (; c < cols; c++)
                    for (int i = 0; i < 8; i++) dst[c * ldd + r + i] = src[(r + i) * lds + c];
            }
        for (; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }

    /// <summary>re[d(j)·8 + l] = row_l[2j], im[d(j)·8 + l] = row_l[2j + 1] for j &lt; count, row_l = src + l·rowStride,
    /// d(j) = <paramref name="order"/>[j] (the FFT's bit-reversal, applied on the way in) or j.</summary>
    public static void Gather(float* src, long rowStride, int count, float* re, float* im, int[]? order = null)
    {
        int j = 0;
        for (; j + 4 <= count; j += 4)
        {
            float* s = src + 2 * j;
            var v0 = Vector256.Load(s); var v1 = Vector256.Load(s + rowStride); var v2 = Vector256.Load(s + 2 * rowStride); var v3 = Vector256.Load(s + 3 * rowStride);
            var v4 = Vector256.Load(s + 4 * rowStride); var v5 = Vector256.Load(s + 5 * rowStride); var v6 = Vector256.Load(s + 6 * rowStride); var v7 = Vector256.Load(s + 7 * rowStride);
            Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            int d0 = j, d1 = j + 1, d2 = j + 2, d3 = j + 3;
            if (order != null) { d0 = order[j]; d1 = order[j + 1]; d2 = order[j + 2]; d3 = order[j + 3]; }
            v0.Store(re + d0 * 8); v1.Store(im + d0 * 8); v2.Store(re + d1 * 8); v3.Store(im + d1 * 8);
            v4.Store(re + d2 * 8); v5.Store(im + d2 * 8); v6.Store(re + d3 * 8); v7.Store(im + d3 * 8);
        }
        for (; j < count; j++)
        {
            int d = order != null ? order[j] : j;
            for (int l = 0; l < 8; l++) { re[d * 8 + l] = src[l * rowStride + 2 * j]; im[d * 8 + l] = src[l * rowStride + 2 * j + 1]; }
        }
    }

    /// <summary>Eight lane vectors (bin k re, im, bin k+1 re, im, ...) as eight floats of each row: row_l = dst + l·rowStride.</summary>
    public static void StoreRows(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        Vector256<float> v4, Vector256<float> v5, Vector256<float> v6, Vector256<float> v7, float* dst, long rowStride)
    {
        Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
        v0.Store(dst); v1.Store(dst + rowStride); v2.Store(dst + 2 * rowStride); v3.Store(dst + 3 * rowStride);
        v4.Store(dst + 4 * rowStride); v5.Store(dst + 5 * rowStride); v6.Store(dst + 6 * rowStride); v7.Store(dst + 7 * rowStride);
    }

    /// <summary>row_l[2k] = scale·re[k·8 + l], row_l[2k + 1] = scale·im[k·8 + l] for k &lt; count; row_l = dst + l·rowStride.</summary>
    public static void Scatter(float* re, float* im, int count, float* dst, long rowStride, float scale)
    {
        var s = Vector256.Create(scale);
        int k = 0;
        for (; k + 4 <= count; k += 4)
        {
            var v0 = Vector256.Load(re + k * 8) * s; var v1 = Vector256.Load(im + k * 8) * s;
            var v2 = Vector256.Load(re + (k + 1) * 8) * s; var v3 = Vector256.Load(im + (k + 1) * 8) * s;
            var v4 = Vector256.Load(re + (k + 2) * 8) * s; var v5 = Vector256.Load(im + (k + 2) * 8) * s;
            var v6 = Vector256.Load(re + (k + 3) * 8) * s; var v7 = Vector256.Load(im + (k + 3) * 8) * s;
            Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            float* d = dst + 2 * k;
            v0.Store(d); v1.Store(d + rowStride); v2.Store(d + 2 * rowStride); v3.Store(d + 3 * rowStride);
            v4.Store(d + 4 * rowStride); v5.Store(d + 5 * rowStride); v6.Store(d + 6 * rowStride); v7.Store(d + 7 * rowStride);
        }
        for (; k < count; k++)
            for (int l = 0; l < 8; l++) { dst[l * rowStride + 2 * k] = scale * re[k * 8 + l]; dst[l * rowStride + 2 * k + 1] = scale * im[k * 8 + l]; }
    }
}
