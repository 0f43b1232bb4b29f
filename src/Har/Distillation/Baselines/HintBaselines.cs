using HarFromScratch.Engine.Nn;
using HarFromScratch.Engine.Ops;
using HarFromScratch.Engine.Tensors;

namespace HarFromScratch.Har.Distillation.Baselines;

/// <summary>
/// FitNet hints (Romero et al. 2015; RepDistiller <c>HintLoss</c> with a learned regressor):
/// <c>L = CE(s, y) + β·MSE(r(f_s), f_t)</c>. The regressor r is a 1x1 convolution C_s → C_t (with bias). When both
/// features are maps (N, C, T), r's output is linearly interpolated in time to the teacher's length; when either side is
/// a vector (N, D), maps are global-average-pooled to vectors first and r acts as a linear layer.
/// Defaults β = 100 (RepDistiller's script), the last student feature hinted by the last teacher feature
/// (<c>s_feat = t_feat = -1</c>; negative indices count from the end).
/// </summary>
public sealed class FitNetLoss : BaselineLoss
{
    public FitNetLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        Pair = BaselineFeatures.Pair(setup, o.I("s_feat"), o.I("t_feat"), "fitnet");
        BothMaps = BaselineFeatures.IsMap(Pair.Student) && BaselineFeatures.IsMap(Pair.Teacher);
        Regressor = RegisterModule("regressor", new Conv1d(BaselineFeatures.VectorDim(Pair.Student), BaselineFeatures.VectorDim(Pair.Teacher), 1,
            rng: setup.Rng, device: setup.Device));
        Describe("pairing", Pair.ToString() + (BothMaps ? " (1x1 conv, linear time interpolation)" : " (pooled to vectors, linear)"));
    }

    public float Beta { get; }
    public FeaturePair Pair { get; }
    public bool BothMaps { get; }
    public Conv1d Regressor { get; }
    public override string Method => "fitnet";

    /// <summary>
    /// MSE between the regressed student feature and the teacher feature, for a regressor with the given 1x1-conv weight
    /// (C_t, C_s, 1) and bias: maps → conv then linear time interpolation to T_t; otherwise both pooled to vectors.
    /// </summary>
    public static Tensor Hint(Tensor fs, Tensor ft, Tensor weight, Tensor? bias)
    {
        if (fs.Rank == 3 && ft.Rank == 3)
            return Losses.Mse(Tensor.Conv1d(fs, weight, bias).InterpolateLinear1d(ft.Shape[2]), ft);
        var s = Tensor.Conv1d(BaselineFeatures.AsMap(BaselineFeatures.ToVector(fs)), weight, bias);
        return Losses.Mse(s, BaselineFeatures.AsMap(BaselineFeatures.ToVector(ft)));
    }

    public Tensor Hint(Tensor fs, Tensor ft) => Hint(fs, ft, Regressor.Weight, Regressor.Bias);

    public override Tensor Loss(DistillBatch b)
    {
        var fs = BaselineFeatures.Get(b.Student, Pair.StudentIndex, Pair.Student, "student");
        var ft = BaselineFeatures.Get(b.Teacher, Pair.TeacherIndex, Pair.Teacher, "teacher").Detach();
        return BaselineFeatures.StudentCe(b) + Hint(fs, ft) * Beta;
    }
}

/// <summary>One VID estimator: a regressor 1x1 conv C_s → C_t → C_t → C_t (ReLU between, no bias) for the mean, and a
/// learned per-channel variance σ² = softplus(log_scale) + eps.</summary>
public sealed class VidHead : Module
{
    public VidHead(int studentChannels, int teacherChannels, float initVariance, float eps, DistillSetup setup)
    {
        int mid = teacherChannels;
        Conv1 = RegisterModule("conv1", new Conv1d(studentChannels, mid, 1, bias: false, rng: setup.Rng, device: setup.Device));
        Conv2 = RegisterModule("conv2", new Conv1d(mid, mid, 1, bias: false, rng: setup.Rng, device: setup.Device));
        Conv3 = RegisterModule("conv3", new Conv1d(mid, teacherChannels, 1, bias: false, rng: setup.Rng, device: setup.Device));
        if (initVariance <= eps) throw new ArgumentException($"vid: init_var {initVariance} must exceed eps {eps}");
        // softplus⁻¹(init_var − eps) = log(exp(init_var − eps) − 1), as VID's code
        float init = (float)Math.Log(Math.Exp(initVariance - eps) - 1.0);
        LogScale = RegisterParameter("log_scale", TensorScope.Unscoped(() => Tensor.Full([teacherChannels], init, setup.Device)));
        Eps = eps;
    }

    public Conv1d Conv1 { get; }
    public Conv1d Conv2 { get; }
    public Conv1d Conv3 { get; }
    public Tensor LogScale { get; }
    public float Eps { get; }

    public override Tensor Forward(Tensor input) => Conv3.Forward(Conv2.Forward(Conv1.Forward(input).Relu()).Relu());

    /// <summary>Per-channel variance softplus(log_scale) + eps, with softplus(x) = relu(x) + log1p(exp(−|x|)).</summary>
    public static Tensor Variance(Tensor logScale, float eps) => logScale.Relu() + (-logScale.Abs()).Exp().Log1p() + eps;

    /// <summary>
    /// Mean Gaussian NLL (without the constant) of the teacher map (N, C_t, T) under N(μ, σ²), μ = w3·relu(w2·relu(w1·f_s))
    /// (1x1 convs, no bias): mean 0.5·((μ − t)²/σ² + log σ²).
    /// </summary>
    public static Tensor Nll(Tensor studentMap, Tensor teacherMap, Tensor w1, Tensor w2, Tensor w3, Tensor logScale, float eps)
    {
        var mu = Tensor.Conv1d(Tensor.Conv1d(Tensor.Conv1d(studentMap, w1).Relu(), w2).Relu(), w3);
        var v = Variance(logScale, eps).Reshape(1, -1, 1);
        return (((mu - teacherMap).Square() / v + v.Log()) * 0.5f).Mean();
    }

    public Tensor Nll(Tensor studentMap, Tensor teacherMap) => Nll(studentMap, teacherMap, Conv1.Weight, Conv2.Weight, Conv3.Weight, LogScale, Eps);
}

/// <summary>
/// VID, variational information distillation (Ahn et al. 2019; RepDistiller <c>VIDLoss</c>):
/// <c>L = CE(s, y) + β·Σ_pairs mean 0.5·((μ(f_s) − f_t)²/σ² + log σ²)</c>, μ a 3-layer 1x1-conv regressor, σ² per teacher
/// channel = softplus(·) + eps, initialised to init_var. Maps of different lengths: the longer is adaptive-average-pooled
/// to the shorter (as the cited code); when either side is a vector both are pooled to vectors (length-1 maps).
/// Defaults β = 1, init_var = 5, eps = 1e-5, pairs = 3 (the last three features of each network, aligned from the end;
/// RepDistiller uses every intermediate stage).
/// </summary>
public sealed class VidLoss : BaselineLoss
{
    private readonly VidHead[] _heads;

    public VidLoss(DistillSetup setup, MethodOptions o) : base(o)
    {
        Beta = o.F("beta");
        Pairs = BaselineFeatures.LastPairs(setup, o.I("pairs"), "vid");
        _heads = Pairs.Select((p, k) => RegisterModule($"pair{k}",
            new VidHead(BaselineFeatures.VectorDim(p.Student), BaselineFeatures.VectorDim(p.Teacher), o.F("init_var"), o.F("eps"), setup))).ToArray();
        Describe("pairing", string.Join("; ", Pairs));
    }

    public float Beta { get; }
    public IReadOnlyList<FeaturePair> Pairs { get; }
    public IReadOnlyList<VidHead> Heads => _heads;
    public override string Method => "vid";

    /// <summary>The student and teacher maps of a pair, brought to equal length.</summary>
    public static (Tensor s, Tensor t) Align(Tensor fs, Tensor ft)
    {
        if (fs.Rank == 3 && ft.Rank == 3) return BaselineFeatures.PoolToShorter(fs, ft);
        return (BaselineFeatures.AsMap(BaselineFeatures.ToVector(fs)), BaselineFeatures.AsMap(BaselineFeatures.ToVector(ft)));
    }

    public Tensor Term(DistillBatch b) => BaselineFeatures.SumOverPairs(b, Pairs, (k, fs, ft) =>
    {
        var (s, t) = Align(fs, ft);
        return _heads[k].Nll(s, t);
    });

    public override Tensor Loss(DistillBatch b) => BaselineFeatures.StudentCe(b) + Term(b) * Beta;
}
