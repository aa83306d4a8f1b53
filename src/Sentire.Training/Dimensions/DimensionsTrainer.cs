using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Evaluation.Regression;
using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Training.Clap;
using Sentire.Training.Data;
using Sentire.Training.Losses;
using Sentire.Training.Recipes;

namespace Sentire.Training.Dimensions;

/// <summary>One line of the dimensions run's metrics.csv: training loss and held-out CCC per dimension.</summary>
/// <param name="SpearmanArousalLevel">Spearman correlation of predicted arousal with the ordinal arousal levels (BAVED) of the
/// held-out speakers; NaN without such clips.</param>
public sealed record DimensionsEpochMetrics(int Epoch, long Step, double TrainLoss, double CccArousal, double CccValence, double CccDominance, double LearningRate, double Seconds,
    double SpearmanArousalLevel = double.NaN)
{
    public double CccMean => (CccArousal + CccValence + CccDominance) / 3;

    public static IReadOnlyList<string> Columns { get; } =
        ["epoch", "step", "train_loss", "valid_ccc_arousal", "valid_ccc_valence", "valid_ccc_dominance", "valid_ccc_mean", "learning_rate", "seconds", "valid_spearman_arousal_level"];
    public double[] ToRow() => [Epoch, Step, TrainLoss, CccArousal, CccValence, CccDominance, CccMean, LearningRate, Seconds, SpearmanArousalLevel];
    public static DimensionsEpochMetrics FromRow(double[] r) => new((int)r[0], (long)r[1], r[2], r[3], r[4], r[5], r[7], r[8], r.Length > 9 ? r[9] : double.NaN);
}

/// <summary>
/// Trains a <see cref="DimensionalHead"/> with <see cref="CccLoss"/> on a packaged emotion model's speech encoder.
/// Targets are <see cref="DerivedDimensions"/> (rated numbers from the manifest where present); with targets.ordinal_weight,
/// clips that have only an ordinal arousal level (BAVED: low &lt; normal &lt; high) add a ranking loss on the arousal output
/// (<see cref="OrdinalRankLoss"/>), and the Spearman correlation of predicted arousal with the levels of held-out speakers
/// is reported every epoch. The training loss is CCC loss + ordinal_weight x ranking loss.
/// Frozen encoder (default): every clip's pooled encoder output (window-averaged, exactly what inference computes)
/// is computed once into pooled.safetensors in the run folder, keyed by the SHA-256 of the encoder weights, and the
/// head trains on it in seconds; the head is then written into the model package. Fine-tuning: the encoder is
/// trained too on random windows and the whole new package goes to run/model.
/// The held-out split is evaluated after every epoch for metrics.csv only; the last epoch is kept (choosing an epoch
/// on the held-out speakers would make their CCC optimistic). checkpoint.safetensors (replaced atomically after
/// every epoch) makes a run resumable; each epoch's order depends only on (seed, epoch). A run folder whose
/// encoder.sha256 differs from the model's starts afresh.
/// </summary>
public sealed class DimensionsTrainer(DimensionsRecipe recipe, string recipeText, string corporaRoot, string modelFolder, string runFolder)
{
    public const string CheckpointFile = TrainingLoop.CheckpointFile, MetricsFile = TrainingLoop.MetricsFile, CacheFile = "pooled.safetensors",
        EncoderHashFile = "encoder.sha256", FineTunedFolder = "model";

    /// <summary>The utterances with targets (and, with targets.ordinal_weight, those with an ordinal arousal level), in
    /// manifest order, split as the recipe names it.</summary>
    public (IReadOnlyList<Utterance> All, IReadOnlyList<Utterance> Train, IReadOnlyList<Utterance> Test) Data()
    {
        var corpora = CorpusSet.Load(recipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c)));
        var usable = corpora.Utterances.Where(u => Target(u) is not null || IsOrdinal(u)).ToList();
        var split = ClapTrainer.Split(usable, recipe.Data.Validation, recipe.Seed);
        return (usable, split.Train, split.Test);
    }

    /// <summary>A clip that trains the ranking loss only: an ordinal arousal level and no category or rating.</summary>
    bool IsOrdinal(Utterance u) => recipe.Targets.OrdinalWeight > 0 && u.ArousalLevel is not null && Target(u) is null;

    EmotionDimensions? Target(Utterance u) => DerivedDimensions.For(u, recipe.Targets.NormalFactor, recipe.Targets.StrongFactor);

    Tensor Targets(IReadOnlyList<Utterance> utterances)
    {
        var t = Tensor.Zeros(utterances.Count, 3);
        for (int i = 0; i < utterances.Count; i++)
        {
            var d = Target(utterances[i])!;
            for (int k = 0; k < 3; k++) t.Data[i * 3 + k] = (float)d[k];
        }
        return t;
    }

    /// <summary>Trains and saves; returns the last epoch's metrics.</summary>
    public DimensionsEpochMetrics Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(runFolder);
        var encoderHash = EmotionModelPackage.EncoderHash(modelFolder);
        var hashPath = Path.Combine(runFolder, EncoderHashFile);
        if (!File.Exists(hashPath) || File.ReadAllText(hashPath).Trim() != encoderHash)
        {
            // A new encoder: nothing of an earlier run applies.
            foreach (var stale in new[] { CheckpointFile, MetricsFile, CacheFile }) File.Delete(Path.Combine(runFolder, stale));
            AtomicFile.Write(hashPath, s => s.Write(Encoding.ASCII.GetBytes(encoderHash + "\n")));
        }

        var (all, trainAll, testAll) = Data();
        var train = trainAll.Where(u => !IsOrdinal(u)).ToList();
        var test = testAll.Where(u => !IsOrdinal(u)).ToList();
        var trainOrdinal = trainAll.Where(IsOrdinal).ToList();
        var testOrdinal = testAll.Where(IsOrdinal).ToList();
        var trainLevels = trainOrdinal.Select(u => (int)u.ArousalLevel!.Value).ToArray();
        var testLevels = testOrdinal.Select(u => (double)u.ArousalLevel!.Value).ToArray();
        var (config, model, tokenizer) = EmotionModelPackage.Load(modelFolder);
        var recognizer = EmotionRecognizer.FromModel(config, model, tokenizer);
        var frontEnd = new LogMelFrontEnd(config.FrontEnd);
        var headConfig = new DimensionalHeadConfig(model.AudioEncoder.HiddenSize, recipe.Head.HiddenSize, recipe.Head.Dropout,
            Targets: train.Concat(test).Any(DerivedDimensions.IsDerived) ? DimensionTargets.Derived : DimensionTargets.Rated);
        var head = new DimensionalHead(headConfig, new Generator(recipe.Seed + 1), new Generator(recipe.Seed));
        var trainTargets = Targets(train);
        var testTargets = Targets(test);

        Tensor? trainPooled = null, testPooled = null, trainOrdinalPooled = null, testOrdinalPooled = null;
        List<Audio.Dsp.FeatureMatrix>? trainMels = null, testMels = null, trainOrdinalMels = null, testOrdinalMels = null;
        if (recipe.Encoder.FineTune)
        {
            var frames = EmotionClipSet.Frames(all, frontEnd, new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, 0, n, all.Count, 0, 0))), recipe.Data.FeatureCache);
            (trainMels, testMels) = ([.. train.Select(u => frames[u.Id])], [.. test.Select(u => frames[u.Id])]);
            (trainOrdinalMels, testOrdinalMels) = ([.. trainOrdinal.Select(u => frames[u.Id])], [.. testOrdinal.Select(u => frames[u.Id])]);
        }
        else
        {
            var pooled = CachedPooled(all, recognizer, frontEnd, encoderHash, progress);
            var row = all.Select((u, i) => (u.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
            Tensor Rows(IReadOnlyList<Utterance> part) => part.Count == 0 ? Tensor.Zeros(0, pooled.Dim(1)) : pooled.IndexSelect(0, part.Select(u => row[u.Id]).ToArray());
            (trainPooled, testPooled, trainOrdinalPooled, testOrdinalPooled) = (Rows(train), Rows(test), Rows(trainOrdinal), Rows(testOrdinal));
        }
        if (testOrdinal.Count > 0 && config.Dimensions is not null && recognizer.DimensionalHead is not null)
        {
            // The model's head before this run, on the same held-out ordinal clips: the figure to beat.
            var before = Predict(recognizer.DimensionalHead, recipe.Encoder.FineTune ? Pool(testOrdinalMels!, recognizer) : testOrdinalPooled!);
            PreviousHeadSpearmanArousalLevel = DimensionalMetrics.Spearman(Column(before, 0), testLevels);
        }

        // The encoder's own parameters train only when fine-tuning, at their own learning rate.
        var groups = ParamGroup.SplitWeightDecay(head.NamedParameters().Select(p => new KeyValuePair<string, Tensor>("head." + p.Key, p.Value)), recipe.Optim.WeightDecay).ToList();
        if (recipe.Encoder.FineTune)
            groups.AddRange(ParamGroup.SplitWeightDecay(((Module)model.AudioEncoder).NamedParameters().Where(p => p.Value.RequiresGrad).Select(p => new KeyValuePair<string, Tensor>("encoder." + p.Key, p.Value)), recipe.Optim.WeightDecay)
                .Select(g => new ParamGroup(g.Parameters, recipe.Encoder.LearningRate, g.WeightDecay)));
        else model.Freeze();
        int stepsPerEpoch = recipe.Encoder.FineTune ? recipe.Encoder.StepsPerEpoch : Math.Max(1, train.Count / recipe.Optim.BatchSize);
        long totalSteps = (long)recipe.Optim.Epochs * stepsPerEpoch;
        var trained = new TrainedModules(head, recipe.Encoder.FineTune ? (Module)model.AudioEncoder : null);
        int window = recognizer.WindowFrames;
        int batchSize = Math.Min(recipe.Optim.BatchSize, train.Count);
        var order = Array.Empty<int>();
        var outcome = new TrainingLoop
        {
            Folder = runFolder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = trained,
            Optimizer = new AdamW(groups, recipe.Optim.LearningRate),
            Schedule = new LrSchedule(recipe.Optim.LearningRate, Math.Min(recipe.Optim.WarmupSteps, totalSteps), totalSteps, LrDecay.Cosine, recipe.Optim.MinLearningRate),
            Epochs = recipe.Optim.Epochs,
            StepsPerEpoch = stepsPerEpoch,
            GradClip = recipe.Optim.GradClip,
            ClippedParameters = [.. trained.Parameters()],
            Columns = ["valid_ccc_arousal", "valid_ccc_valence", "valid_ccc_dominance", "valid_ccc_mean"],
            TrailingColumns = ["valid_spearman_arousal_level"],
            BeginEpoch = (_, rng) =>
            {
                order = Enumerable.Range(0, train.Count).ToArray();
                for (int i = order.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (order[i], order[j]) = (order[j], order[i]); }
            },
            Step = (rng, s) =>
            {
                var picks = recipe.Encoder.FineTune
                    ? Enumerable.Range(0, batchSize).Select(_ => rng.NextInt(train.Count)).ToArray()
                    : order.AsSpan(s * batchSize, batchSize).ToArray();
                var pooled = recipe.Encoder.FineTune ? WindowBatch(picks.Select(i => trainMels![i]).ToList(), model, window, rng) : trainPooled!.IndexSelect(0, picks);
                var loss = CccLoss.Compute(head.Forward(pooled), trainTargets.IndexSelect(0, picks));
                if (trainOrdinal.Count > 1)
                {
                    var ordinalPicks = Enumerable.Range(0, Math.Min(recipe.Targets.OrdinalBatchSize, trainOrdinal.Count)).Select(_ => rng.NextInt(trainOrdinal.Count)).ToArray();
                    var ordinalPooled = recipe.Encoder.FineTune ? WindowBatch(ordinalPicks.Select(i => trainOrdinalMels![i]).ToList(), model, window, rng) : trainOrdinalPooled!.IndexSelect(0, ordinalPicks);
                    var arousal = head.Forward(ordinalPooled).Narrow(1, 0, 1);
                    loss = loss + OrdinalRankLoss.Compute(arousal, ordinalPicks.Select(i => trainLevels[i]).ToList(), (float)recipe.Targets.OrdinalScale) * (float)recipe.Targets.OrdinalWeight;
                }
                return loss;
            },
            Validate = end =>
            {
                ((Module)model.AudioEncoder).Eval();
                var predicted = Predict(head, recipe.Encoder.FineTune ? Pool(testMels!, recognizer) : testPooled!);
                var ccc = Enumerable.Range(0, 3).Select(k => DimensionalMetrics.Ccc(Column(predicted, k), Column(testTargets, k))).ToArray();
                double spearman = double.NaN;
                if (testOrdinal.Count > 1)
                    spearman = DimensionalMetrics.Spearman(Column(Predict(head, recipe.Encoder.FineTune ? Pool(testOrdinalMels!, recognizer) : testOrdinalPooled!), 0), testLevels);
                var m = new DimensionsEpochMetrics(end.Epoch, end.Step, end.TrainLoss, ccc[0], ccc[1], ccc[2], end.LearningRate, 0, spearman);
                return new EpochReport([m.CccArousal, m.CccValence, m.CccDominance, m.CccMean],
                    new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/spearman_arousal_level"] = spearman, ["valid/ccc_arousal"] = ccc[0], ["valid/ccc_valence"] = ccc[1], ["valid/ccc_dominance"] = ccc[2] },
                    string.Create(CultureInfo.InvariantCulture, $"epoch {end.Epoch}: loss {end.TrainLoss:F4}, held-out CCC arousal {ccc[0]:F3} valence {ccc[1]:F3} dominance {ccc[2]:F3}, Spearman arousal/level {spearman:F3}"),
                    TrailingColumns: [spearman]);
            },
        }.Run(progress, cancel);

        if (recipe.Encoder.FineTune)
        {
            var target = Path.Combine(runFolder, FineTunedFolder);
            EmotionModelPackage.Save(target, config with { Dimensions = null }, model, tokenizer);
            EmotionModelPackage.SaveDimensionalHead(target, head);
        }
        else EmotionModelPackage.SaveDimensionalHead(modelFolder, head);
        return DimensionsEpochMetrics.FromRow(outcome.Rows[^1]);
    }

    /// <summary>Spearman correlation of the model's dimensional head before this run with the held-out ordinal arousal levels
    /// (null when the model had no head or there are no such clips).</summary>
    public double? PreviousHeadSpearmanArousalLevel { get; private set; }

    /// <summary>Where the trained package is: the input model (frozen encoder) or run/model (fine-tuned).</summary>
    public string OutputModelFolder => recipe.Encoder.FineTune ? Path.Combine(runFolder, FineTunedFolder) : modelFolder;

    /// <summary>Pooled encoder outputs (N, D) of the utterances, from pooled.safetensors when it holds them for this encoder.</summary>
    Tensor CachedPooled(IReadOnlyList<Utterance> utterances, EmotionRecognizer recognizer, LogMelFrontEnd frontEnd, string encoderHash, IProgress<TrainingProgress>? progress)
    {
        var path = Path.Combine(runFolder, CacheFile);
        var ids = JsonSerializer.Serialize(utterances.Select(u => u.Id).ToArray());
        if (File.Exists(path))
        {
            using var cached = SafeTensors.OpenModel(path);
            if (cached.Metadata.GetValueOrDefault("encoder_sha256") == encoderHash && cached.Metadata.GetValueOrDefault("ids") == ids)
                return cached.Get("pooled");
        }
        var frames = EmotionClipSet.Frames(utterances, frontEnd, new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, 0, n, utterances.Count, 0, 0))), recipe.Data.FeatureCache);
        var pooled = Pool([.. utterances.Select(u => frames[u.Id])], recognizer);
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["pooled"] = pooled }, new Dictionary<string, string> { ["encoder_sha256"] = encoderHash, ["ids"] = ids });
        return pooled;
    }

    /// <summary>Window-averaged pooled encoder output of each clip, as inference computes it: (N, D).</summary>
    static Tensor Pool(IReadOnlyList<Audio.Dsp.FeatureMatrix> mels, EmotionRecognizer recognizer)
    {
        using var _ = Autograd.NoGrad();
        return Tensor.Concat(mels.Select(m => recognizer.Encode(m).Pooled).ToList(), 0);
    }

    /// <summary>One random window of each clip through the (trainable) encoder, pooled: (B, D).</summary>
    static Tensor WindowBatch(IReadOnlyList<Audio.Dsp.FeatureMatrix> mels, ClapModel model, int window, Generator rng)
    {
        int bins = mels[0].Columns;
        var batch = Tensor.Zeros(mels.Count, window, bins);
        for (int b = 0; b < mels.Count; b++)
        {
            int start = mels[b].Rows > window ? rng.NextInt(mels[b].Rows - window + 1) : 0;
            FixedLengthWindows.Copy(mels[b], start, window, batch.Data.Slice(b * window * bins, window * bins));
        }
        var encoded = model.AudioEncoder.Encode(batch, null);
        return Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask);
    }

    static Tensor Predict(DimensionalHead head, Tensor pooled)
    {
        using var _ = Autograd.NoGrad();
        return head.Forward(pooled);
    }

    static double[] Column(Tensor t, int k)
    {
        int n = t.Dim(0), d = t.Dim(1);
        var c = new double[n];
        for (int i = 0; i < n; i++) c[i] = t.Data[i * d + k];
        return c;
    }

    /// <summary>What the checkpoint holds: the head under "head.", the encoder under "encoder." when fine-tuning.</summary>
    sealed class TrainedModules : Module
    {
        public TrainedModules(DimensionalHead head, Module? encoder)
        {
            RegisterModule("head", head);
            if (encoder is not null) RegisterModule("encoder", encoder);
        }
    }

}
