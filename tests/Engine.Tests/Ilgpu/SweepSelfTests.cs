namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>The comparison itself must catch differences, or the sweep proves nothing.</summary>
public sealed class SweepSelfTests
{
    [Fact]
    public void CompareDetectsDifferencesAndAcceptsMatchingNaN()
    {
        var tol = new Tolerance(1e-5, 1e-6);
        Assert.True(Sweep.Compare([[1f, float.NaN, float.PositiveInfinity]], [[1f, float.NaN, float.PositiveInfinity]], tol).Ok);
        Assert.False(Sweep.Compare([[1f]], [[1.001f]], tol).Ok);
        Assert.False(Sweep.Compare([[1f]], [[float.NaN]], tol).Ok);
        Assert.False(Sweep.Compare([[float.NaN]], [[0f]], tol).Ok);
        Assert.False(Sweep.Compare([[1f, 2f]], [[1f]], tol).Ok);
        Assert.False(Sweep.Compare([[1f], [2f]], [[1f]], tol).Ok);
    }

    [Fact]
    public void CaseNamesAreUniqueAndTheSweepCoversEveryOp()
    {
        var names = Sweep.All.Concat(Sweep.Large).Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var op in Enum.GetValues<HarFromScratch.Engine.Backends.UnaryOp>()) Assert.Contains(names, n => n.StartsWith($"unary/{op}/"));
        foreach (var op in Enum.GetValues<HarFromScratch.Engine.Backends.BinaryOp>()) Assert.Contains(names, n => n.StartsWith($"binary/{op}/"));
        foreach (var op in Enum.GetValues<HarFromScratch.Engine.Backends.ReduceOp>()) Assert.Contains(names, n => n.StartsWith($"reduce/{op}/"));
        foreach (var prefix in new[] { "fill/", "copy/", "strided-copy/", "gemm/", "softmax/", "optim/adam", "optim/sgd", "tensor/", "conv/", "seq/lstm/", "seq/gru/", "seq/rfft/", "seq/irfft/", "seq/fft/", "seq/ifft/", "seq/sdpa/", "seq/mha/" })
            Assert.Contains(names, n => n.StartsWith(prefix));
    }
}
