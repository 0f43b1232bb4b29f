using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Training;

/// <summary>
/// What a training step minimises. Plain training uses <see cref="SupervisedObjective"/>; distillation methods
/// supply their own (teacher terms, adapters), and the same trainer, checkpoints and reports serve both.
/// </summary>
public interface ITrainingObjective
{
    /// <summary>Trainable modules besides the model (adapters, projection heads, a co-trained teacher); their
    /// parameters join the optimiser and their state the checkpoint, under the given name prefix.</summary>
    IReadOnlyList<(string name, Module module)> ExtraModules { get; }

    /// <summary>The loss of one batch; also returns the model's logits (for training accuracy). <paramref name="indices"/>:
    /// the rows' positions in the training set (training batches only).</summary>
    Tensor Loss(HarModel model, Tensor x, int[] labels, int epoch, out Tensor logits, int[]? indices = null);

    /// <summary>Other networks this objective trains (a mutual method's teacher): the trainer scores them on the validation
    /// subjects every epoch and on the test subjects at the end, next to the model, so their quality is on record.</summary>
    IReadOnlyList<(string name, HarModel model)> Companions => [];
}

/// <summary>The label loss (cross-entropy with label smoothing and class weights), plus the weighted mean label loss of auxiliary heads.</summary>
public sealed class SupervisedObjective(TrainOptions options, LabelLoss labelLoss) : ITrainingObjective
{
    public IReadOnlyList<(string name, Module module)> ExtraModules { get; } = [];

    public Tensor Loss(HarModel model, Tensor x, int[] labels, int epoch, out Tensor logits, int[]? indices = null)
    {
        var output = model.Run(x);
        logits = output.Logits;
        var loss = labelLoss.Of(output.Logits, labels);
        if (output.AuxLogits.Count > 0 && options.AuxWeight > 0)
        {
            Tensor? aux = null;
            foreach (var a in output.AuxLogits)
            {
                var l = labelLoss.Of(a, labels);
                aux = aux == null ? l : aux + l;
            }
            loss = loss + aux! * (options.AuxWeight / output.AuxLogits.Count);
        }
        return loss;
    }
}
