using BenchmarkDotNet.Attributes;
using HarFromScratch.Benchmarks.Core;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Benchmarks.Sequence;

/// <summary>
/// Multi-head self-attention, batch 64, sequence 128, d_model 64, 4 heads, loss = mean(y²), forward + backward with
/// gradients for the input and all weights; against a plain scalar single-threaded implementation of the same maths.
/// </summary>
[SimpleJob(warmupCount: 1, iterationCount: 3)]
public class AttentionBenchmarks : DeviceBenchmark
{
    private const int B = 64, L = 128, E = 64, Heads = 4, D = E / Heads;
    private MultiheadAttention _mha = null!;
    private Tensor _x = null!;
    private float[] _xs = null!, _win = null!, _bin = null!, _wout = null!, _bout = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dev = Target;
        _mha = new MultiheadAttention(E, Heads, rng: new Rng(1), device: dev);
        _x = Tensor.Randn([B, L, E], new Rng(2), dev).Persist();
        _x.RequiresGrad = true;
        _xs = _x.ToArray();
        _win = _mha.InProjWeight.ToArray(); _bin = _mha.InProjBias!.ToArray();
        _wout = _mha.OutProj.Weight.ToArray(); _bout = _mha.OutProj.Bias!.ToArray();
    }

    [Benchmark(Baseline = true)]
    public void EngineForwardBackward()
    {
        using var s = TensorScope.Begin();
        _mha.ZeroGrad();
        _x.Grad = null;
        _mha.Forward(_x).Square().Mean().Backward();
        _x.Backend.Synchronize();
    }

    [Benchmark]
    public float ScalarForwardBackward() => ScalarMha.ForwardBackward(_xs, _win, _bin, _wout, _bout, B, L, E, Heads);
}

/// <summary>The scalar baseline: textbook loops, one thread, no SIMD.</summary>
internal static class ScalarMha
{
    public static float ForwardBackward(float[] x, float[] win, float[] bin, float[] wout, float[] bout, int B, int L, int E, int H)
    {
        int D = E / H, rows = B * L, E3 = 3 * E;
        float scale = 1f / MathF.Sqrt(D);
        var qkv = new float[rows * E3];
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < E3; o++)
        {
            float acc = bin[o];
            for (int i = 0; i < E; i++) acc += x[r * E + i] * win[o * E + i];
            qkv[r * E3 + o] = acc;
        }
        var P = new float[B * H * L * L];
        var merged = new float[rows * E];
        for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
        {
            int pb = (b * H + h) * L * L;
            for (int i = 0; i < L; i++)
            {
                float max = float.NegativeInfinity;
                for (int j = 0; j < L; j++)
                {
                    float acc = 0;
                    for (int c = 0; c < D; c++) acc += qkv[(b * L + i) * E3 + h * D + c] * qkv[(b * L + j) * E3 + E + h * D + c];
                    P[pb + i * L + j] = acc * scale;
                    max = MathF.Max(max, acc * scale);
                }
                float sum = 0;
                for (int j = 0; j < L; j++) { float e = MathF.Exp(P[pb + i * L + j] - max); P[pb + i * L + j] = e; sum += e; }
                for (int j = 0; j < L; j++) P[pb + i * L + j] /= sum;
                for (int c = 0; c < D; c++)
                {
                    float acc = 0;
                    for (int j = 0; j < L; j++) acc += P[pb + i * L + j] * qkv[(b * L + j) * E3 + 2 * E + h * D + c];
                    merged[(b * L + i) * E + h * D + c] = acc;
                }
            }
        }
        var y = new float[rows * E];
        float loss = 0;
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < E; o++)
        {
            float acc = bout[o];
            for (int i = 0; i < E; i++) acc += merged[r * E + i] * wout[o * E + i];
            y[r * E + o] = acc;
            loss += acc * acc;
        }
        // backward of mean(y²)
        float inv = 2f / (rows * E);
        var dy = new float[rows * E];
        for (int i = 0; i < dy.Length; i++) dy[i] = y[i] * inv;
        var dwout = new float[E * E]; var dbout = new float[E]; var dmerged = new float[rows * E];
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < E; o++)
        {
            float g = dy[r * E + o];
            dbout[o] += g;
            for (int i = 0; i < E; i++) { dwout[o * E + i] += g * merged[r * E + i]; dmerged[r * E + i] += g * wout[o * E + i]; }
        }
        var dqkv = new float[rows * E3];
        var dP = new float[L];
        for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
        {
            int pb = (b * H + h) * L * L;
            for (int i = 0; i < L; i++)
            {
                float dot = 0;
                for (int j = 0; j < L; j++)
                {
                    float acc = 0;
                    for (int c = 0; c < D; c++)
                    {
                        float dO = dmerged[(b * L + i) * E + h * D + c];
                        acc += dO * qkv[(b * L + j) * E3 + 2 * E + h * D + c];
                        dqkv[(b * L + j) * E3 + 2 * E + h * D + c] += P[pb + i * L + j] * dO;
                    }
                    dP[j] = acc;
                    dot += acc * P[pb + i * L + j];
                }
                for (int j = 0; j < L; j++)
                {
                    float ds = P[pb + i * L + j] * (dP[j] - dot) * scale;
                    for (int c = 0; c < D; c++)
                    {
                        dqkv[(b * L + i) * E3 + h * D + c] += ds * qkv[(b * L + j) * E3 + E + h * D + c];
                        dqkv[(b * L + j) * E3 + E + h * D + c] += ds * qkv[(b * L + i) * E3 + h * D + c];
                    }
                }
            }
        }
        var dwin = new float[E3 * E]; var dbin = new float[E3]; var dx = new float[rows * E];
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < E3; o++)
        {
            float g = dqkv[r * E3 + o];
            dbin[o] += g;
            for (int i = 0; i < E; i++) { dwin[o * E + i] += g * x[r * E + i]; dx[r * E + i] += g * win[o * E + i]; }
        }
        return loss + dwin[0] + dbin[0] + dwout[0] + dbout[0] + dx[0];
    }
}
