using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Backends;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Optim;

/// <summary>
/// Updates parameters from their gradients with one fused backend kernel per parameter. State (moment buffers,
/// step count) is kept per parameter, created on first use, and exposed by name for checkpoints.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(IEnumerable<Tensor> parameters, float lr)
    {
        Parameters = parameters.ToList();
        if (Parameters.Count == 0) throw new ArgumentException("optimiser given no parameters");
        if (!(lr >= 0f) || float.IsInfinity(lr)) throw new ArgumentOutOfRangeException(nameof(lr), $"learning rate must be a finite number >= 0, got {lr}");
        Lr = lr;
        InitialLr = lr;
    }

    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Current learning rate (schedules change it).</summary>
    public float Lr { get; set; }

    public float InitialLr { get; }

    /// <summary>Number of Step() calls so far.</summary>
    public int StepCount { get; protected set; }

    public void ZeroGrad()
    {
        foreach (var p in Parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    public void Step()
    {
        StepCount++;
        using var _ = GradMode.NoGrad();
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad == null) continue;
            Update(i, p, p.Grad);
        }
    }

    protected abstract void Update(int index, Tensor param, Tensor grad);

    /// <summary>State tensors by key "&lt;index&gt;.&lt;name&gt;" (index = position in the parameter list).</summary>
    public abstract IEnumerable<(string key, Tensor tensor)> StateTensors();

    /// <summary>Restores step count and state tensors saved by <see cref="StateTensors"/>.</summary>
    public void LoadState(int stepCount, IReadOnlyDictionary<string, float[]> state)
    {
        StepCount = stepCount;
        foreach (var (key, data) in state) StateFor(key).CopyFrom(data);
    }

    /// <summary>The state tensor for a key, created (zeroed) if the optimiser has not stepped yet.</summary>
    protected abstract Tensor StateFor(string key);

    protected static Tensor NewState(Tensor like) => TensorScope.Unscoped(() => Tensor.ZerosLike(like));
}

/// <summary>SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's torch.optim.SGD).</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _momentum;
    private readonly bool[] _started;

    public Sgd(IEnumerable<Tensor> parameters, float lr, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, lr)
    {
        if (nesterov && (momentum <= 0f || dampening != 0f)) throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening 0");
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
        _momentum = new Tensor?[Parameters.Count];
        _started = new bool[Parameters.Count];
    }

    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    protected override void Update(int i, Tensor p, Tensor g)
    {
        var buf = _momentum[i] ??= NewState(p);
        p.Backend.SgdStep(p.Storage, g.Storage, buf.Storage, p.Numel, new SgdArgs(Lr, Momentum, Dampening, WeightDecay, Nesterov, !_started[i]));
        _started[i] = true;
    }

    public override IEnumerable<(string key, Tensor tensor)> StateTensors()
    {
        for (int i = 0; i < Parameters.Count; i++)
            if (_momentum[i] is { } m) yield return ($"{i}.momentum_buffer", m);
    }

    protected override Tensor StateFor(string key)
    {
        int i = ParseIndex(key, Parameters.Count);
        _started[i] = true;
        return _momentum[i] ??= NewState(Parameters[i]);
    }

    internal static int ParseIndex(string key, int count)
    {
        var dot = key.IndexOf('.');
        if (dot <= 0 || !int.TryParse(key[..dot], out var i) || i < 0 || i >= count)
            throw new ArgumentException($"optimiser state key '{key}' does not name one of {count} parameters");
        return i;
    }
}

/// <summary>Adam (L2 weight decay in the gradient) or, with decoupled = true, AdamW.</summary>
public class Adam : Optimizer
{
    private readonly Tensor?[] _m, _v;

    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0f, bool decoupled = false)
        : base(parameters, lr)
    {
        if (beta1 is < 0f or >= 1f || beta2 is < 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(beta1), $"betas must be in [0, 1), got ({beta1}, {beta2})");
        Beta1 = beta1; Beta2 = beta2; Eps = eps; WeightDecay = weightDecay; Decoupled = decoupled;
        _m = new Tensor?[Parameters.Count];
        _v = new Tensor?[Parameters.Count];
    }

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }
    public float WeightDecay { get; }
    public bool Decoupled { get; }

    protected override void Update(int i, Tensor p, Tensor g)
    {
        var m = _m[i] ??= NewState(p);
        var v = _v[i] ??= NewState(p);
        p.Backend.AdamStep(p.Storage, g.Storage, m.Storage, v.Storage, p.Numel, new AdamArgs(Lr, Beta1, Beta2, Eps, WeightDecay, Decoupled, StepCount));
    }

    public override IEnumerable<(string key, Tensor tensor)> StateTensors()
    {
        for (int i = 0; i < Parameters.Count; i++)
        {
            if (_m[i] is { } m) yield return ($"{i}.exp_avg", m);
            if (_v[i] is { } v) yield return ($"{i}.exp_avg_sq", v);
        }
    }

    protected override Tensor StateFor(string key)
    {
        int i = Sgd.ParseIndex(key, Parameters.Count);
        return key.EndsWith(".exp_avg") ? _m[i] ??= NewState(Parameters[i])
            : key.EndsWith(".exp_avg_sq") ? _v[i] ??= NewState(Parameters[i])
            : throw new ArgumentException($"unknown Adam state key '{key}'");
    }
}

/// <summary>AdamW: Adam with decoupled weight decay (default 0.01, as PyTorch).</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f)
    : Adam(parameters, lr, beta1, beta2, eps, weightDecay, decoupled: true);

/// <summary>Gradient clipping.</summary>
public static class GradClip
{
    /// <summary>Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public static float ClipGradNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        var grads = parameters.Where(p => p.Grad != null).Select(p => p.Grad!).ToList();
        if (grads.Count == 0) return 0f;
        float total;
        // The squares are summed on the device and read back once: one Item() per gradient made a GPU wait per tensor.
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
        {
            Tensor? sum = null;
            foreach (var g in grads)
            {
                var s = g.Square().Sum();
                sum = sum == null ? s : sum + s;
            }
            total = sum!.Item();
        }
        float norm = MathF.Sqrt(total);
        float coef = maxNorm / (norm + 1e-6f);
        if (coef < 1f)
            foreach (var g in grads) g.Backend.Unary(UnaryOp.Affine, g.Storage, g.Storage, g.Numel, coef, 0f);
        return norm;
    }
}
