using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

public class ModelShapeTests
{
    [Theory]
    [MemberData(nameof(ModelTestUtil.AllModelsOnAllDatasets), MemberType = typeof(ModelTestUtil))]
    public void ForwardShapesOnEachDataset(string model, string dataset)
    {
        var d = ModelTestUtil.Datasets.Single(x => x.name == dataset);
        var m = ModelCatalog.Create(model, d.channels, d.length, d.classes, new Rng(1));
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        var o = m.Run(ModelTestUtil.RandomInput(3, d.channels, d.length, 7));
        Assert.Equal([3, d.classes], o.Logits.Shape);
        Assert.Equal(ModelTestUtil.FeatureNames(model), o.Features.Select(f => f.Name).ToArray());
        foreach (var f in o.Features)
        {
            Assert.True(f.Value.Rank is 2 or 3, $"{f.Name}: rank {f.Value.Rank}");
            Assert.Equal(3, f.Value.Shape[0]);
            Assert.True(f.Value.Numel > 3);
        }
        Assert.Equal(ModelTestUtil.AuxCount(model), o.AuxLogits.Count);
        foreach (var a in o.AuxLogits) Assert.Equal([3, d.classes], a.Shape);
        Assert.All(o.Logits.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>Window length is an option of the data layer (--window): every model takes any reasonable length.</summary>
    [Theory]
    [MemberData(nameof(ModelTestUtil.AllModels), MemberType = typeof(ModelTestUtil))]
    public void OtherWindowLengths(string model)
    {
        foreach (int length in new[] { 97, 200, 20 })
        {
            var m = ModelCatalog.Create(model, 3, length, 6, new Rng(1));
            using var scope = TensorScope.Begin();
            using var ng = GradMode.NoGrad();
            var o = m.Run(ModelTestUtil.RandomInput(2, 3, length, 7));
            Assert.Equal([2, 6], o.Logits.Shape);
            Assert.Equal(ModelTestUtil.FeatureNames(model).Length, o.Features.Count);
            Assert.True(m.MacsPerWindow() > 0);
        }
    }

    [Fact]
    public void DocumentedFeatureShapesOnHapt()
    {
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        Dictionary<string, int[]> Shapes(string name) =>
            ModelCatalog.Create(name, 6, 128, 12, new Rng(1)).Run(ModelTestUtil.RandomInput(2, 6, 128, 3)).Features.ToDictionary(f => f.Name, f => f.Value.Shape);

        var small = Shapes("mobilenet-small");
        Assert.Equal([2, 16, 32], small["stage1"]);
        Assert.Equal([2, 24, 16], small["stage2"]);
        Assert.Equal([2, 48, 8], small["stage3"]);
        Assert.Equal([2, 96, 4], small["stage4"]);
        var large = Shapes("mobilenet-large");
        Assert.Equal([2, 24, 32], large["stage1"]);
        Assert.Equal([2, 160, 4], large["stage4"]);

        var r = Shapes("resnet-lstm-an");
        Assert.Equal([2, 128, 128], r["block1"]);
        Assert.Equal([2, 256, 128], r["block2"]);
        Assert.Equal([2, 256, 128], r["block3"]);
        Assert.Equal([2, 128, 128], r["lstm"]);
        Assert.Equal([2, 128], r["attention"]);

        var t = Shapes("transformer");
        Assert.Equal([2, 64, 32], t["embed"]);
        Assert.Equal([2, 64, 32], t["encoder3"]);

        var mlp = Shapes("mlp");
        Assert.Equal([2, 500], mlp["fc2"]);
    }

    [Fact]
    public void FeatureShapesWithoutABatch()
    {
        var m = ModelCatalog.Create("resnet-lstm-an-small", 6, 128, 12, new Rng(1));
        var (features, aux) = m.FeatureShapes();
        Assert.True(m.Training);
        Assert.Equal(3, aux);
        Assert.Equal(["block1", "block2", "block3", "lstm", "attention"], features.Select(f => f.Name).ToArray());
        Assert.Equal([64, 128], features[0].Shape);
        Assert.Equal([128], features[^1].Shape);
    }

    [Fact]
    public void WrongInputShapeNamesTheExpectedShape()
    {
        var m = ModelCatalog.Create("mlp", 6, 128, 12, new Rng(1));
        using var scope = TensorScope.Begin();
        var e = Assert.Throws<ArgumentException>(() => m.Run(Tensor.Zeros([2, 9, 128])));
        Assert.Contains("(batch, 6, 128)", e.Message);
        Assert.Contains("mlp", e.Message);
    }

    [Fact]
    public void ForwardIsRunLogits()
    {
        var m = ModelCatalog.Create("transformer", 3, 128, 6, new Rng(1));
        m.Eval();
        using var scope = TensorScope.Begin();
        using var ng = GradMode.NoGrad();
        var x = ModelTestUtil.RandomInput(2, 3, 128, 1);
        Assert.Equal(m.Run(x).Logits.ToArray(), m.Forward(x).ToArray());
    }
}
