using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Tests.Training;

public class MetricsTests
{
    [Fact]
    public void MatchesHandComputedValues()
    {
        // true:  0 0 0 1 1 2
        // pred:  0 0 1 1 2 2
        var r = new ClassificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ["a", "b", "c"]);
        Assert.Equal(4.0 / 6, r.Accuracy, 10);
        Assert.Equal(2, r.Confusion[0, 0]);
        Assert.Equal(1, r.Confusion[1, 2]);
        // a: p 1, r 2/3, f1 0.8; b: p 1/2, r 1/2, f1 1/2; c: p 1/2, r 1, f1 2/3
        Assert.Equal(0.8, r.PerClass[0].F1, 10);
        Assert.Equal(0.5, r.PerClass[1].F1, 10);
        Assert.Equal(2.0 / 3, r.PerClass[2].F1, 10);
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, r.MacroF1, 10);
        Assert.Equal(3, r.PerClass[0].Support);
        Assert.Contains("| a | 2 | 1 | 0 |", r.ConfusionMarkdown());
    }

    [Fact]
    public void RejectsLabelsOutsideTheClassSet()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ClassificationReport([0, 5], [0, 0], ["a", "b"]));
        Assert.Contains("window 1", e.Message);
    }
}
