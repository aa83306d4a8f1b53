using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Training.Distillation;

namespace Sentire.Training.Baselines;

/// <summary>
/// The pretrained-representation baseline of issue 18: a <see cref="LinearProbe"/> (standardised features, multinomial
/// logistic regression) on the AudioSet teacher's 384-d clip embedding (<see cref="TeacherEmbeddings"/>) concatenated with
/// MFCC statistics (mean and standard deviation over frames of 40 MFCCs: 16 kHz, 25 ms Hann window, 10 ms hop, 64 HTK mel
/// bands, orthonormal DCT of ln(mel + 1e-6)): 384 + 80 = 464 features per clip.
/// </summary>
public static class TeacherProbeBaseline
{
    public const int MfccCount = 40;

    public static MfccOptions MfccSettings { get; } = new()
    {
        SampleRate = 16000, NMfcc = MfccCount, LogMels = true,
        Mel = new MelSpectrogramOptions { SampleRate = 16000, NFft = 400, HopLength = 160, NMels = 64 },
    };

    /// <summary>Names of the features, in vector order.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
    [
        .. Enumerable.Range(0, TeacherEmbeddings.EmbeddingSize).Select(i => $"teacher_{i}"),
        .. Enumerable.Range(0, MfccCount).Select(i => $"mfcc{i}_mean"),
        .. Enumerable.Range(0, MfccCount).Select(i => $"mfcc{i}_std"),
    ];

    /// <summary>Mean and (biased) standard deviation of each MFCC over the frames of mono 16 kHz samples.</summary>
    public static double[] MfccStatistics(ReadOnlyMemory<float> samples16k, Mfcc mfcc)
    {
        var m = mfcc.Compute(samples16k);   // frames x coefficients
        var result = new double[2 * m.Columns];
        for (int c = 0; c < m.Columns; c++)
        {
            double sum = 0, squares = 0;
            for (int t = 0; t < m.Rows; t++) sum += m[t, c];
            double mean = m.Rows == 0 ? 0 : sum / m.Rows;
            for (int t = 0; t < m.Rows; t++) squares += (m[t, c] - mean) * (m[t, c] - mean);
            result[c] = mean;
            result[m.Columns + c] = m.Rows == 0 ? 0 : Math.Sqrt(squares / m.Rows);
        }
        return result;
    }

    /// <summary>Feature vectors of utterances: the teacher's embedding (from <paramref name="teacher"/>, which must hold
    /// every one) and the MFCC statistics of the clip decoded at 16 kHz, computed in parallel.</summary>
    public static double[][] Extract(IReadOnlyList<Utterance> utterances, TeacherEmbeddings teacher, IProgress<int>? progress = null)
    {
        var missing = utterances.FirstOrDefault(u => !teacher.Contains(u.Id));
        if (missing is not null) throw new ArgumentException($"no teacher targets for clip '{missing.Id}': open TeacherEmbeddings over its corpus first");
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        var mfcc = new Mfcc(MfccSettings);
        var result = new double[utterances.Count][];
        int done = 0;
        Parallel.For(0, utterances.Count, i =>
        {
            var statistics = MfccStatistics(conditioner.Apply(AudioFile.Read(utterances[i].AudioPath)), mfcc);
            var row = new double[TeacherEmbeddings.EmbeddingSize + statistics.Length];
            var embedding = teacher.Embedding(utterances[i].Id);
            for (int j = 0; j < embedding.Length; j++) row[j] = embedding[j];
            statistics.CopyTo(row, TeacherEmbeddings.EmbeddingSize);
            result[i] = row;
            progress?.Report(Interlocked.Increment(ref done));
        });
        return result;
    }

    /// <summary>Fits the probe (see <see cref="LinearProbe.Fit"/>).</summary>
    public static LinearProbe Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> targets, IReadOnlyList<string> labels,
        int steps = 500, double learningRate = 0.05, double weightDecay = 1e-3, ulong seed = 1) =>
        LinearProbe.Fit(features, targets, labels, steps, learningRate, weightDecay, seed);
}
