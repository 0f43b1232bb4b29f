using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Autograd;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([2f], [1], Cpu, requiresGrad: true);
        (x * x).Sum().Backward();
        Assert.Equal(4f, x.Grad!.Item());
        (x * 3f).Sum().Backward();
        Assert.Equal(7f, x.Grad!.Item());
    }

    [Fact]
    public void NoGradRecordsNothingAndDetachCuts()
    {
        var x = Tensor.FromArray([1f, 2f], [2], Cpu, requiresGrad: true);
        using (GradMode.NoGrad())
        {
            var y = x * 2f;
            Assert.False(y.RequiresGrad);
        }
        var d = (x * 2f).Detach();
        Assert.False(d.RequiresGrad);
        var z = (x * d).Sum(); // d is a constant: dz/dx = d
        z.Backward();
        Assert.Equal(new float[] { 2, 4 }, x.Grad!.ToArray());
    }

    [Fact]
    public void BackwardOnNonScalarNeedsGradient()
    {
        var x = Tensor.FromArray([1f, 2f], [2], Cpu, requiresGrad: true);
        Assert.Throws<InvalidOperationException>(() => (x * 2f).Backward());
        (x * 2f).Backward(Tensor.FromArray([1f, 10f], [2], Cpu));
        Assert.Equal(new float[] { 2, 20 }, x.Grad!.ToArray());
    }

    [Fact]
    public void DeepChainDoesNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1f], [1], Cpu, requiresGrad: true);
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1.0001f;
        y.Sum().Backward();
        Assert.Equal(MathF.Pow(1.0001f, 20000), x.Grad!.Item(), 2);
    }

    [Fact]
    public void GradCheckReportsTheWorstElementOfAWrongGradient()
    {
        // an op whose backward is deliberately wrong (gradient of x^2 given as x): gradcheck must fail and say where
        static Tensor Wrong(Tensor x) => x.Square().Detach() + (x * x.Detach() * 0.5f) - (x.Detach() * x.Detach() * 0.5f);
        var r = GradCheck.Check(t => Wrong(t[0]), [Randn(1, 3, 2)], name: "wrong-square");
        Assert.False(r.Passed);
        Assert.Contains("FAILED", r.Report);
        Assert.Contains("worst: input 0 (3, 2) element", r.Report);
        Assert.Throws<GradCheckException>(() => GradCheck.Assert(t => Wrong(t[0]), [Randn(1, 3, 2)]));
        Assert.True(GradCheck.Check(t => t[0].Square(), [Randn(1, 3, 2)]).Passed);
    }
}

public class OpProfilerTests
{
    [Fact]
    public void AttributesForwardAndBackwardTimeToOps()
    {
        var x = TestUtil.Randn(1, 64, 64);
        x.RequiresGrad = true;
        using var prof = OpProfiler.Begin();
        var y = x.MatMul(x).Relu().Sum();
        y.Backward();
        var r = prof.Results.ToDictionary(e => e.op);
        Assert.Equal(1, r["matmul"].calls);
        Assert.True(r["matmul"].backwardMs > 0);
        Assert.Contains("relu", r.Keys);
        Assert.Contains("| matmul | 1 |", prof.Table());
    }
}
