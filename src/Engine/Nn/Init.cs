using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>Seeded weight initialisers (PyTorch's definitions; fan_in/fan_out from the weight's shape).</summary>
public static class Init
{
    /// <summary>fan_in and fan_out of a weight (out, in, *kernel).</summary>
    public static (int fanIn, int fanOut) Fans(int[] shape)
    {
        if (shape.Length < 2) return (shape.Length == 1 ? shape[0] : 1, shape.Length == 1 ? shape[0] : 1);
        int receptive = (int)ShapeUtil.Numel(shape.AsSpan(2));
        return (shape[1] * receptive, shape[0] * receptive);
    }

    public static void Uniform(Tensor t, float low, float high, Rng? rng = null)
    {
        rng ??= Rng.Global;
        var d = new float[t.Numel];
        for (int i = 0; i < d.Length; i++) d[i] = low + (high - low) * rng.NextFloat();
        t.CopyFrom(d);
    }

    public static void Normal(Tensor t, float mean, float std, Rng? rng = null)
    {
        rng ??= Rng.Global;
        var d = new float[t.Numel];
        for (int i = 0; i < d.Length; i++) d[i] = mean + std * (float)rng.NextNormal();
        t.CopyFrom(d);
    }

    public static void Constant(Tensor t, float value)
    {
        var d = new float[t.Numel];
        Array.Fill(d, value);
        t.CopyFrom(d);
    }

    /// <summary>Gain for a non-linearity, as torch.nn.init.calculate_gain.</summary>
    public static float Gain(string nonlinearity, float param = 0.01f) => nonlinearity switch
    {
        "linear" or "sigmoid" or "conv" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1f + param * param)),
        "selu" => 0.75f,
        _ => throw new ArgumentException($"unknown non-linearity '{nonlinearity}'"),
    };

    /// <summary>Kaiming (He) uniform: bound = gain·sqrt(3/fan_in).</summary>
    public static void KaimingUniform(Tensor t, string nonlinearity = "relu", float param = 0f, Rng? rng = null)
    {
        var (fanIn, _) = Fans(t.Shape);
        float bound = Gain(nonlinearity, param) * MathF.Sqrt(3f / fanIn);
        Uniform(t, -bound, bound, rng);
    }

    /// <summary>Kaiming (He) normal: std = gain/sqrt(fan_in).</summary>
    public static void KaimingNormal(Tensor t, string nonlinearity = "relu", float param = 0f, Rng? rng = null)
    {
        var (fanIn, _) = Fans(t.Shape);
        Normal(t, 0f, Gain(nonlinearity, param) / MathF.Sqrt(fanIn), rng);
    }

    /// <summary>Xavier (Glorot) uniform: bound = gain·sqrt(6/(fan_in+fan_out)).</summary>
    public static void XavierUniform(Tensor t, float gain = 1f, Rng? rng = null)
    {
        var (fanIn, fanOut) = Fans(t.Shape);
        float bound = gain * MathF.Sqrt(6f / (fanIn + fanOut));
        Uniform(t, -bound, bound, rng);
    }

    public static void XavierNormal(Tensor t, float gain = 1f, Rng? rng = null)
    {
        var (fanIn, fanOut) = Fans(t.Shape);
        Normal(t, 0f, gain * MathF.Sqrt(2f / (fanIn + fanOut)), rng);
    }

    /// <summary>PyTorch's default for Linear/Conv: kaiming_uniform(a=√5) for weights, U(±1/√fan_in) for biases.</summary>
    public static void PyTorchDefault(Tensor weight, Tensor? bias, Rng? rng = null)
    {
        KaimingUniform(weight, "leaky_relu", MathF.Sqrt(5f), rng);
        if (bias == null) return;
        var (fanIn, _) = Fans(weight.Shape);
        float bound = fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f;
        Uniform(bias, -bound, bound, rng);
    }
}
