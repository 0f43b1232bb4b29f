using HarFromScratch.Har.Distillation.Hmkd;
using HarFromScratch.Har.Distillation.SmlDist;

namespace HarFromScratch.Har.Distillation;

/// <summary>The project's methods: SMLDist and HMKD (formulas in docs/distillation.md).</summary>
public static class ProposedMethods
{
    public static IReadOnlyList<MethodEntry> Entries { get; } =
    [
        new("smldist", "SMLDist: stage (MSE + FFT log-magnitude) + Hopfield memory (KL over slots) + smoothed conditional logits; optional auto-search of the classifier head",
            false,
            [
                new("lambda_stage", 1, "weight of the stage distillation term"),
                new("lambda_freq", 1, "weight of the frequency term MSE(log1p|rfft(A(F))|, log1p|rfft(G)|) inside each stage term"),
                new("schedule", 0, "0 = progressive (one stage per stage_epochs epochs, then logits), 1 = joint (all terms every epoch)"),
                new("stage_epochs", 1, "epochs per stage in the progressive schedule"),
                new("lambda_mem", 1, "weight of memory distillation KL(A_T||A_S) + CE of the student memory head (0 = off)"),
                new("memory_slots", 32, "stored patterns M of the Hopfield memory heads"),
                new("memory_dim", 64, "width d of queries, keys and values of the memory heads"),
                new("memory_beta", 0.125, "inverse temperature beta of the memory association"),
                new("memory_warmup", 1, "epochs the teacher memory head is fitted before it is copied to the student and the KL starts"),
                new("logits_rule", 0, "0 = smoothed conditional rule (authors' code), 1 = Hinton KD"),
                new("lambda_logits", 1, "ratio lambda of the soft-target term"),
                new("temperature", 1, "T: hard-target smoothing of the conditional rule (1/T, 1-1/T) or the Hinton temperature"),
                new("hardness", 1, "h: the teacher target is h*onehot(y) where the teacher is wrong"),
                new("search", 0, "1 = auto-search the classifier head {linear, mlp, memory, attention} (student becomes BASE+search)"),
                new("search_epochs", 2, "epochs of the logits phase during which alpha is learned before pruning to argmax alpha"),
                new("alpha_lr", 3e-3, "Adam learning rate of the mixing logits alpha (validation batches)"),
            ],
            (setup, o) => new SmlDistLoss(setup, o)),
        new("hmkd", "HMKD: mutual teacher/student training with projection heads, a weighted ensemble feature and mutual KL/MSE losses",
            true,
            [
                new("alpha", 1, "student: weight of tau^2 KL(sg(T)/tau || S/tau)"),
                new("beta", 1, "teacher: weight of tau^2 KL(sg(S)/tau || T/tau)"),
                new("gamma", 1, "weight of the ensemble terms (feature MSE and ensemble-logit KL, both networks)"),
                new("tau", 4, "temperature tau"),
                new("width", 128, "common width d of the projection heads"),
                new("self_weighted", 0, "1 = self-weighted ensemble sum z_i*z_i/S instead of softmax(a) weights"),
            ],
            (setup, o) => new HmkdLoss(setup, o)),
    ];
}
