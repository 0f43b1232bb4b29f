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
}

/// <summary>Cross-entropy with label smoothing, plus the weighted mean cross-entropy of auxiliary heads.</summary>
public sealed class SupervisedObjective(TrainOptions options) : ITrainingObjective
{
    public IReadOnlyList<(string name, Module module)> ExtraModules { get; } = [];

    public Tensor Loss(HarModel model, Tensor x, int[] labels, int epoch, out Tensor logits, int[]? indices = null)
    {
        var output = model.Run(x);
        logits = output.Logits;
        var loss = Losses.CrossEntropy(output.Logits, labels, options.LabelSmoothing);
        if (output.AuxLogits.Count > 0 && options.AuxWeight > 0)
        {
            Tensor? aux = null;
            foreach (var a in output.AuxLogits)
            {
                var l = Losses.CrossEntropy(a, labels, options.LabelSmoothing);
                aux = aux == null ? l : aux + l;
            }
            loss = loss + aux! * (options.AuxWeight / output.AuxLogits.Count);
        }
        return loss;
    }
}
