using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace HarFromScratch.Engine.Backends.Cpu;

/// <summary>
/// Register-tiled Vector256 (AVX2 + FMA) building blocks of the convolution family. They run single-threaded on
/// row-major panels that are already in cache; callers spread independent panels over the cores.
/// Vector256 rather than Vector512: the target machines (2-core AMD EPYC) have AVX2 only, where Vector512 is
/// emulated in software. Every tail is handled by scalar code, so any length works and nothing reads past a row.
/// </summary>
internal static unsafe class CpuConvKernels
{
    [ThreadStatic] private static float[]?[]? _scratch;

    /// <summary>A per-thread pinned scratch buffer (slot 0..4) of at least <paramref name="size"/> floats.</summary>
    public static float* Scratch(int slot, long size)
    {
        var slots = _scratch ??= new float[5][];
        return PinnedScratch.Get(ref slots[slot], size);
    }

    /// <summary>A pinned array for one call (pointer valid while the array is referenced).</summary>
    public static float[] Pinned(long size, out float* ptr)
    {
        var a = GC.AllocateArray<float>((int)Math.Max(size, 1), pinned: true);
        ptr = (float*)Unsafe.AsPointer(ref a[0]);
        return a;
    }

    /// <summary>
    /// C[m, j] = init[m] + Σ_k A[m, k]·B[k, j] for m &lt; M, j &lt; N; init is bias[m] (or 0 when bias is null).
    /// A(m, k) is read at A[m·lda + k·ka] (ka = 1 row-major; lda = 1, ka = stride for a transposed operand),
    /// B is K×N (row stride ldb), C is M×N (row stride ldc). 4×16 register tile, broadcasts of A, vectors of B.
    /// </summary>
    public static void MatMulAB(int M, int N, int K, float* A, long lda, float* B, long ldb, float* C, long ldc, float* bias, long ka = 1)
    {
        int m = 0;
        for (; m + 4 <= M; m += 4) Rows4(N, K, A + m * lda, lda, ka, B, ldb, C + m * ldc, ldc, bias == null ? null : bias + m);
        for (; m < M; m++) Row1(N, K, A + m * lda, ka, B, ldb, C + m * ldc, bias == null ? 0f : bias[m]);
    }

    private static void Rows4(int N, int K, float* a0, long lda, long ka, float* B, long ldb, float* c0, long ldc, float* bias)
    {
        float* c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        long l1 = lda, l2 = 2 * lda, l3 = 3 * lda;
        float i0 = bias == null ? 0f : bias[0], i1 = bias == null ? 0f : bias[1], i2 = bias == null ? 0f : bias[2], i3 = bias == null ? 0f : bias[3];
        int j = 0;
        for (; j + 16 <= N; j += 16)
        {
            Vector256<float> x00 = Vector256.Create(i0), x01 = x00, x10 = Vector256.Create(i1), x11 = x10;
            Vector256<float> x20 = Vector256.Create(i2), x21 = x20, x30 = Vector256.Create(i3), x31 = x30;
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka)
            {
                var b0 = Vector256.Load(b);
                var b1 = Vector256.Load(b + 8);
                var v = Vector256.Create(a[0]); x00 = Vector256.FusedMultiplyAdd(v, b0, x00); x01 = Vector256.FusedMultiplyAdd(v, b1, x01);
                v = Vector256.Create(a[l1]); x10 = Vector256.FusedMultiplyAdd(v, b0, x10); x11 = Vector256.FusedMultiplyAdd(v, b1, x11);
                v = Vector256.Create(a[l2]); x20 = Vector256.FusedMultiplyAdd(v, b0, x20); x21 = Vector256.FusedMultiplyAdd(v, b1, x21);
                v = Vector256.Create(a[l3]); x30 = Vector256.FusedMultiplyAdd(v, b0, x30); x31 = Vector256.FusedMultiplyAdd(v, b1, x31);
            }
            x00.Store(c0 + j); x01.Store(c0 + j + 8); x10.Store(c1 + j); x11.Store(c1 + j + 8);
            x20.Store(c2 + j); x21.Store(c2 + j + 8); x30.Store(c3 + j); x31.Store(c3 + j + 8);
        }
        for (; j + 8 <= N; j += 8)
        {
            Vector256<float> x0 = Vector256.Create(i0), x1 = Vector256.Create(i1), x2 = Vector256.Create(i2), x3 = Vector256.Create(i3);
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka)
            {
                var b0 = Vector256.Load(b);
                x0 = Vector256.FusedMultiplyAdd(Vector256.Create(a[0]), b0, x0);
                x1 = Vector256.FusedMultiplyAdd(Vector256.Create(a[l1]), b0, x1);
                x2 = Vector256.FusedMultiplyAdd(Vector256.Create(a[l2]), b0, x2);
                x3 = Vector256.FusedMultiplyAdd(Vector256.Create(a[l3]), b0, x3);
            }
            x0.Store(c0 + j); x1.Store(c1 + j); x2.Store(c2 + j); x3.Store(c3 + j);
        }
        for (; j < N; j++)
        {
            float s0 = i0, s1 = i1, s2 = i2, s3 = i3;
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka)
            {
                float bv = *b;
                s0 += a[0] * bv; s1 += a[l1] * bv; s2 += a[l2] * bv; s3 += a[l3] * bv;
            }
            c0[j] = s0; c1[j] = s1; c2[j] = s2; c3[j] = s3;
        }
    }

    private static void Row1(int N, int K, float* a0, long ka, float* B, long ldb, float* c, float init)
    {
        int j = 0;
        for (; j + 16 <= N; j += 16)
        {
            Vector256<float> x0 = Vector256.Create(init), x1 = x0;
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka)
            {
                var v = Vector256.Create(*a);
                x0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b), x0);
                x1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(b + 8), x1);
            }
            x0.Store(c + j); x1.Store(c + j + 8);
        }
        for (; j + 8 <= N; j += 8)
        {
            Vector256<float> x0 = Vector256.Create(init);
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka) x0 = Vector256.FusedMultiplyAdd(Vector256.Create(*a), Vector256.Load(b), x0);
            x0.Store(c + j);
        }
        for (; j < N; j++)
        {
            float s = init;
            float* b = B + j;
            float* a = a0;
            for (int k = 0; k < K; k++, b += ldb, a += ka) s += *a * *b;
            c[j] = s;
        }
    }

    /// <summary>
    /// C[m, j] (+)= Σ_t A[m, t]·B[j, t] for m &lt; M, j &lt; N, t &lt; T: dot products of rows (weight gradients).
    /// Written when <paramref name="accumulate"/> is false. 4×3 tile of row pairs, vectors over t.
    /// </summary>
    public static void MatMulABt(int M, int N, int T, float* A, long lda, float* B, long ldb, float* C, long ldc, bool accumulate)
    {
        int m = 0;
        for (; m + 4 <= M; m += 4)
        {
            int j = 0;
            for (; j + 3 <= N; j += 3) Dot4x3(T, A + m * lda, lda, B + j * ldb, ldb, C + m * ldc + j, ldc, accumulate);
            for (; j < N; j++)
                for (int r = 0; r < 4; r++) Put(C + (m + r) * ldc + j, Dot(T, A + (m + r) * lda, B + j * ldb), accumulate);
        }
        for (; m < M; m++)
            for (int j = 0; j < N; j++) Put(C + m * ldc + j, Dot(T, A + m * lda, B + j * ldb), accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* c, float v, bool accumulate) => *c = accumulate ? *c + v : v;

    private static void Dot4x3(int T, float* a0, long lda, float* b0, long ldb, float* c, long ldc, bool accumulate)
    {
        float* a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        float* b1 = b0 + ldb, b2 = b1 + ldb;
        Vector256<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
        int t = 0;
        for (; t + 8 <= T; t += 8)
        {
            var v0 = Vector256.Load(b0 + t); var v1 = Vector256.Load(b1 + t); var v2 = Vector256.Load(b2 + t);
            var u = Vector256.Load(a0 + t);
            s00 = Vector256.FusedMultiplyAdd(u, v0, s00); s01 = Vector256.FusedMultiplyAdd(u, v1, s01); s02 = Vector256.FusedMultiplyAdd(u, v2, s02);
            u = Vector256.Load(a1 + t);
            s10 = Vector256.FusedMultiplyAdd(u, v0, s10); s11 = Vector256.FusedMultiplyAdd(u, v1, s11); s12 = Vector256.FusedMultiplyAdd(u, v2, s12);
            u = Vector256.Load(a2 + t);
            s20 = Vector256.FusedMultiplyAdd(u, v0, s20); s21 = Vector256.FusedMultiplyAdd(u, v1, s21); s22 = Vector256.FusedMultiplyAdd(u, v2, s22);
            u = Vector256.Load(a3 + t);
            s30 = Vector256.FusedMultiplyAdd(u, v0, s30); s31 = Vector256.FusedMultiplyAdd(u, v1, s31); s32 = Vector256.FusedMultiplyAdd(u, v2, s32);
        }
        float* r = stackalloc float[12];
        r[0] = Vector256.Sum(s00); r[1] = Vector256.Sum(s01); r[2] = Vector256.Sum(s02);
        r[3] = Vector256.Sum(s10); r[4] = Vector256.Sum(s11); r[5] = Vector256.Sum(s12);
        r[6] = Vector256.Sum(s20); r[7] = Vector256.Sum(s21); r[8] = Vector256.Sum(s22);
        r[9] = Vector256.Sum(s30); r[10] = Vector256.Sum(s31); r[11] = Vector256.Sum(s32);
        for (; t < T; t++)
        {
            float w0 = b0[t], w1 = b1[t], w2 = b2[t];
            r[0] += a0[t] * w0; r[1] += a0[t] * w1; r[2] += a0[t] * w2;
            r[3] += a1[t] * w0; r[4] += a1[t] * w1; r[5] += a1[t] * w2;
            r[6] += a2[t] * w0; r[7] += a2[t] * w1; r[8] += a2[t] * w2;
            r[9] += a3[t] * w0; r[10] += a3[t] * w1; r[11] += a3[t] * w2;
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) Put(c + i * ldc + j, r[i * 3 + j], accumulate);
    }

    /// <summary>Σ_t a[t]·b[t], vectorised, fixed order.</summary>
    public static float Dot(int T, float* a, float* b)
    {
        Vector256<float> s0 = default, s1 = default;
        int t = 0;
        for (; t + 16 <= T; t += 16)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + t), Vector256.Load(b + t), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + t + 8), Vector256.Load(b + t + 8), s1);
        }
        for (; t + 8 <= T; t += 8) s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + t), Vector256.Load(b + t), s0);
        float s = Vector256.Sum(s0 + s1);
        for (; t < T; t++) s += a[t] * b[t];
        return s;
    }

    /// <summary>
    /// For each tap k: acc[8k .. 8k+8) += lane sums of g[t]·src[off[k] + t] over whole vectors, acc[8K + k] += the scalar tail.
    /// Accumulating lanes over many rows before one horizontal sum keeps short rows (T = 8) cheap.
    /// </summary>
    public static void DotAccumulate(int T, int K, float* g, float* src, int* off, float* acc)
    {
        int tv = T & ~7;
        for (int k = 0; k < K; k++)
        {
            float* s = src + off[k];
            var v = Vector256.Load(acc + 8 * k);
            for (int t = 0; t < tv; t += 8) v = Vector256.FusedMultiplyAdd(Vector256.Load(g + t), Vector256.Load(s + t), v);
            v.Store(acc + 8 * k);
            float tail = 0f;
            for (int t = tv; t < T; t++) tail += g[t] * s[t];
            acc[8 * K + k] += tail;
        }
    }

    /// <summary>Σ_t a[t], vectorised, fixed order.</summary>
    public static float Sum(int T, float* a)
    {
        Vector256<float> s0 = default;
        int t = 0;
        for (; t + 8 <= T; t += 8) s0 += Vector256.Load(a + t);
        float s = Vector256.Sum(s0);
        for (; t < T; t++) s += a[t];
        return s;
    }

    /// <summary>
    /// Depthwise row: y[t] = init + Σ_k w[k]·src[off[k] + t] for t &lt; T. The caller guarantees src is readable at
    /// off[k] + t for t &lt; T rounded up to a multiple of 8 (scratch rows carry that overhang).
    /// </summary>
    public static void DepthwiseRow(int T, int K, float* src, int* off, float* w, float init, float* y, bool accumulate)
    {
        int t = 0;
        for (; t + 32 <= T; t += 32)
        {
            Vector256<float> y0, y1, y2, y3;
            if (accumulate) { y0 = Vector256.Load(y + t); y1 = Vector256.Load(y + t + 8); y2 = Vector256.Load(y + t + 16); y3 = Vector256.Load(y + t + 24); }
            else y0 = y1 = y2 = y3 = Vector256.Create(init);
            for (int k = 0; k < K; k++)
            {
                var wk = Vector256.Create(w[k]);
                float* s = src + off[k] + t;
                y0 = Vector256.FusedMultiplyAdd(wk, Vector256.Load(s), y0);
                y1 = Vector256.FusedMultiplyAdd(wk, Vector256.Load(s + 8), y1);
                y2 = Vector256.FusedMultiplyAdd(wk, Vector256.Load(s + 16), y2);
                y3 = Vector256.FusedMultiplyAdd(wk, Vector256.Load(s + 24), y3);
            }
            y0.Store(y + t); y1.Store(y + t + 8); y2.Store(y + t + 16); y3.Store(y + t + 24);
        }
        float* tmp = stackalloc float[8];
        for (; t < T; t += 8)
        {
            int len = Math.Min(8, T - t);
            Vector256<float> acc;
            if (accumulate)
            {
                if (len == 8) acc = Vector256.Load(y + t);
                else { for (int i = 0; i < 8; i++) tmp[i] = i < len ? y[t + i] : 0f; acc = Vector256.Load(tmp); }
            }
            else acc = Vector256.Create(init);
            for (int k = 0; k < K; k++) acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[k]), Vector256.Load(src + off[k] + t), acc);
            if (len == 8) acc.Store(y + t);
            else { acc.Store(tmp); for (int i = 0; i < len; i++) y[t + i] = tmp[i]; }
        }
    }

    /// <summary>y[i] = a·x[i] + b.</summary>
    public static void ScaleShift(int n, float* x, float a, float b, float* y)
    {
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        int i = 0;
        for (; i + 8 <= n; i += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + i), va, vb).Store(y + i);
        for (; i < n; i++) y[i] = a * x[i] + b;
    }

    /// <summary>y[i] = a·x[i] + b + c·g[i].</summary>
    public static void ScaleShiftAdd(int n, float* x, float a, float b, float* g, float c, float* y)
    {
        var va = Vector256.Create(a);
        var vb = Vector256.Create(b);
        var vc = Vector256.Create(c);
        int i = 0;
        for (; i + 8 <= n; i += 8)
            Vector256.FusedMultiplyAdd(Vector256.Load(g + i), vc, Vector256.FusedMultiplyAdd(Vector256.Load(x + i), va, vb)).Store(y + i);
        for (; i < n; i++) y[i] = a * x[i] + b + c * g[i];
    }
}
