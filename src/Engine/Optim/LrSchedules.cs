namespace HarFromScratch.Engine.Optim;

/// <summary>Sets an optimiser's learning rate; call <see cref="Step"/> once per epoch (or per step, as configured).</summary>
public interface ILrSchedule
{
    /// <summary>Advances the schedule; <paramref name="metric"/> is used by metric-driven schedules (validation loss).</summary>
    void Step(float? metric = null);

    /// <summary>Number of Step() calls so far (saved in checkpoints to resume).</summary>
    int Steps { get; set; }
}

/// <summary>lr = lr0 · gamma^(floor(t / stepSize)).</summary>
public sealed class StepLr(Optimizer optimizer, int stepSize, float gamma = 0.1f) : ILrSchedule
{
    public int Steps { get; set; }
    public void Step(float? metric = null)
    {
        Steps++;
        optimizer.Lr = optimizer.InitialLr * MathF.Pow(gamma, Steps / Math.Max(stepSize, 1));
    }
}

/// <summary>Linear warm-up for <c>warmup</c> steps from lr0/warmup, then cosine decay to <c>minLr</c> at <c>total</c> steps.</summary>
public sealed class CosineLr : ILrSchedule
{
    private readonly Optimizer _opt;
    private readonly int _total, _warmup;
    private readonly float _minLr;

    public CosineLr(Optimizer optimizer, int totalSteps, int warmupSteps = 0, float minLr = 0f)
    {
        if (totalSteps <= 0 || warmupSteps < 0 || warmupSteps > totalSteps)
            throw new ArgumentException($"CosineLr: total {totalSteps} and warm-up {warmupSteps} steps are inconsistent");
        _opt = optimizer; _total = totalSteps; _warmup = warmupSteps; _minLr = minLr;
        if (_warmup > 0) _opt.Lr = _opt.InitialLr / _warmup;
    }

    public int Steps { get; set; }

    public void Step(float? metric = null)
    {
        Steps++;
        _opt.Lr = At(Steps);
    }

    public float At(int t)
    {
        float lr0 = _opt.InitialLr;
        if (t < _warmup) return lr0 * (t + 1) / _warmup;
        float progress = Math.Min(1f, (float)(t - _warmup) / Math.Max(1, _total - _warmup));
        return _minLr + 0.5f * (lr0 - _minLr) * (1f + MathF.Cos(MathF.PI * progress));
    }
}

/// <summary>Multiplies the lr by <c>factor</c> when the metric has not improved (decreased) by <c>threshold</c> (relative) for <c>patience</c> steps.</summary>
public sealed class ReduceLrOnPlateau(Optimizer optimizer, float factor = 0.1f, int patience = 10, float threshold = 1e-4f, int cooldown = 0, float minLr = 0f) : ILrSchedule
{
    public float Best { get; set; } = float.PositiveInfinity;
    public int BadSteps { get; set; }
    public int CooldownLeft { get; set; }
    public int Steps { get; set; }

    public void Step(float? metric = null)
    {
        if (metric is not float m) throw new ArgumentException("ReduceLrOnPlateau.Step needs the monitored metric");
        Steps++;
        if (m < Best * (1f - threshold)) { Best = m; BadSteps = 0; }
        else BadSteps++;
        if (CooldownLeft > 0) { CooldownLeft--; BadSteps = 0; }
        if (BadSteps > patience)
        {
            optimizer.Lr = Math.Max(minLr, optimizer.Lr * factor);
            CooldownLeft = cooldown;
            BadSteps = 0;
        }
    }
}
