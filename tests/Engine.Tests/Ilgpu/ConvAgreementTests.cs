using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using Xunit.Abstractions;

namespace HarFromScratch.Engine.Tests.Ilgpu;

/// <summary>ilgpu-cpu against the cpu backend for the convolution family: every <see cref="ConvSweep"/> row, and layers end to end.</summary>
[Collection("ilgpu")]
public sealed class ConvAgreementTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases() => ConvSweep.Cases.Select(c => new object[] { c.Name });

    private static Device Ilgpu => Device.Get("ilgpu-cpu");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvOp(string name)
    {
        var c = ConvSweep.Cases.Single(k => k.Name == name);
        var r = Sweep.Compare(c, Device.Cpu, Ilgpu);
        output.WriteLine($"{name}: {r.Message}");
        Assert.True(r.Ok, $"{name}: {r.Message}");
    }

    [Fact]
    public void InvertedResidualModuleTrainStepAgrees()
    {
        float[][] Run(Device device)
        {
            using var scope = TensorScope.Begin();
            var block = new InvertedResidual1d(4, 8, 4, kernelSize: 5, rng: new Rng(3), device: device);
            var x = Tensor.FromArray(new Inputs("ir-module").Uniform(2 * 4 * 10), [2, 4, 10], device);
            var y = block.Forward(x);
            y.Square().Mean().Backward();
            var r = new List<float[]> { y.ToArray() };
            r.AddRange(block.Parameters().Select(p => p.Grad!.ToArray()));
            r.AddRange(block.NamedBuffers().Select(b => b.tensor.ToArray()));
            block.Eval();
            r.Add(block.Forward(x).ToArray());
            return r.ToArray();
        }
        var res = Sweep.Compare(Run(Device.Cpu), Run(Ilgpu), Tolerance.Composite.Scaled(20));
        Assert.True(res.Ok, res.Message);
    }
}
