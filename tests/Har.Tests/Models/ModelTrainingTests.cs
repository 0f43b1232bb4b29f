using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

public class ModelTrainingTests
{
    private static Tensor Loss(ModelOutput o, int[] y)
    {
        var loss = Losses.CrossEntropy(o.Logits, y);
        foreach (var a in o.AuxLogits) loss = loss + Losses.CrossEntropy(a, y);
        return loss;
    }

    [Theory]
    [MemberData(nameof(ModelTestUtil.AllModels), MemberType = typeof(ModelTestUtil))]
    public void GradientReachesEveryParameter(string name)
    {
        var m = ModelCatalog.Create(name, 6, 128, 12, new Rng(3));
        using var scope = TensorScope.Begin();
        var (x, y) = ModelTestUtil.Separable(4, 6, 128, 12, 9);
        Loss(m.Run(x), y).Backward();
        foreach (var (pname, p) in m.NamedParameters())
        {
            Assert.True(p.Grad != null, $"{name}: parameter {pname} got no gradient (disconnected?)");
            var g = p.Grad!.ToArray();
            Assert.All(g, v => Assert.True(float.IsFinite(v), $"{name}: {pname} has a non-finite gradient"));
            Assert.True(g.Any(v => v != 0f), $"{name}: parameter {pname} has an all-zero gradient");
        }
        m.ZeroGrad();
    }

    /// <summary>Each family, at a size that trains in a second or two, learns a separable toy task.</summary>
    public static IEnumerable<object[]> Families() =>
    [
        ["mobilenet-tiny"], ["mobilenet-small"], ["mobilenet-v2-small"], ["mlp"], ["fcn-narrow"], ["resnet1d-narrow"],
        ["resnet-lstm-an-narrow"], ["lstm-attention-narrow"], ["transformer"],
    ];

    private static HarModel Build(string family, ModelSpec spec, Rng rng) => family switch
    {
        "fcn-narrow" => new Fcn(spec, rng, width: 0.125),
        "resnet1d-narrow" => new ResNet1d(spec, rng, channels: [16, 32, 32]),
        "resnet-lstm-an-narrow" => new ResNetLstmAn(spec, rng, channels: [16, 32, 32], hidden: 32),
        "lstm-attention-narrow" => new LstmAttentionModel(spec, rng, hidden: 32, layers: 1),
        _ => ModelCatalog.Create(spec with { Name = family }, rng),
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void ShortTrainingLowersTheLoss(string family)
    {
        const int C = 3, T = 64, K = 3, N = 24;
        var m = Build(family, new ModelSpec(family, C, T, K), new Rng(11));
        var opt = new AdamW(m.Parameters(), 3e-3f, weightDecay: 0f);
        var (x, y) = ModelTestUtil.Separable(N, C, T, K, 5);
        x.Persist();
        float first = 0, last = 0;
        const int steps = 25;
        for (int s = 0; s < steps; s++)
        {
            using var scope = TensorScope.Begin();
            opt.ZeroGrad();
            var loss = Loss(m.Run(x), y);
            float v = loss.Item();
            if (s == 0) first = v;
            if (s >= steps - 3) last += v / 3;
            loss.Backward();
            opt.Step();
        }
        Assert.True(float.IsFinite(last), $"{family}: loss diverged");
        Assert.True(last < 0.6f * first, $"{family}: loss {first:F3} → {last:F3} did not drop by 40%");
    }

    [Theory]
    [MemberData(nameof(ModelTestUtil.AllModels), MemberType = typeof(ModelTestUtil))]
    public void InitialisationIsDeterministicPerSeed(string name)
    {
        var a = ModelCatalog.Create(name, 3, 64, 6, new Rng(42));
        Rng.Global.NextUInt64(); // the global generator must not matter
        var b = ModelCatalog.Create(name, 3, 64, 6, new Rng(42));
        var c = ModelCatalog.Create(name, 3, 64, 6, new Rng(43));
        var sa = a.StateDict(); var sb = b.StateDict(); var sc = c.StateDict();
        Assert.Equal(sa.Keys.OrderBy(k => k), sb.Keys.OrderBy(k => k));
        bool anyDiffers = false;
        foreach (var (k, t) in sa)
        {
            Assert.Equal(t.ToArray(), sb[k].ToArray());
            if (!t.ToArray().SequenceEqual(sc[k].ToArray())) anyDiffers = true;
        }
        Assert.True(anyDiffers, $"{name}: seeds 42 and 43 gave the same weights");
        // dropout streams are seeded too: two same-seed models in training mode give the same outputs
        using var scope = TensorScope.Begin();
        var x = ModelTestUtil.RandomInput(4, 3, 64, 1);
        using var ng = GradMode.NoGrad();
        Assert.Equal(a.Run(x).Logits.ToArray(), b.Run(x).Logits.ToArray());
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("transformer")]
    [InlineData("mobilenet-small")]
    public void EvalIsDeterministicAndTrainingDropoutIsNot(string name)
    {
        var m = ModelCatalog.Create(name, 6, 128, 12, new Rng(2));
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        var x = ModelTestUtil.RandomInput(8, 6, 128, 4);
        var t1 = m.Run(x).Logits.ToArray();
        var t2 = m.Run(x).Logits.ToArray();
        Assert.NotEqual(t1, t2);
        m.Eval();
        var e1 = m.Run(x).Logits.ToArray();
        var e2 = m.Run(x).Logits.ToArray();
        Assert.Equal(e1, e2);
    }

    [Fact]
    public void DropoutGeneratorsAreRegisteredForCheckpoints()
    {
        var mlp = ModelCatalog.Create("mlp", 6, 128, 12, new Rng(1));
        Assert.Equal(["drop0.rng", "drop1.rng", "drop2.rng", "drop3.rng"], mlp.NamedRngs().Select(r => r.name).ToArray());
        var tr = ModelCatalog.Create("transformer", 6, 128, 12, new Rng(1));
        var names = tr.NamedRngs().Select(r => r.name).ToList();
        Assert.Contains("position.rng", names);
        Assert.Contains("encoder.0.rng", names);
        Assert.Contains("encoder.0.self_attn.rng", names);
    }
}
