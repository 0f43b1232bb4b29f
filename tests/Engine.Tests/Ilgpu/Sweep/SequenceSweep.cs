using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// Agreement rows of the sequence and spectral ops (issue 4): LSTM and GRU through their fused step kernels
/// (multi-layer, bidirectional, both layouts, initial state), every FFT at radix-2 and Bluestein lengths,
/// log-magnitude, scaled dot-product attention with a mask and multi-head attention. Each row compares the output and
/// the gradient of every input after backward of sum(output·w). <see cref="Cases"/> are small enough for ILGPU's CPU
/// emulator (xunit runs them); <see cref="LargeCases"/> use the benchmark shapes and only run on a real device
/// (tests/DeviceCheck), where launch-per-step and accumulated rounding show.
/// </summary>
public static class SequenceSweep
{
    private sealed record Row(string Name, int[][] Shapes, Func<Tensor[], Tensor> Op, double TolScale = 1, float[]? Scales = null);

    private static Tensor Flat(params Tensor?[] parts) => Tensor.Concat(parts.Where(p => p != null).Select(p => p!.Reshape(-1)).ToList(), 0);

    /// <summary>Weight shapes of a stack in PyTorch's order (w_ih, w_hh, b_ih, b_hh per layer and direction).</summary>
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

    private static IEnumerable<Row> Recurrent(string size, int T, int B, int I, int H, int L, int D, double tolScale)
    {
        float w = 1f / MathF.Sqrt(H); // PyTorch's init range: keeps the gates out of saturation at any H
        foreach (bool batchFirst in new[] { true, false })
        {
            int[] x = batchFirst ? [B, T, I] : [T, B, I];
            string layout = batchFirst ? "batch-first" : "time-first";
            var lstmW = RecurrentShapes(4, I, H, L, D);
            yield return new($"lstm/{size}-{layout}", [x, [L * D, B, H], [L * D, B, H], .. lstmW], t =>
            {
                var (y, h, c) = HarFromScratch.Engine.Ops.Recurrent.Lstm(t[0], t[3..], L, D == 2, batchFirst, t[1], t[2]);
                return Flat(y, h, c);
            }, tolScale, [1f, 1f, 1f, .. lstmW.Select(_ => w)]);
            var gruW = RecurrentShapes(3, I, H, L, D);
            yield return new($"gru/{size}-{layout}", [x, [L * D, B, H], .. gruW], t =>
            {
                var (y, h) = HarFromScratch.Engine.Ops.Recurrent.Gru(t[0], t[2..], L, D == 2, batchFirst, t[1]);
                return Flat(y, h);
            }, tolScale, [1f, 1f, .. gruW.Select(_ => w)]);
            if (size == "large") yield break; // one layout is enough at the big shape
        }
    }

    private static IEnumerable<Row> Ffts(int rows, int n, double tolScale)
    {
        yield return new($"rfft/{rows}x{n}", [[rows, n]], t => t[0].Rfft(), tolScale);
        yield return new($"irfft/{rows}x{n}", [[rows, n / 2 + 1, 2]], t => t[0].Irfft(n), tolScale);
        yield return new($"fft/{rows}x{n}", [[rows, n, 2]], t => t[0].Fft(), tolScale);
        yield return new($"ifft/{rows}x{n}", [[rows, n, 2]], t => t[0].Ifft(), tolScale);
        yield return new($"log-magnitude/{rows}x{n}", [[rows, n]], t => t[0].Rfft().LogMagnitude(), tolScale);
    }

    private static Tensor Causal(Tensor like, int lq, int lk)
    {
        var m = new float[lq * lk];
        for (int i = 0; i < lq; i++)
        for (int j = 0; j < lk; j++) m[i * lk + j] = j > i + lk - lq ? float.NegativeInfinity : 0f;
        return Tensor.FromArray(m, [lq, lk], like.Device);
    }

    private static IEnumerable<Row> SmallRows()
    {
        foreach (var r in Recurrent("small", T: 3, B: 2, I: 3, H: 5, L: 2, D: 2, tolScale: 1)) yield return r;
        foreach (int n in new[] { 1, 2, 7, 8, 16, 129 })
        foreach (var r in Ffts(3, n, n > 16 ? 5 : 1)) yield return r;
        yield return new("sdpa/additive-mask", [[2, 3, 4], [2, 5, 4], [2, 5, 3], [3, 5]], t => Attention.ScaledDotProduct(t[0], t[1], t[2], t[3]));
        yield return new("sdpa/causal", [[2, 4, 4], [2, 4, 4], [2, 4, 3]], t => Attention.ScaledDotProduct(t[0], t[1], t[2], Causal(t[0], 4, 4)));
        yield return new("mha/2-heads", [[2, 3, 4], [12, 4], [12], [4, 4], [4]], t => Attention.MultiHead(t[0], t[0], t[0], 2, t[1], t[2], t[3], t[4]));
    }

    private static IEnumerable<Row> LargeRows()
    {
        // the LSTM/GRU benchmark layer (64 → 128) over 32 steps, batch 64; errors build up over the steps
        foreach (var r in Recurrent("large", T: 32, B: 64, I: 64, H: 128, L: 1, D: 1, tolScale: 10)) yield return r;
        foreach (var r in Recurrent("large-2x-bidir", T: 16, B: 16, I: 32, H: 64, L: 2, D: 2, tolScale: 10)) yield return r;
        foreach (int n in new[] { 128, 129 })
        foreach (var r in Ffts(512, n, 20)) yield return r;
        yield return new("mha/large-4-heads", [[8, 64, 64], [192, 64], [192], [64, 64], [64]],
            t => Attention.MultiHead(t[0], t[0], t[0], 4, t[1], t[2], t[3], t[4]), 10, [1f, 0.125f, 0.125f, 0.125f, 0.125f]);
    }

    public static IReadOnlyList<SweepCase> Cases { get; } = SmallRows().Select(ToCase).ToList();

    public static IReadOnlyList<SweepCase> LargeCases { get; } = LargeRows().Select(ToCase).ToList();

    private static SweepCase ToCase(Row row) => new("seq/" + row.Name, device => Run(row, device), new Tolerance(2e-4, 2e-5).Scaled(row.TolScale));

    private static float[][] Run(Row row, Device device) =>
        Sweep.OutputAndGradients(row.Name, row.Shapes, row.Op, device, (inputs, i, n) =>
        {
            float a = row.Scales?[i] ?? 1f;
            return inputs.Uniform(n, -a, a);
        });
}
