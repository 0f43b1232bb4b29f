using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

public class MobileNetBlockTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(15)]
    [InlineData(40)]
    public void PointwiseMatchesConv1dWithGradients(int length)
    {
        var pw = new Pointwise1d(12, 20, true, new Rng(1), Device.Cpu);
        using var scope = TensorScope.Begin();
        var x = Tensor.Randn([3, 12, length], new Rng(2));
        x.RequiresGrad = true;
        var g = Tensor.Randn([3, 20, length], new Rng(3));
        (pw.Forward(x) * g).Sum().Backward();
        float[] dx = x.Grad!.ToArray(), dw = pw.Weight.Grad!.ToArray(), db = pw.Bias!.Grad!.ToArray();
        var y = pw.Forward(x).ToArray();

        var w = Tensor.FromArray(pw.Weight.ToArray(), [20, 12, 1], requiresGrad: true);
        var b = Tensor.FromArray(pw.Bias.ToArray(), [20], requiresGrad: true);
        var x2 = Tensor.FromArray(x.ToArray(), x.Shape, requiresGrad: true);
        var yRef = Tensor.Conv1d(x2, w, b);
        (yRef * g).Sum().Backward();
        Close(yRef.ToArray(), y);
        Close(x2.Grad!.ToArray(), dx);
        Close(w.Grad!.ToArray(), dw);
        Close(b.Grad!.ToArray(), db);
    }

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f * (1 + MathF.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void BlockHasTheEngineBlockParameterLayout()
    {
        var mine = new MobileNetBlock1d(16, 64, 16, 5, 1, true, Act.Hardswish, new Rng(1), Device.Cpu);
        var engine = new InvertedResidual1d(16, 64, 16, 5, 1, true, null, new Rng(1), Device.Cpu);
        var a = mine.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var b = engine.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        Assert.Equal(b.Keys.OrderBy(k => k), a.Keys.OrderBy(k => k));
        foreach (var (k, s) in b) Assert.Equal(s, a[k]);
        Assert.True(mine.UseResidual);
        Assert.False(new MobileNetBlock1d(16, 64, 24, 3, 1, false, Act.ReLU, new Rng(1), Device.Cpu).UseResidual);
        Assert.False(new MobileNetBlock1d(16, 64, 16, 3, 2, false, Act.ReLU, new Rng(1), Device.Cpu).UseResidual);
    }

    [Fact]
    public void BlockComputesTheSameAsTheEngineBlock()
    {
        var mine = new MobileNetBlock1d(16, 48, 16, 5, 1, true, Act.Hardswish, new Rng(1), Device.Cpu);
        var engine = new InvertedResidual1d(16, 48, 16, 5, 1, true, null, new Rng(9), Device.Cpu);
        var sd = mine.StateDict();
        engine.LoadStateDict(sd.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), sd.ToDictionary(kv => kv.Key, kv => kv.Value.Shape));
        using var scope = TensorScope.Begin();
        foreach (int len in new[] { 6, 32 })
        {
            var x = Tensor.Randn([4, 16, len], new Rng(5));
            var a = mine.Forward(x).ToArray();
            var b = engine.Forward(x).ToArray();
            Close(b, a);
        }
    }

    [Fact]
    public void V2VariantHasNoSqueezeExcitationAndUsesRelu6()
    {
        var m = (MobileNet1d)ModelCatalog.Create("mobilenet-v2-small", 6, 128, 12, new Rng(1));
        Assert.DoesNotContain(m.NamedModules(), x => x.module is SqueezeExcite1d);
        Assert.DoesNotContain(m.NamedModules(), x => x.module is Hardswish);
        Assert.Contains(m.NamedModules(), x => x.module is ReLU6);
        var v3 = ModelCatalog.Create("mobilenet-small", 6, 128, 12, new Rng(1));
        Assert.Contains(v3.NamedModules(), x => x.module is SqueezeExcite1d);
        Assert.Contains(v3.NamedModules(), x => x.module is Hardswish);
    }
}
