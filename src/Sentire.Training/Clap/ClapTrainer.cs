using System.Diagnostics;
using System.Globalization;
using Sentire.Audio.Corpus;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Text;
using Sentire.Training.Data;
using Sentire.Training.Losses;
using Sentire.Training.Recipes;

namespace Sentire.Training.Clap;

/// <summary>One line of metrics.csv.</summary>
public sealed record EpochMetrics(int Epoch, long Step, double TrainLoss, double ValidUar, double ValidWar, double LearningRate, double Seconds)
{
    public static IReadOnlyList<string> Columns { get; } = ["epoch", "step", "train_loss", "valid_uar", "valid_war", "learning_rate", "seconds"];
    public double[] ToRow() => [Epoch, Step, TrainLoss, ValidUar, ValidWar, LearningRate, Seconds];
}

/// <summary>
/// Trains an Emo-CLAP / SL-GEmo-CLAP / ML-GEmo-CLAP model from a <see cref="ClapRecipe"/>. The run folder holds
/// checkpoint.safetensors (weights, optimiser state and training state, replaced atomically after every epoch),
/// metrics.csv, best/ (the packaged model with the best validation UAR) and final/ (the model after the last epoch,
/// for evaluations where the validation speakers are the test speakers and must not pick the epoch). Starting again on the same folder
/// resumes after the last finished epoch; each epoch's data order and augmentation depend only on (seed, epoch),
/// so a resumed run draws the same batches an uninterrupted one would.
/// </summary>
public sealed class ClapTrainer(ClapRecipe recipe, string recipeText, string corporaRoot, string runFolder)
{
    public const string CheckpointFile = "checkpoint.safetensors", MetricsFile = "metrics.csv", BestFolder = "best", FinalFolder = "final";

    /// <summary>Prompt wordings the tokenizer is trained on besides the recipe's own, so zero-shot templates of
    /// the same shape tokenize into known pieces.</summary>
    static readonly string[] ExtraTemplates = ["The emotion is {label}.", "The speaker sounds {label}.", "A {label} voice.", "This person is {label}.", "The gender is {label}."];

    /// <summary>The front end the recipe's encoder reads (log-mel, with the prosody channels when encoder.prosody is on).</summary>
    public static LogMelFrontEndConfig FrontEndConfig(ClapRecipe recipe) => new(NMels: recipe.Encoder.NMels, Prosody: recipe.Encoder.Prosody);

    public EmotionModelConfig ModelConfig(int vocabSize)
    {
        var frontEnd = FrontEndConfig(recipe);
        return new()
        {
            Name = recipe.Name,
            FrontEnd = frontEnd,
            Encoder = new LogMelEncoderConfig(recipe.Encoder.NMels, recipe.Encoder.StackFrames, recipe.Encoder.HiddenSize, recipe.Encoder.Heads,
                recipe.Encoder.Layers, recipe.Encoder.FfnSize, recipe.Encoder.Dropout,
                MaxFrames: (int)Math.Ceiling(recipe.Data.MaxSeconds * frontEnd.FramesPerSecond / recipe.Encoder.StackFrames) + 1,
                Subsampling: OptionNames.Of(recipe.Encoder.Subsampling), ProsodyChannels: recipe.Encoder.Prosody ? ProsodyChannels.Count : 0),
            TextEncoder = new TextEncoderConfig(vocabSize, recipe.Text.HiddenSize, recipe.Text.Heads, recipe.Text.Layers, recipe.Text.FfnSize, recipe.Text.Dropout, recipe.Text.MaxTokens, recipe.Text.Pretrained),
            Head = new ClapHeadConfig(recipe.Head.ProjectionSize, recipe.Head.Temperature, recipe.Head.LearnableTemperature, ProsodyStatistics: recipe.Encoder.Prosody),
            Labels = recipe.Data.Labels,
            PromptTemplate = recipe.Data.PromptTemplate,
            WindowSeconds = recipe.Data.CropSeconds,
            WindowHopFraction = recipe.Data.WindowHopFraction,
        };
    }

    /// <summary>Training/validation split of the labelled utterances, as the recipe names it (<see cref="HeldOutSpeakers"/>):
    /// "ravdess-17-20"; "fold:K/N", fold K of N speaker-disjoint folds made within each corpus (<see cref="SpeakerKFold"/>)
    /// and joined, so every fold holds out about 1/N of the speakers of every corpus (a corpus with fewer than N speakers,
    /// such as TESS with two, is split into as many folds as it has speakers and holds out fold ((K - 1) mod that) + 1);
    /// or "ravdess-17-20+fold:K/N", RAVDESS actors 17-20 and fold K of N of every other corpus, so that every corpus has
    /// held-out speakers and the RAVDESS figure stays comparable with earlier models.</summary>
    public static DataSplit Split(IReadOnlyList<Utterance> utterances, string validation, ulong seed)
    {
        var heldOut = HeldOutSpeakers.Parse(validation) ?? throw new RecipeException($"data.validation '{validation}' is not {HeldOutSpeakers.Forms}");
        if (heldOut.Fold is not var (fold, folds))
        {
            var ravdess = RavdessTestSplit.Split(utterances);
            return new DataSplit(validation, ravdess.Train, ravdess.Test);
        }
        var test = new HashSet<string>(StringComparer.Ordinal);
        foreach (var corpus in utterances.GroupBy(u => u.Corpus).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (heldOut.RavdessActors && corpus.Key == RavdessTestSplit.Corpus)
            {
                test.UnionWith(RavdessTestSplit.Split(corpus.ToList()).Test.Select(u => u.Id));
                continue;
            }
            int speakers = corpus.Select(u => u.Speaker).Distinct().Count();
            int n = Math.Min(folds, speakers);
            if (n < 2) throw new RecipeException($"data.validation '{validation}': corpus '{corpus.Key}' has {speakers} speaker(s), speaker-disjoint folds need at least 2");
            test.UnionWith(SpeakerKFold.Split(corpus.ToList(), n, (int)(seed % int.MaxValue))[(fold - 1) % n].Test.Select(u => u.Id));
        }
        var name = heldOut.RavdessActors ? $"ravdess actors 17-20 + fold {fold}/{folds} of the other corpora (seed {seed})" : $"fold {fold}/{folds} (per corpus, seed {seed})";
        return new DataSplit(name, utterances.Where(u => !test.Contains(u.Id)).ToList(), utterances.Where(u => test.Contains(u.Id)).ToList());
    }

    /// <summary>At most <paramref name="perCorpus"/> clips of each corpus (0: all), a seeded random draw kept in the input order.</summary>
    public static IReadOnlyList<Utterance> ValidationSample(IReadOnlyList<Utterance> test, int perCorpus, ulong seed)
    {
        if (perCorpus == 0) return test;
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var corpus in test.GroupBy(u => u.Corpus))
        {
            var ids = corpus.Select(u => u.Id).ToArray();
            new Random((int)(seed % int.MaxValue)).Shuffle(ids);
            kept.UnionWith(ids.Take(perCorpus));
        }
        return test.Where(u => kept.Contains(u.Id)).ToList();
    }

    /// <summary>Tokenizer trained on the recipe's prompts and a few other templates of the same shape.</summary>
    public BpeTokenizer TrainTokenizer() =>
        BpeTokenizer.Train(ExtraTemplates.Append(recipe.Data.PromptTemplate)
            .SelectMany(t => recipe.Data.Labels.Concat(EmotionClipSet.Genders).Select(l => t.Replace("{label}", l, StringComparison.Ordinal))).ToList(), recipe.Text.VocabSize);

    /// <summary>Every labelled clip of the recipe's corpora, decoded once (pass it to <see cref="Run"/> of several trainers).</summary>
    public static EmotionClipSet LoadClips(ClapRecipe recipe, string corporaRoot, IProgress<int>? progress = null) =>
        EmotionClipSet.Load(CorpusSet.Load(recipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c))).Utterances, recipe.Data.Labels,
            new LogMelFrontEnd(FrontEndConfig(recipe)), progress, recipe.Data.FeatureCache);

    /// <param name="clips">the decoded clips of every corpus (<see cref="LoadClips"/>); null decodes them here.</param>
    public void Run(IProgress<TrainingProgress>? progress, CancellationToken cancel, EmotionClipSet? clips = null)
    {
        Directory.CreateDirectory(runFolder);
        var utterances = clips?.Clips.Select(c => c.Utterance).ToList()
            ?? CorpusSet.Load(recipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c))).Utterances;
        if (recipe.Encoder.Pretrained is not null) { new PretrainedClapTraining(this, recipe, recipeText, runFolder).Run(utterances, progress, cancel); return; }
        var split = Split(utterances, recipe.Data.Validation, recipe.Seed);

        var tokenizer = TrainTokenizer();
        var config = ModelConfig(tokenizer.VocabSize);

        var frontEnd = new LogMelFrontEnd(config.FrontEnd);
        int total = split.Train.Count + split.Test.Count;
        SynchronousProgress<int> Loaded(int offset) => new(n => progress?.Report(new TrainingProgress("features", 0, recipe.Optim.Epochs, offset + n, total, 0, 0)));
        if (clips is not null && !clips.Labels.SequenceEqual(recipe.Data.Labels, StringComparer.Ordinal))
            throw new RecipeException($"the decoded clips carry labels [{string.Join(", ", clips.Labels)}], the recipe [{string.Join(", ", recipe.Data.Labels)}]");
        if (clips is not null && clips.Clips.Count > 0 && clips.Clips[0].LogMel.Columns != config.FrontEnd.Columns)
            throw new RecipeException($"the decoded clips have {clips.Clips[0].LogMel.Columns} feature columns, the recipe's front end makes {config.FrontEnd.Columns} (encoder.prosody adds {ProsodyChannels.Count})");
        clips ??= EmotionClipSet.Load(utterances, recipe.Data.Labels, frontEnd, Loaded(0), recipe.Data.FeatureCache);
        var train = clips.Subset(split.Train);
        var valid = clips.Subset(ValidationSample(split.Test, recipe.Data.ValidationClipsPerCorpus, recipe.Seed));
        if (train.Clips.Count == 0 || valid.Clips.Count == 0)
            throw new RecipeException($"the split '{split.Name}' leaves {train.Clips.Count} training and {valid.Clips.Count} validation clips with the recipe's labels");

        var dropoutRng = new Generator(recipe.Seed + 1);
        var model = EmotionModelPackage.Build(config, dropoutRng, new Generator(recipe.Seed));
        var (mean, std) = train.FeatureStatistics();
        ((LogMelEncoder)model.AudioEncoder).SetFeatureStatistics(mean, std);
        model.ProsodyStatistics?.Fit(train.Clips.Select(c => c.LogMel));

        var sampler = new BalancedSampler(train.Clips.Select(c => (c.Utterance.Corpus, c.Label)).ToList(), recipe.Data.CorpusWeights);
        var augment = new LogMelAugment(recipe.Augment);
        int window = (int)Math.Round(recipe.Data.CropSeconds * config.FrontEnd.FramesPerSecond), columns = config.FrontEnd.Columns;
        int batchSize = recipe.Optim.BatchSize;
        TrainEpochs(recipe, recipeText, runFolder, config, model, tokenizer, rng =>
        {
            var picks = sampler.Sample(batchSize, rng);
            var batch = Tensor.Zeros(batchSize, window, columns);
            for (int b = 0; b < batchSize; b++)
            {
                var features = train.Clips[picks[b]].LogMel;
                var slot = batch.Data.Slice(b * window * columns, window * columns);
                augment.Crop(features, window, config.FrontEnd.NMels, config.FrontEnd.SampleRate, slot, rng);
                augment.Apply(slot, window, columns, config.FrontEnd.NMels, rng);
            }
            return (model.EmbedAudio(batch, null), picks.Select(i => train.Clips[i].Label).ToArray(), picks.Select(i => train.Clips[i].Gender).ToArray());
        }, () => Evaluate(EmotionRecognizer.FromModel(config, model, tokenizer), valid), progress, cancel);
    }

    /// <summary>
    /// The epoch loop of every audio tower (log-mel encoder here, cached pretrained features in
    /// <see cref="PretrainedClapTraining"/>): AdamW with warm-up and cosine decay, resumed from the run's checkpoint;
    /// per step <paramref name="batch"/> draws a batch with that epoch's generator and returns its L2-normalised audio
    /// embeddings, labels and genders, scored with the recipe variant's loss; after each epoch
    /// <paramref name="validate"/> scores the model, and <see cref="FinishEpoch"/> keeps best/, metrics.csv and the
    /// checkpoint; early stopping after <c>early_stop_patience</c> epochs without a better UAR; final/ at the end.
    /// </summary>
    internal static void TrainEpochs(ClapRecipe recipe, string recipeText, string runFolder, EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer,
        Func<Generator, (Tensor Audio, int[] Labels, int[] Genders)> batch, Func<IReadOnlyList<ItemPrediction>> validate, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters().Where(p => p.Value.RequiresGrad), recipe.Optim.WeightDecay), recipe.Optim.LearningRate);
        long totalSteps = (long)recipe.Optim.Epochs * recipe.Optim.StepsPerEpoch;
        var schedule = new LrSchedule(recipe.Optim.LearningRate, recipe.Optim.WarmupSteps, totalSteps, LrDecay.Cosine, recipe.Optim.MinLearningRate);

        var resume = TrainingResume.From(Path.Combine(runFolder, CheckpointFile), model, optimizer);
        int startEpoch = resume.StartEpoch;
        long step = resume.Step;
        double bestUar = resume.Metric("best/uar", double.NegativeInfinity);
        int bestEpoch = (int)resume.Metric("best/epoch", 0);
        var metricsCsv = new MetricsCsv(Path.Combine(runFolder, MetricsFile), EpochMetrics.Columns);
        if (resume.Resumed) metricsCsv.LoadUpTo(startEpoch - 1);

        var labelIds = recipe.Data.Labels.Select(l => model.PromptIds(recipe.Data.PromptTemplate.Replace("{label}", l, StringComparison.Ordinal), tokenizer)).ToArray();
        var genderIds = EmotionClipSet.Genders.Select(g => model.PromptIds(recipe.Data.GenderTemplate.Replace("{label}", g, StringComparison.Ordinal), tokenizer)).ToArray();
        var average = recipe.Optim.EmaDecay > 0 ? new WeightAverage(model.Parameters().Where(p => p.RequiresGrad), recipe.Optim.EmaDecay) : null;
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
                var (audio, labels, genders) = batch(rng);
                optimizer.SetLearningRateFactor(schedule.Factor(step));
                var text = model.EmbedText(labels.Select(l => labelIds[l]).ToArray());
                var loss = recipe.Variant switch
                {
                    ClapVariant.SlGemoClap => EmoClapLoss.Compute(audio, text, model.LogitScaleAudio, model.LogitScaleText, EmoClapLoss.SoftLabelTargets(labels, genders, recipe.Alpha)),
                    ClapVariant.MlGemoClap => EmoClapLoss.MultiTask(audio, text, model.EmbedText(genders.Select(g => genderIds[g]).ToArray()),
                        model.LogitScaleAudio, model.LogitScaleText, labels, genders, recipe.Alpha),
                    ClapVariant.EmoClap => EmoClapLoss.Compute(audio, text, model.LogitScaleAudio, model.LogitScaleText, EmoClapLoss.EqualityTargets(labels)),
                    _ => throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Variant, "unknown variant"),
                };
                lossSum += OptimizerStep(model, optimizer, loss, recipe.Optim.GradClip);
                average?.Update();
                step++;
                progress?.Report(new TrainingProgress("train", epoch, recipe.Optim.Epochs, s + 1, recipe.Optim.StepsPerEpoch, lossSum / (s + 1), schedule.LearningRate(step)));
            }

            model.Eval();
            average?.Swap();   // the averaged weights are what is validated and packaged
            var (uar, war) = CorpusMean(validate(), recipe.Data.Labels);
            var metrics = new EpochMetrics(epoch, step, lossSum / recipe.Optim.StepsPerEpoch, uar, war, schedule.LearningRate(step), clock.Elapsed.TotalSeconds);
            FinishEpoch(recipe, recipeText, runFolder, config, model, tokenizer, optimizer, average, metricsCsv, metrics, ref bestUar, ref bestEpoch, progress);
        }
        average?.Swap();
        SaveFinal(runFolder, trained, config, model, tokenizer);
    }

    /// <summary>One optimiser step on <paramref name="loss"/> (gradients clipped to <paramref name="gradClip"/>); returns the loss.</summary>
    internal static double OptimizerStep(ClapModel model, AdamW optimizer, Tensor loss, double gradClip)
    {
        optimizer.ZeroGrad();
        loss.Backward();
        GradClip.ClipGlobalNorm(model.Parameters().Where(p => p.RequiresGrad), (float)gradClip);
        optimizer.Step();
        // CLIP clamps the logit scale at ln(100) so the softmax cannot collapse.
        foreach (var scale in new[] { model.LogitScaleAudio, model.LogitScaleText }) scale.Data[0] = Math.Min(scale.Data[0], MathF.Log(100));
        return loss.Item();
    }

    /// <summary>Records a validated epoch: best/ when its UAR beats <paramref name="bestUar"/>, metrics.csv, the
    /// checkpoint and the progress line. With <paramref name="average"/>, the model holds the averaged weights on entry
    /// (they go to best/) and the training weights on return (they go to the checkpoint; a resumed run restarts the
    /// average from them).</summary>
    internal static void FinishEpoch(ClapRecipe recipe, string recipeText, string runFolder, EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer,
        AdamW optimizer, WeightAverage? average, MetricsCsv metricsCsv, EpochMetrics metrics, ref double bestUar, ref int bestEpoch, IProgress<TrainingProgress>? progress)
    {
        if (metrics.ValidUar > bestUar)
        {
            bestUar = metrics.ValidUar;
            bestEpoch = metrics.Epoch;
            EmotionModelPackage.Save(Path.Combine(runFolder, BestFolder), config, model, tokenizer);
        }
        average?.Swap();
        metricsCsv.Add(metrics.ToRow());
        Checkpoint.Save(Path.Combine(runFolder, CheckpointFile), model, optimizer, new TrainingState
        {
            Epoch = metrics.Epoch,
            Step = metrics.Step,
            RngSeeds = new Dictionary<string, ulong> { ["seed"] = recipe.Seed },
            Metrics = new Dictionary<string, double> { ["train/loss"] = metrics.TrainLoss, ["valid/uar"] = metrics.ValidUar, ["valid/war"] = metrics.ValidWar, ["best/uar"] = bestUar, ["best/epoch"] = bestEpoch },
            Recipe = recipeText,
        });
        progress?.Report(new TrainingProgress($"epoch {metrics.Epoch}: loss {metrics.TrainLoss:F4}, valid UAR {metrics.ValidUar:P1}, WAR {metrics.ValidWar:P1}", metrics.Epoch, recipe.Optim.Epochs, recipe.Optim.StepsPerEpoch, recipe.Optim.StepsPerEpoch, metrics.TrainLoss, metrics.LearningRate));
    }

    /// <summary>Writes final/ when this call trained, or when it is missing (a resumed run that had nothing left to do).</summary>
    internal static void SaveFinal(string runFolder, bool trained, EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer)
    {
        var finalFolder = Path.Combine(runFolder, FinalFolder);
        if (trained || !File.Exists(Path.Combine(finalFolder, EmotionModelPackage.WeightsFile)))
        {
            model.Eval();
            EmotionModelPackage.Save(finalFolder, config, model, tokenizer);
        }
    }

    /// <summary>Zero-shot predictions of every clip against the clip set's labels (<see cref="EmotionEvaluator"/>).</summary>
    public static IReadOnlyList<ItemPrediction> Evaluate(EmotionRecognizer recognizer, EmotionClipSet clips) =>
        EmotionEvaluator.Predict(recognizer, clips.Clips.Select(c => (c.Utterance, c.LogMel)).ToList(), clips.Labels);

    /// <summary>The validation score that picks the epoch: UAR and WAR of each corpus, averaged over the corpora (a large
    /// corpus such as nEMO weighs as much as a small one, as in the balanced sampler).</summary>
    public static (double Uar, double War) CorpusMean(IReadOnlyList<ItemPrediction> predictions, IReadOnlyList<string> labels)
    {
        var perCorpus = EmotionEvaluator.By(predictions, u => u.Corpus, labels).Values.ToList();
        return (perCorpus.Average(m => m.Uar), perCorpus.Average(m => m.War));
    }
}
