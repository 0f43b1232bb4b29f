using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Tests;

internal static class TestUtil
{
    public static Device Cpu => Device.Cpu;

    /// <summary>Seeded normal values on the cpu device.</summary>
    public static Tensor Randn(ulong seed, params int[] shape) => Tensor.Randn(shape, new Rng(seed), Cpu);

    /// <summary>Values in [low, high): for functions defined only there (log, sqrt) or to keep away from kinks.</summary>
    public static Tensor Uniform(ulong seed, float low, float high, params int[] shape) => Tensor.Rand(shape, new Rng(seed), Cpu, low, high);

    /// <summary>Normal values pushed at least <paramref name="gap"/> away from zero (for relu-like kinks).</summary>
    public static Tensor AwayFromZero(ulong seed, float gap, params int[] shape)
    {
        var rng = new Rng(seed);
        var d = new float[ShapeUtil.Numel(shape)];
        for (int i = 0; i < d.Length; i++)
        {
            float v = (float)rng.NextNormal();
            d[i] = v >= 0 ? v + gap : v - gap;
        }
        return Tensor.FromArray(d, shape, Cpu);
    }

    public static void AssertClose(float[] expected, float[] actual, float atol = 1e-5f, float rtol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float tol = atol + rtol * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tol) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{what} element {i}: expected {expected[i]}, got {actual[i]} (tol {tol})");
        }
    }
}
