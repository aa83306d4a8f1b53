using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Perturbations;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.Evaluation.Regression;
using Sentire.Models;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;

namespace Sentire.Evaluation.Reports;

/// <summary>CCC, Pearson r and MAE of one dimension; NaN when there is no prediction or target to compare.</summary>
public sealed record DimensionScore(double Ccc, double Pearson, double Mae)
{
    public static DimensionScore None { get; } = new(double.NaN, double.NaN, double.NaN);
}

/// <summary>Categories and dimensions of one set of predictions: the confusion matrix, and per dimension
/// (arousal, valence, dominance) the agreement with the targets.</summary>
public sealed record Scores(ConfusionMatrix Confusion, IReadOnlyList<DimensionScore> Dimensions)
{
    public double Uar => Confusion.Uar;
    public double MeanCcc => Dimensions.Average(d => d.Ccc);

    public static Scores Of(IReadOnlyList<ItemPrediction> predictions, IReadOnlyList<string> labels, Func<Utterance, EmotionDimensions?> targets)
    {
        var confusion = EmotionEvaluator.Confusion(predictions, labels);
        var pairs = predictions.Where(p => p.Prediction.Dimensions is not null && targets(p.Utterance) is not null)
            .Select(p => (Predicted: p.Prediction.Dimensions!, Target: targets(p.Utterance)!)).ToList();
        var dimensions = Enumerable.Range(0, EmotionDimensions.Names.Count).Select(k =>
        {
            if (pairs.Count < 2) return DimensionScore.None;
            var x = pairs.Select(p => p.Predicted[k]).ToArray();
            var y = pairs.Select(p => p.Target[k]).ToArray();
            return new DimensionScore(DimensionalMetrics.Ccc(x, y), DimensionalMetrics.Pearson(x, y), DimensionalMetrics.MeanAbsoluteError(x, y));
        }).ToList();
        return new Scores(confusion, dimensions);
    }
}

/// <summary>The test set under one condition (clean or one perturbation) and its change against clean.</summary>
public sealed record ConditionResult(string Condition, Scores Scores, double DeltaUar, IReadOnlyList<double> DeltaCcc);

/// <summary>The scores of one group of the clean test set (a gender, a speaker, a corpus).</summary>
public sealed record GroupResult(string Kind, string Group, int Clips, Scores Scores);

/// <summary>
/// Robustness and fairness of an emotion model, after the audEERING study (Wagner et al., 2023, "Dawn of the
/// transformer era in speech emotion recognition"): the same test set clean and under each perturbation (UAR and
/// CCC per dimension, and their change against clean), and the clean scores per gender, per corpus and per
/// individual speaker (spread and worst speaker). Dimension targets come from the caller (derived targets for
/// corpora with categories only); without a dimensional head the CCC columns are empty.
/// </summary>
public sealed class ModelReport
{
    public required string ModelName { get; init; }
    public required string TestSet { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required IReadOnlyList<ItemPrediction> Clean { get; init; }
    public required IReadOnlyList<ConditionResult> Conditions { get; init; }
    public required IReadOnlyList<GroupResult> Groups { get; init; }
    public required bool HasDimensions { get; init; }
    public int Skipped { get; init; }
    public ulong Seed { get; init; }

    /// <summary>Where a run stands: the condition being scored and the clips done of it.</summary>
    public sealed record Progress(string Condition, int ConditionIndex, int Conditions, int Done, int Total);

    /// <summary>Scores the test utterances clean and under each perturbation, and groups the clean predictions.</summary>
    /// <param name="targets">arousal/valence/dominance target of an utterance (null when it has none)</param>
    /// <param name="seed">combined with each utterance id into the perturbation seed, so every clip gets its own
    /// noise and every run the same</param>
    public static ModelReport Run(IEmotionAnalyzer recognizer, string testSet, IReadOnlyList<Utterance> test, IReadOnlyList<string> labels,
        IReadOnlyList<IPerturbation> perturbations, Func<Utterance, EmotionDimensions?> targets, ulong seed = 1234, IProgress<Progress>? progress = null)
    {
        int conditions = perturbations.Count + 1;
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = recognizer.SampleRate });
        ItemPredictions Score(string name, int index, IPerturbation? perturbation) =>
            EmotionEvaluator.Predict(recognizer, test, labels,
                perturbation is null ? null : (clip, u) =>
                {
                    // Perturb mono audio at the model rate, where babble talkers live too.
                    int rate = recognizer.SampleRate;
                    return AudioClip.FromMono(perturbation.Apply(conditioner.Apply(clip), rate, ClipSeed(seed, u.Id)), rate, clip.Source);
                },
                progress is null ? null : new InlineProgress(n => progress.Report(new Progress(name, index, conditions, n, test.Count))));

        var clean = Score("clean", 0, null);
        var cleanScores = Scores.Of(clean, labels, targets);
        var results = new List<ConditionResult> { new("clean", cleanScores, 0, [0, 0, 0]) };
        for (int i = 0; i < perturbations.Count; i++)
        {
            var s = Scores.Of(Score(perturbations[i].Name, i + 1, perturbations[i]), labels, targets);
            results.Add(new ConditionResult(perturbations[i].Name, s, s.Uar - cleanScores.Uar,
                s.Dimensions.Zip(cleanScores.Dimensions, (a, b) => a.Ccc - b.Ccc).ToList()));
        }

        var groups = new List<GroupResult>();
        void Group(string kind, Func<Utterance, string> key)
        {
            foreach (var g in clean.GroupBy(p => key(p.Utterance), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
                groups.Add(new GroupResult(kind, g.Key, g.Count(), Scores.Of(g.ToList(), labels, targets)));
        }
        Group("corpus", u => u.Corpus);
        Group("gender", EmotionEvaluator.GenderOf);
        Group("speaker", u => u.Speaker ?? "unknown");
        return new ModelReport
        {
            ModelName = recognizer.Name, TestSet = testSet, Labels = labels, Clean = clean, Conditions = results, Groups = groups,
            HasDimensions = recognizer.HasDimensions, Skipped = clean.Skipped, Seed = seed,
        };
    }

    /// <summary>Per-speaker UAR spread: the best minus the worst speaker, and the worst speaker.</summary>
    public (double Spread, GroupResult Worst, GroupResult Best) SpeakerSpread()
    {
        var speakers = Groups.Where(g => g.Kind == "speaker" && !double.IsNaN(g.Scores.Uar)).OrderBy(g => g.Scores.Uar).ToList();
        return (speakers[^1].Scores.Uar - speakers[0].Scores.Uar, speakers[0], speakers[^1]);
    }

    /// <summary>FNV-1a of the utterance id mixed with the run seed: a stable per-clip seed.</summary>
    public static ulong ClipSeed(ulong seed, string id)
    {
        ulong h = 14695981039346656037UL ^ seed;
        foreach (char c in id) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    /// <summary>Reports on the calling thread (the evaluator's parallel workers), serialised.</summary>
    sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        readonly Lock gate = new();
        public void Report(int value) { lock (gate) report(value); }
    }
}
