using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Training.Recipes;

namespace Sentire.Training.Distillation;

/// <summary>
/// Distillation of the AudioSet teacher (EfficientAT mn04_as, <see cref="TeacherEmbeddings"/>) into a CLAP audio encoder,
/// as an auxiliary loss beside the CLAP objective (issue 18): a hint regression onto the teacher's representation
/// (FitNets, Romero et al., 2015) and the teacher's soft AudioSet tags as in EfficientAT's own training
/// (Schmid, Koutini, Widmer, 2023, "Efficient Large-Scale Audio Tagging via Transformer-to-CNN Knowledge Distillation"):
///   L_aux = w_e mean_{b,k} (W_e h_b + c_e - z_b)_k^2 + w_l mean_{b,c} [softplus(u_bc) - u_bc sigmoid(y_bc)],  u = W_l h + c_l,
/// h_b (D) the pooled encoder output of training window b, z_b = (e - mu) / sigma the teacher's embedding e (384) of the
/// window's clip, standardised per dimension over the training clips, y_b the teacher's 527 AudioSet logits of that clip (the
/// second term is binary cross-entropy with logits against the teacher's probabilities). The teacher saw the whole clip,
/// the encoder a crop of it. Keys "embedding.weight" (384, D), "logits.weight" (527, D) and their biases; a head whose
/// weight is 0 is not built. Training only: the packaged model has no such head and runs without the teacher.
/// </summary>
public sealed class EncoderDistillation : Module
{
    /// <summary>W_e, c_e: pooled encoder output -> standardised teacher embedding; null when distill.embedding_weight is 0.</summary>
    public Linear? Embedding { get; }
    /// <summary>W_l, c_l: pooled encoder output -> AudioSet logits; null when distill.logits_weight is 0.</summary>
    public Linear? Logits { get; }

    readonly float embeddingWeight, logitsWeight;
    readonly float[][] embeddingTargets, probabilityTargets;   // per training clip: z (384), sigmoid(y) (527)

    /// <param name="hiddenSize">D, the width of the pooled encoder output</param>
    /// <param name="embeddings">the teacher's embedding (384) of each training clip, in the order <see cref="Loss"/>'s clip indices refer to</param>
    /// <param name="logits">the teacher's AudioSet logits (527) of each training clip, in the same order</param>
    public EncoderDistillation(int hiddenSize, ClapDistillRecipe recipe, IReadOnlyList<float[]> embeddings, IReadOnlyList<float[]> logits, Generator rng)
    {
        if (!recipe.Enabled) throw new ArgumentException("distill.embedding_weight and distill.logits_weight are both 0: there is nothing to distil");
        if (embeddings.Count == 0 || embeddings.Count != logits.Count)
            throw new ArgumentException($"teacher targets of {embeddings.Count} clips (embeddings) and {logits.Count} (logits): expected the same number, at least one");
        if (embeddings.FirstOrDefault(e => e.Length != TeacherEmbeddings.EmbeddingSize) is { } badE)
            throw new ArgumentException($"a teacher embedding has {badE.Length} values, expected {TeacherEmbeddings.EmbeddingSize}");
        if (logits.FirstOrDefault(y => y.Length != TeacherEmbeddings.LogitCount) is { } badY)
            throw new ArgumentException($"a teacher logit vector has {badY.Length} values, expected {TeacherEmbeddings.LogitCount}");
        embeddingWeight = recipe.EmbeddingWeight;
        logitsWeight = recipe.LogitsWeight;
        if (embeddingWeight > 0) Embedding = RegisterModule("embedding", new Linear(hiddenSize, TeacherEmbeddings.EmbeddingSize, rng));
        if (logitsWeight > 0) Logits = RegisterModule("logits", new Linear(hiddenSize, TeacherEmbeddings.LogitCount, rng));

        var (mean, std) = Standardisation(embeddings);
        embeddingTargets = embeddings.Select(e =>
        {
            var z = new float[e.Length];
            for (int k = 0; k < z.Length; k++) z[k] = (e[k] - mean[k]) / std[k];
            return z;
        }).ToArray();
        probabilityTargets = logits.Select(y =>
        {
            var p = new float[y.Length];
            for (int c = 0; c < p.Length; c++) p[c] = 1f / (1f + MathF.Exp(-y[c]));
            return p;
        }).ToArray();
    }

    /// <summary>The heads for the training clips <paramref name="trainingIds"/>, their targets read from <paramref name="teacher"/>.</summary>
    public static EncoderDistillation For(int hiddenSize, ClapDistillRecipe recipe, IReadOnlyList<string> trainingIds, TeacherEmbeddings teacher, Generator rng) =>
        new(hiddenSize, recipe, trainingIds.Select(id => teacher.Embedding(id).ToArray()).ToList(), trainingIds.Select(id => teacher.Logits(id).ToArray()).ToList(), rng);

    /// <summary>Per-dimension mean and standard deviation (floored at 1e-6) of the teacher embeddings.</summary>
    static (float[] Mean, float[] Std) Standardisation(IReadOnlyList<float[]> embeddings)
    {
        int d = embeddings[0].Length;
        var mean = new double[d];
        var square = new double[d];
        foreach (var e in embeddings)
            for (int k = 0; k < d; k++) { mean[k] += e[k]; square[k] += (double)e[k] * e[k]; }
        var m = new float[d];
        var s = new float[d];
        for (int k = 0; k < d; k++)
        {
            double mu = mean[k] / embeddings.Count;
            m[k] = (float)mu;
            s[k] = (float)Math.Max(Math.Sqrt(Math.Max(square[k] / embeddings.Count - mu * mu, 0)), 1e-6);
        }
        return (m, s);
    }

    /// <summary>L_aux of a batch: <paramref name="pooled"/> (B, D) the pooled encoder outputs, <paramref name="clips"/> (B) the
    /// training-clip index of each row.</summary>
    public Tensor Loss(Tensor pooled, IReadOnlyList<int> clips)
    {
        int b = pooled.Dim(0);
        if (pooled.Rank != 2 || clips.Count != b)
            throw new ArgumentException($"pooled encoder output {pooled.ShapeString} must be (B, D) with one clip index per row, found {clips.Count} indices");
        Tensor? loss = null;
        if (Embedding is not null)
        {
            var z = Targets(embeddingTargets, clips, TeacherEmbeddings.EmbeddingSize);
            loss = Sentire.Tensors.Loss.Mse(Embedding.Forward(pooled), z) * embeddingWeight;
        }
        if (Logits is not null)
        {
            var p = Targets(probabilityTargets, clips, TeacherEmbeddings.LogitCount);
            var u = Logits.Forward(pooled);                                              // (B, 527)
            var bce = (u.Softplus() - u * p).Mean() * logitsWeight;                      // BCE with logits, soft targets
            loss = loss is null ? bce : loss + bce;
        }
        return loss!;
    }

    static Tensor Targets(float[][] rows, IReadOnlyList<int> clips, int width)
    {
        var t = Tensor.Zeros(clips.Count, width);
        for (int i = 0; i < clips.Count; i++) rows[clips[i]].CopyTo(t.Data.Slice(i * width, width));
        return t;
    }
}
