namespace Sentire.Tensors.Optim;

/// <summary>
/// Parameters that share hyperparameters (torch's param_groups). A group created without a learning rate or
/// weight decay takes the optimiser's; <see cref="LearningRate"/> is then changed by a schedule through
/// <see cref="Optimizer.SetLearningRateFactor"/>, relative to <see cref="InitialLearningRate"/>.
/// Parameters carry names (state-dict keys) so optimiser state can be saved as named tensors.
/// </summary>
public sealed class ParamGroup
{
    double? learningRate, weightDecay;

    public ParamGroup(IEnumerable<KeyValuePair<string, Tensor>> parameters, double? learningRate = null, double? weightDecay = null)
    {
        Parameters = parameters.ToArray();
        this.learningRate = learningRate;
        this.weightDecay = weightDecay;
        InitialLearningRate = learningRate ?? double.NaN;
    }

    /// <summary>A group of unnamed tensors, named "{prefix}0", "{prefix}1", ... for the optimiser state.</summary>
    public static ParamGroup Unnamed(IEnumerable<Tensor> parameters, string prefix = "", double? learningRate = null, double? weightDecay = null) =>
        new(parameters.Select((p, i) => new KeyValuePair<string, Tensor>(prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), p)), learningRate, weightDecay);

    /// <summary>
    /// The usual transformer split: matrices (rank >= 2: linear, conv, embedding weights) decay, while biases,
    /// norm gains and every other 1-D or scalar parameter do not, since shrinking them towards 0 has no
    /// regularising meaning. Returns [decay group, no-decay group].
    /// </summary>
    public static ParamGroup[] SplitWeightDecay(IEnumerable<KeyValuePair<string, Tensor>> namedParameters, double weightDecay)
    {
        var all = namedParameters.ToArray();
        return
        [
            new(all.Where(p => p.Value.Rank >= 2), weightDecay: weightDecay),
            new(all.Where(p => p.Value.Rank < 2), weightDecay: 0),
        ];
    }

    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    /// <summary>Current learning rate of the group.</summary>
    public double LearningRate
    {
        get => learningRate ?? throw new InvalidOperationException("the group has not been given to an optimiser yet");
        set => learningRate = value;
    }

    /// <summary>The learning rate the group started with; schedules scale it.</summary>
    public double InitialLearningRate { get; private set; }

    public double WeightDecay
    {
        get => weightDecay ?? throw new InvalidOperationException("the group has not been given to an optimiser yet");
        set => weightDecay = value;
    }

    internal void ApplyDefaults(double defaultLearningRate, double defaultWeightDecay)
    {
        learningRate ??= defaultLearningRate;
        weightDecay ??= defaultWeightDecay;
        if (double.IsNaN(InitialLearningRate)) InitialLearningRate = learningRate.Value;
    }
}
