using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Optim;

/// <summary>The weight EMA against hand values: warm-up decay, buffers tracked too, swap and its inverse, checkpoint names.</summary>
public class ModelEmaTests
{
    private sealed class Net : Module
    {
        public Net()
        {
            Fc = RegisterModule("fc", new Linear(2, 1, bias: true, new Rng(1), Cpu));
            Norm = RegisterModule("norm", new BatchNorm1d(1, device: Cpu));
        }
        public Linear Fc { get; }
        public BatchNorm1d Norm { get; }
        public override Tensor Forward(Tensor x) => Fc.Forward(x);
    }

    [Fact]
    public void UpdatesWithWarmupAndSwapsBothWays()
    {
        var net = new Net();
        var ema = new ModelEma(net, 0.5f);
        var w = net.Fc.Parameters()[0];
        var w0 = w.ToArray();
        Assert.Contains("fc__weight", ema.StateDict().Keys);
        Assert.Contains("norm__running_mean", ema.StateDict().Keys);
        Assert.Equal(0.1f, ema.CurrentDecay(0), 6);          // min(0.5, 1/10)
        Assert.Equal(2f / 11, ema.CurrentDecay(1), 6);
        Assert.Equal(0.5f, ema.CurrentDecay(1000), 6);

        ema.Update();                                         // shadow = 0.1·w0 + 0.9·w0 = w0
        w.CopyFrom([3f, 4f]);
        ema.Update();                                         // d = 2/11: shadow = d·w0 + (1 − d)·(3, 4)
        Assert.Equal(2, ema.Updates);
        var shadow = ema.StateDict()["fc__weight"].ToArray();
        float d = 2f / 11;
        Assert.Equal(d * w0[0] + (1 - d) * 3f, shadow[0], 5);
        Assert.Equal(d * w0[1] + (1 - d) * 4f, shadow[1], 5);

        ema.Swap();                                           // the model now runs the average
        Assert.Equal(shadow, w.ToArray());
        Assert.Equal([3f, 4f], ema.StateDict()["fc__weight"].ToArray());
        ema.Swap();
        Assert.Equal([3f, 4f], w.ToArray());
        Assert.Equal(shadow, ema.StateDict()["fc__weight"].ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelEma(net, 1f));
    }
}
