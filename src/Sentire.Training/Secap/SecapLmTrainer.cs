using Sentire.Models.Decoders;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Text;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>
/// Pre-trains the small caption LM that SECap's stage 2 keeps frozen (the paper freezes LLaMA-7B): a LLaMA-architecture
/// decoder with tied embeddings, trained by next-token prediction on "BOS instruction caption EOS" rows of the training
/// split (human Chinese captions and derived English captions, each language drawn with probability 1/2 so the 400
/// Chinese captions are not drowned by the English paraphrases), with its own BPE tokenizer. The run folder holds the
/// caption data file, checkpoint.safetensors (resumable per epoch), metrics.csv and model/ (the LM with the best
/// validation loss, in Hugging Face layout).
/// </summary>
public sealed class SecapLmTrainer(SecapLmRecipe recipe, string recipeText, string corporaRoot, string runFolder)
{
    public const string ModelFolder = "model";

    public LlamaConfig ModelConfig(BpeTokenizer tokenizer) => new()
    {
        ModelType = "llama",
        VocabSize = tokenizer.VocabSize,
        HiddenSize = recipe.Model.HiddenSize,
        IntermediateSize = recipe.Model.IntermediateSize,
        NumHiddenLayers = recipe.Model.NumHiddenLayers,
        NumAttentionHeads = recipe.Model.NumAttentionHeads,
        NumKeyValueHeads = recipe.Model.NumKeyValueHeads,
        HeadDim = recipe.Model.HiddenSize / recipe.Model.NumAttentionHeads,
        RmsNormEps = (float)recipe.Model.RmsNormEps,
        RopeTheta = recipe.Model.RopeTheta,
        MaxPositionEmbeddings = recipe.Model.MaxPositionEmbeddings,
        TieWordEmbeddings = true,
        BosTokenId = tokenizer.BosId,
        EosTokenIds = [tokenizer.EosId],
        PadTokenId = tokenizer.PadId,
    };

    public void Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(runFolder);
        var o = recipe.Optim;
        var clips = CaptionDataset.LoadOrBuild(runFolder, corporaRoot, recipe.Data, recipe.Seed,
            new SynchronousProgress<(int Done, int Total)>(p => progress?.Report(new TrainingProgress("captions", 0, o.Epochs, p.Done, p.Total, 0, 0))));
        var tokenizer = SecapTokenizer.Train(clips, recipe.VocabSize);
        var config = ModelConfig(tokenizer);
        var model = new LlamaForCausalLM(config, new Generator(recipe.Seed));
        var train = clips.Where(c => c.Split == CaptionDataset.Train).GroupBy(c => c.Language).ToDictionary(g => g.Key, g => g.ToList());
        var valid = clips.Where(c => c.Split == CaptionDataset.Valid).ToList();

        var languages = train.Keys.Order(StringComparer.Ordinal).ToArray();

        // Caption tokens only, as stage 2 scores them: plain ("BOS instruction caption") and hinted ("BOS hint
        // instruction caption", the hint as in training: the caption itself, or another paraphrase of it). Hinted well below plain means
        // the LM reads the prefix slot; if they are equal, stage 2 has nothing to steer and its captions collapse.
        double ValidLoss(string language, bool hinted)
        {
            var rows = valid.Where(c => c.Language == language).Select(c => Row(tokenizer, CaptionInstructions.For(language)[0], c.Reference, config.MaxPositionEmbeddings,
                !hinted ? null : recipe.PrefixHint == CaptionHint.Copy ? c.Reference : c.TrainingCaptions.FirstOrDefault(t => t != c.Reference) ?? c.Reference)).ToArray();
            if (rows.Length == 0) return double.NaN;
            using var _ = Autograd.NoGrad();
            double total = 0;
            for (int i = 0; i < rows.Length; i += ValidBatch)
            {
                var part = rows[i..Math.Min(rows.Length, i + ValidBatch)];
                total += NextTokenLoss(model, [.. part.Select(r => r.Ids)], tokenizer.PadId, [.. part.Select(r => r.CaptionStart)]).Item() * part.Length;
            }
            return total / rows.Length;
        }

        new TrainingLoop
        {
            Folder = runFolder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = model,
            Optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters(), o.WeightDecay), o.LearningRate),
            Schedule = new LrSchedule(o.LearningRate, o.WarmupSteps, (long)o.Epochs * o.StepsPerEpoch, LrDecay.Cosine, o.MinLearningRate),
            Epochs = o.Epochs,
            StepsPerEpoch = o.StepsPerEpoch,
            GradClip = o.GradClip,
            ClippedParameters = [.. model.Parameters()],
            Columns = ["valid_loss_en", "valid_loss_zh", "valid_hinted_loss_en", "valid_hinted_loss_zh"],
            Best = new BestEpoch("best/valid_loss", HigherIsBetter: false, _ => CaptionLanguageModel.Save(Path.Combine(runFolder, ModelFolder), model, tokenizer)),
            Step = (rng, _) =>
            {
                var rows = new int[o.BatchSize][];
                for (int b = 0; b < o.BatchSize; b++)
                {
                    var pool = train[languages[rng.NextInt(languages.Length)]];
                    var clip = pool[rng.NextInt(pool.Count)];
                    var caption = clip.TrainingCaptions[rng.NextInt(clip.TrainingCaptions.Count)];
                    var hint = rng.NextDouble() < recipe.PrefixHintProbability
                        ? recipe.PrefixHint == CaptionHint.Copy ? caption : clip.TrainingCaptions[rng.NextInt(clip.TrainingCaptions.Count)] : null;
                    rows[b] = Row(tokenizer, CaptionInstructions.Draw(clip.Language, rng), caption, config.MaxPositionEmbeddings, hint).Ids;
                }
                return NextTokenLoss(model, rows, tokenizer.PadId);
            },
            Validate = end =>
            {
                double en = ValidLoss("en", false), zh = ValidLoss("zh", false), hintedEn = ValidLoss("en", true), hintedZh = ValidLoss("zh", true);
                // The model kept is the one that reads the prefix best (hinted loss), since that is what stage 2 needs: the
                // plain Chinese loss rises after a few epochs (350 training captions are memorised) and would otherwise pick
                // an early LM that ignores the prefix.
                double[] selection = recipe.PrefixHintProbability > 0 ? [hintedEn, hintedZh] : [en, zh];
                return new EpochReport([en, zh, hintedEn, hintedZh],
                    new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/loss_en"] = en, ["valid/loss_zh"] = zh, ["valid/hinted_loss_en"] = hintedEn, ["valid/hinted_loss_zh"] = hintedZh },
                    $"LM epoch {end.Epoch}: loss {end.TrainLoss:F4}, valid caption loss en {en:F4} zh {zh:F4}, hinted en {hintedEn:F4} zh {hintedZh:F4}",
                    Score: selection.Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Average());
            },
        }.Run(progress, cancel);
    }

    /// <summary>Validation rows per forward pass.</summary>
    const int ValidBatch = 32;

    /// <summary>BOS, [hint,] instruction, caption, EOS, cut to the LM's positions; CaptionStart is the caption's first index.</summary>
    static (int[] Ids, int CaptionStart) Row(BpeTokenizer tokenizer, string instruction, string caption, int maxTokens, string? hint = null)
    {
        int[] prompt = [tokenizer.BosId, .. hint is null ? [] : tokenizer.Encode(hint), .. tokenizer.Encode(instruction)];
        int[] row = [.. prompt, .. tokenizer.Encode(caption), tokenizer.EosId];
        return (row.Length <= maxTokens ? row : row[..maxTokens], prompt.Length);
    }

    /// <summary>Mean cross-entropy of the next tokens of left-padded rows: every token, or (with
    /// <paramref name="scoreFrom"/>) only the tokens at or after each row's given index.</summary>
    static Tensor NextTokenLoss(LlamaForCausalLM model, int[][] rows, int padId, int[]? scoreFrom = null)
    {
        int b = rows.Length, t = rows.Max(r => r.Length);
        var ids = new int[b][];
        var mask = Tensor.Zeros(b, t);
        var targets = new int[b * t];
        Array.Fill(targets, -100);
        for (int i = 0; i < b; i++)
        {
            int pad = t - rows[i].Length, first = pad + Math.Max(0, (scoreFrom?[i] ?? 1) - 1);
            ids[i] = [.. Enumerable.Repeat(padId, pad), .. rows[i]];
            mask.Data.Slice(i * t + pad, rows[i].Length).Fill(1f);
            for (int j = first; j + 1 < t; j++) targets[i * t + j] = ids[i][j + 1];
        }
        var logits = model.Forward(model.EmbedTokens(ids), mask);                        // (B, T, V)
        return Loss.CrossEntropy(logits.Reshape(b * t, logits.Dim(2)), targets);
    }
}
