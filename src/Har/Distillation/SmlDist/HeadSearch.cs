using System.Globalization;
using System.Text.Json;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Devices;
using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Data;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Distillation.SmlDist;

/// <summary>Attention pooling head: w = softmax_t(u·f_t + b), pooled = Σ_t w_t f_t → Linear → K logits.</summary>
public sealed class AttentionPoolHead : Module
{
    public AttentionPoolHead(int channels, int classes, Rng rng, Device device)
    {
        Score = RegisterModule("score", new Linear(channels, 1, true, rng, device));
        Out = RegisterModule("out", new Linear(channels, classes, true, rng, device));
    }

    public Linear Score { get; }
    public Linear Out { get; }

    public override Tensor Forward(Tensor f)
    {
        var seq = f.Rank == 3 ? f.Transpose(1, 2) : f.Unsqueeze(1);     // (N, T, C)
        var w = Score.Forward(seq).Softmax(1);                           // (N, T, 1)
        var pooled = (seq * w).Sum(1);                                   // (N, C)
        return Out.Forward(pooled);
    }
}

/// <summary>
/// A student with searchable classifier heads, a <see cref="HarModel"/> named <c>BASE+search</c> (all candidates)
/// or <c>BASE+HEAD</c> (one head). Candidates on the base model's last feature: <c>linear</c> (the base model's own
/// classifier, no extra parameters), <c>mlp</c> (Linear D→128, ReLU, Linear 128→K on the pooled feature),
/// <c>memory</c> (a <see cref="MemoryHead"/>, 32 slots, d = 64, β = 0.125) and <c>attention</c> (attention pooling
/// over time). Output logits = Σ_i softmax(α)_i · head_i, or head_chosen alone once pruned. α, the chosen index and
/// α's Adam moments are buffers: they are checkpointed with the model but never trained by the run's optimiser
/// (α is learned on validation batches by <see cref="HeadSearch"/>), so `har eval` rebuilds the same model.
/// </summary>
public sealed class HeadSearchModel : HarModel
{
    public static readonly string[] Candidates = ["linear", "mlp", "memory", "attention"];

    private readonly List<Module?> _heads = new();

    public HeadSearchModel(ModelSpec spec, Rng rng, Device device) : base(spec)
    {
        var (baseName, heads) = Parse(spec.Name);
        Base = RegisterModule("base", ModelCatalog.Create(spec with { Name = baseName }, rng, device));
        HeadNames = heads;
        var last = Base.FeatureShapes().features[^1].Shape;
        int d = SmlDistMath.PooledWidth(last);
        foreach (var h in heads)
        {
            Module? m = h switch
            {
                "linear" => null,
                "mlp" => new PooledMlp(d, 128, spec.Classes, rng, device),
                "memory" => new MemoryHead(d, 32, 64, spec.Classes, 0.125f, rng, device),
                "attention" => new AttentionPoolHead(last[0], spec.Classes, rng, device),
                _ => throw new ArgumentException(h),
            };
            if (m != null) RegisterModule("head_" + h, m);
            _heads.Add(m);
        }
        Alpha = RegisterBuffer("alpha", TensorScope.Unscoped(() => Tensor.Zeros([heads.Length], device)));
        AlphaM = RegisterBuffer("alpha_m", TensorScope.Unscoped(() => Tensor.Zeros([heads.Length], device)));
        AlphaV = RegisterBuffer("alpha_v", TensorScope.Unscoped(() => Tensor.Zeros([heads.Length], device)));
        SearchState = RegisterBuffer("search_state", TensorScope.Unscoped(() => Tensor.FromArray([heads.Length == 1 ? 0f : -1f, 0f], [2], device)));
    }

    public HarModel Base { get; }
    public string[] HeadNames { get; }
    public Tensor Alpha { get; }
    internal Tensor AlphaM { get; }
    internal Tensor AlphaV { get; }
    /// <summary>[chosen head index (-1 = mixture), α steps taken].</summary>
    internal Tensor SearchState { get; }

    public int Chosen => (int)SearchState.ToArray()[0];
    public string? ChosenHead => Chosen >= 0 ? HeadNames[Chosen] : null;

    /// <summary>After pruning: the base model and the chosen head; during the search: everything.</summary>
    public override long DeployedParameterCount =>
        Chosen < 0 ? ParameterCount : Base.ParameterCount + (_heads[Chosen]?.ParameterCount ?? 0);

    public void Choose(int index)
    {
        var s = SearchState.ToArray();
        s[0] = index;
        SearchState.CopyFrom(s);
    }

    public float[] Weights() { using var ng = GradMode.NoGrad(); return Alpha.Softmax(-1).ToArray(); }

    public static bool IsHeadModel(string name) => name.Contains('+');

    /// <summary>"BASE+search" → (BASE, all candidates); "BASE+mlp" → (BASE, [mlp]).</summary>
    public static (string baseName, string[] heads) Parse(string name)
    {
        int plus = name.IndexOf('+');
        if (plus < 0) throw new ArgumentException($"model '{name}' has no +HEAD suffix");
        var suffix = name[(plus + 1)..];
        string[] heads = suffix == "search" ? Candidates : suffix.Split(',');
        foreach (var h in heads)
            if (!Candidates.Contains(h)) throw new ArgumentException($"model '{name}': unknown head '{h}'; heads: search, {string.Join(", ", Candidates)}");
        return (name[..plus], heads);
    }

    /// <summary>Builds catalogue models and BASE+HEAD wrappers (what `har eval` and `har distill` use).</summary>
    public static HarModel CreateAny(ModelSpec spec, Rng rng, Device device) =>
        IsHeadModel(spec.Name) ? TensorScope.Unscoped(() => new HeadSearchModel(spec, rng, device)) : ModelCatalog.Create(spec, rng, device);

    public override ModelOutput Run(Tensor x)
    {
        var o = Base.Run(x);
        var f = o.Features[^1].Value;
        Tensor Head(int i) => _heads[i] switch { null => o.Logits, MemoryHead m => m.Run(f).logits, var m => m.Forward(f) };
        int chosen = Chosen;
        Tensor logits;
        if (chosen >= 0) logits = Head(chosen);
        else
        {
            var w = Alpha.Softmax(-1);
            logits = Head(0) * w.Slice(0, 0, 1);
            for (int i = 1; i < _heads.Count; i++) logits = logits + Head(i) * w.Slice(0, i, 1);
        }
        return new ModelOutput(logits, o.Features, o.AuxLogits);
    }

    private sealed class PooledMlp : Module
    {
        public PooledMlp(int d, int hidden, int classes, Rng rng, Device device)
        {
            A = RegisterModule("fc1", new Linear(d, hidden, true, rng, device));
            B = RegisterModule("fc2", new Linear(hidden, classes, true, rng, device));
        }
        private Linear A { get; }
        private Linear B { get; }
        public override Tensor Forward(Tensor f) => B.Forward(A.Forward(SmlDistMath.Pool(f)).Relu());
    }
}

/// <summary>
/// First-order DARTS over the heads of a <see cref="HeadSearchModel"/>: before each training step of the search
/// epochs, one Adam step on α (β₁ 0.9, β₂ 0.999) with the cross-entropy of the student (eval mode) on the next
/// validation batch; weights are trained on training batches by the run's optimiser as usual. At the first step
/// after the search epochs the head with the largest α is kept (pruned) and fine-tuned for the remaining epochs.
/// α per epoch and the choice are appended to <see cref="LogPath"/> (JSON lines).
/// </summary>
public sealed class HeadSearch(HeadSearchModel model, WindowSet validation, int firstEpoch, int epochs, float lr, int batchSize, ulong seed)
{
    private readonly int[] _order = Permutation(validation.Count, seed);
    private int _loggedEpoch = -1;

    public HeadSearchModel Model => model;
    public int FirstEpoch => firstEpoch;
    public int LastEpoch => firstEpoch + epochs - 1;
    public string? LogPath { get; set; }
    public List<string> Log { get; } = new();

    public void BeforeTrainingStep(int epoch)
    {
        if (model.Chosen >= 0 || epoch < firstEpoch) return;
        if (epoch > LastEpoch)
        {
            var w = model.Weights();
            int best = Array.IndexOf(w, w.Max());
            model.Choose(best);
            Write(new { type = "chosen", epoch, head = model.HeadNames[best], weights = w });
            return;
        }
        if (epoch != _loggedEpoch) { _loggedEpoch = epoch; Write(new { type = "alpha", epoch, heads = model.HeadNames, weights = model.Weights() }); }
        if (validation.Count == 0) return;
        AlphaStep();
    }

    private void AlphaStep()
    {
        var st = model.SearchState.ToArray();
        int step = (int)st[1];
        int n = Math.Min(batchSize, validation.Count), c = validation.X.Length / validation.Count;
        var xs = new float[n * c];
        var ys = new int[n];
        for (int j = 0; j < n; j++)
        {
            int idx = _order[(int)(((long)step * n + j) % validation.Count)];
            Array.Copy(validation.X, (long)idx * c, xs, (long)j * c, c);
            ys[j] = validation.Labels[idx];
        }
        bool wasTraining = model.Training;
        using (TensorScope.Begin())
        {
            model.Eval();
            model.Alpha.RequiresGrad = true;
            try
            {
                var x = Tensor.FromArray(xs, [n, model.Spec.Channels, model.Spec.Length], model.Device);
                var loss = Losses.CrossEntropy(model.Run(x).Logits, ys);
                loss.Backward();
                var g = model.Alpha.Grad!.ToArray();
                var a = model.Alpha.ToArray(); var m = model.AlphaM.ToArray(); var v = model.AlphaV.ToArray();
                int t = step + 1;
                for (int i = 0; i < a.Length; i++)
                {
                    m[i] = 0.9f * m[i] + 0.1f * g[i];
                    v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
                    double mh = m[i] / (1 - Math.Pow(0.9, t)), vh = v[i] / (1 - Math.Pow(0.999, t));
                    a[i] -= (float)(lr * mh / (Math.Sqrt(vh) + 1e-8));
                }
                model.Alpha.CopyFrom(a); model.AlphaM.CopyFrom(m); model.AlphaV.CopyFrom(v);
                st[1] = t;
                model.SearchState.CopyFrom(st);
            }
            finally
            {
                model.Alpha.Grad = null;
                model.Alpha.RequiresGrad = false;
                model.ZeroGrad();     // the validation step must not leak into the weights' gradients
                model.Train(wasTraining);
            }
        }
    }

    /// <summary>The epoch the head was chosen at, read from the log (so a resumed run knows it too); null if the run never got there.</summary>
    public int? ChosenAtEpoch()
    {
        var lines = LogPath != null && File.Exists(LogPath) ? File.ReadLines(LogPath) : Log;
        foreach (var line in lines)
        {
            using var d = JsonDocument.Parse(line);
            if (d.RootElement.GetProperty("type").GetString() == "chosen") return d.RootElement.GetProperty("epoch").GetInt32();
        }
        return null;
    }

    private void Write(object record)
    {
        var line = JsonSerializer.Serialize(record);
        Log.Add(line);
        if (LogPath != null) File.AppendAllText(LogPath, line + "\n");
    }

    private static int[] Permutation(int n, ulong seed)
    {
        var p = Enumerable.Range(0, n).ToArray();
        var rng = new Rng(seed ^ 0x5EA2C4UL);
        for (int i = n - 1; i > 0; i--) { int j = (int)(rng.NextUInt64() % (ulong)(i + 1)); (p[i], p[j]) = (p[j], p[i]); }
        return p;
    }

    internal static string Format(float[] w) => string.Join(", ", w.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)));
}
