using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Engine.Nn;

/// <summary>
/// A layer or model: named parameters (trainable leaves), named buffers (state such as running statistics),
/// named sub-modules, and a train/eval mode. Names are dotted paths ("blocks.0.conv.weight"), the keys used
/// by checkpoints. Parameters and buffers live outside any TensorScope.
/// </summary>
public abstract class Module
{
    private readonly List<(string name, Tensor tensor)> _parameters = new();
    private readonly List<(string name, Tensor tensor, BufferKind kind)> _buffers = new();
    private readonly List<(string name, Module module)> _modules = new();
    private readonly List<(string name, Random.Rng rng)> _rngs = new();

    public bool Training { get; private set; } = true;

    public abstract Tensor Forward(Tensor input);

    public Tensor Call(Tensor input) => Forward(input);

    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckName(name);
        value.Persist();
        value.RequiresGrad = true;
        value.Name = name;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>
    /// Registers a tensor that is checkpointed but not trained by the optimiser. <paramref name="kind"/> tells weight
    /// averaging (<see cref="Optim.ModelEma"/>) what it is: a <see cref="BufferKind.RunningStatistic"/> of the data, such
    /// as batch norm's running mean, is averaged with the weights; any other buffer (a counter, a chosen index, an
    /// optimiser moment) is <see cref="BufferKind.State"/> and is copied as it is, since an average of it means nothing.
    /// </summary>
    protected Tensor RegisterBuffer(string name, Tensor value, BufferKind kind = BufferKind.State)
    {
        CheckName(name);
        value.Persist();
        value.Name = name;
        _buffers.Add((name, value, kind));
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules.Add((name, module));
        return module;
    }

    /// <summary>Registers a generator a stochastic layer draws from (dropout), so checkpoints can save and restore its state.</summary>
    protected Random.Rng RegisterRng(string name, Random.Rng rng)
    {
        _rngs.Add((name, rng));
        return rng;
    }

    /// <summary>Generators of stochastic layers by dotted path ("blocks.0.drop.rng").</summary>
    public IEnumerable<(string name, Random.Rng rng)> NamedRngs(string prefix = "")
    {
        foreach (var (n, r) in _rngs) yield return (prefix + n, r);
        foreach (var (n, m) in _modules)
            foreach (var x in m.NamedRngs(prefix + n + ".")) yield return x;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid member name '{name}' (non-empty, no dots)");
        if (_parameters.Any(p => p.name == name) || _buffers.Any(b => b.name == name) || _modules.Any(m => m.name == name))
            throw new ArgumentException($"{GetType().Name}: member '{name}' registered twice");
    }

    public IEnumerable<(string name, Module module)> NamedChildren() => _modules;

    public IEnumerable<(string name, Tensor tensor)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, m) in _modules)
            foreach (var x in m.NamedParameters(prefix + n + ".")) yield return x;
    }

    public IEnumerable<(string name, Tensor tensor)> NamedBuffers(string prefix = "") =>
        NamedBuffersWithKind(prefix).Select(b => (b.name, b.tensor));

    public IEnumerable<(string name, Tensor tensor, BufferKind kind)> NamedBuffersWithKind(string prefix = "")
    {
        foreach (var (n, b, k) in _buffers) yield return (prefix + n, b, k);
        foreach (var (n, m) in _modules)
            foreach (var x in m.NamedBuffersWithKind(prefix + n + ".")) yield return x;
    }

    public IEnumerable<(string name, Module module)> NamedModules(string prefix = "")
    {
        yield return (prefix.TrimEnd('.'), this);
        foreach (var (n, m) in _modules)
            foreach (var x in m.NamedModules(prefix + n + ".")) yield return x;
    }

    public List<Tensor> Parameters() => NamedParameters().Select(p => p.tensor).ToList();

    public long ParameterCount => NamedParameters().Sum(p => p.tensor.Numel);

    /// <summary>Parameters and buffers by name (the checkpoint content).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters()) d[n] = p;
        foreach (var (n, b) in NamedBuffers()) d[n] = b;
        return d;
    }

    /// <summary>Copies values in by name; every entry must exist with the same shape, and (strict) every tensor of the model must be given.</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, float[]> values, IReadOnlyDictionary<string, int[]> shapes, bool strict = true)
    {
        var own = StateDict();
        foreach (var key in values.Keys)
        {
            if (!own.TryGetValue(key, out var t)) throw new ArgumentException($"state has tensor '{key}' that the model {GetType().Name} lacks");
            if (!ShapeUtil.SameShape(t.Shape, shapes[key]))
                throw new ArgumentException($"tensor '{key}': state shape {ShapeUtil.Format(shapes[key])} vs model shape {ShapeUtil.Format(t.Shape)}");
        }
        if (strict)
        {
            var missing = own.Keys.Where(k => !values.ContainsKey(k)).ToList();
            if (missing.Count > 0) throw new ArgumentException($"state lacks {missing.Count} tensor(s) of the model: {string.Join(", ", missing.Take(5))}");
        }
        // validated as a whole first, so a bad state never leaves the model half loaded
        foreach (var (key, data) in values) own[key].CopyFrom(data);
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    public Module Train(bool on = true)
    {
        foreach (var (_, m) in NamedModules()) m.Training = on;
        return this;
    }

    public Module Eval() => Train(false);

    public Module To(Device device)
    {
        foreach (var (_, p) in NamedParameters()) p.MoveTo(device);
        foreach (var (_, b) in NamedBuffers()) b.MoveTo(device);
        return this;
    }

    public Device Device => NamedParameters().Select(p => p.tensor.Device).FirstOrDefault() ?? Device.Default;

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        Describe(sb, "", 0);
        return sb.ToString();
    }

    protected virtual string ExtraRepr() => "";

    private void Describe(System.Text.StringBuilder sb, string name, int depth)
    {
        sb.Append(new string(' ', depth * 2)).Append(name.Length > 0 ? name + ": " : "").Append(GetType().Name);
        var extra = ExtraRepr();
        if (extra.Length > 0) sb.Append('(').Append(extra).Append(')');
        sb.AppendLine();
        foreach (var (n, m) in _modules) m.Describe(sb, n, depth + 1);
    }
}

/// <summary>What a buffer holds, for weight averaging: see <see cref="Module"/>'s RegisterBuffer.</summary>
public enum BufferKind
{
    /// <summary>Run state (counters, indices, optimiser moments, constants): copied, never averaged.</summary>
    State,
    /// <summary>A running statistic of the data (batch norm's mean and variance): averaged like a weight.</summary>
    RunningStatistic,
}
