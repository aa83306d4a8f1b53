namespace Sentire.Tensors.Optim;

/// <summary>What the learning rate does after warm-up.</summary>
public enum LrDecay { Cosine, Linear, Constant }

/// <summary>
/// Learning rate as a pure function of the optimiser step, as Hugging Face's get_*_schedule_with_warmup:
///   step &lt; warmup:  lr = peak * step / warmup                    (so step 0 has lr 0)
///   after:          p = clamp((step - warmup) / (total - warmup), 0, 1)
///                   cosine:   lr = min + (peak - min) * (1 + cos(pi * p)) / 2
///                   linear:   lr = min + (peak - min) * (1 - p)
///                   constant: lr = peak
/// "step" counts optimiser updates already taken; past <see cref="TotalSteps"/> the rate stays at its final value.
/// </summary>
public sealed class LrSchedule
{
    public double PeakLearningRate { get; }
    public double MinLearningRate { get; }
    public long WarmupSteps { get; }
    public long TotalSteps { get; }
    public LrDecay Decay { get; }

    public LrSchedule(double peakLearningRate, long warmupSteps, long totalSteps, LrDecay decay = LrDecay.Cosine, double minLearningRate = 0)
    {
        if (!(peakLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(peakLearningRate), $"peak learning rate must be positive, got {peakLearningRate}");
        if (!(minLearningRate >= 0 && minLearningRate <= peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), $"min learning rate must be in [0, {peakLearningRate}], got {minLearningRate}");
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentException($"need 0 <= warmupSteps <= totalSteps, got warmup {warmupSteps}, total {totalSteps}");
        PeakLearningRate = peakLearningRate;
        MinLearningRate = minLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
        Decay = decay;
    }

    /// <summary>The learning rate for the update that follows <paramref name="step"/> completed updates.</summary>
    public double LearningRate(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"step must be >= 0, got {step}");
        if (step < WarmupSteps) return PeakLearningRate * step / WarmupSteps;
        double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
        double span = PeakLearningRate - MinLearningRate;
        return Decay switch
        {
            LrDecay.Cosine => MinLearningRate + span * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            LrDecay.Linear => MinLearningRate + span * (1 - progress),
            LrDecay.Constant => PeakLearningRate,
            _ => throw new ArgumentOutOfRangeException(nameof(Decay), Decay, null),
        };
    }

    /// <summary><see cref="LearningRate"/> divided by the peak: the factor for <see cref="Optimizer.SetLearningRateFactor"/>.</summary>
    public double Factor(long step) => LearningRate(step) / PeakLearningRate;
}
