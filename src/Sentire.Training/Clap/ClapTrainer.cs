using System.Globalization;
using Sentire.Audio.Corpus;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Text;
using Sentire.Training.Data;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;

namespace Sentire.Training.Clap;

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
    public const string CheckpointFile = TrainingLoop.CheckpointFile, MetricsFile = TrainingLoop.MetricsFile, BestFolder = "best", FinalFolder = "final", PretrainFolder = "pretrain";

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
                Subsampling: recipe.Encoder.Subsampling, ProsodyChannels: recipe.Encoder.Prosody ? ProsodyChannels.Count : 0),
            MobileNet = recipe.Encoder.Architecture == SpeechEncoderArchitecture.MobileNet
                ? new MobileNetEncoderConfig(recipe.Encoder.NMels, recipe.Encoder.Prosody ? ProsodyChannels.Count : 0, recipe.Encoder.WidthMultiplier)
                : null,
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
    /// held-out speakers and the RAVDESS figure stays comparable with earlier models; or "without:CORPUS", leave one
    /// corpus out: every clip of CORPUS tested, every clip of the other corpora trained on (a language or recording
    /// set-up never heard).</summary>
    public static DataSplit Split(IReadOnlyList<Utterance> utterances, string validation, ulong seed)
    {
        var heldOut = HeldOutSpeakers.Parse(validation) ?? throw new RecipeException($"data.validation '{validation}' is not {HeldOutSpeakers.Forms}");
        if (heldOut.Corpus is { } left)
        {
            try { return LeaveOneCorpusOut.Without(utterances, left); }
            catch (ArgumentException e) { throw new RecipeException($"data.validation '{validation}': {e.Message}"); }
        }
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
        if (recipe.Encoder.Pretrained is not null) { new PretrainedClapTraining(this, recipe, runFolder).Run(utterances, progress, cancel); return; }
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
        var standardized = model.AudioEncoder as IStandardizedInput
            ?? throw new InvalidOperationException($"{model.AudioEncoder.GetType().Name} keeps no input statistics: ClapTrainer builds our log-mel encoders only");
        standardized.SetFeatureStatistics(mean, std);
        model.ProsodyStatistics?.Fit(train.Clips.Select(c => c.LogMel));

        var sampler = new BalancedSampler(train.Clips.Select(c => (c.Utterance.Corpus, c.Label)).ToList(), recipe.Data.CorpusWeights);
        var augment = new LogMelAugment(recipe.Augment);
        int window = (int)Math.Round(recipe.Data.CropSeconds * config.FrontEnd.FramesPerSecond), columns = config.FrontEnd.Columns;
        int batchSize = recipe.Optim.BatchSize;
        // One augmented crop of window frames from each picked clip: (B, window, columns).
        Tensor Windows(IReadOnlyList<FeatureMatrix> frames, int[] picks, Generator rng)
        {
            var batch = Tensor.Zeros(picks.Length, window, columns);
            for (int b = 0; b < picks.Length; b++)
            {
                var slot = batch.Data.Slice(b * window * columns, window * columns);
                augment.Crop(frames[picks[b]], window, config.FrontEnd.NMels, config.FrontEnd.SampleRate, slot, rng);
                augment.Apply(slot, window, columns, config.FrontEnd.NMels, rng);
            }
            return batch;
        }
        var trainFrames = train.Clips.Select(c => c.LogMel).ToList();
        bool pretrain = recipe.Distill.Pretrains;
        using var teacher = recipe.Distill.Enabled
            ? OpenTeacher([.. train.Clips.Select(c => c.Utterance.Corpus), .. pretrain ? recipe.Distill.PretrainCorpora : []], progress, cancel)
            : null;
        if (pretrain) Pretrain(model, train, teacher!, frontEnd, Windows, progress, cancel);
        var distill = teacher is null || !recipe.Distill.Auxiliary ? null
            : EncoderDistillation.For(model.AudioEncoder.HiddenSize, recipe.Distill, train.Clips.Select(c => c.Utterance.Id).ToList(), teacher, new Generator(recipe.Seed + 2));
        Train(config, model, tokenizer, rng =>
        {
            var picks = sampler.Sample(batchSize, rng);
            var batch = Windows(trainFrames, picks, rng);
            var encoded = model.AudioEncoder.Encode(batch, null);                              // ClapModel.EmbedAudio, with the pooled output kept
            var pooled = Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask);       // (B, D)
            return new ClapBatch(model.ProjectAudio(batch, pooled), picks.Select(i => train.Clips[i].Label).ToArray(), picks.Select(i => train.Clips[i].Gender).ToArray(),
                distill?.Loss(pooled, picks));
        }, () => Evaluate(EmotionRecognizer.FromModel(config, model, tokenizer), valid), progress, cancel, distill);
    }

    /// <summary>
    /// The pre-training stage (distill.stage pretrain or both), before the CLAP objective: distill.pretrain_steps steps of the
    /// distillation loss alone (<see cref="EncoderDistillation"/>) on the audio encoder, over crops of the training clips
    /// (labels unused but for balance) and every clip of distill.pretrain_corpora, drawn corpus- and class-balanced
    /// (<see cref="BalancedSampler"/>) and augmented as in the CLAP stage; AdamW with the recipe's learning rate, warm-up
    /// and cosine decay over those steps, no weight average. Its folder pretrain/ (checkpoint, metrics.csv) resumes like
    /// the CLAP stage, and a finished stage only restores its weights. The heads are dropped afterwards.
    /// </summary>
    void Pretrain(ClapModel model, EmotionClipSet train, TeacherEmbeddings teacher, LogMelFrontEnd frontEnd,
        Func<IReadOnlyList<FeatureMatrix>, int[], Generator, Tensor> windows, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var o = recipe.Optim;
        int steps = recipe.Distill.PretrainSteps;
        var extra = CorpusSet.Load(recipe.Distill.PretrainCorpora.Select(c => Path.Combine(corporaRoot, c))).Utterances;
        var extraFrames = EmotionClipSet.Frames(extra, frontEnd,
            new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, 1, n, extra.Count, 0, 0))), recipe.Data.FeatureCache);
        // Clips without a category are one class of their corpus (BAVED's arousal levels are not balanced here).
        var pool = train.Clips.Select(c => (c.Utterance, c.Label, c.LogMel)).Concat(extra.Select(u => (Utterance: u, Label: -1, LogMel: extraFrames[u.Id]))).ToList();
        var frames = pool.Select(p => p.LogMel).ToList();
        var sampler = new BalancedSampler(pool.Select(p => (p.Utterance.Corpus, p.Label)).ToList());
        var distill = EncoderDistillation.For(model.AudioEncoder.HiddenSize, recipe.Distill, pool.Select(p => p.Utterance.Id).ToList(), teacher, new Generator(recipe.Seed + 2));
        var encoder = model.AudioEncoder;
        var stage = new WithAuxiliary("audio_encoder", (Module)encoder, distill);
        var trainable = stage.Parameters().Where(p => p.RequiresGrad).ToList();
        new TrainingLoop
        {
            Folder = Path.Combine(runFolder, PretrainFolder),
            Seed = recipe.Seed + 3,
            RecipeText = recipeText,
            Model = stage,
            Optimizer = new AdamW(ParamGroup.SplitWeightDecay(stage.NamedParameters().Where(p => p.Value.RequiresGrad), o.WeightDecay), o.LearningRate),
            Schedule = new LrSchedule(o.LearningRate, Math.Min(o.WarmupSteps, steps), steps, LrDecay.Cosine, o.MinLearningRate),
            Epochs = 1,
            StepsPerEpoch = steps,
            GradClip = o.GradClip,
            ClippedParameters = trainable,
            Columns = [],
            Step = (rng, _) =>
            {
                var picks = sampler.Sample(o.BatchSize, rng);
                var encoded = encoder.Encode(windows(frames, picks, rng), null);
                return distill.Loss(Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask), picks);   // pooled (B, D)
            },
            Validate = end => new EpochReport([], new Dictionary<string, double> { ["train/loss"] = end.TrainLoss },
                $"pre-training on {pool.Count} clips{(extra.Count == 0 ? "" : $" ({extra.Count} of {string.Join(", ", recipe.Distill.PretrainCorpora)})")}: distillation loss {end.TrainLoss:F4}"),
        }.Run(progress, cancel);
    }

    /// <summary>The CLAP stage's parameter groups: weight decay on matrices only (<see cref="ParamGroup.SplitWeightDecay"/>),
    /// and the audio encoder's groups at optim.encoder_learning_rate_scale times the learning rate. <paramref name="trained"/>
    /// is <paramref name="model"/> or a module holding it beside training-only heads.</summary>
    public static ParamGroup[] ClapStageGroups(Module trained, ClapModel model, ClapOptimRecipe o)
    {
        var encoder = ((Module)model.AudioEncoder).Parameters().ToHashSet(ReferenceEqualityComparer.Instance);
        var named = trained.NamedParameters().Where(p => p.Value.RequiresGrad).ToList();
        if (o.EncoderLearningRateScale == 1.0) return ParamGroup.SplitWeightDecay(named, o.WeightDecay);
        var scaled = ParamGroup.SplitWeightDecay(named.Where(p => encoder.Contains(p.Value)), o.WeightDecay);
        var rest = ParamGroup.SplitWeightDecay(named.Where(p => !encoder.Contains(p.Value)), o.WeightDecay);
        return
        [
            .. scaled.Select(g => new ParamGroup(g.Parameters, o.LearningRate * o.EncoderLearningRateScale, g.WeightDecay)),
            .. rest,
        ];
    }

    /// <summary>The teacher targets of these corpora (distill.*), computed first for any corpus that lacks them (shown as the
    /// "features" phase).</summary>
    TeacherEmbeddings OpenTeacher(IEnumerable<string> corpusNames, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        var teacherPath = recipe.Distill.Teacher ?? TeacherEmbeddings.DefaultTeacher(corporaRoot);
        var corpora = CorpusSet.Load(corpusNames.Distinct().Order(StringComparer.Ordinal).Select(c => Path.Combine(corporaRoot, c)));
        return TeacherEmbeddings.Open(recipe.Distill.TeacherCache, teacherPath, corpora,
            new SynchronousProgress<(string Corpus, int Done, int Total)>(p => progress?.Report(new TrainingProgress("features", 0, recipe.Optim.Epochs, p.Done, p.Total, 0, 0))), cancel);
    }

    /// <summary>One training batch: L2-normalised audio embeddings (B, P), labels, genders, and the auxiliary loss added to
    /// the CLAP objective (teacher distillation), null for none.</summary>
    internal sealed record ClapBatch(Tensor Audio, int[] Labels, int[] Genders, Tensor? Auxiliary = null);

    /// <summary>What the checkpoint of a run with training-only heads holds: the trained model under its key (the CLAP model
    /// "clap.*", the pre-training stage's audio encoder "audio_encoder.*") and the heads ("auxiliary.*"). Only the CLAP model is packaged.</summary>
    sealed class WithAuxiliary : Module
    {
        public WithAuxiliary(string key, Module trained, Module auxiliary)
        {
            RegisterModule(key, trained);
            RegisterModule("auxiliary", auxiliary);
        }
    }

    /// <summary>
    /// Training of every audio tower (log-mel encoder here, cached pretrained features in
    /// <see cref="PretrainedClapTraining"/>) on the <see cref="TrainingLoop"/>: AdamW over the trainable parameters with
    /// warm-up and cosine decay; per step <paramref name="batch"/> draws a batch with that epoch's generator and returns
    /// its L2-normalised audio embeddings, labels and genders, scored with the recipe variant's objective
    /// (<see cref="EmoClapLoss.Objective"/>), after which the logit scales are clamped; after each epoch
    /// <paramref name="validate"/> scores the model, best/ keeps the best UAR (corpus mean), early stopping after
    /// <c>early_stop_patience</c> epochs without a better UAR; final/ at the end.
    /// </summary>
    internal void Train(EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer,
        Func<Generator, ClapBatch> batch, Func<IReadOnlyList<ItemPrediction>> validate, IProgress<TrainingProgress>? progress, CancellationToken cancel,
        Module? auxiliary = null)
    {
        var o = recipe.Optim;
        Module trained = auxiliary is null ? model : new WithAuxiliary("clap", model, auxiliary);
        var trainable = trained.Parameters().Where(p => p.RequiresGrad).ToList();
        var labelIds = recipe.Data.Labels.Select(l => model.PromptIds(recipe.Data.PromptTemplate.Replace("{label}", l, StringComparison.Ordinal), tokenizer)).ToArray();
        var genderIds = EmotionClipSet.Genders.Select(g => model.PromptIds(recipe.Data.GenderTemplate.Replace("{label}", g, StringComparison.Ordinal), tokenizer)).ToArray();
        var loop = new TrainingLoop
        {
            Folder = runFolder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = trained,
            Optimizer = new AdamW(ClapStageGroups(trained, model, o), o.LearningRate),
            Schedule = new LrSchedule(o.LearningRate, o.WarmupSteps, (long)o.Epochs * o.StepsPerEpoch, LrDecay.Cosine, o.MinLearningRate),
            Epochs = o.Epochs,
            StepsPerEpoch = o.StepsPerEpoch,
            GradClip = o.GradClip,
            ClippedParameters = trainable,
            Columns = ["valid_uar", "valid_war"],
            Average = o.EmaDecay > 0 ? new WeightAverage(trainable, o.EmaDecay) : null,
            Best = new BestEpoch("best/uar", HigherIsBetter: true, _ => EmotionModelPackage.Save(Path.Combine(runFolder, BestFolder), config, model, tokenizer)),
            EarlyStopPatience = o.EarlyStopPatience,
            Step = (rng, _) =>
            {
                var (audio, labels, genders, auxiliaryLoss) = batch(rng);
                var text = model.EmbedText(labels.Select(l => labelIds[l]).ToArray());
                var genderText = recipe.Variant == ClapVariant.MlGemoClap ? model.EmbedText(genders.Select(g => genderIds[g]).ToArray()) : null;
                var loss = EmoClapLoss.Objective(recipe.Variant, recipe.Alpha, audio, text, genderText, model.LogitScaleAudio, model.LogitScaleText, labels, genders);
                return auxiliaryLoss is null ? loss : loss + auxiliaryLoss;
            },
            // CLIP clamps the logit scale at ln(100) so the softmax cannot collapse.
            AfterStep = () => { foreach (var scale in new[] { model.LogitScaleAudio, model.LogitScaleText }) scale.Data[0] = Math.Min(scale.Data[0], MathF.Log(100)); },
            Validate = end =>
            {
                var (uar, war) = CorpusMean(validate(), recipe.Data.Labels);
                return new EpochReport([uar, war], new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/uar"] = uar, ["valid/war"] = war },
                    $"epoch {end.Epoch}: loss {end.TrainLoss:F4}, valid UAR {uar:P1}, WAR {war:P1}", Score: uar);
            },
        };
        var outcome = loop.Run(progress, cancel);
        // final/ when this call trained, or when it is missing (a resumed run that had nothing left to do)
        var finalFolder = Path.Combine(runFolder, FinalFolder);
        if (outcome.Trained || !File.Exists(Path.Combine(finalFolder, EmotionModelPackage.WeightsFile)))
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
