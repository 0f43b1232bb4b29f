using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Optim;

/// <summary>
/// Exponential moving average of a module's parameters and running statistics (Polyak averaging, as timm's ModelEma):
/// after each optimiser step <c>shadow ← d_t·shadow + (1 − d_t)·value</c> with the warm-up
/// <c>d_t = min(d, (1 + t) / (10 + t))</c>, so the first shadows are not pinned to the initialisation. Buffers that
/// are run state (<see cref="BufferKind.State"/>: batch counters, a searched head's chosen index and mixing weights)
/// are copied at each update instead: an averaged index would pick another head.
/// The averaged weights usually generalise better and vary less from epoch to epoch than the last ones, which matters
/// when the best epoch is picked on a small validation set. <see cref="Swap"/> exchanges live and averaged values (to
/// evaluate or save the averaged model, then back). The shadows are buffers of this module, named after the tracked
/// tensor with '.' written as "__", so a checkpoint of it restores the average and its step count.
/// </summary>
public sealed class ModelEma : Module
{
    private readonly List<(Tensor live, Tensor shadow, bool average)> _pairs = new();
    private readonly Tensor _updates;

    public ModelEma(Module module, float decay)
    {
        if (!(decay > 0f && decay < 1f)) throw new ArgumentOutOfRangeException(nameof(decay), $"EMA decay must be in (0, 1), got {decay}");
        Decay = decay;
        var state = module.NamedBuffersWithKind().Where(b => b.kind == BufferKind.State).Select(b => b.tensor).ToHashSet();
        foreach (var (name, t) in module.StateDict())
            _pairs.Add((t, RegisterBuffer(name.Replace(".", "__"), TensorScope.Unscoped(() => t.Detach().Clone())), !state.Contains(t)));
        _updates = RegisterBuffer("updates", TensorScope.Unscoped(() => Tensor.Zeros([1], module.Device)));
    }

    public float Decay { get; }

    /// <summary>Updates done so far (restored with the checkpoint).</summary>
    public int Updates => (int)_updates.Item();

    /// <summary>The decay of the next update: min(d, (1 + t) / (10 + t)).</summary>
    public float CurrentDecay(int t) => Math.Min(Decay, (1f + t) / (10f + t));

    /// <summary>Moves every averaged shadow toward the live value and copies the state ones; call after each optimiser step.</summary>
    public void Update()
    {
        int t = Updates;
        float d = CurrentDecay(t);
        using var _ = GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        foreach (var (live, shadow, average) in _pairs) shadow.CopyFrom(average ? shadow * d + live * (1f - d) : live);
        _updates.CopyFrom([t + 1f]);
    }

    /// <summary>Exchanges live and averaged values; calling it twice restores the module. State buffers stay live: the
    /// run's current state (say, a head chosen since the last update) holds for the averaged weights too.</summary>
    public void Swap()
    {
        using var scope = TensorScope.Begin();
        foreach (var (live, shadow, average) in _pairs)
        {
            if (!average) continue;
            var keep = live.Detach().Clone();
            live.CopyFrom(shadow);
            shadow.CopyFrom(keep);
        }
    }

    public override Tensor Forward(Tensor input) => throw new NotSupportedException("ModelEma holds averaged weights; swap them into the model to run it");
}
