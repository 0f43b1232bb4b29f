using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Optim;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Tests.Models;

namespace HarFromScratch.Har.Tests.Distillation.Baselines;

/// <summary>
/// One distillation step end to end: DistillationObjective (frozen teacher in eval mode, or trained for DML) + AdamW on a
/// tiny pair at (3 channels, 32 steps, 4 classes). The student's weights change; the teacher's change only for DML; every
/// parameter of the method's own module (regressors, embeddings, variances) receives a gradient.
/// </summary>
public class BaselineTrainingStepTests
{
    private const int C = 3, L = 32, Classes = 4, Batch = 6;

    public static IEnumerable<object[]> Cases() =>
        from m in new[] { "kd", "fitnet", "at", "sp", "cc", "vid", "rkd", "pkt", "nst", "crd", "dkd", "dml" }
        from s in new[] { "mlp", "mobilenet-tiny" }
        select new object[] { m, s };

    private static HarModel Student(string name, ModelSpec spec, Rng rng) =>
        name == "mlp" ? new Mlp(spec with { Name = "mlp" }, rng, hidden: 16) : ModelCatalog.Create(spec with { Name = name }, rng);

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneStepChangesTheStudent(string method, string studentName)
    {
        var spec = new ModelSpec("fcn", C, L, Classes);
        var teacher = new Fcn(spec, new Rng(2), width: 0.125);
        var student = Student(studentName, spec, new Rng(3));
        var (sf, sa) = student.FeatureShapes();
        var (tf, ta) = teacher.FeatureShapes();
        var setup = new DistillSetup(sf, sa, tf, ta, Classes, 24, new Rng(4), Device.Default);
        var loss = DistillationMethods.Create(method, setup);
        var objective = new DistillationObjective(teacher, loss);
        Assert.Equal(method == "dml", loss.Mutual);

        // the teacher's parameters are handed to the optimiser too: a frozen teacher must get no gradient at all
        var trainable = student.Parameters().Concat(loss.Parameters()).Concat(teacher.Parameters()).Distinct().ToList();
        var opt = new AdamW(trainable, 1e-2f, weightDecay: 0f);
        var studentBefore = student.Parameters().Select(p => p.ToArray()).ToList();
        var teacherBefore = teacher.Parameters().Select(p => p.ToArray()).ToList();
        var (x, y) = ModelTestUtil.Separable(Batch, C, L, Classes, 9);
        x.Persist();

        using (var scope = TensorScope.Begin())
        {
            opt.ZeroGrad();
            var l = objective.Loss(student, x, y, 1, out var logits);
            Assert.Equal([Batch, Classes], logits.Shape);
            float v = l.Item();
            Assert.True(float.IsFinite(v), $"{method}: loss {v}");
            l.Backward();
            foreach (var (name, p) in loss.NamedParameters())
            {
                Assert.True(p.Grad != null, $"{method}: method parameter {name} got no gradient");
                Assert.All(p.Grad!.ToArray(), g => Assert.True(float.IsFinite(g), $"{method}: {name} has a non-finite gradient"));
            }
            if (!loss.Mutual) Assert.All(teacher.Parameters(), p => Assert.Null(p.Grad));
            opt.Step();
        }

        bool studentChanged = student.Parameters().Select((p, i) => !p.ToArray().SequenceEqual(studentBefore[i])).Any(c => c);
        bool teacherChanged = teacher.Parameters().Select((p, i) => !p.ToArray().SequenceEqual(teacherBefore[i])).Any(c => c);
        Assert.True(studentChanged, $"{method}: the student's weights did not change");
        Assert.Equal(loss.Mutual, teacherChanged);
        Assert.NotEmpty(loss.Settings);
    }

    [Fact]
    public void FeatureTermsMoveTheStudentBeyondCrossEntropy()
    {
        // with the CE removed (kd alpha = 1) the gradient comes from the teacher alone and is still non-zero
        var spec = new ModelSpec("fcn", C, L, Classes);
        var teacher = new Fcn(spec, new Rng(2), width: 0.125);
        var student = new Mlp(spec with { Name = "mlp" }, new Rng(3), hidden: 16);
        var (sf, sa) = student.FeatureShapes();
        var (tf, ta) = teacher.FeatureShapes();
        var setup = new DistillSetup(sf, sa, tf, ta, Classes, 24, new Rng(4), Device.Default);
        var loss = DistillationMethods.Create("kd", setup, new Dictionary<string, string> { ["alpha"] = "1" });
        var objective = new DistillationObjective(teacher, loss);
        var (x, y) = ModelTestUtil.Separable(Batch, C, L, Classes, 9);
        using var scope = TensorScope.Begin();
        objective.Loss(student, x, y, 1, out _).Backward();
        Assert.Contains(student.Parameters(), p => p.Grad != null && p.Grad.ToArray().Any(g => g != 0));
    }
}
