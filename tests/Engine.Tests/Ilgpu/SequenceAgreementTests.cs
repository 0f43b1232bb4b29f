using HarFromScratch.Engine.Devices;
using Xunit.Abstractions;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// Sequence and spectral ops on ilgpu-cpu against the cpu backend: every <see cref="SequenceSweep"/> row (LSTM/GRU
/// through their fused step kernels, FFTs through the direct-sum and Bluestein kernels, attention), forward values and
/// the gradients of every input.
/// </summary>
[Collection("ilgpu")]
public sealed class SequenceAgreementTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => SequenceSweep.Cases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Cases))]
    public void SequenceOp(string name)
    {
        var c = SequenceSweep.Cases.Single(k => k.Name == name);
        var r = Sweep.Compare(c, Device.Cpu, Device.Get("ilgpu-cpu"));
        output.WriteLine($"{name}: {r.Message}");
        Assert.True(r.Ok, $"{name}: {r.Message}");
    }
}
