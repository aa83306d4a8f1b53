using System.Collections;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Models.Analysis;
using Sentire.Models;
using Sentire.Models.Clap;
using Sentire.Tensors;

namespace Sentire.Evaluation.Emotion;

/// <summary>What the recognizer said about one labelled utterance.</summary>
public sealed record ItemPrediction(Utterance Utterance, EmotionPrediction Prediction);

/// <summary>Predictions of labelled utterances in input order, with the number of utterances left out because their
/// true label is not in the evaluated label list (or they have none).</summary>
public sealed class ItemPredictions(IReadOnlyList<ItemPrediction> items, int skipped) : IReadOnlyList<ItemPrediction>
{
    public int Skipped { get; } = skipped;
    public int Count => items.Count;
    public ItemPrediction this[int index] => items[index];
    public IEnumerator<ItemPrediction> GetEnumerator() => items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The one way emotion models are scored: every labelled utterance is classified against a label list (zero-shot for
/// the teacher, a subset of its own labels for the student)
/// (the most probable label is the prediction), and the (truth, prediction) pairs give a
/// <see cref="ConfusionMatrix"/> (WAR, UAR, macro-F1), overall or per group (corpus, gender, ...).
/// Items run in parallel; results keep the input order, so the same inputs always give the same matrices.
/// </summary>
public static class EmotionEvaluator
{
    /// <summary>Decodes and classifies each utterance whose emotion is in <paramref name="labels"/>.</summary>
    /// <param name="transform">optional change to the decoded audio before scoring (noise, cropping, ...), given the utterance.</param>
    /// <param name="progress">reports the number of items done so far.</param>
    public static ItemPredictions Predict(IEmotionAnalyzer recognizer, IReadOnlyList<Utterance> items, IReadOnlyList<string> labels,
        Func<AudioClip, Utterance, AudioClip>? transform = null, IProgress<int>? progress = null) =>
        Run(items, labels, progress, u =>
        {
            var clip = AudioFile.Read(u.AudioPath);
            return recognizer.Analyze(transform is null ? clip : transform(clip, u), labels);
        });

    /// <summary>Classifies utterances whose log-mel frames are already computed (training validation, cached features).</summary>
    /// <param name="alignBy">when given, the recording set-up of each utterance (its corpus, its speaker): each set-up's
    /// clips are scored through an <see cref="EmbeddingAlignment"/> to the mean embedding of its clips among
    /// <paramref name="items"/> (<see cref="EmotionRecognizer.AlignedTo"/>; the model needs a reference embedding).</param>
    public static ItemPredictions Predict(EmotionRecognizer recognizer, IReadOnlyList<(Utterance Utterance, FeatureMatrix LogMel)> items,
        IReadOnlyList<string> labels, IProgress<int>? progress = null, Func<Utterance, string>? alignBy = null)
    {
        var features = new Dictionary<Utterance, FeatureMatrix>(ReferenceEqualityComparer.Instance);
        foreach (var (u, f) in items) features[u] = f;
        var utterances = items.Select(x => x.Utterance).ToList();
        Func<Utterance, EmotionRecognizer> scorer = _ => recognizer;
        Dictionary<Utterance, Tensor>? embedded = null;
        if (alignBy is not null)
        {
            // Every clip of a set-up is embedded first (its labels unread), then the set-up's alignment is made from them.
            var embeddings = new Tensor[utterances.Count];
            Parallel.For(0, utterances.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => embeddings[i] = recognizer.EmbedFeatures(features[utterances[i]]));
            embedded = new(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < utterances.Count; i++) embedded[utterances[i]] = embeddings[i];
            var aligned = utterances.GroupBy(alignBy, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => recognizer.AlignedTo(g.Select(u => embedded[u]).ToList()), StringComparer.Ordinal);
            scorer = u => aligned[alignBy(u)];
        }
        return Run(utterances, labels, progress, u =>
        {
            var logMel = features[u];
            var probabilities = scorer(u).Score(embedded?[u] ?? recognizer.EmbedFeatures(logMel), labels, recognizer.Config.PromptTemplate);
            double seconds = logMel.Rows / recognizer.Config.FrontEnd.FramesPerSecond;
            return new EmotionPrediction(0, seconds, labels.Select((l, i) => new EmotionScore(l, probabilities[i])).OrderByDescending(s => s.Probability).ToList());
        });
    }

    static ItemPredictions Run(IReadOnlyList<Utterance> items, IReadOnlyList<string> labels, IProgress<int>? progress, Func<Utterance, EmotionPrediction> predict)
    {
        if (labels.Count == 0) throw new ArgumentException("the label list is empty");
        var known = new HashSet<string>(labels, StringComparer.Ordinal);
        var usable = items.Where(u => u.Emotion is { } e && known.Contains(e)).ToList();
        var results = new ItemPrediction[usable.Count];
        int done = 0;
        Parallel.For(0, usable.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            results[i] = new ItemPrediction(usable[i], predict(usable[i]));
            progress?.Report(Interlocked.Increment(ref done));
        });
        return new ItemPredictions(results, items.Count - usable.Count);
    }

    /// <summary>Confusion matrix of the predictions over <paramref name="labels"/>; predictions whose truth or top label is
    /// outside the list are left out.</summary>
    public static ConfusionMatrix Confusion(IReadOnlyList<ItemPrediction> predictions, IReadOnlyList<string> labels)
    {
        var known = new HashSet<string>(labels, StringComparer.Ordinal);
        return ConfusionMatrix.From(labels, predictions
            .Where(p => p.Utterance.Emotion is { } e && known.Contains(e) && known.Contains(p.Prediction.Top.Label))
            .Select(p => (p.Utterance.Emotion!, p.Prediction.Top.Label)));
    }

    /// <summary>One confusion matrix per group (e.g. <c>u =&gt; u.Corpus</c>), groups in ordinal key order.</summary>
    public static IReadOnlyDictionary<string, ConfusionMatrix> By(IReadOnlyList<ItemPrediction> predictions, Func<Utterance, string> key, IReadOnlyList<string> labels)
    {
        var result = new SortedDictionary<string, ConfusionMatrix>(StringComparer.Ordinal);
        foreach (var group in predictions.GroupBy(p => key(p.Utterance), StringComparer.Ordinal))
            result[group.Key] = Confusion(group.ToList(), labels);
        return result;
    }

    /// <summary>Gender as a group key ("female", "male", "unknown").</summary>
    public static string GenderOf(Utterance u) => u.Gender switch { Gender.Female => "female", Gender.Male => "male", _ => "unknown" };
}
