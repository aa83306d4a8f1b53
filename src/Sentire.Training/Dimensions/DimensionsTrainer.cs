using System.Diagnostics;
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
using Sentire.Training.Losses;
using Sentire.Training.Recipes;

namespace Sentire.Training.Dimensions;

/// <summary>One line of the dimensions run's metrics.csv: training loss and held-out CCC per dimension.</summary>
public sealed record DimensionsEpochMetrics(int Epoch, long Step, double TrainLoss, double CccArousal, double CccValence, double CccDominance, double LearningRate, double Seconds)
{
    public double CccMean => (CccArousal + CccValence + CccDominance) / 3;

    public static IReadOnlyList<string> Columns { get; } =
        ["epoch", "step", "train_ccc_loss", "valid_ccc_arousal", "valid_ccc_valence", "valid_ccc_dominance", "valid_ccc_mean", "learning_rate", "seconds"];
    public double[] ToRow() => [Epoch, Step, TrainLoss, CccArousal, CccValence, CccDominance, CccMean, LearningRate, Seconds];
    public static DimensionsEpochMetrics FromRow(double[] r) => new((int)r[0], (long)r[1], r[2], r[3], r[4], r[5], r[7], r[8]);
}

/// <summary>
/// Trains a <see cref="DimensionalHead"/> with <see cref="CccLoss"/> on a packaged emotion model's speech encoder.
/// Targets are <see cref="DerivedDimensions"/> (rated numbers from the manifest where present).
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
    public const string CheckpointFile = "checkpoint.safetensors", MetricsFile = "metrics.csv", CacheFile = "pooled.safetensors",
        EncoderHashFile = "encoder.sha256", FineTunedFolder = "model";

    /// <summary>The utterances with targets, split as the recipe names it.</summary>
    public (IReadOnlyList<Utterance> Train, IReadOnlyList<Utterance> Test) Data()
    {
        var corpora = CorpusSet.Load(recipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c)));
        var usable = corpora.Utterances.Where(u => Target(u) is not null).ToList();
        var split = ClapTrainer.Split(usable, recipe.Data.Validation, recipe.Seed);
        return (split.Train, split.Test);
    }

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

        var (train, test) = Data();
        var (config, model, tokenizer) = EmotionModelPackage.Load(modelFolder);
        var recognizer = EmotionRecognizer.FromModel(config, model, tokenizer);
        var frontEnd = new LogMelFrontEnd(config.FrontEnd);
        var headConfig = new DimensionalHeadConfig(model.AudioEncoder.HiddenSize, recipe.Head.HiddenSize, recipe.Head.Dropout,
            Targets: train.Concat(test).Any(DerivedDimensions.IsDerived) ? "derived" : "rated");
        var head = new DimensionalHead(headConfig, new Generator(recipe.Seed + 1), new Generator(recipe.Seed));
        var trainTargets = Targets(train);
        var testTargets = Targets(test);

        Tensor? trainPooled = null, testPooled = null;
        List<Audio.Dsp.FeatureMatrix>? trainMels = null, testMels = null;
        if (recipe.Encoder.FineTune)
        {
            trainMels = LogMels(train, frontEnd, progress, 0, train.Count + test.Count);
            testMels = LogMels(test, frontEnd, progress, train.Count, train.Count + test.Count);
        }
        else
        {
            var pooled = CachedPooled(train.Concat(test).ToList(), recognizer, frontEnd, encoderHash, progress);
            trainPooled = pooled.Narrow(0, 0, train.Count);
            testPooled = pooled.Narrow(0, train.Count, test.Count);
        }

        // The encoder's own parameters train only when fine-tuning, at their own learning rate.
        var groups = ParamGroup.SplitWeightDecay(head.NamedParameters().Select(p => new KeyValuePair<string, Tensor>("head." + p.Key, p.Value)), recipe.Optim.WeightDecay).ToList();
        if (recipe.Encoder.FineTune)
            groups.AddRange(ParamGroup.SplitWeightDecay(((Module)model.AudioEncoder).NamedParameters().Where(p => p.Value.RequiresGrad).Select(p => new KeyValuePair<string, Tensor>("encoder." + p.Key, p.Value)), recipe.Optim.WeightDecay)
                .Select(g => new ParamGroup(g.Parameters, recipe.Encoder.LearningRate, g.WeightDecay)));
        else model.Freeze();
        var optimizer = new AdamW(groups, recipe.Optim.LearningRate);
        int stepsPerEpoch = recipe.Encoder.FineTune ? recipe.Encoder.StepsPerEpoch : Math.Max(1, train.Count / recipe.Optim.BatchSize);
        long totalSteps = (long)recipe.Optim.Epochs * stepsPerEpoch;
        var schedule = new LrSchedule(recipe.Optim.LearningRate, Math.Min(recipe.Optim.WarmupSteps, totalSteps), totalSteps, LrDecay.Cosine, recipe.Optim.MinLearningRate);
        var trained = new TrainedModules(head, recipe.Encoder.FineTune ? (Module)model.AudioEncoder : null);

        var checkpointPath = Path.Combine(runFolder, CheckpointFile);
        var resume = TrainingResume.From(checkpointPath, trained, optimizer);
        int startEpoch = resume.StartEpoch;
        long step = resume.Step;
        var metricsCsv = new MetricsCsv(Path.Combine(runFolder, MetricsFile), DimensionsEpochMetrics.Columns);
        if (resume.Resumed) metricsCsv.LoadUpTo(startEpoch - 1);

        int window = recognizer.WindowFrames;
        int batchSize = Math.Min(recipe.Optim.BatchSize, train.Count);
        for (int epoch = startEpoch; epoch <= recipe.Optim.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            var rng = new Generator(recipe.Seed * 1_000_003UL + (ulong)epoch);
            var order = Enumerable.Range(0, train.Count).ToArray();
            for (int i = order.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (order[i], order[j]) = (order[j], order[i]); }
            head.Train();
            if (recipe.Encoder.FineTune) ((Module)model.AudioEncoder).Train();
            double lossSum = 0;
            for (int s = 0; s < stepsPerEpoch; s++)
            {
                cancel.ThrowIfCancellationRequested();
                var picks = recipe.Encoder.FineTune
                    ? Enumerable.Range(0, batchSize).Select(_ => rng.NextInt(train.Count)).ToArray()
                    : order.AsSpan(s * batchSize, batchSize).ToArray();
                var pooled = recipe.Encoder.FineTune ? WindowBatch(picks.Select(i => trainMels![i]).ToList(), model, window, rng) : trainPooled!.IndexSelect(0, picks);
                optimizer.SetLearningRateFactor(schedule.Factor(step));
                var loss = CccLoss.Compute(head.Forward(pooled), trainTargets.IndexSelect(0, picks));
                optimizer.ZeroGrad();
                loss.Backward();
                GradClip.ClipGlobalNorm(trained.Parameters(), (float)recipe.Optim.GradClip);
                optimizer.Step();
                step++;
                lossSum += loss.Item();
                progress?.Report(new TrainingProgress("train", epoch, recipe.Optim.Epochs, s + 1, stepsPerEpoch, lossSum / (s + 1), schedule.LearningRate(step)));
            }

            head.Eval();
            ((Module)model.AudioEncoder).Eval();
            var predicted = Predict(head, recipe.Encoder.FineTune ? Pool(testMels!, recognizer) : testPooled!);
            var ccc = Enumerable.Range(0, 3).Select(k => DimensionalMetrics.Ccc(Column(predicted, k), Column(testTargets, k))).ToArray();
            var metrics = new DimensionsEpochMetrics(epoch, step, lossSum / stepsPerEpoch, ccc[0], ccc[1], ccc[2], schedule.LearningRate(step), clock.Elapsed.TotalSeconds);
            metricsCsv.Add(metrics.ToRow());
            Checkpoint.Save(checkpointPath, trained, optimizer, new TrainingState
            {
                Epoch = epoch,
                Step = step,
                RngSeeds = new Dictionary<string, ulong> { ["seed"] = recipe.Seed },
                Metrics = new Dictionary<string, double> { ["train/ccc_loss"] = metrics.TrainLoss, ["valid/ccc_arousal"] = ccc[0], ["valid/ccc_valence"] = ccc[1], ["valid/ccc_dominance"] = ccc[2] },
                Recipe = recipeText,
            });
            progress?.Report(new TrainingProgress(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}: CCC loss {metrics.TrainLoss:F4}, held-out CCC arousal {ccc[0]:F3} valence {ccc[1]:F3} dominance {ccc[2]:F3}"), epoch, recipe.Optim.Epochs, stepsPerEpoch, stepsPerEpoch, metrics.TrainLoss, metrics.LearningRate));
        }

        if (recipe.Encoder.FineTune)
        {
            var target = Path.Combine(runFolder, FineTunedFolder);
            EmotionModelPackage.Save(target, config with { Dimensions = null }, model, tokenizer);
            EmotionModelPackage.SaveDimensionalHead(target, head);
        }
        else EmotionModelPackage.SaveDimensionalHead(modelFolder, head);
        return DimensionsEpochMetrics.FromRow(metricsCsv.Rows[^1]);
    }

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
        var mels = LogMels(utterances, frontEnd, progress, 0, utterances.Count);
        var pooled = Pool(mels, recognizer);
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["pooled"] = pooled }, new Dictionary<string, string> { ["encoder_sha256"] = encoderHash, ["ids"] = ids });
        return pooled;
    }

    static List<Audio.Dsp.FeatureMatrix> LogMels(IReadOnlyList<Utterance> utterances, LogMelFrontEnd frontEnd, IProgress<TrainingProgress>? progress, int offset, int total)
    {
        var mels = new Audio.Dsp.FeatureMatrix[utterances.Count];
        int done = 0;
        Parallel.For(0, utterances.Count, i =>
        {
            mels[i] = frontEnd.LogMel(AudioFile.Read(utterances[i].AudioPath));
            progress?.Report(new TrainingProgress("features", 0, 0, offset + Interlocked.Increment(ref done), total, 0, 0));
        });
        return [.. mels];
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
