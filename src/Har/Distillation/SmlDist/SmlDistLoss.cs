using System.Globalization;
using HarFromScratch.Engine.Autograd;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Models;
using HarFromScratch.Har.Training;

namespace HarFromScratch.Har.Distillation.SmlDist;

/// <summary>
/// SMLDist (Stage-Memory-Logits distillation), offline (frozen teacher), as fixed by the project definitions:
/// <list type="bullet">
/// <item>Stage: Σ_s λ_stage·[MSE(A_s(F_s), G_s) + λ_freq·MSE(log1p|rfft_t(A_s(F_s))|, log1p|rfft_t(G_s)|)] over paired (N, C, T) stages.</item>
/// <item>Memory: a teacher memory head fitted with CE on the frozen teacher's pooled last feature; from epoch
/// <c>memory_warmup</c>+1 (and not before the logits phase) the student memory head is copied from it and
/// λ_mem·[KL(A_T ‖ A_S) + CE(H_S(g_S), y)] is added.</item>
/// <item>Logits: the smoothed conditional rule of the authors' code (default) or Hinton KD.</item>
/// </list>
/// Schedules: progressive (stage s alone in epochs s·E+1 … (s+1)·E, E = stage_epochs; then the logits phase)
/// or joint (every term from epoch 1).
/// </summary>
public sealed class SmlDistLoss : DistillationLoss
{
    private readonly List<(int student, int teacher, StageAdapter adapter)> _pairs = new();
    private readonly Tensor _memoryStarted;

    public SmlDistLoss(DistillSetup setup, MethodOptions o)
    {
        LambdaStage = o.F("lambda_stage"); LambdaFreq = o.F("lambda_freq"); LambdaMemory = o.F("lambda_mem");
        LambdaLogits = o.F("lambda_logits"); Hardness = o.F("hardness"); Temperature = o.F("temperature");
        HintonRule = o.I("logits_rule") == 1; Progressive = o.I("schedule") == 0; StageEpochs = Math.Max(0, o.I("stage_epochs"));
        MemoryWarmup = Math.Max(0, o.I("memory_warmup"));
        SearchHeads = o.I("search") == 1; SearchEpochs = Math.Max(1, o.I("search_epochs")); AlphaLr = o.F("alpha_lr");
        if (Temperature <= 0) throw new ArgumentException("--set temperature: must be > 0");
        _settings = o.AsStrings();

        // stage pairing: the (C, T) features of each network in order; with P = min(#student, #teacher) pairs,
        // pair p takes student stage ⌈(p+1)·nS/P⌉−1 and teacher stage ⌈(p+1)·nT/P⌉−1 (the last stages always pair)
        var s3 = setup.StudentFeatures.Select((f, i) => (f, i)).Where(x => x.f.Shape.Length == 2).ToList();
        var t3 = setup.TeacherFeatures.Select((f, i) => (f, i)).Where(x => x.f.Shape.Length == 2).ToList();
        int p = Math.Min(s3.Count, t3.Count);
        for (int k = 0; k < p; k++)
        {
            var (sf, si) = s3[(k + 1) * s3.Count / p - 1];
            var (tf, ti) = t3[(k + 1) * t3.Count / p - 1];
            var a = RegisterModule($"adapter{k}", new StageAdapter(sf.Shape[0], sf.Shape[1], tf.Shape[0], tf.Shape[1], setup.Rng, setup.Device));
            _pairs.Add((si, ti, a));
            StagePairs.Add($"{sf.Name}->{tf.Name}");
        }

        if (LambdaMemory > 0)
        {
            int slots = o.I("memory_slots"), dim = o.I("memory_dim");
            float beta = o.F("memory_beta");
            int tw = SmlDistMath.PooledWidth(setup.TeacherFeatures[^1].Shape), sw = SmlDistMath.PooledWidth(setup.StudentFeatures[^1].Shape);
            TeacherMemory = RegisterModule("teacher_memory", new MemoryHead(tw, slots, dim, setup.NumClasses, beta, setup.Rng, setup.Device));
            StudentMemory = RegisterModule("student_memory", new MemoryHead(sw, slots, dim, setup.NumClasses, beta, setup.Rng, setup.Device));
        }
        _memoryStarted = RegisterBuffer("memory_started", TensorScope.Unscoped(() => Tensor.Zeros([1], setup.Device)));
    }

    private readonly IReadOnlyDictionary<string, string> _settings;

    public override string Method => "smldist";
    public override IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var d = new Dictionary<string, string>(_settings) { ["stage_pairs"] = string.Join(",", StagePairs), ["logits_start_epoch"] = LogitsStartEpoch.ToString(CultureInfo.InvariantCulture) };
            return d;
        }
    }

    public float LambdaStage { get; }
    public float LambdaFreq { get; }
    public float LambdaMemory { get; }
    public float LambdaLogits { get; }
    public float Hardness { get; }
    public float Temperature { get; }
    public bool HintonRule { get; }
    public bool Progressive { get; }
    public int StageEpochs { get; }
    public int MemoryWarmup { get; }
    public bool SearchHeads { get; }
    public int SearchEpochs { get; }
    public float AlphaLr { get; }
    public List<string> StagePairs { get; } = new();
    public MemoryHead? TeacherMemory { get; }
    public MemoryHead? StudentMemory { get; }
    public bool MemoryStarted => _memoryStarted.ToArray()[0] > 0;

    /// <summary>First epoch of the logits phase (1 for the joint schedule).</summary>
    public int LogitsStartEpoch => Progressive ? _pairs.Count * StageEpochs + 1 : 1;

    /// <summary>The stage trained alone in <paramref name="epoch"/> (progressive schedule), or -1.</summary>
    public int ActiveStage(int epoch) => Progressive && epoch < LogitsStartEpoch ? (epoch - 1) / Math.Max(StageEpochs, 1) : -1;

    /// <summary>Epoch from which memory distillation (KL over slots) is applied.</summary>
    public int MemoryStartEpoch => Math.Max(MemoryWarmup + 1, LogitsStartEpoch);

    /// <summary>The classifier-head search, when the student is a <c>BASE+search</c> model (set by `har distill`).</summary>
    public HeadSearch? Search { get; set; }

    public override Tensor Loss(DistillBatch b)
    {
        Search?.BeforeTrainingStep(b.Epoch);
        Tensor? loss = null;
        void Add(Tensor t) => loss = loss is null ? t : loss + t;
        int stage = ActiveStage(b.Epoch);
        bool logitsPhase = b.Epoch >= LogitsStartEpoch;

        // stage distillation
        if (LambdaStage > 0)
            for (int k = 0; k < _pairs.Count; k++)
            {
                if (!logitsPhase && k != stage) continue;
                if (logitsPhase && Progressive) break;
                var (si, ti, a) = _pairs[k];
                Add(StageTerm(a.Forward(b.Student.Features[si].Value), b.Teacher.Features[ti].Value.Detach(), LambdaFreq) * LambdaStage);
            }

        // memory distillation: the teacher head is fitted on the frozen teacher's features throughout
        if (TeacherMemory != null && StudentMemory != null)
        {
            var gT = b.Teacher.Features[^1].Value.Detach();
            var (tLogits, tLogA) = TeacherMemory.Run(gT);
            Add(b.Ce(tLogits));
            if (b.Epoch >= MemoryStartEpoch)
            {
                if (!MemoryStarted)
                {
                    using (GradMode.NoGrad()) StudentMemory.CopyMemoryFrom(TeacherMemory);
                    _memoryStarted.CopyFrom([1f]);
                }
                var (sLogits, sLogA) = StudentMemory.Run(b.Student.Features[^1].Value);
                Add((MemoryKl(sLogA, tLogA.Detach()) + b.Ce(sLogits)) * LambdaMemory);
            }
        }

        // logits distillation
        if (logitsPhase)
        {
            var zt = b.Teacher.Logits.Detach();
            Add(HintonRule ? Hinton(b.Student.Logits, zt, b.Labels, Temperature, LambdaLogits, b.LabelLoss)
                           : SmoothedConditional(b.Student.Logits, zt, b.Labels, Temperature, LambdaLogits, Hardness, b.LabelLoss?.RowWeights(b.Labels)));
        }
        return loss ?? b.Student.Logits.Sum() * 0f;
    }

    /// <summary>MSE(F, G) + λ_freq·MSE(log1p|rfft_t(F)|, log1p|rfft_t(G)|), FFT along the last (time) axis.</summary>
    public static Tensor StageTerm(Tensor adapted, Tensor teacher, float lambdaFreq)
    {
        var l = Losses.Mse(adapted, teacher);
        if (lambdaFreq > 0) l = l + Losses.Mse(adapted.Rfft().LogMagnitude(), teacher.Rfft().LogMagnitude()) * lambdaFreq;
        return l;
    }

    /// <summary>KL(A_T ‖ A_S) over memory slots, batch mean, from log-associations.</summary>
    public static Tensor MemoryKl(Tensor studentLogA, Tensor teacherLogA) =>
        (teacherLogA.Exp() * (teacherLogA - studentLogA)).Sum() * (1f / studentLogA.Shape[0]);

    /// <summary>
    /// The authors' smoothed conditional rule (methods.md §2A steps 1-7): p_s = softmax(softmax(z_s/‖z_s‖₂));
    /// q = softmax(z_t/‖z_t‖₂), replaced by h·onehot(y) where argmax z_t ≠ y, then softmax(q);
    /// y_h = 1/T at the label and 1 − 1/T elsewhere; L = mean[−Σ y_h·log p_s] + λ·mean[−Σ q·log p_s].
    /// With <paramref name="rowWeights"/> (the run's class weights per row, mean 1) both means are weighted; the rule has its
    /// own soft label y_h, so <c>--label-smoothing</c> does not apply to it.
    /// </summary>
    public static Tensor SmoothedConditional(Tensor zs, Tensor zt, int[] labels, float temperature, float lambda, float hardness, float[]? rowWeights = null)
    {
        int n = zs.Shape[0], k = zs.Shape[1];
        var ps = L2Normalize(zs).Softmax(-1);
        var logP = ps.LogSoftmax(-1);                      // log softmax(p_s)
        // teacher target, no gradient
        var t = zt.ToArray();
        var target = new float[n * k];
        var hard = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            var row = new double[k];
            double norm = 0; int arg = 0;
            for (int j = 0; j < k; j++) { norm += (double)t[i * k + j] * t[i * k + j]; if (t[i * k + j] > t[i * k + arg]) arg = j; }
            norm = Math.Max(Math.Sqrt(norm), 1e-12);
            if (arg == labels[i])
            {
                double mx = double.NegativeInfinity;
                for (int j = 0; j < k; j++) { row[j] = t[i * k + j] / norm; mx = Math.Max(mx, row[j]); }
                double s = 0;
                for (int j = 0; j < k; j++) { row[j] = Math.Exp(row[j] - mx); s += row[j]; }
                for (int j = 0; j < k; j++) row[j] /= s;
            }
            else for (int j = 0; j < k; j++) row[j] = j == labels[i] ? hardness : 0;
            // second softmax
            double m2 = row.Max(), s2 = 0;
            for (int j = 0; j < k; j++) { row[j] = Math.Exp(row[j] - m2); s2 += row[j]; }
            for (int j = 0; j < k; j++)
            {
                float r = rowWeights?[i] ?? 1f;
                target[i * k + j] = (float)(row[j] / s2) * r;
                hard[i * k + j] = (j == labels[i] ? 1f / temperature : 1f - 1f / temperature) * r;
            }
        }
        var q = Tensor.FromArray(target, [n, k], zs.Device);
        var yh = Tensor.FromArray(hard, [n, k], zs.Device);
        return (yh * logP).Sum() * (-1f / n) + (q * logP).Sum() * (-lambda / n);
    }

    /// <summary>Hinton KD: CE(z_s, y) + λ·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T)), the KL row-weighted with <c>--soft-class-weights</c>.</summary>
    public static Tensor Hinton(Tensor zs, Tensor zt, int[] labels, float temperature, float lambda, LabelLoss? labelLoss = null) =>
        (labelLoss ?? LabelLoss.Plain).Of(zs, labels) + Losses.KlDivergenceWithLogits(zs, zt, temperature, labelLoss?.SoftRowWeights(labels)) * lambda;

    /// <summary>z / ‖z‖₂ over the class axis (ε = 1e-12 inside the root).</summary>
    public static Tensor L2Normalize(Tensor z) => z / (z.Square().Sum(-1, keepDim: true) + 1e-12f).Sqrt();
}
