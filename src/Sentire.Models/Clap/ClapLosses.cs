using Sentire.Tensors;

namespace Sentire.Models.Clap;

// GEmo-CLAP: Gender-Attribute-Enhanced Contrastive Language-Audio Pretraining for Accurate Speech Emotion Recognition
// (Pan et al., 2023), the training objectives in the paper's order, as functions of tensors:
//   Emo-CLAP      L = 1/2 [KL(G || softmax(C^a)) + KL(G^T || softmax(C^t))], G the row-normalised ground truth
//                 (EmoClapLoss.Compute with EmoClapLoss.EqualityTargets);
//   ML-GEmo-CLAP  L = alpha L_emotion + (1 - alpha) L_gender, the multi-task loss (EmoClapLoss.MultiTask);
//   SL-GEmo-CLAP  L with the soft labels G = rownorm(alpha [e_i = e_j] + (1 - alpha) [g_i = g_j]) (EmoClapLoss.SoftLabelTargets);
//   and the recipe's choice among the three (EmoClapLoss.Objective, by ClapVariant).
// The paper's names in code, once: A = ClapModel.EmbedAudio / ProjectAudio (a_i = normalize(P_a(pool(encoder)))),
// T = ClapModel.EmbedText (t_j = normalize(P_t(first token))), tau_a = 1/exp(logit_scale_a), tau_t = 1/exp(logit_scale_t)
// (ClapModel.LogitScaleAudio, LogitScaleText), alpha = recipe alpha. The model is ClapModel.cs beside this file;
// Training/Clap's ClapTrainer draws the batches and calls EmoClapLoss.Objective.
// Shapes: N batch, D embedding size.

/// <summary>Which objective trains the model (Pan et al., 2023): Emo-CLAP's contrastive loss with equality targets, or
/// GEmo-CLAP's multi-task (ML) or soft-label (SL) use of gender. Recipes spell it emo-clap, sl-gemo-clap, ml-gemo-clap.</summary>
public enum ClapVariant { EmoClap, SlGemoClap, MlGemoClap }

/// <summary>
/// The contrastive loss of Emo-CLAP and GEmo-CLAP (Pan et al., 2023).
/// With L2-normalised audio embeddings a_i and text embeddings t_j of a batch of N pairs:
///   C^a = exp(s_a) * A T^T   (audio -> text),   C^t = exp(s_t) * T A^T   (text -> audio),
/// where exp(s) = 1/tau is the (learnable or fixed) inverse temperature of each direction, and
///   L = 1/2 [ KL(G || softmax(C^a)) + KL(G^T || softmax(C^t)) ],
/// KL averaged over rows ("batchmean"), G the row-normalised ground-truth matrix: unlike CLIP's identity
/// target, two pairs that share an emotion label are both positives (G_ij = [y_i = y_j] / sum_k [y_i = y_k]).
/// ML-GEmo-CLAP keeps two targets and sums alpha L_emotion + (1 - alpha) L_gender, the gender loss pairing
/// the same audio embeddings with embeddings of gender prompts.
/// SL-GEmo-CLAP mixes gender into the target: G = rownorm(alpha [y_i = y_j] + (1 - alpha) [g_i = g_j]).
/// </summary>
public static class EmoClapLoss
{
    // ---- Emo-CLAP ----

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

    /// <summary>Emo-CLAP's G: row-normalised [y_i = y_j] for a batch of labels, shape (N, N).</summary>
    public static Tensor EqualityTargets(IReadOnlyList<int> labels) => SoftLabelTargets(labels, labels, alpha: 1f);

    // ---- ML-GEmo-CLAP ----

    /// <summary>ML-GEmo-CLAP: alpha L(A, T_emotion, G_emotion) + (1 - alpha) L(A, T_gender, G_gender), the audio embeddings shared.</summary>
    public static Tensor MultiTask(Tensor audio, Tensor emotionText, Tensor genderText, Tensor logScaleAudio, Tensor logScaleText,
        IReadOnlyList<int> emotions, IReadOnlyList<int> genders, float alpha)
    {
        if (alpha is < 0f or > 1f) throw new ArgumentOutOfRangeException(nameof(alpha), $"alpha must be in [0, 1], got {alpha}");
        var emotionLoss = Compute(audio, emotionText, logScaleAudio, logScaleText, EqualityTargets(emotions));
        var genderLoss = Compute(audio, genderText, logScaleAudio, logScaleText, EqualityTargets(genders));
        return emotionLoss * alpha + genderLoss * (1f - alpha);
    }

    // ---- SL-GEmo-CLAP ----

    /// <summary>SL-GEmo-CLAP's G: rownorm(alpha [e_i = e_j] + (1 - alpha) [g_i = g_j]), shape (N, N).</summary>
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

    // ---- the recipe's variant ----

    /// <summary>The variant's objective on a batch: Emo-CLAP's loss with equality targets, ML-GEmo-CLAP's multi-task sum
    /// (<paramref name="genderText"/>: the gender prompts' embeddings (N, D), ML only), or SL-GEmo-CLAP's loss with soft
    /// gender-mixed targets.</summary>
    /// <param name="audio">(N, D) L2-normalised audio embeddings A.</param>
    /// <param name="text">(N, D) L2-normalised embeddings T of each clip's emotion prompt.</param>
    public static Tensor Objective(ClapVariant variant, float alpha, Tensor audio, Tensor text, Tensor? genderText, Tensor logScaleAudio, Tensor logScaleText,
        IReadOnlyList<int> emotions, IReadOnlyList<int> genders) => variant switch
    {
        ClapVariant.EmoClap => Compute(audio, text, logScaleAudio, logScaleText, EqualityTargets(emotions)),
        ClapVariant.MlGemoClap => MultiTask(audio, text, genderText ?? throw new ArgumentException("ML-GEmo-CLAP needs the gender prompts' embeddings, found none"),
            logScaleAudio, logScaleText, emotions, genders, alpha),
        ClapVariant.SlGemoClap => Compute(audio, text, logScaleAudio, logScaleText, SoftLabelTargets(emotions, genders, alpha)),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "not a CLAP variant"),
    };
}
