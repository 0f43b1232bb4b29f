using HarFromScratch.Engine.Devices;
using Xunit.Abstractions;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>
/// ilgpu-cpu against the reference cpu backend: every row of <see cref="BackendSweep"/> (IBackend methods) and
/// <see cref="TensorSweep"/> (public tensor ops, forward and backward). Tolerances: see <see cref="Tolerance"/>.
/// The same sweep runs against cuda on GPU machines through tests/DeviceCheck.
/// </summary>
[Collection("ilgpu")]
public sealed class BackendAgreementTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> BackendCases() => BackendSweep.Cases.Select(c => new object[] { c.Name });
    public static IEnumerable<object[]> TensorCases() => TensorSweep.Cases.Select(c => new object[] { c.Name });

    internal static Device Ilgpu => Device.Get("ilgpu-cpu");

    [Theory]
    [MemberData(nameof(BackendCases))]
    public void BackendOp(string name) => Check(name);

    [Theory]
    [MemberData(nameof(TensorCases))]
    public void TensorOp(string name) => Check(name);

    private void Check(string name)
    {
        var c = Sweep.Get(name);
        var r = Sweep.Compare(c, Device.Cpu, Ilgpu);
        output.WriteLine($"{name}: {r.Message}");
        Assert.True(r.Ok, $"{name}: {r.Message}");
    }
}
