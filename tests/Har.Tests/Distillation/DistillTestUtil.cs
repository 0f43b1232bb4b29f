using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Tests.Distillation;

internal static class DistillTestUtil
{
    public static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    /// <summary>Tiny teacher and student for (3 channels, 64 samples, 4 classes) and the method's loss module.</summary>
    public static (HarModel teacher, HarModel student, DistillationLoss loss) Build(string teacher, string student, string method, Dictionary<string, string>? sets = null)
    {
        var t = ModelCatalog.Create(teacher, 3, 64, 4, new Rng(1), Device.Cpu);
        var s = HarFromScratch.Har.Distillation.SmlDist.HeadSearchModel.CreateAny(new ModelSpec(student, 3, 64, 4), new Rng(2), Device.Cpu);
        var (sf, sa) = s.FeatureShapes();
        var (tf, ta) = t.FeatureShapes();
        var loss = DistillationMethods.Create(method, new DistillSetup(sf, sa, tf, ta, 4, 100, new Rng(3), Device.Cpu), sets);
        return (t, s, loss);
    }

    public static (Tensor x, int[] y) Batch(int n = 6, ulong seed = 4)
    {
        var rng = new Rng(seed);
        var x = Tensor.Randn([n, 3, 64], rng);
        var y = Enumerable.Range(0, n).Select(i => i % 4).ToArray();
        return (x, y);
    }

    /// <summary>One optimiser step of the distillation objective; returns the loss value.</summary>
    public static float Step(HarModel teacher, HarModel student, DistillationLoss loss, int epoch)
    {
        var objective = new DistillationObjective(teacher, loss);
        var modules = new List<Module> { student };
        modules.AddRange(objective.ExtraModules.Select(m => m.module));
        var opt = new AdamW(modules.SelectMany(m => m.Parameters()).Where(p => p.RequiresGrad).ToList(), 1e-2f);
        using var scope = TensorScope.Begin();
        var (x, y) = Batch();
        opt.ZeroGrad();
        var l = objective.Loss(student, x, y, epoch, out _);
        float v = l.Item();
        l.Backward();
        opt.Step();
        return v;
    }

    public static Dictionary<string, float[]> Snapshot(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    public static List<string> Changed(Dictionary<string, float[]> before, Module m) =>
        m.StateDict().Where(kv => !kv.Value.ToArray().SequenceEqual(before[kv.Key])).Select(kv => kv.Key).ToList();
}
