using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Distillation.Baselines;

namespace HarFromScratch.Har.Tests.Distillation.Baselines;

public class BaselineCatalogueTests
{
    private static readonly string[] Names = ["kd", "fitnet", "at", "sp", "cc", "vid", "rkd", "pkt", "nst", "crd", "dkd", "dml"];

    [Fact]
    public void EveryBaselineIsListedOnce()
    {
        Assert.Equal(Names, BaselineMethods.Entries.Select(e => e.Name));
        foreach (var n in Names) Assert.Same(BaselineMethods.Entries.Single(e => e.Name == n), DistillationMethods.Find(n.ToUpperInvariant()));
        Assert.Equal(["dml"], BaselineMethods.Entries.Where(e => e.Mutual).Select(e => e.Name));
        Assert.All(BaselineMethods.Entries, e =>
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Description));
            Assert.Equal(e.Parameters.Count, e.Parameters.Select(p => p.Name).Distinct().Count());
            Assert.All(e.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        });
    }

    [Theory]
    [InlineData("kd", "alpha", 0.9)] [InlineData("kd", "tau", 4)]
    [InlineData("fitnet", "beta", 100)] [InlineData("at", "beta", 1000)] [InlineData("at", "p", 2)]
    [InlineData("sp", "beta", 3000)] [InlineData("cc", "beta", 0.02)] [InlineData("cc", "feat_dim", 128)]
    [InlineData("vid", "beta", 1)] [InlineData("vid", "init_var", 5)]
    [InlineData("rkd", "w_dist", 25)] [InlineData("rkd", "w_angle", 50)] [InlineData("pkt", "beta", 30000)]
    [InlineData("nst", "beta", 50)] [InlineData("crd", "beta", 0.8)] [InlineData("crd", "nce_k", 16384)]
    [InlineData("crd", "nce_t", 0.07)] [InlineData("crd", "nce_m", 0.5)] [InlineData("crd", "feat_dim", 128)]
    [InlineData("dkd", "alpha", 1)] [InlineData("dkd", "beta", 8)] [InlineData("dkd", "tau", 4)] [InlineData("dkd", "warmup", 20)]
    [InlineData("dml", "kl_weight", 1)] [InlineData("dml", "tau", 1)]
    public void DefaultsFollowTheCitedCode(string method, string coefficient, double value) =>
        Assert.Equal(value, DistillationMethods.Find(method).Parameters.Single(p => p.Name == coefficient).Default);

    [Fact]
    public void EveryBaselineBuildsAndReportsItsSettings()
    {
        var f = new BaselineFixture();
        foreach (var n in Names)
        {
            var loss = BaselineFixture.Make(n, f.Setup());
            Assert.Equal(n, loss.Method);
            foreach (var p in DistillationMethods.Find(n).Parameters) Assert.True(loss.Settings.ContainsKey(p.Name), $"{n}: setting {p.Name} missing");
        }
        var fit = BaselineFixture.Make("fitnet", f.Setup(), ("beta", "7"));
        Assert.Equal("7", fit.Settings["beta"]);
        Assert.Contains("s2", fit.Settings["pairing"]);
    }

    [Fact]
    public void UnknownCoefficientIsAClearError()
    {
        var f = new BaselineFixture();
        var e = Assert.Throws<ArgumentException>(() => BaselineFixture.Make("rkd", f.Setup(), ("gamma", "1")));
        Assert.Contains("method 'rkd' has no coefficient 'gamma'", e.Message);
        Assert.Contains("w_dist", e.Message);
        Assert.Throws<ArgumentException>(() => BaselineFixture.Make("kd", f.Setup(), ("tau", "warm")));
    }

    [Fact]
    public void BadFeatureChoicesAreClearErrors()
    {
        var f = new BaselineFixture();
        var e = Assert.Throws<ArgumentException>(() => BaselineFixture.Make("fitnet", f.Setup(), ("s_feat", "5")));
        Assert.Contains("student feature index 5 is out of range", e.Message);
        Assert.Throws<ArgumentException>(() => BaselineFixture.Make("at", f.Setup(), ("pairs", "0")));
        Assert.Throws<ArgumentException>(() => BaselineFixture.Make("crd", f.Setup(), ("nce_m", "1")));
        // a batch whose features do not match the setup names the feature
        using var scope = TensorScope.Begin();
        var sp = BaselineFixture.Make("sp", f.Setup());
        var b = f.Batch();
        var renamed = b with { Student = b.Student with { Features = [b.Student.Features[0], new("other", b.Student.Features[1].Value)] } };
        var e2 = Assert.Throws<ArgumentException>(() => sp.Loss(renamed));
        Assert.Contains("'s2'", e2.Message);
    }
}
