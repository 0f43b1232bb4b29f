using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using static HarFromScratch.Engine.Tests.TestUtil;

namespace HarFromScratch.Engine.Tests.Nn;

public class ModuleTests
{
    [Fact]
    public void NamedParametersFollowTheModuleTree()
    {
        var m = new Sequential(new Linear(4, 8, device: Cpu), Activation.ReLU(), new Linear(8, 2, bias: false, device: Cpu));
        var names = m.NamedParameters().Select(p => p.name).ToArray();
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight" }, names);
        Assert.Equal(4 * 8 + 8 + 16, m.ParameterCount);
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.Contains("Linear(4 -> 8)", m.ToString());
    }

    [Fact]
    public void TrainEvalPropagates()
    {
        var inner = new Linear(2, 2, device: Cpu);
        var m = new Sequential(inner);
        m.Eval();
        Assert.False(inner.Training);
        m.Train();
        Assert.True(inner.Training);
    }

    [Fact]
    public void SeededInitIsDeterministicAndPyTorchScaled()
    {
        var a = new Linear(64, 32, rng: new Rng(7), device: Cpu);
        var b = new Linear(64, 32, rng: new Rng(7), device: Cpu);
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        float bound = 1f / MathF.Sqrt(64);
        Assert.All(a.Weight.ToArray(), w => Assert.InRange(w, -bound, bound));
        var t = Tensor.Zeros([256, 128], Cpu);
        Init.KaimingNormal(t, rng: new Rng(1));
        var std = MathF.Sqrt(t.Var().Item());
        Assert.InRange(std, 0.95f * MathF.Sqrt(2f / 128), 1.05f * MathF.Sqrt(2f / 128));
        Init.XavierUniform(t, rng: new Rng(2));
        Assert.All(t.ToArray(), w => Assert.InRange(w, -MathF.Sqrt(6f / 384), MathF.Sqrt(6f / 384)));
    }

    [Fact]
    public void StateDictLoadIsAllOrNothing()
    {
        var m = new Linear(3, 2, device: Cpu);
        var before = m.Weight.ToArray();
        var values = new Dictionary<string, float[]> { ["weight"] = new float[6], ["bias"] = new float[2] };
        var shapes = new Dictionary<string, int[]> { ["weight"] = [2, 3], ["bias"] = [2] };
        m.LoadStateDict(values, shapes);
        Assert.All(m.Weight.ToArray(), w => Assert.Equal(0f, w));

        m.Weight.CopyFrom(before);
        var bad = new Dictionary<string, float[]> { ["weight"] = new float[6], ["extra"] = new float[1] };
        var badShapes = new Dictionary<string, int[]> { ["weight"] = [2, 3], ["extra"] = [1] };
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(bad, badShapes));
        Assert.Contains("'extra'", e.Message);
        Assert.Equal(before, m.Weight.ToArray()); // nothing half-loaded
        Assert.Contains("state lacks", Assert.Throws<ArgumentException>(() =>
            m.LoadStateDict(new Dictionary<string, float[]> { ["weight"] = new float[6] }, new Dictionary<string, int[]> { ["weight"] = [2, 3] })).Message);
    }
}

public class RngTests
{
    [Fact]
    public void StateRoundTripContinuesTheSameStream()
    {
        var a = new Rng(9);
        a.NextNormal(); // leaves a spare normal in the state
        var saved = a.GetState();
        var expect = Enumerable.Range(0, 5).Select(_ => a.NextNormal()).ToArray();
        var b = new Rng(1);
        b.SetState(saved);
        Assert.Equal(expect, Enumerable.Range(0, 5).Select(_ => b.NextNormal()).ToArray());
        Assert.NotEqual(new Rng(1).NextUInt64(), new Rng(2).NextUInt64());
    }
}
