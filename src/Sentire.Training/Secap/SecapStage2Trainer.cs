using Sentire.Models.Decoders;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>
/// SECap stage 2 (eq. 7): the Q-Former (from stage 1, or fresh for the ablation) and the projection W are trained by
/// teacher-forced cross-entropy on the caption tokens only, through the frozen LM; each row is
///   BOS, L-Embedding (or the Table 2 alternative), one of the 30 instructions of its language (drawn per row), caption, EOS.
/// Each row's language is drawn with probability 1/2 (as in the LM pre-training). Writes stage2/checkpoint.safetensors
/// (resumable per epoch), stage2/metrics.csv (teacher-forced validation loss per language) and stage2/best/, the packaged
/// captioner with the lowest validation loss.
/// </summary>
public sealed class SecapStage2Trainer(SecapRecipe recipe, string recipeText, SecapContext context, LlamaForCausalLM lm, string languageModelFolder, string speechEncoderFolder, string stage1Folder, string folder)
{
    public const string BestFolder = "best";

    public SecapPackageConfig PackageConfig(string packageFolder) => new()
    {
        Name = recipe.Name,
        SpeechEncoder = Path.GetRelativePath(packageFolder, speechEncoderFolder),
        SpeechEncoderSha256 = SecapPackage.Sha256Of(Path.Combine(speechEncoderFolder, Models.Clap.EmotionModelPackage.WeightsFile)),
        MaxSeconds = recipe.Data.MaxSeconds,
        QFormer = SecapStage1Trainer.QFormerConfigOf(recipe, context.Tokenizer.VocabSize, context.EncoderHiddenSize),
        InputModality = recipe.Stage2.InputModality,
        LanguageModel = SecapPackage.LanguageModelEntry(packageFolder, languageModelFolder),
        LanguageModelPrecision = recipe.LanguageModelPrecision,
    };

    public void Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var s2 = recipe.Stage2;
        var modality = s2.InputModality;
        var model = new SecapModel(SecapStage1Trainer.QFormerConfigOf(recipe, context.Tokenizer.VocabSize, context.EncoderHiddenSize), lm.Config.HiddenSize,
            new Generator(recipe.Seed + 11), new Generator(recipe.Seed + 10));
        if (s2.Init == Stage2Init.Stage1)
        {
            var path = Path.Combine(stage1Folder, SecapStage1Trainer.QFormerFile);
            if (!File.Exists(path)) throw new Recipes.RecipeException($"stage2.init is 'stage1' but {path} does not exist: run --stage 1 first, or set stage2.init=scratch");
            using var weights = SafeTensors.OpenModel(path);
            model.QFormer.LoadStateDict(weights, strict: true);
        }
        else
        {
            var (mean, std) = context.FrameStatistics(context.Clips.Where(c => c.Split == CaptionDataset.Train));
            model.QFormer.SetSpeechStatistics(mean, std);
            progress?.Report(new TrainingProgress($"Q-Former: {QFormerInitialisation.Apply(model.QFormer, recipe.Qformer.InitialiseFrom)}", 0, s2.Epochs, 0, s2.StepsPerEpoch, 0, 0));
        }
        if (s2.FreezeQformer) model.QFormer.Freeze();
        var train = context.Clips.Where(c => c.Split == CaptionDataset.Train).GroupBy(c => c.Language).ToDictionary(g => g.Key, g => g.ToList());
        var languages = train.Keys.Order(StringComparer.Ordinal).ToArray();
        var valid = context.Clips.Where(c => c.Split == CaptionDataset.Valid).ToList();

        // With the raw transcript as the only input (a Table 2 row) nothing trainable is on the path: the frozen LM
        // captions the transcript as it is, so the run is one validation pass that packages the untouched model.
        bool trainable = modality != SecapInputModality.Transcript;
        int lastEpoch = trainable ? s2.Epochs : Math.Min(s2.Epochs, 1);
        if (!trainable) progress?.Report(new TrainingProgress("input modality 'transcript': nothing to train (the frozen LM reads the transcript tokens); validating once", 0, lastEpoch, 0, 0, 0, 0));
        var package = Path.Combine(folder, BestFolder);
        new TrainingLoop
        {
            Folder = folder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = model,
            Optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters().Where(p => p.Value.RequiresGrad), s2.WeightDecay), s2.LearningRate),
            Schedule = new LrSchedule(s2.LearningRate, s2.WarmupSteps, (long)s2.Epochs * s2.StepsPerEpoch, LrDecay.Cosine, s2.MinLearningRate),
            Epochs = lastEpoch,
            StepsPerEpoch = trainable ? s2.StepsPerEpoch : 0,                                  // 0 steps: train_loss NaN
            GradClip = s2.GradClip,
            ClippedParameters = [.. model.Parameters().Where(p => p.RequiresGrad)],
            Columns = ["valid_loss_en", "valid_loss_zh", "valid_gender_accuracy_en", "valid_emotion_accuracy_en", "valid_distinct_en"],
            Best = new BestEpoch("best/valid_loss", HigherIsBetter: false, _ => SecapPackage.Save(package, PackageConfig(package), model, languageModelFolder)),
            Step = (rng, _) =>
            {
                var batch = new List<(CaptionClip Clip, string Instruction, string Caption)>(s2.BatchSize);
                for (int b = 0; b < s2.BatchSize; b++)
                {
                    var pool = train[languages[rng.NextInt(languages.Length)]];
                    var clip = pool[rng.NextInt(pool.Count)];
                    batch.Add((clip, CaptionInstructions.Draw(clip.Language, rng), clip.TrainingCaptions[rng.NextInt(clip.TrainingCaptions.Count)]));
                }
                return CaptionLoss(model, modality, batch);
            },
            Validate = end =>
            {
                double en = ValidLoss(model, modality, valid, "en"), zh = ValidLoss(model, modality, valid, "zh");
                double score = new[] { en, zh }.Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Average();
                var facts = DecodedFacts(model, modality, valid);
                return new EpochReport([en, zh, facts.Gender, facts.Emotion, facts.Distinct],
                    new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/loss_en"] = en, ["valid/loss_zh"] = zh },
                    $"stage 2 epoch {end.Epoch}: loss {end.TrainLoss:F4}, valid loss en {en:F4} zh {zh:F4}; greedy en captions: gender {facts.Gender:P0}, emotion {facts.Emotion:P0}, {facts.Distinct} distinct", Score: score);
            },
        }.Run(progress, cancel);
    }

    double ValidLoss(SecapModel model, SecapInputModality modality, IReadOnlyList<CaptionClip> valid, string language)
    {
        var clips = valid.Where(c => c.Language == language).ToList();
        if (clips.Count == 0) return double.NaN;
        using var _ = Autograd.NoGrad();
        double total = 0;
        const int chunk = 16;
        for (int i = 0; i < clips.Count; i += chunk)
        {
            var part = clips.Skip(i).Take(chunk).Select(c => (c, CaptionInstructions.For(language)[0], c.Reference)).ToList();
            total += CaptionLoss(model, modality, part).Item() * part.Count;
        }
        return total / clips.Count;
    }

    /// <summary>
    /// Whether the captions listen to the speech: greedy captions of the first <c>valid_decode_clips</c> English
    /// validation clips, scored for naming the reference's gender and emotion (derived captions' facts), and how many
    /// differ. The teacher-forced loss hardly moves when the LM ignores the prefix (the paraphrase wording dominates it),
    /// these do: a collapsed model writes one caption for every clip and gets gender right on about half of them.
    /// </summary>
    (double Gender, double Emotion, int Distinct) DecodedFacts(SecapModel model, SecapInputModality modality, IReadOnlyList<CaptionClip> valid)
    {
        var clips = valid.Where(c => c.Language == "en").Take(recipe.Stage2.ValidDecodeClips).ToList();
        if (clips.Count == 0) return (double.NaN, double.NaN, 0);
        var options = new Models.Generation.GenerationOptions { MaxNewTokens = recipe.Stage2.MaxNewTokens, RepetitionPenalty = new CaptionOptions().Decoding.RepetitionPenalty };
        var instruction = CaptionInstructions.For("en")[0];
        var set = new List<(string Candidate, string Reference, string? Category)>(clips.Count);
        using (Autograd.NoGrad())
            foreach (var c in clips)
            {
                var (embeds, mask) = model.Prompt(lm, context.Tokenizer, modality, context.Frames[c.Id], instruction, c.Transcript);
                set.Add((context.Tokenizer.Decode(Models.Generation.TextGenerator.Generate(lm, embeds, mask, options)[0]).Trim(), c.Reference, c.Category));
            }
        var scores = Evaluation.Captioning.CaptionFactAccuracy.Score(set, DerivedCaptionGrammar.FactLexicon);
        return (scores.GenderAccuracy ?? double.NaN, scores.EmotionAccuracy ?? double.NaN, set.Select(x => x.Candidate).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>Eq. 7 (<see cref="SecapObjectives.CaptionCrossEntropy"/>) on rows BOS, prefix (L-Embedding or the Table 2
    /// alternative), instruction, caption, EOS.</summary>
    Tensor CaptionLoss(SecapModel model, SecapInputModality modality, IReadOnlyList<(CaptionClip Clip, string Instruction, string Caption)> batch)
    {
        var tok = context.Tokenizer;
        Tensor? l = null;
        if (SecapModel.NeedsSpeech(modality))
        {
            var (frames, mask) = Models.Secap.SecapSpeechFrames.Batch(batch.Select(b => context.Frames[b.Clip.Id]).ToList());
            l = model.LEmbedding(frames, mask);
        }
        var transcripts = SecapModel.NeedsTranscript(modality)
            ? batch.Select(b => b.Clip.Transcript is { } t ? Cut(tok.Encode(t), recipe.Qformer.MaxTokens - 2) : []).ToList() : null;
        var prefixes = model.Prefixes(modality, tok.BosId, tok.EosId, l, transcripts, batch.Count);
        var captions = batch.Select(b => (int[])[.. Cut(tok.Encode(b.Caption), recipe.Stage2.MaxCaptionTokens - 1), tok.EosId]).ToArray();
        var rows = batch.Select((b, i) => (IReadOnlyList<InputSegment>)[.. prefixes[i], InputSegment.Tokens(tok.Encode(b.Instruction)), InputSegment.Tokens(captions[i])]).ToList();
        var (embeds, attention, _) = SecapModel.Assemble(lm, rows);                           // left-padded (B, T, d)
        return SecapObjectives.CaptionCrossEntropy(lm.Forward(embeds, attention), captions);
    }

    static int[] Cut(int[] ids, int max) => ids.Length <= max ? ids : ids[..max];
}
