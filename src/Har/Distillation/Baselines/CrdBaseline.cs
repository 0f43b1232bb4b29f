using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Random;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>
/// CRD, contrastive representation distillation (Tian et al. 2020; RepDistiller <c>crd/criterion.py</c>, <c>crd/memory.py</c>).
/// The last features (maps pooled to vectors) are embedded by linear heads and L2-normalised: v_s (student), v_t (teacher).
/// Two memory banks of n_data = training-set-size rows (buffers, initialised uniform in ±1/√(d/3) as the cited code) hold
/// past student and teacher embeddings. For the student anchor the candidates are the positive sg(v_t,i) and K negatives
/// drawn uniformly (with replacement, from the setup Rng) from the teacher bank; symmetrically for the teacher anchor with
/// the student bank. Scores P = exp(v·c/τ)/Z, Z fixed on the first batch as mean(exp(·/τ))·n_data (one per side), and the
/// NCE loss with noise P_n = 1/n_data:
/// <c>ℓ(P) = −(1/N)·[Σ_i log(P_i0/(P_i0 + K·P_n + ε)) + Σ_{i,k} log(K·P_n/(P_ik + K·P_n + ε))]</c>, ε = 1e-7;
/// <c>L = CE(s, y) + β·(ℓ(P_s) + ℓ(P_t))</c>. Banks are keyed by the samples' positions in the training set
/// (<see cref="DistillBatch.Indices"/>), as RepDistiller: the student anchor's positive is the teacher bank's row of the
/// same sample (and vice versa), and after each training batch those rows become normalize(m·old + (1 − m)·new).
/// <para>A batch without indices (a hand-built one) falls back to a running pointer: the positive is the other network's
/// current embedding and the rows at the pointer are updated. Deviation kept for cost: the K negatives are shared by all
/// rows of a batch (one (K, d) gather instead of N·K), and may include a row's own sample (as uniform sampling in the
/// original may).</para>
/// Defaults β = 0.8, feat_dim = 128, nce_k = 16384, nce_t = 0.07, nce_m = 0.5.
/// </summary>
public sealed class CrdLoss : BaselineLoss
{
    public const float NceEps = 1e-7f;
    private readonly Rng _rng;

    public CrdLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta"); K = o.I("nce_k"); Temperature = o.F("nce_t"); Momentum = o.F("nce_m");
        Dim = o.I("feat_dim");
        if (K < 1) throw new ArgumentException($"crd: nce_k must be at least 1, got {K}");
        if (Dim < 1) throw new ArgumentException($"crd: feat_dim must be positive, got {Dim}");
        if (Temperature <= 0) throw new ArgumentException($"crd: nce_t must be positive, got {Temperature}");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"crd: nce_m must be in [0, 1), got {Momentum}");
        NData = Math.Max(setup.TrainCount, 1);
        Pair = BaselineFeatures.Pair(setup, -1, -1, "crd");
        EmbedS = RegisterModule("embed_s", new Linear(BaselineFeatures.VectorDim(Pair.Student), Dim, true, setup.Rng, setup.Device));
        EmbedT = RegisterModule("embed_t", new Linear(BaselineFeatures.VectorDim(Pair.Teacher), Dim, true, setup.Rng, setup.Device));
        float stdv = 1f / MathF.Sqrt(Dim / 3f);
        var init = setup.Rng.Fork();
        MemoryS = RegisterBuffer("memory_s", TensorScope.Unscoped(() => Tensor.Rand([NData, Dim], init, setup.Device, -stdv, stdv)));
        MemoryT = RegisterBuffer("memory_t", TensorScope.Unscoped(() => Tensor.Rand([NData, Dim], init, setup.Device, -stdv, stdv)));
        // [pointer, Z of the student-anchor scores, Z of the teacher-anchor scores]; Z < 0 = not yet set
        State = RegisterBuffer("state", TensorScope.Unscoped(() => Tensor.FromArray([0f, -1f, -1f], [3], setup.Device)));
        _rng = RegisterRng("sampler", setup.Rng.Fork());
        Describe("pairing", Pair + " (pooled to vectors)");
        Describe("memory", $"{NData} x {Dim} per network, keyed by training-set position, {K} shared negatives per batch");
    }

    public float Beta { get; }
    public int K { get; }
    public float Temperature { get; }
    public float Momentum { get; }
    public int Dim { get; }
    public int NData { get; }
    public FeaturePair Pair { get; }
    public Linear EmbedS { get; }
    public Linear EmbedT { get; }
    public Tensor MemoryS { get; }
    public Tensor MemoryT { get; }
    public Tensor State { get; }
    public override string Method => "crd";

    /// <summary>Bank rows drawn as negatives by the last call (for tests and diagnostics).</summary>
    public int[]? LastNegatives { get; private set; }

    /// <summary>L2-normalised embeddings of the student and teacher features.</summary>
    public (Tensor vs, Tensor vt) Embed(Tensor fs, Tensor ft) =>
        (BaselineFeatures.L2Normalize(EmbedS.Forward(BaselineFeatures.ToVector(fs)), 1),
         BaselineFeatures.L2Normalize(EmbedT.Forward(BaselineFeatures.ToVector(ft)), 1));

    /// <summary>exp([a·sg(positive), a·negativesᵀ]/τ): (N, K + 1), positive first.</summary>
    public static Tensor ExpScores(Tensor anchor, Tensor positive, Tensor negatives, float tau)
    {
        var pos = (anchor * positive.Detach()).Sum(1, keepDim: true);
        var neg = anchor.MatMul(negatives.T);
        return (Tensor.Concat([pos, neg], 1) / tau).Exp();
    }

    /// <summary>RepDistiller's <c>ContrastLoss</c> over P (N, K + 1), positive first, noise 1/nData.</summary>
    public static Tensor Contrast(Tensor p, int nData)
    {
        int n = p.Shape[0], m = p.Shape[1] - 1;
        float mpn = m / (float)nData;
        var pos = p.Slice(1, 0, 1);
        var logD1 = (pos / (pos + (mpn + NceEps))).Log();
        var neg = p.Slice(1, 1, m);
        var logD0 = ((neg + (mpn + NceEps)).Reciprocal() * mpn).Log();
        return (logD1.Sum() + logD0.Sum()) * (-1f / n);
    }

    public Tensor Term(DistillBatch b)
    {
        var fs = BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student");
        var ft = BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher").Detach();
        var (vs, vt) = Embed(fs, ft);

        var idx = new int[K];
        for (int k = 0; k < K; k++) idx[k] = _rng.NextInt(NData);
        LastNegatives = idx;
        var memS = MemoryS.ToArray();
        var memT = MemoryT.ToArray();
        var negT = Tensor.FromArray(Gather(memT, idx, Dim), [K, Dim], vs.Device);
        var negS = Tensor.FromArray(Gather(memS, idx, Dim), [K, Dim], vs.Device);

        int n = vs.Shape[0];
        var keys = b.Indices;
        if (keys != null)
        {
            if (keys.Length != n) throw new ArgumentException($"crd: {keys.Length} sample indices for a batch of {n}");
            foreach (var i in keys)
                if ((uint)i >= (uint)NData) throw new ArgumentException($"crd: sample index {i} outside the memory bank of {NData} rows (training-set size)");
        }
        // positives: the other network's bank rows of these samples when the batch is keyed, else its live embeddings
        var posT = keys != null ? Tensor.FromArray(Gather(memT, keys, Dim), [n, Dim], vs.Device) : vt;
        var posS = keys != null ? Tensor.FromArray(Gather(memS, keys, Dim), [n, Dim], vs.Device) : vs;
        var outS = ExpScores(vs, posT, negT, Temperature); // student anchor vs the teacher side
        var outT = ExpScores(vt, posS, negS, Temperature); // teacher anchor vs the student side
        var state = State.ToArray();
        if (state[1] < 0) state[1] = outS.Mean().Item() * NData;
        if (state[2] < 0) state[2] = outT.Mean().Item() * NData;
        var loss = Contrast(outS / state[1], NData) + Contrast(outT / state[2], NData);

        if (Training)
        {
            int ptr = (int)state[0];
            var slots = keys ?? Enumerable.Range(0, n).Select(i => (ptr + i) % NData).ToArray();
            UpdateBank(MemoryS, memS, vs.ToArray(), slots);
            UpdateBank(MemoryT, memT, vt.ToArray(), slots);
            if (keys == null) state[0] = (ptr + n) % NData;
        }
        State.CopyFrom(state);
        return loss;
    }

    private static float[] Gather(float[] bank, int[] rows, int dim)
    {
        var r = new float[rows.Length * dim];
        for (int k = 0; k < rows.Length; k++) Array.Copy(bank, (long)rows[k] * dim, r, (long)k * dim, dim);
        return r;
    }

    /// <summary>bank[slots[i]] = normalize(m·bank[slots[i]] + (1 − m)·v_i), written row by row into the buffer (a sample
    /// appearing twice in a batch is updated twice, in order).</summary>
    private void UpdateBank(Tensor bank, float[] host, float[] v, int[] slots)
    {
        var row = new float[Dim];
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            double norm = 0;
            for (int d = 0; d < Dim; d++)
            {
                row[d] = Momentum * host[(long)slot * Dim + d] + (1 - Momentum) * v[i * Dim + d];
                norm += (double)row[d] * row[d];
            }
            float inv = norm > 0 ? (float)(1.0 / Math.Sqrt(norm)) : 0f;
            for (int d = 0; d < Dim; d++) row[d] *= inv;
            bank.Storage.Backend.Upload(row, bank.Storage, (long)slot * Dim);
            Array.Copy(row, 0, host, (long)slot * Dim, Dim);
        }
    }

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}
