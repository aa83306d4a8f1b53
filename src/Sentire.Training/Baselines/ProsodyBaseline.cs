using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;

namespace Sentire.Training.Baselines;

/// <summary>
/// The classical baseline every emotion model must beat: eGeMAPS-style prosodic functionals of each clip
/// (<see cref="ProsodyAnalyzer"/>) classified by a <see cref="LinearProbe"/> (standardised features, multinomial
/// logistic regression).
/// </summary>
public static class ProsodyBaseline
{
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

    /// <summary>Fits the classifier on feature vectors with label indices into <paramref name="labels"/> (see <see cref="LinearProbe.Fit"/>).</summary>
    public static LinearProbe Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> targets, IReadOnlyList<string> labels,
        int steps = 500, double learningRate = 0.05, double weightDecay = 1e-3, ulong seed = 1) =>
        LinearProbe.Fit(features, targets, labels, steps, learningRate, weightDecay, seed);
}
