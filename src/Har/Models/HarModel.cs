using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Models;

/// <summary>What a model is built for: its catalogue name and the input/output shape of the dataset.</summary>
public sealed record ModelSpec(string Name, int Channels, int Length, int Classes);

/// <summary>An intermediate feature a distillation method can tap, named by stage ("stage1", "lstm", "block2", ...).</summary>
public sealed record NamedFeature(string Name, Tensor Value);

/// <summary>
/// One forward pass: the logits, the named intermediate features in network order (stage outputs, shapes
/// (N, C, T) for convolutional stages or (N, D) for vectors), and auxiliary logits of models that have
/// per-block heads (ResNetLSTMaN), empty otherwise.
/// </summary>
public sealed record ModelOutput(Tensor Logits, IReadOnlyList<NamedFeature> Features, IReadOnlyList<Tensor> AuxLogits);

/// <summary>
/// A HAR classifier over windows (N, channels, time) → logits (N, classes). Teachers and students share this
/// contract so that training, evaluation and every distillation method work with any of them.
/// </summary>
public abstract class HarModel : Module
{
    protected HarModel(ModelSpec spec) => Spec = spec;

    public ModelSpec Spec { get; }

    /// <summary>Logits, named features and auxiliary logits.</summary>
    public abstract ModelOutput Run(Tensor x);

    public sealed override Tensor Forward(Tensor input) => Run(input).Logits;

    /// <summary>Parameters of the model as deployed: all of them, except for a head-search student whose head has been
    /// chosen (the pruned candidates stay in its checkpoint but no longer compute anything).</summary>
    public virtual long DeployedParameterCount => ParameterCount;

    /// <summary>Multiply-accumulates for one window, counted by running one window through the model.</summary>
    public long MacsPerWindow()
    {
        bool wasTraining = Training;
        Eval();
        try
        {
            using var scope = TensorScope.Begin();
            using var ng = GradMode.NoGrad();
            using var counter = MacCounter.Begin();
            Run(Tensor.Zeros([1, Spec.Channels, Spec.Length], Device));
            return counter.Total;
        }
        finally { Train(wasTraining); }
    }

    /// <summary>Checks an input batch against the spec, naming the expected shape.</summary>
    protected void CheckInput(Tensor x)
    {
        if (x.Rank != 3 || x.Shape[1] != Spec.Channels || x.Shape[2] != Spec.Length)
            throw new ArgumentException($"{Spec.Name}: input {ShapeUtil.Format(x.Shape)} does not match (batch, {Spec.Channels}, {Spec.Length})");
    }
}
