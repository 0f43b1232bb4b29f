using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

public class ModelCatalogTests
{
    [Fact]
    public void UnknownNameListsTheKnownModels()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelCatalog.Create("mobilenet-huge", 6, 128, 12, new Rng(1)));
        Assert.Contains("unknown model 'mobilenet-huge'", e.Message);
        foreach (var n in ModelCatalog.Names) Assert.Contains(n, e.Message);
        Assert.False(ModelCatalog.IsKnown("resnet50"));
        Assert.True(ModelCatalog.IsKnown("MobileNet-Small"));
    }

    [Fact]
    public void CatalogueHasTheIssueModelsWithRoles()
    {
        string[] students = ["mobilenet-tiny", "mobilenet-small", "mobilenet-large", "mobilenet-v2-small", "mlp", "fcn"];
        string[] teachers = ["resnet-lstm-an", "resnet1d", "lstm-attention", "transformer", "mobilenet-large"];
        foreach (var s in students) Assert.True(ModelCatalog.IsKnown(s), s);
        foreach (var t in teachers) Assert.Equal(ModelRole.Teacher, ModelCatalog.Find(t).Role);
        Assert.Equal(ModelRole.Student, ModelCatalog.Find("mlp").Role);
        Assert.Equal(ModelRole.Student, ModelCatalog.Find("mobilenet-small").Role);
        Assert.All(ModelCatalog.Entries, e => Assert.False(string.IsNullOrWhiteSpace(e.Description)));
        Assert.Equal(ModelCatalog.Names.Count, ModelCatalog.Names.Distinct().Count());
    }

    [Fact]
    public void WidthSuffixScalesMobileNets()
    {
        var half = ModelCatalog.Describe("mobilenet-small@0.5", 6, 128, 12);
        var full = ModelCatalog.Describe("mobilenet-small", 6, 128, 12);
        Assert.True(half.Parameters < full.Parameters / 2, $"{half.Parameters} vs {full.Parameters}");
        Assert.True(half.MacsPerWindow < full.MacsPerWindow);
        Assert.Equal("mobilenet-small@0.5", ModelCatalog.Create("mobilenet-small@0.5", 6, 128, 12, new Rng(1)).Spec.Name);

        Assert.Contains("width multiplier 'x'", Assert.Throws<ArgumentException>(() => ModelCatalog.Find("mobilenet-small@x")).Message);
        Assert.Contains("width multiplier '-1'", Assert.Throws<ArgumentException>(() => ModelCatalog.Find("mobilenet-small@-1")).Message);
        Assert.Contains("only the MobileNet presets", Assert.Throws<ArgumentException>(() => ModelCatalog.Find("mlp@2")).Message);
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ModelCatalog.Create("mlp", 0, 128, 12, new Rng(1)));
        Assert.Throws<ArgumentException>(() => ModelCatalog.Create("mlp", 6, 128, 1, new Rng(1)));
        Assert.Contains("shorter than the patch", Assert.Throws<ArgumentException>(() => ModelCatalog.Create("transformer", 6, 2, 12, new Rng(1))).Message);
    }

    [Fact]
    public void DescribeReportsParametersAndMacs()
    {
        foreach (var name in ModelCatalog.Names)
        {
            var info = ModelCatalog.Describe(name, 6, 128, 12);
            var model = ModelCatalog.Create(name, 6, 128, 12, new Rng(5));
            Assert.Equal(model.ParameterCount, info.Parameters);
            Assert.True(info.MacsPerWindow > 0, name);
            Assert.True(info.MacsPerWindow >= info.Parameters / 4, $"{name}: MACs {info.MacsPerWindow} vs params {info.Parameters}");
            Assert.Equal(ModelCatalog.Find(name).Role, info.Role);
        }
    }

    [Fact]
    public void TinyHasAtMostAnEighthOfTheTeacherMacs()
    {
        foreach (var d in ModelTestUtil.Datasets)
        {
            long tiny = ModelCatalog.Describe("mobilenet-tiny", d.channels, d.length, d.classes).MacsPerWindow;
            long small = ModelCatalog.Describe("mobilenet-small", d.channels, d.length, d.classes).MacsPerWindow;
            long large = ModelCatalog.Describe("mobilenet-large", d.channels, d.length, d.classes).MacsPerWindow;
            Assert.True(tiny * 8 <= large, $"{d.name}: tiny {tiny} vs large {large}");
            Assert.True(tiny < small && small < large);
        }
    }

    [Fact]
    public void MlpParametersAndMacsAreHandComputed()
    {
        // HAPT: 6 x 128 = 768 inputs, 12 classes
        long p = (768L * 500 + 500) + 2 * (500L * 500 + 500) + (500L * 12 + 12);
        var info = ModelCatalog.Describe("mlp", 6, 128, 12);
        Assert.Equal(891_512, p);
        Assert.Equal(p, info.Parameters);
        Assert.Equal(768L * 500 + 2 * 500L * 500 + 500L * 12, info.MacsPerWindow);
        // UCI-HAR: 9 x 128, 6 classes
        Assert.Equal((1152L * 500 + 500) + 2 * (500L * 500 + 500) + (500L * 6 + 6), ModelCatalog.Describe("mlp", 9, 128, 6).Parameters);
    }

    [Fact]
    public void ConvAndRecurrentMacsAreCounted()
    {
        // FCN on 6 x 128: three "same" convs over 128 steps, then the classifier
        long fcn = 128L * (6 * 128 * 8 + 128 * 256 * 5 + 256 * 128 * 3) + 128 * 12;
        Assert.Equal(fcn, ModelCatalog.Describe("fcn", 6, 128, 12).MacsPerWindow);
        // LSTM-attention: two LSTM layers (4 gates, hidden 128) over 128 steps, q (last step) / k / v projections,
        // attention of one query over 128 keys, classifier on 256
        long lstm = 128L * 512 * (6 + 128) + 128L * 512 * (128 + 128);
        long att = 128 * 128 + 2 * 128L * 128 * 128 + 128 * (128 + 128);
        Assert.Equal(lstm + att + 256 * 12, ModelCatalog.Describe("lstm-attention", 6, 128, 12).MacsPerWindow);
    }
}
