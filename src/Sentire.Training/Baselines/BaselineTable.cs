using System.Globalization;
using System.Text;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Audio.Prosody;
using Sentire.Evaluation.Classification;
using Sentire.Training.Clap;
using Sentire.Training.Distillation;

namespace Sentire.Training.Baselines;

/// <summary>UAR of each baseline on each corpus: the mean over the folds (k-fold) or the one held-out corpus (LOCO).</summary>
public sealed record BaselineScores(string Baseline, IReadOnlyDictionary<string, double> Uar, IReadOnlyDictionary<string, double[]> PerFold);

/// <summary>How the baselines' clip features are standardised before the probe is fitted.</summary>
public enum FeatureNormalisation
{
    /// <summary>With the training clips' mean and deviation only (<see cref="LinearProbe"/>): nothing is known of the test corpus.</summary>
    Training,
    /// <summary>Each corpus's clips first with that corpus's own mean and deviation over every clip of it, the test corpus's
    /// included (its audio, never its labels): corpus normalisation, the classic cross-corpus remedy for a recording
    /// set-up never heard. The counterpart of the CLAP models' per-corpus embedding alignment.</summary>
    Corpus,
}

/// <summary>
/// The two baselines of issue 18, the classical one (<see cref="ProsodyBaseline"/>: 27 prosodic functionals) and the teacher
/// probe (<see cref="TeacherProbeBaseline"/>: the teacher's 384-d embedding + 80 MFCC statistics), each a
/// <see cref="LinearProbe"/>, under two protocols over the same clips:
///  - k-fold: fold K of N speaker-disjoint folds within every corpus held out (<see cref="ClapTrainer.Split"/> "fold:K/N",
///    seed 1234, as docs/results.md), the mean over the folds of each corpus's UAR;
///  - leave-one-corpus-out: trained on every clip of the other corpora, tested on every clip of corpus X: how a model does
///    on a language (and recording set-up) it never heard.
/// Each corpus is scored over the labels it has (arg max among them), as docs/results.md does. Each clip is decoded once;
/// its functionals and MFCC statistics are kept in a <see cref="FeatureCache"/> (float32, one file per corpus).
/// </summary>
public static class BaselineTable
{
    public const string Classical = "classical baseline (prosodic functionals)", Probe = "teacher probe (teacher embedding + MFCC statistics)";
    /// <summary>Where the clips' functionals and MFCC statistics are cached unless told otherwise.</summary>
    public static string DefaultCache { get; } = Path.Combine("cache", "baseline-features");
    const string CacheKey = "baseline-clip-features v1; prosody27 (ProsodyAnalyzer, 16 kHz) + mfcc40 mean/std (TeacherProbeBaseline.MfccSettings)";

    /// <summary>Per clip: the 27 prosodic functionals, then the 80 MFCC statistics (one decode of the clip at 16 kHz).</summary>
    public static Dictionary<string, float[]> ClipFeatures(IReadOnlyList<Utterance> utterances, string cacheFolder, IProgress<int>? progress = null)
    {
        int done = 0;
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        var mfcc = new Mfcc(TeacherProbeBaseline.MfccSettings);
        foreach (var corpus in utterances.GroupBy(u => u.Corpus).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = corpus.ToList();
            float[][]? computed = null;
            var position = members.Select((u, i) => (u.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
            using var cached = new FeatureCache(cacheFolder).Open(corpus.Key, members, CacheKey, u =>
            {
                computed ??= Compute(members, conditioner, mfcc, () => progress?.Report(Interlocked.Increment(ref done)));
                var row = computed[position[u.Id]];
                return new FeatureMatrix(1, row.Length, row);
            });
            foreach (var u in members) result[u.Id] = cached.Values(u.Id).ToArray();
            if (computed is null) progress?.Report(done += members.Count);
        }
        return result;
    }

    static float[][] Compute(IReadOnlyList<Utterance> utterances, Conditioner conditioner, Mfcc mfcc, Action done)
    {
        var rows = new float[utterances.Count][];
        Parallel.For(0, utterances.Count, i =>
        {
            var samples = conditioner.Apply(AudioFile.Read(utterances[i].AudioPath));
            double[] features = [.. ProsodyBaseline.Features(ProsodyAnalyzer.Summarize(samples, 16000)), .. TeacherProbeBaseline.MfccStatistics(samples, mfcc)];
            rows[i] = features.Select(v => (float)v).ToArray();
            done();
        });
        return rows;
    }

    /// <summary>The feature vector each baseline reads for a clip.</summary>
    static double[] Vector(string baseline, string id, IReadOnlyDictionary<string, float[]> clip, Func<string, float[]> teacherEmbedding)
    {
        var f = clip[id];
        int prosody = ProsodyBaseline.FeatureNames.Count;
        return baseline == Classical
            ? [.. f.AsSpan(0, prosody).ToArray().Select(v => (double)v)]
            : [.. teacherEmbedding(id).Select(v => (double)v), .. f.AsSpan(prosody).ToArray().Select(v => (double)v)];
    }

    /// <summary>Each clip's feature vector, by id; under <see cref="FeatureNormalisation.Corpus"/> standardised within its
    /// corpus over the clips given (missing values stay missing).</summary>
    static Dictionary<string, double[]> Vectors(string baseline, IEnumerable<Utterance> clips, FeatureNormalisation normalisation,
        IReadOnlyDictionary<string, float[]> clipFeatures, Func<string, float[]> teacherEmbedding)
    {
        var result = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var corpus in clips.GroupBy(u => u.Corpus))
        {
            var members = corpus.ToList();
            var rows = members.Select(u => Vector(baseline, u.Id, clipFeatures, teacherEmbedding)).ToList();
            if (normalisation == FeatureNormalisation.Corpus)
            {
                var (mean, std) = LinearProbe.ColumnStatistics(rows);
                foreach (var r in rows)
                    for (int j = 0; j < r.Length; j++) r[j] = (r[j] - mean[j]) / std[j];
            }
            for (int i = 0; i < members.Count; i++) result[members[i].Id] = rows[i];
        }
        return result;
    }

    /// <summary>Both baselines under k-fold (<paramref name="folds"/> &gt; 0) or leave-one-corpus-out (<paramref name="folds"/> = 0).</summary>
    public static IReadOnlyList<BaselineScores> Run(IReadOnlyList<Utterance> usable, IReadOnlyList<string> labels, int folds,
        IReadOnlyDictionary<string, float[]> clipFeatures, Func<string, float[]> teacherEmbedding, CancellationToken cancel = default,
        FeatureNormalisation normalisation = FeatureNormalisation.Training)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var corpora = usable.Select(u => u.Corpus).Distinct().Order(StringComparer.Ordinal).ToList();
        var allowed = corpora.ToDictionary(c => c, c => (IReadOnlySet<int>)usable.Where(u => u.Corpus == c).Select(u => index[u.Emotion!]).ToHashSet(), StringComparer.Ordinal);
        List<(IReadOnlyList<Utterance> Train, IReadOnlyList<Utterance> Test)> splits = folds > 0
            ? [.. Enumerable.Range(1, folds).Select(k => ClapTrainer.Split(usable, $"fold:{k}/{folds}", seed: 1234)).Select(s => (s.Train, s.Test))]
            : [.. LeaveOneCorpusOut.Split(usable).Select(s => (s.Train, s.Test))];
        var result = new List<BaselineScores>();
        foreach (var baseline in new[] { Classical, Probe })
        {
            var perFold = corpora.ToDictionary(c => c, _ => new List<double>(), StringComparer.Ordinal);
            foreach (var (train, test) in splits)
            {
                cancel.ThrowIfCancellationRequested();
                var predicted = FitPredict(baseline, train, test, labels, allowed, clipFeatures, teacherEmbedding, normalisation);
                foreach (var group in test.GroupBy(u => u.Corpus))
                    perFold[group.Key].Add(ConfusionMatrix.From(labels, group.Select(u => (u.Emotion!, predicted[u.Id]))).Uar);
            }
            result.Add(new BaselineScores(baseline, perFold.ToDictionary(kv => kv.Key, kv => kv.Value.Average(), StringComparer.Ordinal),
                perFold.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal)));
        }
        return result;
    }

    /// <summary>One baseline (<see cref="Classical"/> or <see cref="Probe"/>) fitted on <paramref name="train"/> (labels
    /// indexed in <paramref name="labels"/>) and its label for each clip of <paramref name="test"/>, by id: the arg max among
    /// <paramref name="allowed"/>[its corpus], the labels that corpus has. Under <see cref="FeatureNormalisation.Corpus"/>
    /// each corpus is standardised over its clips in <paramref name="train"/> and <paramref name="test"/> together.</summary>
    public static Dictionary<string, string> FitPredict(string baseline, IReadOnlyList<Utterance> train, IReadOnlyList<Utterance> test,
        IReadOnlyList<string> labels, IReadOnlyDictionary<string, IReadOnlySet<int>> allowed,
        IReadOnlyDictionary<string, float[]> clipFeatures, Func<string, float[]> teacherEmbedding,
        FeatureNormalisation normalisation = FeatureNormalisation.Training)
    {
        var index = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
        var vectors = Vectors(baseline, train.Concat(test), normalisation, clipFeatures, teacherEmbedding);
        var model = LinearProbe.Fit(train.Select(u => vectors[u.Id]).ToList(), train.Select(u => index[u.Emotion!]).ToList(), labels);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in test.GroupBy(u => u.Corpus))
        {
            var items = group.ToList();
            var predicted = model.Predict(items.Select(u => vectors[u.Id]).ToList(), allowed[group.Key]);
            for (int i = 0; i < items.Count; i++) result[items[i].Id] = labels[predicted[i]];
        }
        return result;
    }

    /// <summary>A markdown table: one row per baseline, one column per corpus (UAR), and the mean over the corpora.</summary>
    public static string Markdown(IReadOnlyList<BaselineScores> scores, IReadOnlyDictionary<string, int> classesPerCorpus)
    {
        var corpora = scores[0].Uar.Keys.Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"| baseline | {string.Join(" | ", corpora.Select(c => $"{c} ({classesPerCorpus[c]})"))} | mean |");
        sb.AppendLine($"|---|{string.Concat(corpora.Select(_ => "---|"))}---|");
        foreach (var s in scores)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Baseline} | {string.Join(" | ", corpora.Select(c => s.Uar[c].ToString("F3", CultureInfo.InvariantCulture)))} | {corpora.Average(c => s.Uar[c]):F3} |"));
        return sb.ToString();
    }
}
