using System.Diagnostics;
using Sentire.Audio.Corpus;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Clap;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Training.Data;
using Sentire.Training.Losses;
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
public sealed class PretrainedClapTraining(ClapTrainer trainer, ClapRecipe recipe, string recipeText, string runFolder)
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

        var optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters().Where(p => p.Value.RequiresGrad), recipe.Optim.WeightDecay), recipe.Optim.LearningRate);
        long totalSteps = (long)recipe.Optim.Epochs * recipe.Optim.StepsPerEpoch;
        var schedule = new LrSchedule(recipe.Optim.LearningRate, recipe.Optim.WarmupSteps, totalSteps, LrDecay.Cosine, recipe.Optim.MinLearningRate);
        var checkpointPath = Path.Combine(runFolder, ClapTrainer.CheckpointFile);
        var resume = TrainingResume.From(checkpointPath, model, optimizer);
        int startEpoch = resume.StartEpoch, bestEpoch = (int)resume.Metric("best/epoch", 0);
        long step = resume.Step;
        double bestUar = resume.Metric("best/uar", double.NegativeInfinity);
        var history = new List<EpochMetrics>();
        if (resume.Resumed) history.AddRange(ClapTrainer.ReadMetrics(Path.Combine(runFolder, ClapTrainer.MetricsFile)).Where(m => m.Epoch < startEpoch));

        var sampler = new BalancedSampler(trainClips.Select(c => (c.Utterance.Corpus, c.Label)).ToList());
        var labelIds = recipe.Data.Labels.Select(l => model.PromptIds(recipe.Data.PromptTemplate.Replace("{label}", l, StringComparison.Ordinal), tokenizer)).ToArray();
        var genderIds = EmotionClipSet.Genders.Select(g => model.PromptIds(recipe.Data.GenderTemplate.Replace("{label}", g, StringComparison.Ordinal), tokenizer)).ToArray();
        bool trained = false;
        for (int epoch = startEpoch; epoch <= recipe.Optim.Epochs && epoch - bestEpoch <= recipe.Optim.EarlyStopPatience; epoch++)
        {
            var clock = Stopwatch.StartNew();
            trained = true;
            var rng = new Generator(recipe.Seed * 1_000_003UL + (ulong)epoch);
            model.Train();
            double lossSum = 0;
            for (int s = 0; s < recipe.Optim.StepsPerEpoch; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var picks = sampler.Sample(recipe.Optim.BatchSize, rng).Select(i => trainClips[i]).ToList();
                var batch = features.Batch(picks.Select(c => (c.Windows, rng.NextInt(c.Windows.Rows))).ToList());
                var labels = picks.Select(c => c.Label).ToArray();
                var genders = picks.Select(c => c.Gender).ToArray();
                optimizer.SetLearningRateFactor(schedule.Factor(step));
                var audio = model.AudioProjection.Forward(tower.Combine(batch)).Normalize(dim: -1);   // ClapModel.EmbedAudio on cached layers
                var loss = Loss(recipe, model, audio, labels.Select(l => labelIds[l]).ToArray(), genders.Select(g => genderIds[g]).ToArray(), labels, genders);
                lossSum += ClapTrainer.OptimizerStep(model, optimizer, loss, recipe.Optim.GradClip);
                step++;
                progress?.Report(new TrainingProgress("train", epoch, recipe.Optim.Epochs, s + 1, recipe.Optim.StepsPerEpoch, lossSum / (s + 1), schedule.LearningRate(step)));
            }

            model.Eval();
            var matrix = Evaluate(EmotionRecognizer.FromModel(config, model, tokenizer), model, features, validClips);
            var metrics = new EpochMetrics(epoch, step, lossSum / recipe.Optim.StepsPerEpoch, matrix.Uar, matrix.War, schedule.LearningRate(step), clock.Elapsed.TotalSeconds);
            ClapTrainer.FinishEpoch(recipe, recipeText, runFolder, config, model, tokenizer, optimizer, history, metrics, ref bestUar, ref bestEpoch, progress);
        }
        ClapTrainer.SaveFinal(runFolder, trained, config, model, tokenizer);
    }

    List<Utterance> Labelled(IReadOnlyList<Utterance> utterances)
    {
        var known = recipe.Data.Labels.ToHashSet(StringComparer.Ordinal);
        return utterances.Where(u => u.Emotion is { } e && known.Contains(e) && u.Gender is not null).ToList();
    }

    PooledClip Clip(Utterance u, FeatureMatrix windows) =>
        new(u, recipe.Data.Labels.IndexOf(u.Emotion!), u.Gender == Gender.Female ? 0 : 1, windows);

    /// <summary>The recipe variant's contrastive loss (as <see cref="ClapTrainer"/>).</summary>
    static Tensor Loss(ClapRecipe recipe, ClapModel model, Tensor audio, int[][] labelIds, int[][] genderIds, int[] labels, int[] genders)
    {
        var text = model.EmbedText(labelIds);
        return recipe.Variant switch
        {
            "sl-gemo-clap" => EmoClapLoss.Compute(audio, text, model.LogitScaleAudio, model.LogitScaleText, EmoClapLoss.SoftLabelTargets(labels, genders, recipe.Alpha)),
            "ml-gemo-clap" => EmoClapLoss.MultiTask(audio, text, model.EmbedText(genderIds), model.LogitScaleAudio, model.LogitScaleText, labels, genders, recipe.Alpha),
            _ => EmoClapLoss.Compute(audio, text, model.LogitScaleAudio, model.LogitScaleText, EmoClapLoss.EqualityTargets(labels)),
        };
    }

    /// <summary>The clip embedding from cached windows, as <see cref="EmotionRecognizer.Encode"/> computes it from audio:
    /// normalize(mean_w normalize(P_a(combine(pooled_w)))).</summary>
    public static Tensor Embed(ClapModel model, PretrainedFeatures features, FeatureMatrix windows)
    {
        var tower = (PretrainedAudioTower)model.AudioEncoder;
        using var _ = Autograd.NoGrad();
        var batch = features.Batch(Enumerable.Range(0, windows.Rows).Select(r => (windows, r)).ToList());
        return model.AudioProjection.Forward(tower.Combine(batch)).Normalize(dim: -1).Mean(0, keepDim: true).Normalize(dim: -1);
    }

    /// <summary>Zero-shot confusion matrix of the clips over the recipe's labels, from cached features.</summary>
    public static ConfusionMatrix Evaluate(EmotionRecognizer recognizer, ClapModel model, PretrainedFeatures features, IReadOnlyList<PooledClip> clips)
    {
        var labels = recognizer.Labels;
        var predictions = clips.Select(c =>
        {
            var p = recognizer.Score(Embed(model, features, c.Windows), labels, recognizer.Config.PromptTemplate);
            return new ItemPrediction(c.Utterance, new EmotionPrediction(0, 0, labels.Select((l, i) => new EmotionScore(l, p[i])).OrderByDescending(s => s.Probability).ToList()));
        }).ToList();
        return EmotionEvaluator.Confusion(predictions, labels);
    }
}
