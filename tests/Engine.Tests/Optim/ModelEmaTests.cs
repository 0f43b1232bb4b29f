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

    /// <summary>A module with a state buffer (say, a chosen index) next to a weight.</summary>
    private sealed class Chooser : Module
    {
        public Chooser()
        {
            W = RegisterParameter("w", Tensor.FromArray([0f], [1], Cpu));
            Chosen = RegisterBuffer("chosen", Tensor.FromArray([-1f], [1], Cpu));
        }
        public Tensor W { get; }
        public Tensor Chosen { get; }
        public override Tensor Forward(Tensor x) => x;
    }

    [Fact]
    public void StateBuffersAreCopiedNotAveragedAndStayLiveThroughSwaps()
    {
        var net = new Net();
        var ema = new ModelEma(net, 0.5f);
        var mean = net.Norm.RunningMean!;
        var count = net.Norm.NumBatchesTracked!;
        ema.Update();
        mean.CopyFrom([2f]);
        count.CopyFrom([7f]);
        ema.Update();                                          // d = 2/11
        float d = 2f / 11;
        Assert.Equal((1 - d) * 2f, ema.StateDict()["norm__running_mean"].ToArray()[0], 5);   // a statistic: averaged
        Assert.Equal(7f, ema.StateDict()["norm__num_batches_tracked"].ToArray()[0]);          // a counter: copied

        var c = new Chooser();
        var e2 = new ModelEma(c, 0.9f);
        for (int i = 0; i < 5; i++) e2.Update();
        c.Chosen.CopyFrom([2f]);
        c.W.CopyFrom([1f]);
        e2.Update();
        Assert.Equal(2f, e2.StateDict()["chosen"].ToArray()[0]);   // averaged, it would be about -0.6 and pick head 0
        float averaged = e2.StateDict()["w"].ToArray()[0];
        Assert.True(averaged is > 0f and < 1f);
        c.Chosen.CopyFrom([3f]);                                    // changed after the last update
        e2.Swap();
        Assert.Equal(averaged, c.W.ToArray()[0]);
        Assert.Equal(3f, c.Chosen.ToArray()[0]);                    // the averaged weights run with the live state
        e2.Swap();
        Assert.Equal(1f, c.W.ToArray()[0]);
        Assert.Equal(3f, c.Chosen.ToArray()[0]);
    }
}
