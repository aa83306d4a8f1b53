using System.Text.Json;
using Sentire.Models.Clap;
using Sentire.Models.HuggingFace.Text;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Training.Recipes;

namespace Sentire.Training.Secap;

/// <summary>
/// Where a fresh Q-Former's text-mode weights come from (recipe <c>qformer.initialise_from</c>): nothing (random), a
/// Hugging Face BERT checkpoint folder (BLIP-2 and SECap initialise the Q-Former from BERT-base), or a Sentire emotion
/// model package, whose own CLAP text encoder is used. Initialisation is a training concern, so the copying lives here,
/// not in the model (<see cref="QFormer"/> knows nothing of BERT or of Emo-CLAP).
/// </summary>
public static class QFormerInitialisation
{
    /// <summary>Initialises <paramref name="qformer"/> from <paramref name="path"/> and says what was done.</summary>
    public static string Apply(QFormer qformer, string path)
    {
        if (string.IsNullOrEmpty(path)) return "random initialisation";
        var config = Path.Combine(path, "config.json");
        if (!File.Exists(config)) throw new RecipeException($"qformer.initialise_from: {path} is not a model folder (no config.json)");
        string? format = null, modelType = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            if (doc.RootElement.TryGetProperty("format", out var f)) format = f.GetString();
            if (doc.RootElement.TryGetProperty("model_type", out var m)) modelType = m.GetString();
        }
        catch (JsonException e) { throw new RecipeException($"qformer.initialise_from: {config} is not valid JSON ({e.Message})"); }

        int copied;
        string source;
        if (format == EmotionModelConfig.FormatName)
        {
            var (_, model, _) = EmotionModelPackage.Load(path);
            if (model.TextEncoder is not TextEncoder text) throw new RecipeException($"qformer.initialise_from: {path} has a pre-trained text tower; point at that checkpoint instead");
            copied = FromTextEncoder(qformer, text);
            source = $"the text encoder of {path}";
        }
        else if (modelType == "bert")
        {
            copied = FromBert(qformer, PretrainedTextEncoder.Load(path).Model);
            source = $"BERT {path}";
        }
        else throw new RecipeException($"qformer.initialise_from: {path} is neither a BERT checkpoint (model_type 'bert') nor a Sentire emotion model (format '{EmotionModelConfig.FormatName}')");
        if (copied == 0) throw new RecipeException($"qformer.initialise_from: no tensor of {path} matches the Q-Former's sizes (hidden {qformer.Config.HiddenSize}, FFN {qformer.Config.IntermediateSize})");
        return $"{copied} tensors from {source}";
    }

    /// <summary>
    /// BLIP-2's initialisation: the Q-Former's text-mode weights from a pre-trained BERT (Hugging Face BertModel names:
    /// embeddings.*, encoder.layer.N.attention.self.{query,key,value}, attention.output.*, intermediate.dense,
    /// output.*). Every tensor whose shape matches is copied; cross-attention and the queries have no BERT counterpart
    /// and keep their random initialisation (as in BLIP-2). BERT adds token_type_embeddings[0] to every token of a
    /// one-segment input; the Q-Former has no segments, so that row is folded into the position embeddings. With the
    /// same vocabulary and sizes the text mode then computes exactly BERT's last hidden state. Returns the number of
    /// tensors copied.
    /// </summary>
    public static int FromBert(QFormer qformer, BertModel bert)
    {
        if (bert is RobertaModel)
            throw new NotSupportedException("Q-Former initialisation reads BERT checkpoints; RoBERTa's offset positions are not mapped");
        var e = bert.Embeddings;
        int copied = CopyIfFits(e.WordEmbeddings.Weight, qformer.WordEmbeddings.Weight);
        int positions = CopyIfFits(e.PositionEmbeddings.Weight, qformer.PositionEmbeddings.Weight, leadingRows: true);
        copied += positions;
        if (positions == 1)
        {
            var segment = e.TokenTypeEmbeddings.Weight.Data[..qformer.Config.HiddenSize];
            for (int p = 0; p < qformer.PositionEmbeddings.Weight.Dim(0); p++)
                System.Numerics.Tensors.TensorPrimitives.Add(qformer.PositionEmbeddings.Weight.Data.Slice(p * qformer.Config.HiddenSize, qformer.Config.HiddenSize), segment,
                    qformer.PositionEmbeddings.Weight.Data.Slice(p * qformer.Config.HiddenSize, qformer.Config.HiddenSize));
        }
        copied += Copy(e.Norm, qformer.EmbeddingsNorm);
        for (int i = 0; i < Math.Min(bert.Encoder.Layer.Count, qformer.Layers.Count); i++)
        {
            var (src, dst) = (bert.Encoder.Layer[i], qformer.Layers[i]);
            var (sa, da) = (src.Attention, dst.SelfAttention);
            copied += Copy(sa.Self.Query, da.Query) + Copy(sa.Self.Key, da.Key) + Copy(sa.Self.Value, da.Value)
                + Copy(sa.Output.Dense, da.OutputDense) + Copy(sa.Output.Norm, da.OutputNorm)
                + Copy(src.Intermediate.Dense, dst.FeedForward.IntermediateDense) + Copy(src.Output.Dense, dst.FeedForward.OutputDense)
                + Copy(src.Output.Norm, dst.FeedForward.OutputNorm);
        }
        return copied;
    }

    /// <summary>
    /// Initialisation hook from a pre-trained text encoder: copies every self-attention and feed-forward weight of our
    /// <see cref="TextEncoder"/> (a Sentire emotion package's) whose shape matches (its pre-norm layer norms become the post-norm ones) and returns the
    /// number of tensors copied. Vocabularies differ, so token embeddings are not copied.
    /// </summary>
    public static int FromTextEncoder(QFormer qformer, TextEncoder text)
    {
        int copied = 0;
        for (int i = 0; i < Math.Min(text.Layers.Count, qformer.Layers.Count); i++)
        {
            var (src, dst) = (text.Layers[i], qformer.Layers[i]);
            copied += Copy(src.SelfAttention.QProj, dst.SelfAttention.Query) + Copy(src.SelfAttention.KProj, dst.SelfAttention.Key)
                + Copy(src.SelfAttention.VProj, dst.SelfAttention.Value) + Copy(src.SelfAttention.OutProj, dst.SelfAttention.OutputDense)
                + Copy(src.AttentionNorm, dst.SelfAttention.OutputNorm)
                + Copy(src.Ffn.IntermediateDense, dst.FeedForward.IntermediateDense) + Copy(src.Ffn.OutputDense, dst.FeedForward.OutputDense)
                + Copy(src.FinalNorm, dst.FeedForward.OutputNorm);
        }
        return copied;
    }

    static int Copy(Linear from, Linear to) => CopyIfFits(from.Weight, to.Weight) + CopyIfFits(from.Bias, to.Bias);
    static int Copy(LayerNorm from, LayerNorm to) => CopyIfFits(from.Weight, to.Weight) + CopyIfFits(from.Bias, to.Bias);

    /// <summary>Copies <paramref name="from"/> into <paramref name="to"/> when the shapes are equal (or, with
    /// <paramref name="leadingRows"/>, when <paramref name="to"/> is a matrix of the first rows of <paramref name="from"/>);
    /// returns 1 when copied, 0 when not.</summary>
    static int CopyIfFits(Tensor? from, Tensor? to, bool leadingRows = false)
    {
        if (from is null || to is null) return 0;
        bool fits = leadingRows ? from.Rank == 2 && to.Rank == 2 && from.Dim(1) == to.Dim(1) && from.Dim(0) >= to.Dim(0) : from.Shape.SequenceEqual(to.Shape);
        if (!fits) return 0;
        from.Data[..to.Data.Length].CopyTo(to.Data);
        return 1;
    }
}
