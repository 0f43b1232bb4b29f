using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;
using HarFromScratch.Har.Distillation.SmlDist;
using HarFromScratch.Har.Models;

namespace HarFromScratch.Har.Distillation.Hmkd;

/// <summary>
/// HMKD (heterogeneous mutual KD), mutual: teacher and student train together. Every intermediate feature f_i
/// of both networks (pooled over time when it has a time axis) gets a projection P_i: Linear(dim_i → d) and an
/// auxiliary classifier C_i: Linear(d → K). Ensemble E = Σ_i w_i·P_i(sg f_i), w = softmax(a) (or the
/// self-weighted form Σ z_i⊙z_i / sg(Σ z_i)), with an ensemble classifier C_E(E) trained by CE.
/// Student: CE(S) + α·τ²·KL(sg T/τ ‖ S/τ) + γ·Σ_i MSE(P_i(f_S,i), sg E) + γ·τ²·KL(sg E_logits/τ ‖ S/τ).
/// Teacher: CE(T) + Σ CE(aux_T) + β·τ²·KL(sg S/τ ‖ T/τ) + γ·τ²·KL(sg E_logits/τ ‖ T/τ), where aux_T are the
/// teacher's own auxiliary heads and C_i(P_i(f_T,i)) of its features.
/// The returned loss is student + teacher + CE(C_E(E)); the stop-gradients keep each network on its own terms.
/// </summary>
public sealed class HmkdLoss : DistillationLoss
{
    private readonly List<Linear> _studentProj = new(), _teacherProj = new(), _teacherAux = new();
    private readonly Tensor _ensembleWeights;

    public HmkdLoss(DistillSetup setup, MethodOptions o)
    {
        Alpha = o.F("alpha"); Beta = o.F("beta"); Gamma = o.F("gamma"); Tau = o.F("tau");
        Width = o.I("width"); SelfWeighted = o.I("self_weighted") == 1;
        if (Tau <= 0) throw new ArgumentException("--set tau: must be > 0");
        if (Width < 1) throw new ArgumentException("--set width: must be >= 1");
        _settings = o.AsStrings();
        var rng = setup.Rng; var dev = setup.Device;
        for (int i = 0; i < setup.StudentFeatures.Count; i++)
            _studentProj.Add(RegisterModule($"s_proj{i}", new Linear(SmlDistMath.PooledWidth(setup.StudentFeatures[i].Shape), Width, true, rng, dev)));
        for (int i = 0; i < setup.TeacherFeatures.Count; i++)
        {
            _teacherProj.Add(RegisterModule($"t_proj{i}", new Linear(SmlDistMath.PooledWidth(setup.TeacherFeatures[i].Shape), Width, true, rng, dev)));
            _teacherAux.Add(RegisterModule($"t_aux{i}", new Linear(Width, setup.NumClasses, true, rng, dev)));
        }
        int m = _studentProj.Count + _teacherProj.Count;
        _ensembleWeights = RegisterParameter("ensemble_logits", TensorScope.Unscoped(() => Tensor.Zeros([m], dev)));
        EnsembleClassifier = RegisterModule("ensemble_classifier", new Linear(Width, setup.NumClasses, true, rng, dev));
    }

    private readonly IReadOnlyDictionary<string, string> _settings;
    public override string Method => "hmkd";
    public override bool Mutual => true;
    public override IReadOnlyDictionary<string, string> Settings => _settings;

    public float Alpha { get; }
    public float Beta { get; }
    public float Gamma { get; }
    public float Tau { get; }
    public int Width { get; }
    public bool SelfWeighted { get; }
    public Linear EnsembleClassifier { get; }

    /// <summary>The ensemble weights softmax(a), student features first.</summary>
    public float[] EnsembleWeights() => _ensembleWeights.Softmax(-1).ToArray();

    /// <summary>The loss terms of one batch, for tests and logs.</summary>
    public sealed record Terms(Tensor Student, Tensor Teacher, Tensor Ensemble, Tensor EnsembleLogits, Tensor E);

    public override Tensor Loss(DistillBatch b)
    {
        var t = Compute(b);
        return t.Student + t.Teacher + t.Ensemble;
    }

    public Terms Compute(DistillBatch b)
    {
        if (b.Student.Features.Count != _studentProj.Count || b.Teacher.Features.Count != _teacherProj.Count)
            throw new ArgumentException($"hmkd: built for {_studentProj.Count} student / {_teacherProj.Count} teacher features, got {b.Student.Features.Count} / {b.Teacher.Features.Count}");
        // projections with gradient (for the networks' own terms) and of detached features (for the ensemble)
        var zS = b.Student.Features.Select((f, i) => _studentProj[i].Forward(SmlDistMath.Pool(f.Value))).ToList();
        var zT = b.Teacher.Features.Select((f, i) => _teacherProj[i].Forward(SmlDistMath.Pool(f.Value))).ToList();
        var parts = b.Student.Features.Select((f, i) => _studentProj[i].Forward(SmlDistMath.Pool(f.Value.Detach())))
            .Concat(b.Teacher.Features.Select((f, i) => _teacherProj[i].Forward(SmlDistMath.Pool(f.Value.Detach())))).ToList();
        var e = SelfWeighted ? SelfWeightedEnsemble(parts) : WeightedEnsemble(parts, _ensembleWeights);
        var eLogits = EnsembleClassifier.Forward(e);
        var ensembleCe = b.Ce(eLogits);

        var S = b.Student.Logits; var T = b.Teacher.Logits;
        var eSg = e.Detach(); var eLogSg = eLogits.Detach();
        var w = b.SoftWeights;
        var student = b.Ce(S) + Losses.KlDivergenceWithLogits(S, T.Detach(), Tau, w) * Alpha
            + Losses.KlDivergenceWithLogits(S, eLogSg, Tau, w) * Gamma;
        Tensor? mse = null;
        foreach (var z in zS) mse = mse is null ? Losses.Mse(z, eSg) : mse + Losses.Mse(z, eSg);
        if (mse is not null) student = student + mse * Gamma;

        var teacher = b.Ce(T) + Losses.KlDivergenceWithLogits(T, S.Detach(), Tau, w) * Beta
            + Losses.KlDivergenceWithLogits(T, eLogSg, Tau, w) * Gamma;
        foreach (var a in b.Teacher.AuxLogits) teacher = teacher + b.Ce(a);
        for (int i = 0; i < zT.Count; i++) teacher = teacher + b.Ce(_teacherAux[i].Forward(zT[i]));
        return new Terms(student, teacher, ensembleCe, eLogits, e);
    }

    /// <summary>E = Σ_i softmax(a)_i · z_i.</summary>
    public static Tensor WeightedEnsemble(IReadOnlyList<Tensor> parts, Tensor logits)
    {
        var w = logits.Softmax(-1);
        var stacked = Tensor.Stack(parts, 0);                       // (M, N, d)
        return (stacked * w.Reshape(parts.Count, 1, 1)).Sum(0);
    }

    /// <summary>The authors' self-weighted form E = Σ_i z_i ⊙ z_i / S with S = sg(Σ_i z_i) (|S| floored at 1e-6, sign kept).</summary>
    public static Tensor SelfWeightedEnsemble(IReadOnlyList<Tensor> parts)
    {
        Tensor sum = parts[0].Detach();
        for (int i = 1; i < parts.Count; i++) sum = sum + parts[i].Detach();
        var s = sum.ToArray();
        for (int i = 0; i < s.Length; i++) if (Math.Abs(s[i]) < 1e-6f) s[i] = s[i] < 0 ? -1e-6f : 1e-6f;
        var inv = Tensor.FromArray(s.Select(v => 1f / v).ToArray(), sum.Shape, sum.Device);
        Tensor? e = null;
        foreach (var z in parts) { var t = z * z * inv; e = e is null ? t : e + t; }
        return e!;
    }
}
