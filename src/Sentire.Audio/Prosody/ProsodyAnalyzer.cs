namespace Sentire.Audio.Prosody;

/// <summary>All prosody settings in one place; each part validates its own.</summary>
public sealed record ProsodyOptions(
    PitchOptions? Pitch = null,
    HarmonicityOptions? Harmonicity = null,
    SpeakingRateOptions? SpeakingRate = null)
{
    public PitchOptions PitchOrDefault => Pitch ?? new PitchOptions();
    public HarmonicityOptions HarmonicityOrDefault => Harmonicity ?? new HarmonicityOptions();
    public SpeakingRateOptions SpeakingRateOrDefault => SpeakingRate ?? new SpeakingRateOptions();
}

/// <summary>The frame-level tracks of one clip, all on the same 10 ms grid (frame i at i * hop).</summary>
public sealed record ProsodyTracks(
    PitchTrack Pitch,
    float[] EnergyDb,
    float[] HnrDb,
    SpectralBalanceTrack Spectral,
    IReadOnlyList<PulseChain> Pulses,
    SyllableNuclei Nuclei);

/// <summary>Per-clip prosody in the spirit of eGeMAPS (Eyben et al. 2016): functionals of F0 (Hz and semitones from
/// 27.5 Hz), energy, HNR and spectral balance over voiced frames; jitter and shimmer; rates and lengths of voiced and
/// unvoiced segments; syllable rate. Interpretable numbers with units in their names.</summary>
public sealed record ProsodySummary(
    double DurationSeconds,
    Functionals F0Hz,
    Functionals F0Semitones,
    Functionals EnergyDb,
    Functionals HnrDb,
    double JitterLocal,
    double ShimmerLocalDb,
    double AlphaRatioDb,
    double HammarbergIndexDb,
    double Slope0To500DbPerHz,
    double Slope500To1500DbPerHz,
    double VoicedFraction,
    double VoicedSegmentsPerSecond,
    Functionals VoicedSegmentSeconds,
    Functionals UnvoicedSegmentSeconds,
    double SyllablesPerSecond,
    double ArticulationRate);

/// <summary>Runs every prosody extractor on a mono clip and summarises it.</summary>
public static class ProsodyAnalyzer
{
    /// <summary>eGeMAPS's F0 semitone reference: 27.5 Hz (A0), semitone = 12 log2(f / 27.5).</summary>
    public const double SemitoneReferenceHz = 27.5;

    public static ProsodyTracks Track(ReadOnlyMemory<float> samples, int sampleRate, ProsodyOptions? options = null)
    {
        options ??= new ProsodyOptions();
        var pitchOptions = options.PitchOrDefault;
        var signal = samples.Span;
        var pitch = YinPitchTracker.Track(signal, sampleRate, pitchOptions);
        return new ProsodyTracks(
            pitch,
            FrameEnergy.RmsDb(signal, sampleRate, pitchOptions.HopSeconds),
            Harmonicity.Track(signal, sampleRate, options.HarmonicityOrDefault with { HopSeconds = pitchOptions.HopSeconds }),
            SpectralBalance.Track(samples, sampleRate, pitchOptions.HopSeconds),
            GlottalPulses.Find(signal, sampleRate, pitch),
            SpeakingRate.Detect(signal, sampleRate, pitch, options.SpeakingRateOrDefault));
    }

    public static ProsodySummary Summarize(ReadOnlyMemory<float> samples, int sampleRate, ProsodyOptions? options = null) =>
        Summarize(Track(samples, sampleRate, options), (double)samples.Length / sampleRate);

    public static ProsodySummary Summarize(ProsodyTracks tracks, double durationSeconds)
    {
        var pitch = tracks.Pitch;
        var voiced = Enumerable.Range(0, pitch.FrameCount).Where(pitch.IsVoiced).ToArray();
        double VoicedMean(float[] values) =>
            voiced.Where(t => t < values.Length).Select(t => (double)values[t]).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

        var (voicedRuns, unvoicedRuns) = Segments(pitch);
        return new ProsodySummary(
            DurationSeconds: durationSeconds,
            F0Hz: Functionals.Of(voiced.Select(t => (double)pitch.FrequencyHz[t])),
            F0Semitones: Functionals.Of(voiced.Select(t => 12 * Math.Log2(pitch.FrequencyHz[t] / SemitoneReferenceHz))),
            EnergyDb: Functionals.Of(tracks.EnergyDb),
            HnrDb: Functionals.Of(voiced.Where(t => t < tracks.HnrDb.Length).Select(t => (double)tracks.HnrDb[t])),
            JitterLocal: Perturbation.JitterLocal(tracks.Pulses),
            ShimmerLocalDb: Perturbation.ShimmerLocalDb(tracks.Pulses),
            AlphaRatioDb: VoicedMean(tracks.Spectral.AlphaRatioDb),
            HammarbergIndexDb: VoicedMean(tracks.Spectral.HammarbergIndexDb),
            Slope0To500DbPerHz: VoicedMean(tracks.Spectral.Slope0To500DbPerHz),
            Slope500To1500DbPerHz: VoicedMean(tracks.Spectral.Slope500To1500DbPerHz),
            VoicedFraction: pitch.FrameCount == 0 ? 0 : (double)voiced.Length / pitch.FrameCount,
            VoicedSegmentsPerSecond: durationSeconds > 0 ? voicedRuns.Count / durationSeconds : 0,
            VoicedSegmentSeconds: Functionals.Of(voicedRuns.Select(n => n * pitch.HopSeconds)),
            UnvoicedSegmentSeconds: Functionals.Of(unvoicedRuns.Select(n => n * pitch.HopSeconds)),
            SyllablesPerSecond: tracks.Nuclei.SpeechRate,
            ArticulationRate: tracks.Nuclei.ArticulationRate);
    }

    /// <summary>Lengths in frames of the voiced runs, and of the unvoiced runs between two voiced ones (leading and
    /// trailing silence is not a pause inside speech, as in eGeMAPS's unvoiced segment lengths).</summary>
    static (List<int> Voiced, List<int> Unvoiced) Segments(PitchTrack pitch)
    {
        var voiced = new List<int>();
        var unvoiced = new List<int>();
        var t = 0;
        while (t < pitch.FrameCount)
        {
            var start = t;
            var isVoiced = pitch.IsVoiced(t);
            while (t < pitch.FrameCount && pitch.IsVoiced(t) == isVoiced) t++;
            if (isVoiced) voiced.Add(t - start);
            else if (start > 0 && t < pitch.FrameCount) unvoiced.Add(t - start);
        }
        return (voiced, unvoiced);
    }
}
