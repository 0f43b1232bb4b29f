using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>Layers composed: conv module, squeeze-excitation, and the MobileNet inverted residual block end to end.</summary>
public class BlockTests
{
    [Fact]
    public void Conv1dModuleShapesInitAndSamePadding()
    {
        var conv = new Conv1d(4, 8, 5, padding: "same", groups: 4, rng: new Rng(1), device: Cpu);
        Assert.Equal(new[] { 8, 1, 5 }, conv.Weight.Shape);
        float bound = 1f / MathF.Sqrt(5); // kaiming_uniform(a=√5) on fan_in 5 gives ±1/√fan_in
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        var y = conv.Forward(Randn(2, 3, 4, 17));
        Assert.Equal(new[] { 3, 8, 17 }, y.Shape);
        Assert.Equal(2, conv.Parameters().Count);
        Assert.Equal(new[] { 3, 8, 9 }, new Conv1d(4, 8, 3, stride: 2, padding: 1, device: Cpu).Forward(Randn(3, 3, 4, 17)).Shape);
    }

    [Fact]
    public void SqueezeExcitationGradCheck()
    {
        var se = new SqueezeExcitation(4, 8, new Rng(4), Cpu);
        var x = Randn(5, 2, 4, 6);
        var ps = se.Parameters();
        GradCheck.Assert(t => se.Forward(t[0]), [x], eps: 1e-2, atol: 2e-3, name: "se input");
        Assert.Equal(8, SqueezeExcitation.MakeDivisible(16 / 4.0));
        Assert.Equal(16, SqueezeExcitation.MakeDivisible(64 / 4.0));
        Assert.Equal(24, SqueezeExcitation.MakeDivisible(22));
    }

    [Fact]
    public void InvertedResidualBlockGradCheckEndToEnd()
    {
        // 1x1 expand 4→8, BN, Hardswish, depthwise k5, BN, Hardswish, SE, 1x1 project 8→4, BN, residual; BN in train mode
        var block = new InvertedResidual1d(4, 8, 4, kernelSize: 5, rng: new Rng(6), device: Cpu);
        Assert.True(block.UseResidual);
        Assert.True(block.Training);
        var x = Randn(7, 2, 4, 9);
        var named = block.NamedParameters().ToList();
        var ps = named.Select(p => p.tensor).ToList();
        var bufs = block.NamedBuffers().Select(b => b.tensor).ToArray();
        var bufSaved = bufs.Select(b => b.ToArray()).ToArray();
        // the input through GradCheck; the parameters (module-owned leaves) by the same central differences below
        GradCheck.Assert(t => block.Forward(t[0]), [x], eps: 1e-2, atol: 3e-3, rtol: 2e-2, name: "inverted residual input");
        foreach (var (b, v) in bufs.Zip(bufSaved)) b.CopyFrom(v);

        // parameter gradients against finite differences of the loss Σ y·R
        var r = Randn(8, 2, 4, 9);
        var rv = r.ToArray();
        block.ZeroGrad();
        (block.Forward(x) * r).Sum().Backward();
        var failures = new List<string>();
        foreach (var (pname, p) in named)
        {
            var analytic = p.Grad!.ToArray();
            var v = p.ToArray();
            int stride = Math.Max(1, v.Length / 6);
            for (int i = 0; i < v.Length; i += stride)
            {
                double Loss(float val)
                {
                    v[i] = val; p.CopyFrom(v);
                    using var _ = GradMode.NoGrad();
                    using var s = TensorScope.Begin();
                    var y = block.Forward(x).ToArray();
                    double acc = 0;
                    for (int j = 0; j < y.Length; j++) acc += (double)y[j] * rv[j];
                    return acc;
                }
                float orig = v[i];
                // small eps: BN over 18 values per channel makes the loss strongly curved in the weights
                const float h = 2e-3f;
                double numeric = (Loss(orig + h) - Loss(orig - h)) / ((double)(orig + h) - (orig - h));
                v[i] = orig; p.CopyFrom(v);
                if (!(Math.Abs(numeric - analytic[i]) <= 3e-3 + 3e-2 * Math.Abs(numeric)))
                    failures.Add($"{pname}[{i}]: analytic {analytic[i]}, numeric {numeric}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void InvertedResidualStrideAndEval()
    {
        var block = new InvertedResidual1d(4, 12, 6, kernelSize: 3, stride: 2, rng: new Rng(9), device: Cpu);
        Assert.False(block.UseResidual);
        var x = Randn(10, 3, 4, 16);
        Assert.Equal(new[] { 3, 6, 8 }, block.Forward(x).Shape);
        block.Eval();
        GradCheck.Assert(t => block.Forward(t[0]), [x], eps: 1e-2, atol: 3e-3, rtol: 2e-2, name: "inverted residual eval");
        var noExpand = new InvertedResidual1d(6, 6, 6, useSe: false, rng: new Rng(11), device: Cpu);
        Assert.Null(noExpand.Expand);
        Assert.Equal(new[] { 2, 6, 10 }, noExpand.Forward(Randn(12, 2, 6, 10)).Shape);
    }
}
