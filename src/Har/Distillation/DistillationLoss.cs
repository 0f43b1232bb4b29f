using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Distillation;

/// <summary>One batch as a distillation loss sees it: both networks' outputs (logits, named features, aux logits), the labels,
/// and for training batches the rows' positions in the training set (<see cref="Indices"/>; null otherwise), which
/// per-sample memories (CRD's banks) key on. <see cref="LabelLoss"/> is the run's supervised term (label smoothing, class
/// weights); methods take every cross-entropy to the labels through <see cref="Ce"/>.</summary>
public sealed record DistillBatch(ModelOutput Student, ModelOutput Teacher, int[] Labels, int Epoch, int NumClasses, int[]? Indices = null, LabelLoss? LabelLoss = null)
{
    /// <summary>The run's label loss of these logits (plain cross-entropy when no <see cref="LabelLoss"/> was given).</summary>
    public Tensor Ce(Tensor logits) => (LabelLoss ?? Training.LabelLoss.Plain).Of(logits, Labels);

    /// <summary>Per-row weights (mean 1) of the soft-target terms, or null (plain batch mean): the class weights with
    /// <c>--soft-class-weights</c> (<see cref="Training.LabelLoss.SoftRowWeights"/>).</summary>
    public float[]? SoftWeights => LabelLoss?.SoftRowWeights(Labels);
}

/// <summary>What a method needs to build its trainable parts (adapters, heads, memory banks) before training.</summary>
public sealed record DistillSetup(
    IReadOnlyList<FeatureShape> StudentFeatures, int StudentAuxHeads,
    IReadOnlyList<FeatureShape> TeacherFeatures, int TeacherAuxHeads,
    int NumClasses, int TrainCount, Rng Rng, Device Device);

/// <summary>
/// A knowledge-distillation method: a module (so its adapters, projection heads and buffers are trained,
/// checkpointed and restored with the run) that turns a <see cref="DistillBatch"/> into the loss to minimise.
/// The loss includes the student's supervised term; for <see cref="Mutual"/> methods it also includes the
/// teacher's own loss (the two networks have disjoint parameters and each term stops gradients into the other
/// network where the method says so).
/// </summary>
public abstract class DistillationLoss : Module
{
    /// <summary>Method name as on the command line (kd, fitnet, smldist, hmkd, ...).</summary>
    public abstract string Method { get; }

    /// <summary>Whether the teacher is trained together with the student (DML, HMKD).</summary>
    public virtual bool Mutual => false;

    /// <summary>The coefficients in effect, for config.json and reports.</summary>
    public abstract IReadOnlyDictionary<string, string> Settings { get; }

    public abstract Tensor Loss(DistillBatch batch);

    public sealed override Tensor Forward(Tensor input) =>
        throw new NotSupportedException($"{Method}: a distillation loss is called through Loss(DistillBatch)");

    /// <summary>The named feature of an output, with an error listing the available names.</summary>
    protected static Tensor Feature(ModelOutput o, string name, string side)
    {
        foreach (var f in o.Features) if (f.Name == name) return f.Value;
        throw new ArgumentException($"{side} has no feature '{name}'; it has: {string.Join(", ", o.Features.Select(f => f.Name))}");
    }
}

/// <summary>
/// The training objective of a distillation run: runs the teacher (frozen, eval mode, no gradients — or, for
/// mutual methods, in train mode with gradients) and the student, and asks the method for the loss. The
/// method's module and, for mutual methods, the teacher join the optimiser and the checkpoints.
/// </summary>
public sealed class DistillationObjective : ITrainingObjective
{
    private readonly HarModel _teacher;
    private readonly DistillationLoss _loss;
    private readonly LabelLoss _labelLoss;

    public DistillationObjective(HarModel teacher, DistillationLoss loss, LabelLoss? labelLoss = null)
    {
        _teacher = teacher;
        _loss = loss;
        _labelLoss = labelLoss ?? LabelLoss.Plain;
        var extra = new List<(string, Module)> { ("distill", loss) };
        if (loss.Mutual) extra.Add(("teacher", teacher));
        else foreach (var p in teacher.Parameters()) p.RequiresGrad = false;
        ExtraModules = extra;
    }

    public IReadOnlyList<(string name, Module module)> ExtraModules { get; }

    public IReadOnlyList<(string name, HarModel model)> Companions => _loss.Mutual ? [("teacher", _teacher)] : [];

    public HarModel Teacher => _teacher;
    public DistillationLoss Method => _loss;

    public Tensor Loss(HarModel model, Tensor x, int[] labels, int epoch, out Tensor logits, int[]? indices = null)
    {
        ModelOutput teacherOut;
        if (_loss.Mutual) teacherOut = _teacher.Run(x);
        else
        {
            _teacher.Eval();
            using (GradMode.NoGrad()) teacherOut = _teacher.Run(x);
        }
        var studentOut = model.Run(x);
        logits = studentOut.Logits;
        return _loss.Loss(new DistillBatch(studentOut, teacherOut, labels, epoch, model.Spec.Classes, indices, _labelLoss));
    }
}
