using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

internal static class ModelTestUtil
{
    /// <summary>Input shapes of the datasets: (name, channels, length, classes).</summary>
    public static readonly (string name, int channels, int length, int classes)[] Datasets =
    [
        ("uci-har", 9, 128, 6),
        ("hapt", 6, 128, 12),
        ("usc-had", 6, 128, 12),
        ("wisdm", 3, 128, 6),
    ];

    /// <summary>The documented feature names of each catalogue model, in network order.</summary>
    public static string[] FeatureNames(string model) => model switch
    {
        _ when model.StartsWith("mobilenet") => ["stage1", "stage2", "stage3", "stage4"],
        "mlp" => ["fc1", "fc2", "fc3"],
        "fcn" or "resnet1d" => ["block1", "block2", "block3"],
        "resnet-lstm-an" or "resnet-lstm-an-small" => ["block1", "block2", "block3", "lstm", "attention"],
        "lstm-attention" => ["lstm", "attention"],
        "transformer" => ["embed", "encoder1", "encoder2", "encoder3"],
        _ => throw new ArgumentException($"no feature list for {model}"),
    };

    public static int AuxCount(string model) => model.StartsWith("resnet-lstm-an") ? 3 : 0;

    public static Tensor RandomInput(int batch, int channels, int length, ulong seed) =>
        Tensor.Randn([batch, channels, length], new Rng(seed));

    /// <summary>
    /// A separable toy task: class c raises channel c mod C by +1.5 and adds a sinusoid whose frequency grows with c,
    /// over unit noise.
    /// </summary>
    public static (Tensor x, int[] y) Separable(int batch, int channels, int length, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        var data = new float[batch * channels * length];
        var labels = new int[batch];
        for (int n = 0; n < batch; n++)
        {
            int c = n % classes;
            labels[n] = c;
            for (int ch = 0; ch < channels; ch++)
            for (int t = 0; t < length; t++)
            {
                float v = 0.5f * (float)rng.NextNormal();
                if (ch == c % channels) v += 1.5f + MathF.Sin(2 * MathF.PI * (c + 1) * t / length);
                data[(n * channels + ch) * length + t] = v;
            }
        }
        return (Tensor.FromArray(data, [batch, channels, length]), labels);
    }

    public static IEnumerable<object[]> AllModels() => ModelCatalog.Names.Select(n => new object[] { n });

    public static IEnumerable<object[]> AllModelsOnAllDatasets() =>
        from m in ModelCatalog.Names from d in Datasets select new object[] { m, d.name };
}
