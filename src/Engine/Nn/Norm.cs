using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>
/// Batch normalisation over (N, C, L) or (N, C), as torch.nn.BatchNorm1d: batch statistics in training (updating
/// running_mean/running_var with <see cref="Momentum"/>, or a cumulative average when it is null), running statistics in eval.
/// </summary>
public sealed class BatchNorm1d : Module
{
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true, Device? device = null)
    {
        if (numFeatures <= 0) throw new ArgumentException($"BatchNorm1d({numFeatures}): size must be positive");
        NumFeatures = numFeatures; Eps = eps; Momentum = momentum;
        device ??= Device.Default;
        if (affine)
        {
            Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Ones([numFeatures], device)));
            Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros([numFeatures], device)));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", TensorScope.Unscoped(() => Tensor.Zeros([numFeatures], device)), BufferKind.RunningStatistic);
            RunningVar = RegisterBuffer("running_var", TensorScope.Unscoped(() => Tensor.Ones([numFeatures], device)), BufferKind.RunningStatistic);
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", TensorScope.Unscoped(() => Tensor.Zeros([], device)));
        }
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public float? Momentum { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    public Tensor? NumBatchesTracked { get; }

    public override Tensor Forward(Tensor input)
    {
        bool useBatch = Training || RunningMean == null;
        float momentum = 0f;
        if (Training && NumBatchesTracked != null)
        {
            if (Momentum is float m)
            {
                // Counted on the device: reading it back (Item) would make a GPU wait at every BatchNorm layer.
                using (GradMode.NoGrad()) NumBatchesTracked.CopyFrom(NumBatchesTracked + 1f);
                momentum = m;
            }
            else
            {
                float tracked = NumBatchesTracked.Item() + 1f; // the cumulative average needs the count on the host
                NumBatchesTracked.CopyFrom([tracked]);
                momentum = 1f / tracked;
            }
        }
        return Tensor.BatchNorm1d(input, RunningMean, RunningVar, Weight, Bias, useBatch, momentum, Eps);
    }

    protected override string ExtraRepr() => $"{NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString() ?? "None")}";
}

/// <summary>Layer normalisation over the trailing <see cref="NormalizedShape"/>, as torch.nn.LayerNorm.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true, Device? device = null)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0)) throw new ArgumentException($"LayerNorm{ShapeUtil.Format(normalizedShape)}: sizes must be positive");
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        device ??= Device.Default;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", TensorScope.Unscoped(() => Tensor.Ones(NormalizedShape, device)));
            Bias = RegisterParameter("bias", TensorScope.Unscoped(() => Tensor.Zeros(NormalizedShape, device)));
        }
    }

    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true, Device? device = null)
        : this([normalizedSize], eps, elementwiseAffine, device) { }

    public int[] NormalizedShape { get; }
    public float Eps { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }

    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);
    protected override string ExtraRepr() => $"{ShapeUtil.Format(NormalizedShape)}, eps={Eps}";
}
