using Sentire.Tensors;

namespace Sentire.Training.Losses;

/// <summary>
/// The variational CLUB upper bound of mutual information (Cheng et al., ICML 2020), used by SECap's
/// Speech-Transcription Mutual Information Learning (eq. 4) to remove content from the Q-Embedding.
/// A Gaussian variational network q(y|x) = N(y; mu(x), diag(exp(logvar(x)))) is fitted by maximum likelihood
/// on matched pairs (<see cref="NegativeLogLikelihood"/>, its own optimiser step), then
///   U = 1/N sum_i log q(y_i|x_i) - 1/N^2 sum_i sum_j log q(y_j|x_i)
/// is minimised by the encoder. The log-variance and 2*pi terms of log q cancel between the two sums, so
///   U = 1/N sum_i sum_d [ (mean_j (y_jd - mu_id)^2 - (y_id - mu_id)^2) / (2 exp(logvar_id)) ],
/// with mean_j (y_jd - mu_id)^2 = mean_j y_jd^2 - 2 mu_id mean_j y_jd + mu_id^2 (O(N D) rather than O(N^2 D)).
/// </summary>
public static class VClub
{
    /// <param name="mu">(N, D) mu(x_i).</param>
    /// <param name="logVar">(N, D) logvar(x_i).</param>
    /// <param name="y">(N, D) matched y_i.</param>
    public static Tensor UpperBound(Tensor mu, Tensor logVar, Tensor y)
    {
        Check(mu, logVar, y);
        var invTwoVar = logVar.Neg().Exp() * 0.5f;                         // 1 / (2 sigma^2)
        var positive = (y - mu).Square();                                  // (y_i - mu_i)^2
        var meanY = y.Mean(0, keepDim: true);                              // (1, D)
        var meanY2 = y.Square().Mean(0, keepDim: true);                    // (1, D)
        var negative = meanY2 - mu * meanY * 2f + mu.Square();             // mean_j (y_j - mu_i)^2
        return ((negative - positive) * invTwoVar).Sum(-1).Mean();
    }

    /// <summary>-1/N sum_i log q(y_i|x_i) up to the constant D/2 log(2 pi): the variational network's loss.</summary>
    public static Tensor NegativeLogLikelihood(Tensor mu, Tensor logVar, Tensor y)
    {
        Check(mu, logVar, y);
        var nll = (y - mu).Square() * logVar.Neg().Exp() * 0.5f + logVar * 0.5f;
        return nll.Sum(-1).Mean();
    }

    static void Check(Tensor mu, Tensor logVar, Tensor y)
    {
        if (mu.Rank != 2 || !mu.Shape.SequenceEqual(logVar.Shape) || !mu.Shape.SequenceEqual(y.Shape))
            throw new ArgumentException($"vCLUB needs mu, logvar and y of one (N, D) shape, got {mu.ShapeString}, {logVar.ShapeString}, {y.ShapeString}");
    }
}
