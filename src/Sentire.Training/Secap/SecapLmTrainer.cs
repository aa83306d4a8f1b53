using System.Diagnostics;
using Sentire.Models.Decoders;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Text;
using Sentire.Training.Captions;
using Sentire.Training.Clap;

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

        var optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters(), o.WeightDecay), o.LearningRate);
        long totalSteps = (long)o.Epochs * o.StepsPerEpoch;
        var schedule = new LrSchedule(o.LearningRate, o.WarmupSteps, totalSteps, LrDecay.Cosine, o.MinLearningRate);
        var checkpointPath = Path.Combine(runFolder, "checkpoint.safetensors");
        var metrics = new MetricsCsv(Path.Combine(runFolder, "metrics.csv"), ["epoch", "step", "train_loss", "valid_loss_en", "valid_loss_zh", "learning_rate", "seconds"]);
        var resume = TrainingResume.From(checkpointPath, model, optimizer);
        int startEpoch = resume.StartEpoch;
        long step = resume.Step;
        double best = resume.Metric("best/valid_loss", double.PositiveInfinity);
        metrics.LoadUpTo(startEpoch - 1);
        var languages = train.Keys.Order(StringComparer.Ordinal).ToArray();

        for (int epoch = startEpoch; epoch <= o.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var rng = new Generator(recipe.Seed * 1_000_003UL + (ulong)epoch);
            model.Train();
            double sum = 0;
            for (int s = 0; s < o.StepsPerEpoch; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var rows = new int[o.BatchSize][];
                for (int b = 0; b < o.BatchSize; b++)
                {
                    var pool = train[languages[rng.NextInt(languages.Length)]];
                    var clip = pool[rng.NextInt(pool.Count)];
                    var caption = clip.TrainingCaptions[rng.NextInt(clip.TrainingCaptions.Count)];
                    var hint = rng.NextDouble() < recipe.PrefixHintProbability ? clip.TrainingCaptions[rng.NextInt(clip.TrainingCaptions.Count)] : null;
                    rows[b] = Row(tokenizer, CaptionInstructions.Draw(clip.Language, rng), caption, config.MaxPositionEmbeddings, hint);
                }
                optimizer.SetLearningRateFactor(schedule.Factor(step));
                var loss = NextTokenLoss(model, rows, tokenizer.PadId);
                optimizer.ZeroGrad();
                loss.Backward();
                GradClip.ClipGlobalNorm(model.Parameters(), (float)o.GradClip);
                optimizer.Step();
                step++;
                sum += loss.Item();
                progress?.Report(new TrainingProgress("train", epoch, o.Epochs, s + 1, o.StepsPerEpoch, sum / (s + 1), schedule.LearningRate(step)));
            }

            model.Eval();
            double ValidLoss(string language)
            {
                var rows = valid.Where(c => c.Language == language).Select(c => Row(tokenizer, CaptionInstructions.For(language)[0], c.Reference, config.MaxPositionEmbeddings)).ToArray();
                if (rows.Length == 0) return double.NaN;
                using var _ = Autograd.NoGrad();
                double total = 0;
                for (int i = 0; i < rows.Length; i += 32) total += NextTokenLoss(model, rows[i..Math.Min(rows.Length, i + 32)], tokenizer.PadId).Item() * Math.Min(32, rows.Length - i);
                return total / rows.Length;
            }
            double en = ValidLoss("en"), zh = ValidLoss("zh");
            double score = new[] { en, zh }.Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Average();
            metrics.Add(epoch, step, sum / o.StepsPerEpoch, en, zh, schedule.LearningRate(step), clock.Elapsed.TotalSeconds);
            if (score < best)
            {
                best = score;
                CaptionLanguageModel.Save(Path.Combine(runFolder, ModelFolder), model, tokenizer);
            }
            Checkpoint.Save(checkpointPath, model, optimizer, new TrainingState
            {
                Epoch = epoch,
                Step = step,
                RngSeeds = new Dictionary<string, ulong> { ["seed"] = recipe.Seed },
                Metrics = new Dictionary<string, double> { ["train/loss"] = sum / o.StepsPerEpoch, ["valid/loss_en"] = en, ["valid/loss_zh"] = zh, ["best/valid_loss"] = best },
                Recipe = recipeText,
            });
            progress?.Report(new TrainingProgress($"LM epoch {epoch}: loss {sum / o.StepsPerEpoch:F4}, valid loss en {en:F4} zh {zh:F4}", epoch, o.Epochs, o.StepsPerEpoch, o.StepsPerEpoch, sum / o.StepsPerEpoch, schedule.LearningRate(step)));
        }
    }

    /// <summary>BOS, [hint,] instruction, caption, EOS, cut to the LM's positions.</summary>
    static int[] Row(BpeTokenizer tokenizer, string instruction, string caption, int maxTokens, string? hint = null)
    {
        int[] row = [tokenizer.BosId, .. hint is null ? [] : tokenizer.Encode(hint), .. tokenizer.Encode(instruction), .. tokenizer.Encode(caption), tokenizer.EosId];
        return row.Length <= maxTokens ? row : row[..maxTokens];
    }

    /// <summary>Mean cross-entropy of every next token of left-padded rows.</summary>
    static Tensor NextTokenLoss(LlamaForCausalLM model, int[][] rows, int padId)
    {
        int b = rows.Length, t = rows.Max(r => r.Length);
        var ids = new int[b][];
        var mask = Tensor.Zeros(b, t);
        var targets = new int[b * t];
        Array.Fill(targets, -100);
        for (int i = 0; i < b; i++)
        {
            int pad = t - rows[i].Length;
            ids[i] = [.. Enumerable.Repeat(padId, pad), .. rows[i]];
            mask.Data.Slice(i * t + pad, rows[i].Length).Fill(1f);
            for (int j = pad; j + 1 < t; j++) targets[i * t + j] = ids[i][j + 1];
        }
        var logits = model.Forward(model.EmbedTokens(ids), mask);                        // (B, T, V)
        return Loss.CrossEntropy(logits.Reshape(b * t, logits.Dim(2)), targets);
    }
}
