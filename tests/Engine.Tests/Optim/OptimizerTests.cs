using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Optim;

/// <summary>Optimiser updates against PyTorch's formulas computed by hand in double.</summary>
public class OptimizerTests
{
    private static Tensor Param(params float[] v)
    {
        var p = TensorScope.Unscoped(() => Tensor.FromArray(v, [v.Length], Cpu));
        p.RequiresGrad = true;
        return p;
    }

    private static void SetGrad(Tensor p, params float[] g) => p.Grad = TensorScope.Unscoped(() => Tensor.FromArray(g, [g.Length], Cpu));

    [Fact]
    public void SgdMomentumAndNesterov()
    {
        var p = Param(1f);
        var opt = new Sgd([p], lr: 0.1f, momentum: 0.9f, weightDecay: 0.5f);
        SetGrad(p, 2f);
        opt.Step(); // g = 2 + 0.5*1 = 2.5, buf = 2.5, p = 1 - 0.25 = 0.75
        Assert.Equal(0.75f, p.Item(), 6);
        SetGrad(p, 2f);
        opt.Step(); // g = 2 + 0.375 = 2.375, buf = 0.9*2.5 + 2.375 = 4.625, p = 0.75 - 0.4625
        Assert.Equal(0.2875f, p.Item(), 5);

        var q = Param(1f);
        var nes = new Sgd([q], lr: 0.1f, momentum: 0.9f, nesterov: true);
        SetGrad(q, 1f); nes.Step(); // buf = 1, g = 1 + 0.9 = 1.9
        Assert.Equal(0.81f, q.Item(), 6);
        Assert.Throws<ArgumentException>(() => new Sgd([q], 0.1f, nesterov: true));
    }

    [Theory]
    [InlineData(true, 0.01f)]
    [InlineData(false, 0.01f)]
    [InlineData(true, 0f)]
    public void CpuAdamLoopEqualsTheScalarDefinitionBitForBit(bool decoupled, float weightDecay)
    {
        const int n = 37; // vector body and scalar tail
        var p = Randn(31, n).ToArray(); var g = Randn(32, n).ToArray();
        var m = Randn(33, n).ToArray().Select(x => x * 0.1f).ToArray(); var v = Randn(34, n).ToArray().Select(x => x * x).ToArray();
        var h = new HarFromScratch.Engine.Backends.AdamArgs(1e-3f, 0.9f, 0.999f, 1e-8f, weightDecay, decoupled, 7);
        var tp = Tensor.FromArray(p, [n], Cpu); var tg = Tensor.FromArray(g, [n], Cpu);
        var tm = Tensor.FromArray(m, [n], Cpu); var tv = Tensor.FromArray(v, [n], Cpu);
        Cpu.Backend.AdamStep(tp.Storage, tg.Storage, tm.Storage, tv.Storage, n, h);
        for (int i = 0; i < n; i++) HarFromScratch.Engine.Backends.OptimMath.Adam(ref p[i], g[i], ref m[i], ref v[i], h);
        Assert.Equal(p, tp.ToArray());
        Assert.Equal(m, tm.ToArray());
        Assert.Equal(v, tv.ToArray());
    }

    [Fact]
    public void AdamAndAdamWFirstTwoSteps()
    {
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        foreach (var decoupled in new[] { false, true })
        {
            var p = Param(0.5f);
            Optimizer opt = decoupled ? new AdamW([p], (float)lr, weightDecay: 0.1f) : new Adam([p], (float)lr, weightDecay: 0.1f);
            double pv = 0.5, m = 0, v = 0;
            foreach (var (g0, t) in new[] { (0.3, 1), (-0.2, 2) })
            {
                SetGrad(p, (float)g0);
                opt.Step();
                double g = g0;
                if (decoupled) pv -= lr * 0.1 * pv; else g += 0.1 * pv;
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                pv -= lr * (m / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v / (1 - Math.Pow(b2, t))) + eps);
                Assert.Equal(pv, p.Item(), 5);
            }
            Assert.Equal(2, opt.StateTensors().Count());
        }
    }

    [Fact]
    public void OptimiserStateRoundTrips()
    {
        var p = Param(1f, 2f);
        var a = new AdamW([p], 0.1f);
        SetGrad(p, 1f, -1f); a.Step();
        var saved = a.StateTensors().ToDictionary(s => s.key, s => s.tensor.ToArray());
        var p2 = Param(p.ToArray());
        var b = new AdamW([p2], 0.1f);
        b.LoadState(a.StepCount, saved);
        SetGrad(p, 0.5f, 0.5f); a.Step();
        SetGrad(p2, 0.5f, 0.5f); b.Step();
        Assert.Equal(p.ToArray(), p2.ToArray());
        Assert.Throws<ArgumentException>(() => b.LoadState(1, new Dictionary<string, float[]> { ["9.exp_avg"] = [0, 0] }));
    }

    [Fact]
    public void ClipGradNormScalesToMaxNorm()
    {
        var p = Param(0f, 0f);
        SetGrad(p, 3f, 4f);
        var norm = GradClip.ClipGradNorm([p], 1f);
        Assert.Equal(5f, norm, 5);
        AssertClose([0.6f, 0.8f], p.Grad!.ToArray(), 1e-5f);
        Assert.Equal(1f, GradClip.ClipGradNorm([p], 10f), 4); // below the limit: unchanged
    }

    [Fact]
    public void ClipGradNormIsTheJointNormOverEveryGradient()
    {
        var a = Param(0f, 0f);
        var b = Param(0f);
        var noGrad = Param(0f);
        SetGrad(a, 1f, 2f);
        SetGrad(b, 2f); // joint norm √(1 + 4 + 4) = 3
        Assert.Equal(3f, GradClip.ClipGradNorm([a, noGrad, b], 1.5f), 5);
        AssertClose([0.5f, 1f], a.Grad!.ToArray(), 1e-5f);
        AssertClose([1f], b.Grad!.ToArray(), 1e-5f);
        Assert.Equal(0f, GradClip.ClipGradNorm([noGrad], 1f)); // nothing to clip
    }

    [Fact]
    public void Schedules()
    {
        var p = Param(0f);
        var opt = new Sgd([p], 1f);
        var step = new StepLr(opt, stepSize: 2, gamma: 0.5f);
        step.Step(); Assert.Equal(1f, opt.Lr);
        step.Step(); Assert.Equal(0.5f, opt.Lr);
        step.Step(); step.Step(); Assert.Equal(0.25f, opt.Lr);

        var opt2 = new Sgd([p], 1f);
        var cos = new CosineLr(opt2, totalSteps: 10, warmupSteps: 2, minLr: 0f);
        Assert.Equal(0.5f, opt2.Lr, 5);
        cos.Step(); Assert.Equal(1f, opt2.Lr, 5);
        for (int i = 0; i < 5; i++) cos.Step();
        Assert.Equal(0.5f * (1 + MathF.Cos(MathF.PI * 4 / 8)), opt2.Lr, 5);
        for (int i = 0; i < 10; i++) cos.Step();
        Assert.Equal(0f, opt2.Lr, 5);

        var opt3 = new Sgd([p], 1f);
        var plateau = new ReduceLrOnPlateau(opt3, factor: 0.1f, patience: 2);
        plateau.Step(1f); plateau.Step(1f); plateau.Step(1f);
        Assert.Equal(1f, opt3.Lr);
        plateau.Step(1f);
        Assert.Equal(0.1f, opt3.Lr, 6);
        plateau.Step(0.5f);
        Assert.Equal(0.1f, opt3.Lr, 6);
        Assert.Throws<ArgumentException>(() => plateau.Step());
    }
}
