using HarFromScratch.Har.Data;

namespace HarFromScratch.Har.Tests.Data;

public sealed class SensorUnitsTests
{
    [Fact]
    public void FactorsBetweenUnits()
    {
        Assert.Equal(9.80665, SensorUnits.Factor(SensorUnits.G, SensorUnits.MetresPerSecond2), 12);
        Assert.Equal(1 / 9.80665, SensorUnits.Factor(SensorUnits.MetresPerSecond2, SensorUnits.G), 12);
        Assert.Equal(Math.PI / 180, SensorUnits.Factor(SensorUnits.DegreesPerSecond, SensorUnits.RadiansPerSecond), 12);
        Assert.Equal(180 / Math.PI, SensorUnits.Factor(SensorUnits.RadiansPerSecond, SensorUnits.DegreesPerSecond), 12);
        Assert.Equal(1.0, SensorUnits.Factor(SensorUnits.G, SensorUnits.G));
        var e = Assert.Throws<ArgumentException>(() => SensorUnits.Factor(SensorUnits.G, SensorUnits.RadiansPerSecond));
        Assert.Contains("one is an acceleration, the other an angular rate", e.Message);
    }

    [Theory]
    [InlineData("G", "g")]
    [InlineData("m/s^2", "m/s2")]
    [InlineData("m/s²", "m/s2")]
    [InlineData(" M/S2 ", "m/s2")]
    [InlineData("rad/s", "rad/s")]
    [InlineData("dps", "deg/s")]
    [InlineData("°/s", "deg/s")]
    public void SpellingsPeopleWrite(string text, string unit)
    {
        var allowed = SensorUnits.Acceleration.Contains(unit) ? SensorUnits.Acceleration : SensorUnits.AngularRate;
        Assert.Equal(unit, SensorUnits.Parse(text, allowed, "--x"));
    }

    [Fact]
    public void EveryRecordingDatasetHasOneUnitPerChannelOfItsLoader()
    {
        var channels = new Dictionary<string, string[]>
        {
            ["uci-har"] = UciHarLoader.Signals, ["hapt"] = HaptLoader.Channels, ["usc-had"] = UscHadLoader.Channels, ["wisdm"] = WisdmLoader.Channels,
        };
        foreach (var info in DatasetCatalog.All.Where(d => d.SampleRateHz != null))
        {
            var units = info.ChannelUnits!;
            Assert.Equal(channels[info.Name].Length, units.Length);
            for (int c = 0; c < units.Length; c++)
                Assert.Contains(units[c], channels[info.Name][c].Contains("gyro") ? SensorUnits.AngularRate : SensorUnits.Acceleration);
        }
        Assert.Equal(SensorUnits.DegreesPerSecond, DatasetCatalog.UscHad.ChannelUnits![3]);
        Assert.Equal(SensorUnits.RadiansPerSecond, DatasetCatalog.Hapt.ChannelUnits![3]);
        Assert.Equal(SensorUnits.MetresPerSecond2, DatasetCatalog.Wisdm.ChannelUnits![0]);
    }
}
