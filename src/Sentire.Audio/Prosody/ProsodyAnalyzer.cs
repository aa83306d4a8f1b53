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
        var summary = new ProsodySummaryBuilder(pitch.HopSeconds);
        static float At(float[] values, int t) => t < values.Length ? values[t] : float.NaN;
        for (var t = 0; t < pitch.FrameCount; t++)
            summary.AddFrame(pitch.FrequencyHz[t], t < tracks.EnergyDb.Length ? tracks.EnergyDb[t] : null, At(tracks.HnrDb, t),
                At(tracks.Spectral.AlphaRatioDb, t), At(tracks.Spectral.HammarbergIndexDb, t),
                At(tracks.Spectral.Slope0To500DbPerHz, t), At(tracks.Spectral.Slope500To1500DbPerHz, t));
        for (var t = pitch.FrameCount; t < tracks.EnergyDb.Length; t++) summary.AddEnergy(tracks.EnergyDb[t]);
        foreach (var chain in tracks.Pulses) summary.AddChain(chain);
        return summary.Build(durationSeconds, tracks.Nuclei);
    }
}

/// <summary>
/// <see cref="ProsodySummary"/> built frame by frame in time order, so a long recording is summarised as it is tracked
/// (<see cref="ProsodyAnalyzer.Summarize(ProsodyTracks, double)"/> feeds a clip's tracks through the same builder).
/// Kept per frame: the energies (every frame) and the F0 and HNR of voiced frames, whose percentiles need them all,
/// and the lengths of the voiced and unvoiced runs, in <see cref="FrameValues{T}"/> (on disk past 64 Ki values, so
/// memory does not grow with the recording); the rest are running sums. <see cref="Build"/> releases them.
/// </summary>
/// <param name="blockSize">values per <see cref="FrameValues{T}"/> block (small in tests, to cross many blocks)</param>
internal sealed class ProsodySummaryBuilder(double hopSeconds, double loudVoicedDbfs = -60, int blockSize = FrameValues<float>.DefaultBlockSize)
{
    readonly FrameValues<float> voicedF0 = new(blockSize), voicedHnr = new(blockSize), energyDb = new(blockSize);
    readonly VoicedMean alpha = new(), hammarberg = new(), slopeLow = new(), slopeHigh = new();
    readonly FrameValues<int> voicedRuns = new(blockSize), unvoicedRuns = new(blockSize);
    readonly Perturbation.Sums perturbation = new();
    int frames, voiced, loudVoiced, run;
    bool runVoiced;

    /// <summary>One frame: F0 (0 when unvoiced), energy (null when the energy track is shorter), HNR and the spectral
    /// balance parameters (NaN when missing).</summary>
    public void AddFrame(float f0, float? energy, float hnr, float alphaRatio, float hammarbergIndex, float slope0To500, float slope500To1500)
    {
        var isVoiced = f0 > 0;
        if (frames > 0 && isVoiced != runVoiced) EndRun(interior: true);
        if (frames == 0 || isVoiced != runVoiced) { runVoiced = isVoiced; run = 0; }
        run++;
        frames++;
        if (energy is { } e) energyDb.Add(e);
        if (!isVoiced) return;
        voiced++;
        if (energy >= loudVoicedDbfs) loudVoiced++;
        voicedF0.Add(f0);
        voicedHnr.Add(hnr);
        alpha.Add(alphaRatio);
        hammarberg.Add(hammarbergIndex);
        slopeLow.Add(slope0To500);
        slopeHigh.Add(slope500To1500);
    }

    /// <summary>Energy of a frame past the end of the pitch track.</summary>
    public void AddEnergy(float energy) => energyDb.Add(energy);

    public void AddChain(PulseChain chain) => perturbation.Add(chain);

    /// <summary>Seconds of voiced frames at least loudVoicedDbfs loud.</summary>
    public double LoudVoicedSeconds => loudVoiced * hopSeconds;

    /// <summary>Voiced runs, and unvoiced runs between two voiced ones (leading and trailing silence is not a pause
    /// inside speech, as in eGeMAPS's unvoiced segment lengths).</summary>
    void EndRun(bool interior)
    {
        if (runVoiced) voicedRuns.Add(run);
        else if (interior && frames > run) unvoicedRuns.Add(run);
    }

    public ProsodySummary Build(double durationSeconds, SyllableNuclei nuclei)
    {
        if (frames > 0) EndRun(interior: false);
        var summary = new ProsodySummary(
            DurationSeconds: durationSeconds,
            F0Hz: Functionals.Of(voicedF0, f => f),
            F0Semitones: Functionals.Of(voicedF0, f => 12 * Math.Log2(f / ProsodyAnalyzer.SemitoneReferenceHz)),
            EnergyDb: Functionals.Of(energyDb, e => e),
            HnrDb: Functionals.Of(voicedHnr, h => h),
            JitterLocal: perturbation.JitterLocal,
            ShimmerLocalDb: perturbation.ShimmerLocalDb,
            AlphaRatioDb: alpha.Value,
            HammarbergIndexDb: hammarberg.Value,
            Slope0To500DbPerHz: slopeLow.Value,
            Slope500To1500DbPerHz: slopeHigh.Value,
            VoicedFraction: frames == 0 ? 0 : (double)voiced / frames,
            VoicedSegmentsPerSecond: durationSeconds > 0 ? voicedRuns.Count / durationSeconds : 0,
            VoicedSegmentSeconds: Functionals.Of(voicedRuns, n => n * hopSeconds),
            UnvoicedSegmentSeconds: Functionals.Of(unvoicedRuns, n => n * hopSeconds),
            SyllablesPerSecond: nuclei.SpeechRate,
            ArticulationRate: nuclei.ArticulationRate);
        foreach (var values in new IDisposable[] { voicedF0, voicedHnr, energyDb, voicedRuns, unvoicedRuns }) values.Dispose();
        return summary;
    }

    /// <summary>Mean of the finite values in order, summed as LINQ's Average sums (from the first value); NaN when none.</summary>
    sealed class VoicedMean
    {
        double sum;
        long count;

        public void Add(float value)
        {
            if (!float.IsFinite(value)) return;
            sum = count == 0 ? value : sum + value;
            count++;
        }

        public double Value => count == 0 ? double.NaN : sum / count;
    }
}
