using System.Text.Json;
using System.Text.Json.Serialization;

namespace HarFromScratch.Har.Training;

/// <summary>
/// Every setting of a training run; saved as config.json in the run folder, so a run can be resumed and
/// evaluated from its folder alone. Defaults are the documented ones of `har train`.
/// </summary>
public sealed record TrainOptions
{
    public string Dataset { get; init; } = "hapt";
    public string Model { get; init; } = "mobilenet-small";
    public int Epochs { get; init; } = 60;
    public int BatchSize { get; init; } = 64;
    public float Lr { get; init; } = 2e-3f;
    /// <summary>adamw, adam or sgd.</summary>
    public string Optimizer { get; init; } = "adamw";
    public float WeightDecay { get; init; } = 1e-2f;
    public float Momentum { get; init; } = 0.9f;
    public bool Nesterov { get; init; }
    /// <summary>cosine (per step, with warm-up), step (per epoch), plateau (on validation loss), none.</summary>
    public string Schedule { get; init; } = "cosine";
    public int WarmupEpochs { get; init; } = 1;
    public int StepSize { get; init; } = 20;
    public float Gamma { get; init; } = 0.1f;
    public int PlateauPatience { get; init; } = 5;
    public float PlateauFactor { get; init; } = 0.5f;
    public float MinLr { get; init; }
    public float LabelSmoothing { get; init; }
    /// <summary>Cross-entropy class weights fitted on the training split: none, balanced or sqrt (<see cref="LabelLoss.Weights"/>).</summary>
    public string ClassWeights { get; init; } = "none";
    /// <summary>Also weigh the distillation methods' per-window soft-target terms (KL to the teacher's, peer's or ensemble's
    /// logits) by the class weights, not only the cross-entropy (<see cref="LabelLoss.SoftRowWeights"/>); needs <see cref="ClassWeights"/>.</summary>
    public bool SoftClassWeights { get; init; }
    /// <summary>Decay of an exponential moving average of the model's weights, which is then what validation scores, the best
    /// checkpoint holds and the test evaluates (e.g. 0.999); 0 = off.</summary>
    public float Ema { get; init; }
    /// <summary>Clip the gradient norm to this value; 0 = off.</summary>
    public float ClipNorm { get; init; }
    /// <summary>Weight of auxiliary heads' cross-entropy (models with per-block heads).</summary>
    public float AuxWeight { get; init; } = 0.3f;
    /// <summary>Time-series augmentation (jitter, scaling, time shift); off by default.</summary>
    public bool Augment { get; init; }
    public float JitterStd { get; init; } = 0.03f;
    public float ScaleStd { get; init; } = 0.1f;
    public int MaxShift { get; init; } = 8;
    /// <summary>Largest angle (degrees) of the random rotation of the x/y/z sensor triads (with <see cref="Augment"/>); 0 = off.</summary>
    public float RotateDegrees { get; init; }
    /// <summary>Stop after this many epochs without validation improvement; 0 = off.</summary>
    public int Patience { get; init; }
    /// <summary>Validation metric that selects the best epoch: macro_f1 or accuracy; "last" tests the last epoch's weights
    /// (a fixed schedule decided in advance, immune to the noise of a small validation split).</summary>
    public string SelectBy { get; init; } = "macro_f1";
    public ulong Seed { get; init; } = 1;
    public string Device { get; init; } = "cpu";
    /// <summary>Stop after this many training batches per epoch (quick checks and tests); 0 = all.</summary>
    public int MaxBatchesPerEpoch { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Checks ranges and names; the message names the option at fault.</summary>
    public void Validate()
    {
        void Fail(string option, object value, string expected) => throw new ArgumentException($"--{option}: {value} is not valid; expected {expected}");
        if (Epochs < 1) Fail("epochs", Epochs, "an integer >= 1");
        if (BatchSize < 1) Fail("batch", BatchSize, "an integer >= 1");
        if (!(Lr > 0) || float.IsInfinity(Lr)) Fail("lr", Lr, "a positive number");
        if (Optimizer is not ("adamw" or "adam" or "sgd")) Fail("optimizer", Optimizer, "adamw, adam or sgd");
        if (Schedule is not ("cosine" or "step" or "plateau" or "none")) Fail("schedule", Schedule, "cosine, step, plateau or none");
        if (!(WeightDecay >= 0)) Fail("weight-decay", WeightDecay, "a number >= 0");
        if (LabelSmoothing is < 0 or >= 1 || float.IsNaN(LabelSmoothing)) Fail("label-smoothing", LabelSmoothing, "a number in [0, 1)");
        if (!LabelLoss.WeightModes.Contains(ClassWeights)) Fail("class-weights", ClassWeights, string.Join(", ", LabelLoss.WeightModes));
        if (SoftClassWeights && ClassWeights == "none")
            throw new ArgumentException("--soft-class-weights: needs --class-weights balanced or sqrt (with none there are no class weights to apply to the soft-target terms)");
        if (!(Ema >= 0 && Ema < 1)) Fail("ema", Ema, "a decay in [0, 1) (0 = off), e.g. 0.999");
        if (!(RotateDegrees >= 0 && RotateDegrees <= 180)) Fail("rotate", RotateDegrees, "an angle in degrees in [0, 180] (0 = off)");
        if (!(ClipNorm >= 0)) Fail("clip-norm", ClipNorm, "a number >= 0 (0 = off)");
        if (WarmupEpochs < 0 || WarmupEpochs > Epochs) Fail("warmup-epochs", WarmupEpochs, $"0..{Epochs}");
        if (Patience < 0) Fail("patience", Patience, "an integer >= 0 (0 = off)");
        if (SelectBy is not ("macro_f1" or "accuracy" or "last")) Fail("select-by", SelectBy, "macro_f1, accuracy or last");
        if (SelectBy == "last" && Patience > 0) Fail("patience", Patience, "0 with --select-by last (early stopping needs a validation metric to select on)");
        if (StepSize < 1) Fail("step-size", StepSize, "an integer >= 1");
    }
}
