using System.Globalization;
using System.Text;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Regression;
using Sentire.IO;
using Sentire.Models.Speech;
using Sentire.Models.Student;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Training.Dimensions;
using Sentire.Training.Losses;
using Sentire.Training.Recipes;

namespace Sentire.Training.Distillation;

/// <summary>One clip of distillation audio: its manifest entry and log-mel frames (cut to the recipe's max_seconds).</summary>
public sealed record DistillationClip(Utterance Utterance, FeatureMatrix LogMel);

/// <summary>Scores of the student and the teacher on the held-out clips: against the corpus labels, against each other,
/// and the CCC of arousal/valence/dominance (A, V, D order) against the teacher and against the derived targets
/// (Training/Dimensions/DerivedDimensions: category placement scaled by intensity, not human ratings).</summary>
public sealed record StudentEvaluation(int Clips, double Uar, double War, double TeacherAgreement, double TeacherUar, double TeacherWar,
    double[]? DimensionCccVsTeacher, double[]? DimensionCccVsDerived, double[]? TeacherDimensionCccVsDerived)
{
    public double MeanDimensionCcc => DimensionCccVsTeacher is null ? double.NaN : DimensionCccVsTeacher.Average();
}

/// <summary>
/// Distils a teacher into a <see cref="TinyStudent"/> (Wav2Small's recipe): 1) log-mel of every clip of every corpus,
/// labelled or not; 2) the teacher's outputs once per clip, cached by teacher hash; 3) the student trained on those
/// outputs alone (KL with temperature on categories, MSE + 1 - CCC on dimensions when the teacher has them), with a
/// random share held back to pick the best epoch by teacher agreement; 4) scored on the held-out RAVDESS actors 17-20.
/// The run folder holds checkpoint.safetensors (resumed when present, and only for the same teacher: teacher-hash.txt),
/// metrics.csv and best/ (the packaged student with its generated model card).
/// </summary>
public sealed class StudentDistiller(StudentRecipe recipe, string recipeText, string recipePath, IEmotionTeacher teacher, string corporaRoot, string runFolder)
{
    public const string CheckpointFile = TrainingLoop.CheckpointFile, MetricsFile = TrainingLoop.MetricsFile, BestFolder = "best", TeacherFile = "teacher-hash.txt";

    public StudentModelConfig ModelConfig() => new()
    {
        Name = recipe.Name,
        FrontEnd = teacher.FrontEnd with { Prosody = false },   // the student reads log-mel only, as its ONNX export documents
        Model = new TinyStudentConfig(teacher.FrontEnd.NMels, recipe.Model.Channels, recipe.Model.StemKernel, recipe.Model.StemStride,
            recipe.Model.BlockKernel, [.. recipe.Model.Dilations], teacher.Labels.Count, 3),
        Labels = teacher.Labels,
        Teacher = teacher.Name,
        TeacherHash = teacher.WeightsHash,
    };

    /// <summary>Decoded log-mel of each utterance, first <paramref name="maxSeconds"/> only.</summary>
    public static List<DistillationClip> LoadClips(IReadOnlyList<Utterance> utterances, LogMelFrontEnd frontEnd, double maxSeconds, IProgress<int>? progress)
    {
        var clips = new DistillationClip[utterances.Count];
        int done = 0, maxSamples = (int)(maxSeconds * frontEnd.Config.SampleRate);
        Parallel.For(0, utterances.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var samples = frontEnd.Condition(AudioFile.Read(utterances[i].AudioPath));
            if (samples.Length > maxSamples) samples = samples[..maxSamples];
            clips[i] = new DistillationClip(utterances[i], frontEnd.LogMel(samples));
            progress?.Report(Interlocked.Increment(ref done));
        });
        return [.. clips];
    }

    public void Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(runFolder);
        int epochs = recipe.Optim.Epochs;
        var corpora = CorpusSet.Load(recipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c)));
        var held = corpora.Utterances.Where(u => u.Corpus == RavdessTestSplit.Corpus && u.Speaker is { } s && RavdessTestSplit.TestSpeakers.Contains(s)).ToList();
        if (held.Count == 0) throw new RecipeException($"{recipePath}: no RAVDESS actor 17-20 clips among data.corpora: nothing to evaluate on");
        var heldIds = held.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        var distill = recipe.Data.Exclude == DistillationExclude.None ? corpora.Utterances.ToList() : corpora.Utterances.Where(u => !heldIds.Contains(u.Id)).ToList();

        var frontEnd = new LogMelFrontEnd(teacher.FrontEnd);
        var all = recipe.Data.Exclude == DistillationExclude.None ? distill : [.. distill, .. held];
        var clips = LoadClips(all, frontEnd, recipe.Data.MaxSeconds, new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, epochs, n, all.Count, 0, 0))));
        var byId = clips.ToDictionary(c => c.Utterance.Id, StringComparer.Ordinal);
        var targets = TeacherCache.Ensure(recipe.Data.TeacherCache, teacher, clips.Select(c => (c.Utterance.Id, c.LogMel)).ToList(),
            new SynchronousProgress<(int Done, int Total)>(p => progress?.Report(new TrainingProgress("teacher", 0, epochs, p.Done, p.Total, 0, 0))), cancel);
        bool withDimensions = targets.Values.All(t => t.Dimensions is not null);
        // A teacher with prosody channels read them above; the student gets the mel bins only.
        if (teacher.FrontEnd.Prosody)
        {
            clips = [.. clips.Select(c => c with { LogMel = c.LogMel.LeadingColumns(teacher.FrontEnd.NMels) })];
            byId = clips.ToDictionary(c => c.Utterance.Id, StringComparer.Ordinal);
        }

        // A seeded random share of the distillation clips picks the best epoch (no labels involved).
        var order = Enumerable.Range(0, distill.Count).ToArray();
        new Random((int)(recipe.Seed % int.MaxValue)).Shuffle(order);
        int validCount = Math.Max(1, (int)Math.Round(distill.Count * recipe.Data.ValidationFraction));
        var valid = order.Take(validCount).Select(i => byId[distill[i].Id]).ToList();
        var train = order.Skip(validCount).Select(i => byId[distill[i].Id]).ToList();
        var evaluation = held.Select(u => byId[u.Id]).ToList();
        if (withDimensions && Math.Min(train.Count, valid.Count) < 2)
            throw new RecipeException($"{recipePath}: {train.Count} training and {valid.Count} validation clips, but the dimension CCC term needs at least 2 of each: add clips or change data.validation_fraction ({recipe.Data.ValidationFraction})");

        var config = ModelConfig() with { DimensionsTrained = withDimensions };
        var model = new TinyStudent(config.Model, new Generator(recipe.Seed));
        var (mean, std) = FeatureMatrix.ColumnStatistics(train.Select(c => c.LogMel));
        model.SetFeatureStatistics(mean, std);

        var batches = LengthBatches(train, recipe.Optim.BatchSize);
        long totalSteps = (long)epochs * batches.Count;

        // A checkpoint belongs to one teacher: resuming it against other teacher outputs would mix two targets.
        var teacherFile = Path.Combine(runFolder, TeacherFile);
        if (File.Exists(Path.Combine(runFolder, CheckpointFile)) && File.Exists(teacherFile) && File.ReadAllText(teacherFile).Trim() != teacher.WeightsHash)
            throw new RecipeException($"{runFolder} holds a run distilled from teacher {File.ReadAllText(teacherFile).Trim()}, but {teacher.Name} is now {teacher.WeightsHash}: delete the folder or pass another --out");
        var hashBytes = Encoding.UTF8.GetBytes(teacher.WeightsHash + "\n");
        AtomicFile.Write(teacherFile, s => s.Write(hashBytes));

        var epochOrder = Array.Empty<int>();
        StudentEvaluation? scores = null;
        new TrainingLoop
        {
            Folder = runFolder,
            Seed = recipe.Seed,
            RecipeText = recipeText,
            Model = model,
            Optimizer = new AdamW(ParamGroup.SplitWeightDecay(model.NamedParameters(), recipe.Optim.WeightDecay), recipe.Optim.LearningRate),
            Schedule = new LrSchedule(recipe.Optim.LearningRate, Math.Min(recipe.Optim.WarmupSteps, totalSteps), totalSteps, LrDecay.Cosine, recipe.Optim.MinLearningRate),
            Epochs = epochs,
            StepsPerEpoch = batches.Count,
            GradClip = recipe.Optim.GradClip,
            ClippedParameters = [.. model.Parameters()],
            Columns = ["valid_loss", "valid_agreement", "eval_uar", "eval_war", "eval_agreement", "eval_dimension_ccc"],
            Best = new BestEpoch("best/valid_loss", HigherIsBetter: false, epoch => StudentPackage.Save(Path.Combine(runFolder, BestFolder), config, model,
                ModelCard.Write(config, model, recipe, recipePath, scores!, train.Count + valid.Count, epoch))),
            BeginEpoch = (_, rng) =>
            {
                epochOrder = Enumerable.Range(0, batches.Count).ToArray();
                for (int i = epochOrder.Length - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (epochOrder[i], epochOrder[j]) = (epochOrder[j], epochOrder[i]); }
            },
            Step = (_, s) => BatchLoss(model, batches[epochOrder[s]], targets, withDimensions),
            Validate = end =>
            {
                var (validLoss, validAgreement) = ValidationLoss(model, valid, targets, withDimensions);
                scores = Evaluate(EmotionStudent.FromModel(config, model), evaluation, targets);
                return new EpochReport([validLoss, validAgreement, scores.Uar, scores.War, scores.TeacherAgreement, scores.MeanDimensionCcc],
                    new Dictionary<string, double> { ["train/loss"] = end.TrainLoss, ["valid/loss"] = validLoss },
                    string.Create(CultureInfo.InvariantCulture,
                        $"epoch {end.Epoch}: loss {end.TrainLoss:F4}, valid {validLoss:F4} (agreement {validAgreement:P1}); held-out UAR {scores.Uar:P1} (teacher {scores.TeacherUar:P1}), agreement {scores.TeacherAgreement:P1}"),
                    Score: validLoss);
            },
        }.Run(progress, cancel);
    }

    /// <summary>Batches of clips of similar length (sorted by frame count), so little of a batch is padding. A lone clip
    /// left at the end joins the batch before it: the CCC term is a batch statistic undefined on one clip, and folding
    /// keeps every step's objective the same (KL + MSE + CCC over every clip) where dropping the term for that step
    /// would train one batch on a different loss.</summary>
    static List<DistillationClip[]> LengthBatches(IReadOnlyList<DistillationClip> clips, int batchSize)
    {
        var batches = clips.OrderBy(c => c.LogMel.Rows).ThenBy(c => c.Utterance.Id, StringComparer.Ordinal).Chunk(batchSize).ToList();
        if (batches.Count > 1 && batches[^1].Length == 1)
        {
            batches[^2] = [.. batches[^2], .. batches[^1]];
            batches.RemoveAt(batches.Count - 1);
        }
        return batches;
    }

    /// <summary>Log-mel batch (B, T_max, M) padded at the end, with each clip's frame count.</summary>
    static (Tensor Mel, int[] Lengths) Collate(IReadOnlyList<DistillationClip> batch)
    {
        int frames = batch.Max(c => c.LogMel.Rows), bins = batch[0].LogMel.Columns;
        var mel = Tensor.Zeros(batch.Count, frames, bins);
        for (int b = 0; b < batch.Count; b++) batch[b].LogMel.Data.CopyTo(mel.Data.Slice(b * frames * bins));
        return (mel, batch.Select(c => c.LogMel.Rows).ToArray());
    }

    Tensor BatchLoss(TinyStudent model, IReadOnlyList<DistillationClip> batch, IReadOnlyDictionary<string, TeacherOutput> targets, bool withDimensions)
    {
        var (mel, lengths) = Collate(batch);
        var (logits, dims) = model.Forward(mel, lengths);
        var outputs = batch.Select(c => targets[c.Utterance.Id]).ToList();
        var probabilities = new Tensor(outputs.SelectMany(o => o.Probabilities).ToArray(), batch.Count, logits.Dim(1));
        var loss = DistillationLoss.Category(logits, probabilities, recipe.Loss.Temperature) * recipe.Loss.CategoryWeight;
        if (withDimensions)
        {
            var teacherDims = new Tensor(outputs.SelectMany(o => o.Dimensions!).ToArray(), batch.Count, 3);
            loss = loss + Loss.Mse(dims, teacherDims) * recipe.Loss.DimensionMseWeight
                        + CccLoss.Compute(dims, teacherDims) * recipe.Loss.DimensionCccWeight;
        }
        return loss;
    }

    (double Loss, double Agreement) ValidationLoss(TinyStudent model, IReadOnlyList<DistillationClip> clips, IReadOnlyDictionary<string, TeacherOutput> targets, bool withDimensions)
    {
        using var _ = Autograd.NoGrad();
        double sum = 0;
        int agree = 0, n = 0;
        foreach (var batch in LengthBatches(clips, Math.Max(2, recipe.Optim.BatchSize)))
        {
            sum += BatchLoss(model, batch, targets, withDimensions).Item() * batch.Length;
            var (mel, lengths) = Collate(batch);
            var logits = model.Forward(mel, lengths).Logits;
            var predicted = logits.ArgMax(-1);
            for (int i = 0; i < batch.Length; i++, n++)
                if (predicted[i] == ArgMax(targets[batch[i].Utterance.Id].Probabilities)) agree++;
        }
        return (sum / clips.Count, (double)agree / n);
    }

    /// <summary>The student and the teacher on labelled held-out clips: UAR/WAR against the labels, the student's
    /// top-1 agreement with the teacher, and the CCC of each dimension against the teacher's when it has them.</summary>
    public static StudentEvaluation Evaluate(EmotionStudent student, IReadOnlyList<DistillationClip> clips, IReadOnlyDictionary<string, TeacherOutput> targets)
    {
        var labels = student.Config.Labels;
        var labelled = clips.Where(c => c.Utterance.Emotion is { } e && labels.Contains(e)).ToList();
        var studentMatrix = new ConfusionMatrix(labels);
        var teacherMatrix = new ConfusionMatrix(labels);
        int agree = 0;
        var studentDims = new List<float[]>();
        var teacherDims = new List<float[]>();
        var derived = new List<float[]>();
        foreach (var clip in labelled)
        {
            var p = student.Predict(clip.LogMel);
            var t = targets[clip.Utterance.Id];
            int s = ArgMax(p.Probabilities), k = ArgMax(t.Probabilities);
            studentMatrix.Add(clip.Utterance.Emotion!, labels[s]);
            teacherMatrix.Add(clip.Utterance.Emotion!, labels[k]);
            if (s == k) agree++;
            studentDims.Add(p.Dimensions);
            if (t.Dimensions is not null) teacherDims.Add(t.Dimensions);
            if (DerivedDimensions.For(clip.Utterance) is { } d) derived.Add([(float)d.Arousal, (float)d.Valence, (float)d.Dominance]);
        }
        bool dimensions = student.Config.DimensionsTrained && labelled.Count > 1;
        static double[] Ccc(List<float[]> x, List<float[]> y) =>
            [.. Enumerable.Range(0, 3).Select(d => DimensionalMetrics.Ccc(x.Select(v => (double)v[d]).ToArray(), y.Select(v => (double)v[d]).ToArray()))];
        bool withTeacher = teacherDims.Count == labelled.Count && labelled.Count > 1, withDerived = derived.Count == labelled.Count && labelled.Count > 1;
        return new StudentEvaluation(labelled.Count, studentMatrix.Uar, studentMatrix.War, labelled.Count == 0 ? double.NaN : (double)agree / labelled.Count,
            teacherMatrix.Uar, teacherMatrix.War,
            dimensions && withTeacher ? Ccc(studentDims, teacherDims) : null,
            dimensions && withDerived ? Ccc(studentDims, derived) : null,
            withTeacher && withDerived ? Ccc(teacherDims, derived) : null);
    }

    static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

}
