using HarFromScratch.Har.Distillation.Baselines;

namespace HarFromScratch.Har.Distillation;

/// <summary>
/// The classic KD baselines of the comparison table (docs/distillation-baselines.md): each loss includes the student's
/// cross-entropy; feature methods add β·(their term). Defaults follow the cited code (RepDistiller's
/// <c>scripts/run_cifar_distill.sh</c> and loss modules; mdistiller for DKD; the DML paper).
/// </summary>
public static class BaselineMethods
{
    private static MethodParameter P(string name, double value, string description) => new(name, value, description);

    private static readonly MethodParameter SFeat = P("s_feat", -1, "student feature index (negative counts from the end; -1 = last)");
    private static readonly MethodParameter TFeat = P("t_feat", -1, "teacher feature index (negative counts from the end; -1 = last)");
    private static MethodParameter Pairs(string method) =>
        P("pairs", 3, $"{method}: number of feature pairs, the last ones of each network aligned from the end");

    public static IReadOnlyList<MethodEntry> Entries { get; } =
    [
        new("kd", "Hinton KD: (1-alpha)*CE + alpha*tau^2*KL(softmax(t/tau) || softmax(s/tau))", false,
            [P("alpha", 0.9, "weight of the distillation term (CE gets 1 - alpha)"), P("tau", 4, "temperature")],
            (s, o) => new KdLoss(o)) { LogitsOnly = true },
        new("fitnet", "FitNet hints: CE + beta*MSE(regressor(student feature), teacher feature); 1x1-conv regressor, linear time interpolation", false,
            [P("beta", 100, "weight of the hint term"), SFeat, TFeat],
            (s, o) => new FitNetLoss(s, o)),
        new("at", "Attention transfer: CE + beta*sum over pairs of MSE of L2-normalised attention maps mean_c(f^p) over time", false,
            [P("beta", 1000, "weight of the attention term"), P("p", 2, "power of the activations in the attention map"), Pairs("at")],
            (s, o) => new AtLoss(s, o)),
        new("sp", "Similarity-preserving KD: CE + beta*||rownorm(Gs) - rownorm(Gt)||^2 / N^2 of batch Gram matrices", false,
            [P("beta", 3000, "weight of the similarity term"), SFeat, TFeat],
            (s, o) => new SpLoss(s, o)),
        new("cc", "Correlation congruence (RepDistiller form): CE + beta*mean_i sum |es-et|_i * |es-et|_(i+1) of linear embeddings", false,
            [P("beta", 0.02, "weight of the correlation term"), P("feat_dim", 128, "embedding width of both linear heads")],
            (s, o) => new CcLoss(s, o)),
        new("vid", "Variational information distillation: CE + beta*Gaussian NLL of teacher features under a regressor of student features, learned per-channel variance", false,
            [P("beta", 1, "weight of the VID term"), P("init_var", 5, "initial predicted variance"), P("eps", 1e-5, "variance floor added to softplus"), Pairs("vid")],
            (s, o) => new VidLoss(s, o)),
        new("rkd", "Relational KD: CE + beta*(w_dist*SmoothL1 of mean-normalised distances + w_angle*SmoothL1 of triplet angles)", false,
            [P("beta", 1, "weight of the RKD term"), P("w_dist", 25, "weight of the distance term"), P("w_angle", 50, "weight of the angle term")],
            (s, o) => new RkdLoss(s, o)),
        new("pkt", "Probabilistic KT: CE + beta*KL between cosine-similarity conditional probabilities of teacher and student embeddings", false,
            [P("beta", 30000, "weight of the PKT term")],
            (s, o) => new PktLoss(s, o)),
        new("nst", "Neuron selectivity transfer: CE + beta*MMD^2 with polynomial kernel (a.b)^2 between normalised channel activations", false,
            [P("beta", 50, "weight of the NST term"), Pairs("nst")],
            (s, o) => new NstLoss(s, o)),
        new("crd", "Contrastive representation distillation: CE + beta*NCE of student/teacher embeddings against memory-bank negatives", false,
            [P("beta", 0.8, "weight of the contrastive term"), P("feat_dim", 128, "embedding width"), P("nce_k", 16384, "negatives per batch"),
             P("nce_t", 0.07, "temperature of the scores"), P("nce_m", 0.5, "momentum of the memory-bank update")],
            (s, o) => new CrdLoss(s, o)),
        new("dkd", "Decoupled KD: CE + min(epoch/warmup,1)*tau^2*(alpha*TCKD + beta*NCKD)", false,
            [P("alpha", 1, "weight of target-class KD"), P("beta", 8, "weight of non-target-class KD"), P("tau", 4, "temperature"),
             P("warmup", 20, "epochs over which the KD weight ramps linearly to 1 (0 = none)")],
            (s, o) => new DkdLoss(o)) { LogitsOnly = true },
        new("dml", "Deep mutual learning: student and teacher trained together, each CE + kl_weight*tau^2*KL(sg(other) || self)", true,
            [P("kl_weight", 1, "weight of each network's mimicry term"), P("tau", 1, "temperature")],
            (s, o) => new DmlLoss(o)),
    ];
}
