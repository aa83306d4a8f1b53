using Sentire.Audio.Corpus;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Training.Data;
using Sentire.Training.Recipes;

namespace Sentire.Training.Clap;

/// <summary>A labelled clip as pooled pretrained-encoder windows (<see cref="PretrainedFeatures"/>).</summary>
public sealed record PooledClip(Utterance Utterance, int Label, int Gender, FeatureMatrix Windows);

/// <summary>
/// Emo-CLAP with a frozen pretrained speech encoder (recipe <c>encoder.pretrained</c>): the encoder runs once per clip
/// window and its pooled hidden states are cached; training then fits only the layer weights, the projections, the
/// temperatures and our text encoder, so an epoch costs milliseconds per clip instead of an encoder pass. Each step
/// draws balanced clips and one random window of each (the same fixed-length windows inference averages over; the
/// log-mel SpecAugment of the from-scratch recipe does not apply to pooled features). Run folder, checkpoints,
/// metrics.csv, best/ and final/ are as in <see cref="ClapTrainer"/>; the packages name the encoder folder in
/// config.json (<c>audio_encoder.pretrained</c>, as given) and hold only the trained weights.
/// </summary>
public sealed class PretrainedClapTraining(ClapTrainer trainer, ClapRecipe recipe, string runFolder)
{
    public void Run(IReadOnlyList<Utterance> utterances, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(runFolder);
        var split = ClapTrainer.Split(utterances, recipe.Data.Validation, recipe.Seed);
        var tokenizer = trainer.TrainTokenizer();
        var config = trainer.ModelConfig(tokenizer.VocabSize) with { AudioEncoder = new PretrainedAudioEncoderConfig(recipe.Encoder.Pretrained!, recipe.Encoder.Layer) };
        var model = EmotionModelPackage.Build(config, new Generator(recipe.Seed + 1), new Generator(recipe.Seed));
        var tower = (PretrainedAudioTower)model.AudioEncoder;
        var features = new PretrainedFeatures(tower, config.FrontEnd, config.WindowSeconds, config.WindowHopFraction);

        var train = Labelled(split.Train);
        var valid = Labelled(split.Test);
        if (train.Count == 0 || valid.Count == 0)
            throw new RecipeException($"the split '{split.Name}' leaves {train.Count} training and {valid.Count} validation clips with the recipe's labels");
        int total = train.Count + valid.Count;
        var pooled = features.Load(train.Concat(valid).ToList(), recipe.Encoder.FeatureCache,
            new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, recipe.Optim.Epochs, n, total, 0, 0))));
        var trainClips = train.Select(u => Clip(u, pooled[u.Id])).ToList();
        var validClips = valid.Select(u => Clip(u, pooled[u.Id])).ToList();

        var sampler = new BalancedSampler(trainClips.Select(c => (c.Utterance.Corpus, c.Label)).ToList(), recipe.Data.CorpusWeights);
        trainer.Train(config, model, tokenizer, rng =>
        {
            var picks = sampler.Sample(recipe.Optim.BatchSize, rng).Select(i => trainClips[i]).ToList();
            var batch = features.Batch(picks.Select(c => (c.Windows, rng.NextInt(c.Windows.Rows))).ToList());
            var audio = model.ProjectAudio(null, tower.Combine(batch));                           // ClapModel.EmbedAudio on cached layers
            return new ClapTrainer.ClapBatch(audio, picks.Select(c => c.Label).ToArray(), picks.Select(c => c.Gender).ToArray());
        }, () => Evaluate(EmotionRecognizer.FromModel(config, model, tokenizer), model, features, validClips), progress, cancel);
    }

    List<Utterance> Labelled(IReadOnlyList<Utterance> utterances)
    {
        var known = recipe.Data.Labels.ToHashSet(StringComparer.Ordinal);
        return utterances.Where(u => u.Emotion is { } e && known.Contains(e) && u.Gender is not null).ToList();
    }

    PooledClip Clip(Utterance u, FeatureMatrix windows) =>
        new(u, recipe.Data.Labels.IndexOf(u.Emotion!), u.Gender == Gender.Female ? 0 : 1, windows);

    /// <summary>The clip embedding from cached windows, as <see cref="EmotionRecognizer.Encode"/> computes it from audio:
    /// normalize(mean_w normalize(P_a(combine(pooled_w)))).</summary>
    public static Tensor Embed(ClapModel model, PretrainedFeatures features, FeatureMatrix windows)
    {
        var tower = (PretrainedAudioTower)model.AudioEncoder;
        using var _ = Autograd.NoGrad();
        var batch = features.Batch(Enumerable.Range(0, windows.Rows).Select(r => (windows, r)).ToList());
        return ClapModel.ClipEmbedding(model.ProjectAudio(null, tower.Combine(batch)));
    }

    /// <summary>Zero-shot predictions of the clips over the recipe's labels, from cached features.</summary>
    public static IReadOnlyList<ItemPrediction> Evaluate(EmotionRecognizer recognizer, ClapModel model, PretrainedFeatures features, IReadOnlyList<PooledClip> clips)
    {
        var labels = recognizer.Labels;
        var predictions = clips.Select(c =>
        {
            var p = recognizer.Score(Embed(model, features, c.Windows), labels, recognizer.Config.PromptTemplate);
            return new ItemPrediction(c.Utterance, new EmotionPrediction(0, 0, labels.Select((l, i) => new EmotionScore(l, p[i])).OrderByDescending(s => s.Probability).ToList()));
        }).ToList();
        return predictions;
    }
}
