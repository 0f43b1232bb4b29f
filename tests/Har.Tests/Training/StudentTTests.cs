using HarFromScratch.Har.Reports;

namespace HarFromScratch.Har.Tests.Training;

public class StudentTTests
{
    [Theory]   // two-sided 95 % quantiles t(0.975, df) from the published tables
    [InlineData(1, 12.706204736)]
    [InlineData(2, 4.302652730)]
    [InlineData(4, 2.776445105)]
    [InlineData(9, 2.262157163)]
    [InlineData(29, 2.045229642)]
    [InlineData(1000, 1.962339081)]
    public void QuantileMatchesTheTables(int df, double expected)
    {
        Assert.Equal(expected, StudentT.Quantile(0.975, df), 7);
        Assert.Equal(-expected, StudentT.Quantile(0.025, df), 7);
    }

    [Fact]
    public void CdfIsExactWhereItHasAClosedForm()
    {
        // df = 1 is the Cauchy distribution: 1/2 + atan(t)/π; df = 2: 1/2 + t / (2 √(2 + t²))
        foreach (var t in new[] { -3.0, -0.5, 0, 0.7, 2, 10 })
        {
            Assert.Equal(0.5 + Math.Atan(t) / Math.PI, StudentT.Cdf(t, 1), 12);
            Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), StudentT.Cdf(t, 2), 12);
        }
        Assert.Equal(0.99, StudentT.Cdf(StudentT.Quantile(0.99, 5), 5), 12);
    }

    [Fact]
    public void HalfWidthIsTheQuantileTimesTheStandardError()
    {
        Assert.Equal(4.302652730 * 0.6 / Math.Sqrt(3), StudentT.HalfWidth(0.6, 3), 8);
        Assert.True(double.IsNaN(StudentT.HalfWidth(0.6, 1)));   // one pair has no spread to go by
        Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(1, 3));
    }
}
