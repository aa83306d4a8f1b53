using System.Text.Json;
using Sentire.Models.Clap;
using Sentire.Models.HuggingFace.Text;
using Sentire.Models.Secap;
using Sentire.Training.Recipes;

namespace Sentire.Training.Secap;

/// <summary>
/// Where a fresh Q-Former's text-mode weights come from (recipe <c>qformer.initialise_from</c>): nothing (random), a
/// Hugging Face BERT checkpoint folder (BLIP-2 and SECap initialise the Q-Former from BERT-base), or a Sentire emotion
/// model package, whose own CLAP text encoder is used.
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
            copied = qformer.InitialiseFrom(text);
            source = $"the text encoder of {path}";
        }
        else if (modelType == "bert")
        {
            copied = qformer.InitialiseFrom(PretrainedTextEncoder.Load(path).Model);
            source = $"BERT {path}";
        }
        else throw new RecipeException($"qformer.initialise_from: {path} is neither a BERT checkpoint (model_type 'bert') nor a Sentire emotion model (format '{EmotionModelConfig.FormatName}')");
        if (copied == 0) throw new RecipeException($"qformer.initialise_from: no tensor of {path} matches the Q-Former's sizes (hidden {qformer.Config.HiddenSize}, FFN {qformer.Config.IntermediateSize})");
        return $"{copied} tensors from {source}";
    }
}
