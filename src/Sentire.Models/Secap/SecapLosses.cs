using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Secap;

// SECap: Speech Emotion Captioning with Large Language Model (Xu et al., AAAI 2024), the training objectives in the
// paper's order, as functions of tensors:
//   eq. 4  STMIL: U, the vCLUB upper bound of I(Q; T) between the Q-Embedding and the transcript's T-Embedding
//          (VClub, with its variational network VClubEstimator beside it);
//   eq. 5  SCCL: L_SCCL, the speech-caption contrastive loss over N categories x K clips (SpeechCaptionContrastiveLoss);
//   eq. 6  stage 1: L_T1 = w_T1 U + w_T2 L_SCCL (SecapObjectives.Stage1; recipe stage1.stmil_weight = w_T1,
//          stage1.sccl_weight = w_T2);
//   eq. 7  stage 2: L_T2 = -1/|c| sum_k log p(c_k | L-Embedding, instruction, c_<k), the caption tokens' cross-entropy
//          through the frozen LM (SecapObjectives.CaptionCrossEntropy).
// The paper's names in code, once: Q-Embedding = QFormer.PoolQueries(QFormer.EncodeSpeech(..)), C-Embedding and
// T-Embedding = QFormer.PoolText(QFormer.EncodeText(caption or transcript)), L-Embedding = SecapModel.LEmbedding;
// w_T1 = recipe stage1.stmil_weight, w_T2 = stage1.sccl_weight; eq. 5's w1, w2, w3, m = stage1.sccl_w1/_w2/_w3/_margin.
// This file needs only tensors: the model is QFormer.cs and SecapModel.cs beside it; Training/Secap's
// SecapStage1Trainer and SecapStage2Trainer draw the batches, fit q(y|x) in its own optimiser step and call these.
// Shapes: B batch, D embedding size, T positions, V vocabulary.

// ---- eq. 4: STMIL, the vCLUB upper bound (Cheng et al., ICML 2020) ----

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

/// <summary>
/// vCLUB's variational network q(y|x) = N(mu(x), diag(exp(logvar(x)))) as in the CLUB reference code: two MLPs
/// (Linear-ReLU-Linear), the log-variance one ending in tanh to keep the variance in [e^-1, e]. Fitted by maximum
/// likelihood on matched pairs in its own optimiser step (<see cref="VClub.NegativeLogLikelihood"/>).
/// </summary>
public sealed class VClubEstimator : Module
{
    public Sequential Mu { get; }
    public Sequential LogVar { get; }

    public VClubEstimator(int xDim, int yDim, int hidden, Generator rngForInit)
    {
        Mu = RegisterModule("p_mu", new Sequential(new Linear(xDim, hidden, rngForInit), new ReluModule(), new Linear(hidden, yDim, rngForInit)));
        LogVar = RegisterModule("p_logvar", new Sequential(new Linear(xDim, hidden, rngForInit), new ReluModule(), new Linear(hidden, yDim, rngForInit), new TanhModule()));
    }

    public (Tensor Mu, Tensor LogVar) Forward(Tensor x) => (Mu.Forward(x), LogVar.Forward(x));

    sealed class ReluModule : Module<Tensor, Tensor> { public override Tensor Forward(Tensor input) => input.Relu(); }
    sealed class TanhModule : Module<Tensor, Tensor> { public override Tensor Forward(Tensor input) => input.Tanh(); }
}

// ---- eq. 5: SCCL ----

/// <summary>
/// Speech-Caption Contrastive Learning (SCCL), SECap eq. 5 (Xu et al., AAAI 2024). A batch holds K pairs from
/// each of N emotion categories. For the pooled Q-Embedding e_i of clip i, with S the cosine similarity,
/// d_i its own caption's C-Embedding, p_ij the K-1 other captions of its category and u_ij the NK-K captions
/// of the other categories:
///   L_i = w1 (1 - S(e_i, d_i)) + w2 sum_j (1 - S(e_i, p_ij)) + w3 sum_j ReLU(S(e_i, u_ij) - m),
/// and the loss is the mean of L_i over the batch. It pulls speech towards every caption of its emotion and
/// pushes it from other emotions only while they are closer than the margin m.
/// </summary>
public sealed record SpeechCaptionContrastiveLoss(float W1 = 1f, float W2 = 1f, float W3 = 1f, float Margin = 0.2f)
{
    /// <param name="speech">(B, D) pooled Q-Embeddings.</param>
    /// <param name="captions">(B, D) pooled C-Embeddings; row i is the caption of clip i.</param>
    /// <param name="categories">emotion category of each pair (B entries).</param>
    public Tensor Compute(Tensor speech, Tensor captions, IReadOnlyList<int> categories)
    {
        if (speech.Rank != 2 || !speech.Shape.SequenceEqual(captions.Shape))
            throw new ArgumentException($"speech {speech.ShapeString} and caption {captions.ShapeString} embeddings must both be (B, D)");
        int b = speech.Dim(0);
        if (categories.Count != b) throw new ArgumentException($"{categories.Count} categories for a batch of {b}");

        var similarity = speech.Normalize(dim: -1).MatMul(captions.Normalize(dim: -1), transB: true);   // S (B, B)
        // Weights that select each term: w1 on the diagonal, w2 on same-category pairs, w3 on the rest.
        var own = Tensor.Zeros(b, b);
        var sameCategory = Tensor.Zeros(b, b);
        var otherCategory = Tensor.Zeros(b, b);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
            {
                if (i == j) own[i, j] = W1;
                else if (categories[i] == categories[j]) sameCategory[i, j] = W2;
                else otherCategory[i, j] = W3;
            }
        var pull = similarity.RSub(1f) * (own + sameCategory);                 // w1 (1 - S_ii) + w2 (1 - S_ij)
        var push = similarity.Sub(Margin).Relu() * otherCategory;              // w3 ReLU(S_ij - m)
        return (pull + push).Sum() * (1f / b);
    }

    /// <summary>Category-balanced batches for SCCL: each batch takes K items from each of N categories
    /// (categories drawn without replacement among those with at least K items; items shuffled per epoch).</summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<int> categories, int n, int k, Generator rng)
    {
        if (n < 2 || k < 1) throw new ArgumentException($"SCCL batches need N >= 2 categories and K >= 1 samples (got N = {n}, K = {k})");
        var pools = categories.Select((c, i) => (c, i)).GroupBy(x => x.c).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());
        foreach (var pool in pools.Values) rng.Shuffle(pool.AsSpan());
        var cursor = pools.Keys.ToDictionary(c => c, _ => 0);
        while (true)
        {
            var available = cursor.Where(kv => pools[kv.Key].Length - kv.Value >= k).Select(kv => kv.Key).OrderBy(c => c).ToArray();
            if (available.Length < n) yield break;
            rng.Shuffle(available.AsSpan());
            var batch = new List<int>(n * k);
            foreach (var c in available.Take(n))
            {
                batch.AddRange(pools[c].Skip(cursor[c]).Take(k));
                cursor[c] += k;
            }
            yield return [.. batch];
        }
    }
}

// ---- eq. 6 and 7: the stage objectives ----

/// <summary>SECap's stage objectives as functions of the terms and logits.</summary>
public static class SecapObjectives
{
    /// <summary>Eq. 6: L_T1 = w_T1 U + w_T2 L_SCCL; a term that is off (its weight 0, or no rows for it) is null.</summary>
    /// <param name="u">eq. 4's U (scalar), or null.</param>
    /// <param name="sccl">eq. 5's L_SCCL (scalar), or null.</param>
    public static Tensor Stage1(Tensor? u, Tensor? sccl, float wT1, float wT2)
    {
        var total = Tensor.Scalar(0f);
        if (sccl is not null) total = total + sccl * wT2;
        if (u is not null) total = total + u * wT1;
        return total;
    }

    /// <summary>
    /// Eq. 7: mean cross-entropy of each row's caption tokens (and EOS) given everything before them. The rows are
    /// left-padded, so row i's caption c_i is its last |c_i| tokens, and position p predicts token p + 1: the caption's
    /// k-th token is the target at position T - |c_i| - 1 + k; every other position is ignored.
    /// </summary>
    /// <param name="logits">(B, T, V) the LM's next-token logits over the assembled rows.</param>
    /// <param name="captions">caption token ids of each row, EOS included (B entries).</param>
    public static Tensor CaptionCrossEntropy(Tensor logits, IReadOnlyList<int[]> captions)
    {
        int n = logits.Dim(0), t = logits.Dim(1);
        if (captions.Count != n) throw new ArgumentException($"{captions.Count} captions for {n} rows of logits");
        var targets = new int[n * t];
        Array.Fill(targets, -100);
        for (int i = 0; i < n; i++)
        {
            int c = captions[i].Length;
            if (c + 1 > t) throw new ArgumentException($"row {i}: a caption of {c} tokens does not fit {t} positions after a prefix");
            for (int k = 0; k < c; k++) targets[i * t + t - c - 1 + k] = captions[i][k];
        }
        return Loss.CrossEntropy(logits.Reshape(n * t, logits.Dim(2)), targets);
    }
}
