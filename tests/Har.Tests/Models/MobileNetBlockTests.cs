using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Models;

public class MobileNetBlockTests
{
    [Fact]
    public void V2VariantHasNoSqueezeExcitationAndUsesRelu6()
    {
        var m = (MobileNet1d)ModelCatalog.Create("mobilenet-v2-small", 6, 128, 12, new Rng(1));
        Assert.DoesNotContain(m.NamedModules(), x => x.module is SqueezeExcitation);
        Assert.DoesNotContain(m.NamedModules(), x => x.module is Hardswish);
        Assert.Contains(m.NamedModules(), x => x.module is ReLU6);
        var v3 = ModelCatalog.Create("mobilenet-small", 6, 128, 12, new Rng(1));
        Assert.Contains(v3.NamedModules(), x => x.module is SqueezeExcitation);
        Assert.Contains(v3.NamedModules(), x => x.module is Hardswish);
    }
}
