using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// Sequence and spectral ops on ilgpu-cpu against the cpu backend at small shapes: forward values and the gradients
/// of every input (LSTM/GRU through their fused step kernels, FFTs through the direct-sum kernels, attention).
/// </summary>
[Collection("ilgpu")]
public sealed class SequenceAgreementTests
{
    private static Device Ilgpu => Device.Get("ilgpu-cpu");

    /// <summary>Output and input gradients of f on a device (loss = Σ f·R with a fixed R).</summary>
    private static float[][] Run(Device dev, Func<Tensor[], Tensor> f, float[][] values, int[][] shapes)
    {
        using var scope = TensorScope.Begin();
        var leaves = values.Select((v, i) => Tensor.FromArray(v, shapes[i], dev, requiresGrad: true)).ToArray();
        var y = f(leaves);
        var r = Tensor.Randn(y.Shape, new Rng(77), dev);
        (y * r).Sum().Backward();
        return [y.ToArray(), .. leaves.Select(l => l.Grad?.ToArray() ?? new float[l.Numel])];
    }

    private static void Agree(string name, Func<Tensor[], Tensor> f, params int[][] shapes)
    {
        var values = shapes.Select((s, i) => Randn((ulong)(i + 1), s).ToArray().Select(v => v * 0.7f).ToArray()).ToArray();
        var cpu = Run(Device.Cpu, f, values, shapes);
        var gpu = Run(Ilgpu, f, values, shapes);
        for (int k = 0; k < cpu.Length; k++)
            AssertClose(cpu[k], gpu[k], 2e-4f, 2e-3f, $"{name} {(k == 0 ? "output" : $"gradient of input {k - 1}")}");
    }

    private static Tensor Flat(params Tensor?[] parts) => Tensor.Concat(parts.Where(p => p != null).Select(p => p!.Reshape(-1)).ToList(), 0);

    private static int[][] RecurrentShapes(int gates, int I, int H, int L, int D)
    {
        var s = new List<int[]>();
        for (int l = 0; l < L; l++)
        for (int d = 0; d < D; d++)
        {
            int inF = l == 0 ? I : H * D;
            s.Add([gates * H, inF]); s.Add([gates * H, H]); s.Add([gates * H]); s.Add([gates * H]);
        }
        return s.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Lstm(bool batchFirst)
    {
        int T = 3, B = 2, I = 3, H = 5, L = 2, D = 2;
        Agree("lstm", t =>
        {
            var (y, h, c) = Recurrent.Lstm(t[0], t[3..], L, true, batchFirst, t[1], t[2]);
            return Flat(y, h, c);
        }, [[.. batchFirst ? new[] { B, T, I } : new[] { T, B, I }], [L * D, B, H], [L * D, B, H], .. RecurrentShapes(4, I, H, L, D)]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gru(bool batchFirst)
    {
        int T = 3, B = 2, I = 3, H = 5, L = 2, D = 2;
        Agree("gru", t =>
        {
            var (y, h) = Recurrent.Gru(t[0], t[2..], L, true, batchFirst, t[1]);
            return Flat(y, h);
        }, [[.. batchFirst ? new[] { B, T, I } : new[] { T, B, I }], [L * D, B, H], .. RecurrentShapes(3, I, H, L, D)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(16)]
    public void Ffts(int n)
    {
        Agree($"rfft n={n}", t => t[0].Rfft(), [3, n]);
        Agree($"irfft n={n}", t => t[0].Irfft(n), [3, n / 2 + 1, 2]);
        Agree($"fft n={n}", t => t[0].Fft(), [3, n, 2]);
        Agree($"ifft n={n}", t => t[0].Ifft(), [3, n, 2]);
        Agree($"log|rfft| n={n}", t => t[0].Rfft().LogMagnitude(), [2, n]);
    }

    [Fact]
    public void AttentionOps()
    {
        Agree("sdpa", t => Attention.ScaledDotProduct(t[0], t[1], t[2], t[3]), [2, 3, 4], [2, 5, 4], [2, 5, 3], [3, 5]);
        Agree("mha", t => Attention.MultiHead(t[0], t[0], t[0], 2, t[1], t[2], t[3], t[4]), [2, 3, 4], [12, 4], [12], [4, 4], [4]);
    }
}
