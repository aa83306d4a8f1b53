namespace Sentire.Tensors.Optim;

/// <summary>
/// Exponential moving average of weights (Polyak averaging, as in Mean Teacher and most image/speech recipes):
/// after every optimiser step w̄ ← d w̄ + (1 - d) w, with d = min(decay, (1 + n) / (10 + n)) after n updates so the
/// first steps do not drag the average towards the initialisation. <see cref="Swap"/> exchanges w and w̄ in place,
/// so the averaged weights can be evaluated or saved and the training weights put back.
/// </summary>
public sealed class WeightAverage
{
    readonly Tensor[] parameters;
    readonly float[][] average;
    readonly float decay;
    long updates;

    public WeightAverage(IEnumerable<Tensor> parameters, float decay)
    {
        if (decay is <= 0f or >= 1f) throw new ArgumentOutOfRangeException(nameof(decay), $"decay must be in (0, 1), got {decay}");
        this.parameters = [.. parameters];
        average = [.. this.parameters.Select(p => p.Data.ToArray())];
        this.decay = decay;
    }

    public void Update()
    {
        updates++;
        float d = Math.Min(decay, (1f + updates) / (10f + updates));
        for (int i = 0; i < parameters.Length; i++)
        {
            var w = parameters[i].Data;
            var a = average[i].AsSpan();
            System.Numerics.Tensors.TensorPrimitives.Multiply(a, d, a);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w, 1 - d, a, a);
        }
    }

    /// <summary>Exchanges the training weights and their average (call twice to undo).</summary>
    public void Swap()
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            var w = parameters[i].Data;
            var a = average[i].AsSpan();
            for (int j = 0; j < a.Length; j++) (w[j], a[j]) = (a[j], w[j]);
        }
    }
}
