using Sentire.Tensors;

namespace Sentire.Training.Clap;

/// <summary>
/// The contrastive loss of Emo-CLAP and GEmo-CLAP (Pan et al., 2023, "GEmo-CLAP: Gender-Attribute-Enhanced
/// Contrastive Language-Audio Pretraining for Accurate Speech Emotion Recognition").
/// With L2-normalised audio embeddings a_i and text embeddings t_j of a batch of N pairs:
///   C^a = exp(s_a) * A T^T   (audio -> text),   C^t = exp(s_t) * T A^T   (text -> audio),
/// where exp(s) = 1/tau is the (learnable or fixed) inverse temperature of each direction, and
///   L = 1/2 [ KL(G || softmax(C^a)) + KL(G^T || softmax(C^t)) ],
/// KL averaged over rows ("batchmean"), G the row-normalised ground-truth matrix: unlike CLIP's identity
/// target, two pairs that share an emotion label are both positives (G_ij = [y_i = y_j] / sum_k [y_i = y_k]).
/// SL-GEmo-CLAP mixes gender into the target: G = rownorm(alpha [y_i = y_j] + (1 - alpha) [g_i = g_j]).
/// ML-GEmo-CLAP keeps two targets and sums alpha L_emotion + (1 - alpha) L_gender, the gender loss pairing
/// the same audio embeddings with embeddings of gender prompts.
/// </summary>
public static class EmoClapLoss
{
    /// <summary>Row-normalised [y_i = y_j] for a batch of labels, shape (N, N).</summary>
    public static Tensor EqualityTargets(IReadOnlyList<int> labels) => SoftLabelTargets(labels, labels, alpha: 1f);

    /// <summary>SL-GEmo-CLAP target: rownorm(alpha [e_i = e_j] + (1 - alpha) [g_i = g_j]), shape (N, N).</summary>
    public static Tensor SoftLabelTargets(IReadOnlyList<int> emotions, IReadOnlyList<int> genders, float alpha)
    {
        if (emotions.Count != genders.Count)
            throw new ArgumentException($"{emotions.Count} emotion labels but {genders.Count} gender labels");
        if (alpha is < 0f or > 1f) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in [0, 1], got {alpha}");
        int n = emotions.Count;
        var g = Tensor.Zeros(n, n);
        var d = g.Data;
        for (int i = 0; i < n; i++)
        {
            float rowSum = 0;
            for (int j = 0; j < n; j++)
            {
                float v = (emotions[i] == emotions[j] ? alpha : 0f) + (genders[i] == genders[j] ? 1f - alpha : 0f);
                d[i * n + j] = v;
                rowSum += v;
            }
            // The diagonal is always alpha + (1 - alpha) = 1, so rowSum > 0.
            for (int j = 0; j < n; j++) d[i * n + j] /= rowSum;
        }
        return g;
    }

    /// <summary>
    /// L = 1/2 [KL(G || softmax(exp(s_a) A T^T)) + KL(G^T || softmax(exp(s_t) T A^T))].
    /// <paramref name="audio"/> (N, D) and <paramref name="text"/> (N, D) must already be L2-normalised;
    /// <paramref name="logScaleAudio"/>/<paramref name="logScaleText"/> are one-element tensors s = log(1/tau).
    /// </summary>
    public static Tensor Compute(Tensor audio, Tensor text, Tensor logScaleAudio, Tensor logScaleText, Tensor targets)
    {
        if (audio.Rank != 2 || !audio.Shape.SequenceEqual(text.Shape))
            throw new ArgumentException($"audio {audio.ShapeString} and text {text.ShapeString} embeddings must both be (N, D)");
        int n = audio.Dim(0);
        if (!targets.Shape.SequenceEqual([n, n]))
            throw new ArgumentException($"targets {targets.ShapeString} must be ({n}, {n})");
        var audioToText = audio.MatMul(text, transB: true) * logScaleAudio.Exp();   // C^a (N, N)
        var textToAudio = text.MatMul(audio, transB: true) * logScaleText.Exp();    // C^t (N, N)
        var lossA = Loss.KlDiv(audioToText.LogSoftmax(-1), targets);
        var lossT = Loss.KlDiv(textToAudio.LogSoftmax(-1), targets.Transpose(0, 1));
        return (lossA + lossT) * 0.5f;
    }

    /// <summary>ML-GEmo-CLAP: alpha L(A, T_emotion, G_emotion) + (1 - alpha) L(A, T_gender, G_gender), the audio embeddings shared.</summary>
    public static Tensor MultiTask(Tensor audio, Tensor emotionText, Tensor genderText, Tensor logScaleAudio, Tensor logScaleText,
        IReadOnlyList<int> emotions, IReadOnlyList<int> genders, float alpha)
    {
        if (alpha is < 0f or > 1f) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in [0, 1], got {alpha}");
        var emotionLoss = Compute(audio, emotionText, logScaleAudio, logScaleText, EqualityTargets(emotions));
        var genderLoss = Compute(audio, genderText, logScaleAudio, logScaleText, EqualityTargets(genders));
        return emotionLoss * alpha + genderLoss * (1f - alpha);
    }
}
