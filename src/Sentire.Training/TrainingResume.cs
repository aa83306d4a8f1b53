using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;

namespace Sentire.Training;

/// <summary>Where a resumable run starts: the epoch after its checkpoint's, the optimiser step reached and the
/// checkpoint's saved metrics; a fresh run (no checkpoint) starts at epoch 1, step 0, with no metrics.</summary>
public sealed record TrainingResume(bool Resumed, int StartEpoch, long Step, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>Restores <paramref name="model"/> and <paramref name="optimizer"/> from <paramref name="checkpointPath"/>
    /// when it exists.</summary>
    public static TrainingResume From(string checkpointPath, Module model, Optimizer optimizer)
    {
        if (!File.Exists(checkpointPath)) return new(false, 1, 0, new Dictionary<string, double>());
        var state = Checkpoint.Restore(checkpointPath, model, optimizer);
        return new(true, state.Epoch + 1, state.Step, state.Metrics);
    }

    /// <summary>A metric saved in the checkpoint (e.g. "best/valid_loss"), or <paramref name="fallback"/>.</summary>
    public double Metric(string name, double fallback) => Metrics.GetValueOrDefault(name, fallback);
}
