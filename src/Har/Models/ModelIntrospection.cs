using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>A feature's name and its shape for one window (without the batch axis): (C, T) or (D).</summary>
public sealed record FeatureShape(string Name, int[] Shape);

public static class ModelIntrospection
{
    /// <summary>
    /// The named features of <paramref name="model"/> and their per-window shapes, found by running one zero window
    /// in eval mode without gradients (the mode is restored). For distillation heads and adapters that must be built
    /// before training. Also gives the number of auxiliary logit heads.
    /// </summary>
    public static (IReadOnlyList<FeatureShape> features, int auxHeads) FeatureShapes(this HarModel model)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var scope = TensorScope.Begin();
            using var ng = GradMode.NoGrad();
            var o = model.Run(Tensor.Zeros([1, model.Spec.Channels, model.Spec.Length], model.Device));
            return (o.Features.Select(f => new FeatureShape(f.Name, f.Value.Shape[1..])).ToList(), o.AuxLogits.Count);
        }
        finally { model.Train(wasTraining); }
    }
}
