using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Distillation.Baselines;

/// <summary>
/// A tiny batch for hand-computed values: N = 3 windows, 4 classes; the student exposes a map "s1" (2 channels, 4 steps)
/// and a vector "s2" (5), the teacher a map "t1" (3 channels, 6 steps) and a vector "t2" (4).
/// </summary>
internal sealed class BaselineFixture
{
    public const int N = 3, K = 4;
    public readonly int[] Labels = [2, 0, 3];
    public readonly float[] SLogits, TLogits, S1, S2, T1, T2;

    public BaselineFixture(ulong seed = 7)
    {
        var rng = new Rng(seed);
        float[] R(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * rng.NextNormal())).ToArray();
        SLogits = R(N * K, 1.5f);
        TLogits = R(N * K, 2f);
        S1 = R(N * 2 * 4, 1f);
        S2 = R(N * 5, 1f);
        T1 = R(N * 3 * 6, 1f);
        T2 = R(N * 4, 1f);
    }

    public static Tensor T(float[] data, params int[] shape) => Tensor.FromArray((float[])data.Clone(), shape);

    public DistillSetup Setup(int trainCount = 8, ulong seed = 5) => new(
        [new FeatureShape("s1", [2, 4]), new FeatureShape("s2", [5])], 0,
        [new FeatureShape("t1", [3, 6]), new FeatureShape("t2", [4])], 0,
        K, trainCount, new Rng(seed), Device.Default);

    public DistillBatch Batch(int epoch = 1, Tensor? sLogits = null, Tensor? s1 = null, Tensor? s2 = null, Tensor? tLogits = null) => new(
        new ModelOutput(sLogits ?? T(SLogits, N, K), [new("s1", s1 ?? T(S1, N, 2, 4)), new("s2", s2 ?? T(S2, N, 5))], []),
        new ModelOutput(tLogits ?? T(TLogits, N, K), [new("t1", T(T1, N, 3, 6)), new("t2", T(T2, N, 4))], []),
        Labels, epoch, K);

    public static DistillationLoss Make(string method, DistillSetup setup, params (string k, string v)[] overrides) =>
        DistillationMethods.Create(method, setup, overrides.ToDictionary(o => o.k, o => o.v));

    public static void Close(double expected, double actual, double rel = 2e-4, double abs = 1e-5, string what = "")
    {
        double tol = abs + rel * Math.Abs(expected);
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(expected - actual):G3} > {tol:G3})");
    }
}

/// <summary>Plain double-precision arithmetic for the reference values (independent of the engine's ops).</summary>
internal static class Ref
{
    public static double[][] Mat(float[] d, int n, int m) =>
        Enumerable.Range(0, n).Select(i => Enumerable.Range(0, m).Select(j => (double)d[i * m + j]).ToArray()).ToArray();

    public static double[][][] Map(float[] d, int n, int c, int t) =>
        Enumerable.Range(0, n).Select(i => Mat(d[(i * c * t)..((i + 1) * c * t)], c, t)).ToArray();

    public static double[][] W(float[] d, int rows, int cols) => Mat(d, rows, cols);

    public static double[] Softmax(double[] z, double tau = 1)
    {
        double mx = z.Max(v => v / tau);
        var e = z.Select(v => Math.Exp(v / tau - mx)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    public static double Ce(double[][] logits, int[] y) =>
        logits.Select((z, i) => -Math.Log(Softmax(z)[y[i]])).Average();

    /// <summary>Σ p log(p/q) for one row.</summary>
    public static double Kl(double[] p, double[] q) => p.Select((v, j) => v == 0 ? 0 : v * Math.Log(v / q[j])).Sum();

    public static double[] Gap(double[][] map) => map.Select(r => r.Average()).ToArray();

    public static double[] AdaptivePool(double[] x, int outLen)
    {
        int l = x.Length;
        var r = new double[outLen];
        for (int i = 0; i < outLen; i++)
        {
            int a = i * l / outLen, b = (int)Math.Ceiling((i + 1) * (double)l / outLen);
            double s = 0; for (int k = a; k < b; k++) s += x[k];
            r[i] = s / (b - a);
        }
        return r;
    }

    /// <summary>PyTorch linear interpolation, align_corners = False.</summary>
    public static double[] Interp(double[] x, int outLen)
    {
        int l = x.Length;
        var r = new double[outLen];
        for (int i = 0; i < outLen; i++)
        {
            double src = Math.Max((i + 0.5) * l / outLen - 0.5, 0);
            int i0 = Math.Min((int)Math.Floor(src), l - 1), i1 = Math.Min(i0 + 1, l - 1);
            double lam = src - i0;
            r[i] = (1 - lam) * x[i0] + lam * x[i1];
        }
        return r;
    }

    public static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));
    public static double[] Normalize(double[] v) { double n = Math.Max(Norm(v), 1e-12); return v.Select(x => x / n).ToArray(); }
    public static double Dot(double[] a, double[] b) => a.Select((v, i) => v * b[i]).Sum();

    /// <summary>W (out, in) · x + b.</summary>
    public static double[] Affine(double[][] w, double[]? b, double[] x) =>
        w.Select((row, o) => Dot(row, x) + (b?[o] ?? 0)).ToArray();

    public static double SmoothL1(double d) { double a = Math.Abs(d); return a < 1 ? 0.5 * a * a : a - 0.5; }

    public static double[][] Transpose(double[][] m) =>
        Enumerable.Range(0, m[0].Length).Select(j => m.Select(r => r[j]).ToArray()).ToArray();
}
