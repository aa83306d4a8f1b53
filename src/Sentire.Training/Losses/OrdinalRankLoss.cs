using Sentire.Tensors;

namespace Sentire.Training.Losses;

/// <summary>
/// Pairwise ranking loss for ordinal labels (RankNet: Burges et al., 2005, "Learning to rank using gradient descent").
/// For every pair (i, j) of the batch with level_i &lt; level_j, the model should score j above i:
///   P(j above i) = sigmoid((s_j - s_i) / scale),   L = mean over those pairs of -log P = softplus(-(s_j - s_i) / scale).
/// Used with BAVED's arousal levels (low &lt; normal &lt; high, no category, no numeric rating) on the arousal output of the
/// dimensional head, beside the CCC loss on derived targets: it constrains the order only, never the scale.
/// </summary>
public static class OrdinalRankLoss
{
    /// <param name="score">(N) or (N, 1) predicted scores</param>
    /// <param name="levels">ordinal level of each item (larger is higher)</param>
    /// <param name="scale">width of the logistic, in score units (arousal in [0, 1]: 0.1)</param>
    /// <returns>scalar loss; 0 (no gradient) when no pair differs in level</returns>
    public static Tensor Compute(Tensor score, IReadOnlyList<int> levels, float scale)
    {
        int n = score.Dim(0);
        if (score.Length != n || levels.Count != n)
            throw new ArgumentException($"ranking loss needs (N) or (N, 1) scores and N levels, got scores {score.ShapeString} and {levels.Count} levels");
        if (!(scale > 0)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the logistic's scale must be positive");
        var mask = Tensor.Zeros(n, n);
        int pairs = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (levels[i] < levels[j]) { mask.Data[i * n + j] = 1; pairs++; }
        if (pairs == 0) return Tensor.Scalar(0f);
        var s = score.Reshape(n, 1);
        var margin = s.Transpose(0, 1) - s;                           // (N, N): s_j - s_i
        return ((margin * (-1f / scale)).Softplus() * mask).Sum() * (1f / pairs);
    }
}
