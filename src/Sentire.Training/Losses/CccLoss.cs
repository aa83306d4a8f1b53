using Sentire.Tensors;

namespace Sentire.Training.Losses;

/// <summary>
/// Concordance-correlation loss for dimensional emotion regression (Atmaja &amp; Akagi, 2021, "Evaluation of error- and
/// correlation-based loss functions for multitask learning dimensional speech emotion recognition"; used by the
/// audEERING study, Wagner et al., 2023). Per dimension d over a batch of N, with population moments:
///   CCC_d = 2 cov(x_d, y_d) / (var(x_d) + var(y_d) + (mean(x_d) - mean(y_d))^2)       (Lin, 1989)
///   L = 1/D sum_d (1 - CCC_d).
/// CCC is a batch statistic: the loss rewards getting the spread and the mean right as well as the order, so
/// batches must be large enough to hold several categories.
/// </summary>
public static class CccLoss
{
    /// <summary>Keeps the denominator away from 0 when a batch has constant predictions and targets.</summary>
    public const float Epsilon = 1e-8f;

    /// <param name="predicted">(N, D)</param>
    /// <param name="target">(N, D), no gradient needed</param>
    /// <returns>scalar loss in [0, 2]</returns>
    public static Tensor Compute(Tensor predicted, Tensor target)
    {
        if (predicted.Rank != 2 || !predicted.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"CCC loss needs predictions and targets of one (N, D) shape, got {predicted.ShapeString} and {target.ShapeString}");
        if (predicted.Dim(0) < 2) throw new ArgumentException($"CCC needs a batch of at least 2, got {predicted.Dim(0)}");
        return (1f - Ccc(predicted, target)).Mean();
    }

    /// <summary>CCC of each column, (D).</summary>
    public static Tensor Ccc(Tensor predicted, Tensor target)
    {
        var mx = predicted.Mean(0);                                 // (D)
        var my = target.Mean(0);
        var dx = predicted - mx;                                    // (N, D)
        var dy = target - my;
        var covariance = (dx * dy).Mean(0);                         // (D)
        var spread = dx.Square().Mean(0) + dy.Square().Mean(0) + (mx - my).Square();
        return 2f * covariance / (spread + Epsilon);
    }
}
