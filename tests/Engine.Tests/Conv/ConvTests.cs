using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends.Cpu;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;
using G = HarFromScratch.Engine.Tests.Conv.ConvReference.Geometry;

namespace HarFromScratch.Engine.Tests.Conv;

/// <summary>Conv1d against a naive reference (forward and all gradients) over every path, and gradchecks of every option.</summary>
public class ConvTests
{
    // N, Cin, Cout, L, K, stride, padL, padR, dilation, groups
    public static TheoryData<string, int[]> Geometries() => new()
    {
        { "general", [2, 3, 4, 11, 3, 1, 1, 1, 1, 1] },
        { "general wide (4x16 tiles)", [2, 8, 12, 37, 3, 1, 1, 1, 1, 1] },
        { "grouped stride dilation", [2, 4, 6, 10, 3, 2, 0, 0, 2, 2] },
        { "stride 3 large padding", [2, 3, 5, 12, 3, 3, 4, 4, 1, 1] },
        { "depthwise k5 batch1 odd", [1, 5, 5, 13, 5, 1, 2, 2, 1, 5] },
        { "depthwise k9 long (32-wide path)", [2, 3, 3, 75, 9, 1, 4, 4, 1, 3] },
        { "depthwise multiplier 2 stride 2", [2, 4, 8, 9, 3, 2, 1, 1, 1, 4] },
        { "depthwise stride 3 dilation 2", [2, 3, 3, 20, 7, 3, 3, 3, 2, 3] },
        { "depthwise same even k", [2, 3, 3, 10, 4, 1, 1, 2, 1, 3] },
        { "depthwise k15 no pad", [2, 2, 2, 40, 15, 1, 0, 0, 1, 2] },
        { "pointwise", [2, 6, 4, 7, 1, 1, 0, 0, 1, 1] },
        { "pointwise large", [3, 16, 21, 50, 1, 1, 0, 0, 1, 1] },
        { "pointwise grouped", [2, 6, 4, 7, 1, 1, 0, 0, 1, 2] },
        { "kernel 1 stride 2", [2, 3, 4, 9, 1, 2, 0, 0, 1, 1] },
        { "same dilated even k", [2, 3, 2, 9, 4, 1, 3, 3, 2, 1] },
        { "length 1", [3, 4, 5, 1, 1, 1, 0, 0, 1, 1] },
        // T >= 64: products per batch element (shorter sequences pack several batch elements per product)
        { "general long (unpacked)", [2, 5, 9, 70, 3, 1, 1, 1, 1, 1] },
        { "pointwise long (unpacked)", [3, 7, 13, 66, 1, 1, 0, 0, 1, 1] },
        { "pointwise grouped long", [2, 8, 12, 64, 1, 1, 0, 0, 1, 4] },
        { "pointwise packed many", [37, 6, 10, 5, 1, 1, 0, 0, 1, 1] },
        // stride 1: dx as a forward convolution with the flipped kernel (padding (K−1)·d − padL), grouped and dilated
        { "grouped dilated same", [2, 4, 6, 19, 3, 1, 2, 2, 2, 2] },
        { "general valid (output shorter than input)", [2, 3, 4, 11, 4, 1, 0, 0, 2, 1] },
        // padding beyond the kernel's reach ((K−1)·d < padL): dx through the col2im path
        { "padding beyond the kernel", [2, 3, 4, 8, 3, 1, 3, 3, 1, 1] },
        // the weight gradient through the blocked GEMM (KK + Cout > 512 floats per step): two batch packs, the second
        // partial, several GEMM k-blocks per pack; then grouped (each group's dWᵀ its own product)
        { "general two weight packs (GEMM)", [9, 64, 16, 128, 9, 1, 4, 4, 1, 1] },
        { "grouped GEMM weight gradient", [3, 128, 16, 40, 5, 1, 2, 2, 1, 2] },
    };

    private static G Geo(int[] v) => new(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);

    private static Tensor Run(G g, Tensor x, Tensor w, Tensor? b)
    {
        if (g.PadL == g.PadR) return Tensor.Conv1d(x, w, b, g.Stride, g.PadL, g.Dilation, g.Groups);
        Assert.Equal(1, g.Stride);
        Assert.Equal(g.Dilation * (g.K - 1), g.PadL + g.PadR); // "same"
        return Tensor.Conv1d(x, w, b, "same", 1, g.Dilation, g.Groups);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MatchesNaiveReference(string name, int[] geometry)
    {
        var g = Geo(geometry);
        using var scope = TensorScope.Begin();
        var x = Randn(1, g.N, g.Cin, g.L); x.RequiresGrad = true;
        var w = Randn(2, g.Cout, g.Cin / g.Groups, g.K); w.RequiresGrad = true;
        var b = Randn(3, g.Cout); b.RequiresGrad = true;
        var y = Run(g, x, w, b);
        Assert.Equal(new[] { g.N, g.Cout, g.OutLength }, y.Shape);
        AssertClose(ConvReference.Forward(g, x.ToArray(), w.ToArray(), b.ToArray()), y.ToArray(), 1e-4f, 1e-4f, name + " y");
        var dy = Randn(4, y.Shape);
        y.Backward(dy);
        var (dx, dw, db) = ConvReference.Backward(g, x.ToArray(), w.ToArray(), dy.ToArray());
        AssertClose(dx, x.Grad!.ToArray(), 1e-4f, 1e-4f, name + " dx");
        AssertClose(dw, w.Grad!.ToArray(), 2e-4f, 1e-4f, name + " dw");
        AssertClose(db, b.Grad!.ToArray(), 1e-4f, 1e-4f, name + " db");
        x.Grad.Dispose(); w.Grad.Dispose(); b.Grad.Dispose();
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void GradCheck_(string name, int[] geometry)
    {
        var g = Geo(geometry);
        if (g.N * g.Cin * g.L + g.Cout * g.Cin / g.Groups * g.K > 400) return; // naive test covers the big ones
        var x = Randn(5, g.N, g.Cin, g.L);
        var w = Randn(6, g.Cout, g.Cin / g.Groups, g.K);
        var b = Randn(7, g.Cout);
        // conv is linear in each input: central differences are exact, so a large eps keeps float32 noise out
        GradCheck.Assert(t => Run(g, t[0], t[1], t[2]), [x, w, b], eps: 0.1, atol: 1e-3, rtol: 1e-3, name: name);
        GradCheck.Assert(t => Run(g, t[0], t[1], null), [x, w], eps: 0.1, atol: 1e-3, rtol: 1e-3, name: name + " no bias");
    }

    [Fact]
    public void UnbatchedInput()
    {
        var x = Randn(8, 3, 10);
        var w = Randn(9, 4, 3, 3);
        var y = Tensor.Conv1d(x, w, null, 1, 1);
        Assert.Equal(new[] { 4, 10 }, y.Shape);
        AssertClose(Tensor.Conv1d(x.Unsqueeze(0), w, null, 1, 1).ToArray(), y.ToArray());
        GradCheck.Assert(t => Tensor.Conv1d(t[0], t[1], null, 2, 1), [x, w], eps: 0.1, atol: 1e-3, rtol: 1e-3);
    }

    [Fact]
    public void OnlySomeInputsNeedGradients()
    {
        var x = Randn(10, 2, 3, 8);
        var w = Randn(11, 3, 1, 3);
        var b = Randn(12, 3);
        GradCheck.Assert(t => Tensor.Conv1d(t[0], t[1], t[2], 1, 1, 1, 3), [x, w, b], eps: 0.1, checkInputs: [false, false, true]);
        GradCheck.Assert(t => Tensor.Conv1d(t[0], t[1], t[2], 1, 1, 1, 3), [x, w, b], eps: 0.1, checkInputs: [true, false, false]);
        GradCheck.Assert(t => Tensor.Conv1d(t[0], t[1], t[2], 1, 1, 1, 1), [x, Randn(13, 4, 3, 3), Randn(14, 4)], eps: 0.1, checkInputs: [false, true, false]);
    }

    [Fact]
    public void InvalidArgumentsAreReported()
    {
        var x = Randn(15, 2, 4, 8);
        Assert.Throws<ArgumentException>(() => Tensor.Conv1d(x, Randn(16, 4, 3, 3)));          // groups mismatch
        Assert.Throws<ArgumentException>(() => Tensor.Conv1d(x, Randn(17, 4, 4, 9)));          // kernel longer than input
        Assert.Throws<ArgumentException>(() => Tensor.Conv1d(x, Randn(18, 3, 2, 3), groups: 2)); // out channels not divisible
        Assert.Throws<ArgumentException>(() => Tensor.Conv1d(x, Randn(19, 4, 4, 3), null, "same", stride: 2));
    }

    [Fact]
    public void DeterministicAcrossThreadCounts()
    {
        // the weight gradient reduction must not depend on how the batch is split over threads
        var g = new G(13, 16, 24, 33, 1, 1, 0, 0, 1, 1);
        var gd = new G(13, 16, 16, 33, 5, 1, 2, 2, 1, 16);
        var gk = new G(9, 64, 16, 128, 9, 1, 4, 4, 1, 1); // GEMM weight gradient: two packs, split over threads
        float[][] RunAll()
        {
            using var scope = TensorScope.Begin();
            var res = new List<float[]>();
            foreach (var geo in new[] { g, gd, gk })
            {
                var x = Randn(20, geo.N, geo.Cin, geo.L); x.RequiresGrad = true;
                var w = Randn(21, geo.Cout, geo.Cin / geo.Groups, geo.K); w.RequiresGrad = true;
                var y = Tensor.Conv1d(x, w, null, 1, geo.PadL, 1, geo.Groups);
                y.Backward(Randn(22, y.Shape));
                res.Add(y.ToArray()); res.Add(x.Grad!.ToArray()); res.Add(w.Grad!.ToArray());
                x.Grad.Dispose(); w.Grad.Dispose();
            }
            return res.ToArray();
        }
        int saved = CpuParallel.Threads;
        float[][] one, many;
        try
        {
            CpuParallel.Threads = 1; one = RunAll();
            CpuParallel.Threads = 4; many = RunAll();
        }
        finally { CpuParallel.Threads = saved; }
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], many[i]);
    }
}
