using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Evaluation.Classification;
using Sentire.Tensors;
using Sentire.Tensors.Optim;

namespace Sentire.Training.Baselines;

/// <summary>
/// The classical baseline every emotion model must beat: eGeMAPS-style prosodic functionals of each clip
/// (<see cref="ProsodyAnalyzer"/>), standardised with the training set's mean and deviation (missing values
/// become the mean), and multinomial logistic regression p(y | x) = softmax(W x + b) fitted by full-batch
/// AdamW on cross-entropy with L2 weight decay.
/// </summary>
public sealed class ProsodyBaseline
{
    readonly float[] mean, std;
    readonly Tensor weight, bias;

    ProsodyBaseline(IReadOnlyList<string> labels, float[] mean, float[] std, Tensor weight, Tensor bias)
    {
        Labels = labels;
        this.mean = mean;
        this.std = std;
        this.weight = weight;
        this.bias = bias;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Names of the features, in vector order.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        "f0_st_mean", "f0_st_std", "f0_st_p20", "f0_st_p50", "f0_st_p80", "f0_st_range20_80",
        "energy_db_mean", "energy_db_std", "energy_db_p20", "energy_db_p50", "energy_db_p80",
        "hnr_db_mean", "hnr_db_std", "jitter_local", "shimmer_local_db", "alpha_ratio_db", "hammarberg_db",
        "slope_0_500", "slope_500_1500", "voiced_fraction", "voiced_segments_per_s",
        "voiced_seconds_mean", "voiced_seconds_std", "unvoiced_seconds_mean", "unvoiced_seconds_std",
        "syllables_per_s", "articulation_rate",
    ];

    public static double[] Features(ProsodySummary s) =>
    [
        s.F0Semitones.Mean, s.F0Semitones.StandardDeviation, s.F0Semitones.P20, s.F0Semitones.P50, s.F0Semitones.P80, s.F0Semitones.Range20To80,
        s.EnergyDb.Mean, s.EnergyDb.StandardDeviation, s.EnergyDb.P20, s.EnergyDb.P50, s.EnergyDb.P80,
        s.HnrDb.Mean, s.HnrDb.StandardDeviation, s.JitterLocal, s.ShimmerLocalDb, s.AlphaRatioDb, s.HammarbergIndexDb,
        s.Slope0To500DbPerHz, s.Slope500To1500DbPerHz, s.VoicedFraction, s.VoicedSegmentsPerSecond,
        s.VoicedSegmentSeconds.Mean, s.VoicedSegmentSeconds.StandardDeviation, s.UnvoicedSegmentSeconds.Mean, s.UnvoicedSegmentSeconds.StandardDeviation,
        s.SyllablesPerSecond, s.ArticulationRate,
    ];

    /// <summary>Prosodic feature vectors of utterances (16 kHz mono), computed in parallel; with
    /// <paramref name="centralSeconds"/>, of each clip's central stretch of that length only (the whole clip when shorter).</summary>
    public static double[][] Extract(IReadOnlyList<Utterance> utterances, IProgress<int>? progress = null, double? centralSeconds = null)
    {
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        var result = new double[utterances.Count][];
        int done = 0;
        Parallel.For(0, utterances.Count, i =>
        {
            ReadOnlyMemory<float> samples = conditioner.Apply(AudioFile.Read(utterances[i].AudioPath));
            if (centralSeconds is double seconds && samples.Length > (int)(seconds * 16000))
            {
                int keep = (int)(seconds * 16000);
                samples = samples.Slice((samples.Length - keep) / 2, keep);
            }
            result[i] = Features(ProsodyAnalyzer.Summarize(samples, 16000));
            progress?.Report(Interlocked.Increment(ref done));
        });
        return result;
    }

    /// <summary>Fits the classifier on feature vectors with label indices into <paramref name="labels"/>.</summary>
    public static ProsodyBaseline Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> targets, IReadOnlyList<string> labels,
        int steps = 500, double learningRate = 0.05, double weightDecay = 1e-3, ulong seed = 1)
    {
        if (features.Count == 0 || features.Count != targets.Count)
            throw new ArgumentException($"{features.Count} feature vectors for {targets.Count} labels");
        int d = features[0].Length, n = features.Count, c = labels.Count;
        var mean = new float[d];
        var std = new float[d];
        for (int j = 0; j < d; j++)
        {
            var column = features.Select(f => f[j]).Where(double.IsFinite).ToList();
            double m = column.Count > 0 ? column.Average() : 0;
            double v = column.Count > 1 ? column.Sum(x => (x - m) * (x - m)) / column.Count : 1;
            mean[j] = (float)m;
            std[j] = (float)Math.Sqrt(Math.Max(v, 1e-12));
        }
        var x = Standardise(features, mean, std);
        var weight = Tensor.Normal(new Generator(seed), 0, 0.01f, d, c);
        weight.RequiresGrad = true;
        var bias = Tensor.Zeros(c);
        bias.RequiresGrad = true;
        var optimizer = new AdamW([new ParamGroup([new("weight", weight)], weightDecay: weightDecay), new ParamGroup([new("bias", bias)], weightDecay: 0)], learningRate);
        var y = targets.ToArray();
        for (int step = 0; step < steps; step++)
        {
            var loss = Loss.CrossEntropy(x.MatMul(weight) + bias, y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        weight.RequiresGrad = false;
        bias.RequiresGrad = false;
        return new ProsodyBaseline(labels, mean, std, weight, bias);
    }

    /// <summary>Most probable label index of each feature vector, among <paramref name="allowed"/> label indices when given
    /// (e.g. the labels a corpus has, as a zero-shot model is asked about only those).</summary>
    public int[] Predict(IReadOnlyList<double[]> features, IReadOnlySet<int>? allowed = null)
    {
        using var _ = Autograd.NoGrad();
        var logits = Standardise(features, mean, std).MatMul(weight) + bias;
        if (allowed is not null)
            for (int i = 0; i < features.Count; i++)
                for (int c = 0; c < Labels.Count; c++)
                    if (!allowed.Contains(c)) logits.Data[i * Labels.Count + c] = float.NegativeInfinity;
        return logits.ArgMax(-1);
    }

    public ConfusionMatrix Evaluate(IReadOnlyList<double[]> features, IReadOnlyList<int> targets)
    {
        var predicted = Predict(features);
        return ConfusionMatrix.From(Labels, targets.Select((t, i) => (Labels[t], Labels[predicted[i]])));
    }

    static Tensor Standardise(IReadOnlyList<double[]> features, float[] mean, float[] std)
    {
        int d = mean.Length;
        var x = Tensor.Zeros(features.Count, d);
        for (int i = 0; i < features.Count; i++)
            for (int j = 0; j < d; j++)
            {
                double v = features[i][j];
                x.Data[i * d + j] = double.IsFinite(v) ? (float)((v - mean[j]) / std[j]) : 0f;   // missing -> the mean
            }
        return x;
    }
}
