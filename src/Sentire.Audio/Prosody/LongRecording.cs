using Sentire.Audio.Decoding;
using Sentire.Audio.Segmentation;

namespace Sentire.Audio.Prosody;

/// <summary>
/// A signal that arrives in chunks, cut into pieces for the frame trackers: cores of <see cref="CoreFrames"/> frames with
/// <see cref="MarginFrames"/> frames of context either side. Every tracker's frame reads at most a few frames around it
/// (YIN's octave check 5 frames plus its window, short-run removal 2, the longest window 64 ms), so a core frame computed
/// from its piece equals the same frame computed from the whole signal: pieces start on the frame grid, and the first and
/// last pieces end where the signal does.
/// </summary>
public abstract class PieceTracker
{
    /// <summary>30 s cores at the 10 ms hop.</summary>
    public const int DefaultCoreFrames = 3000;
    /// <summary>Context either side of a core: 16 frames (160 ms) cover the 5 + 2 frames of YIN's post-processing plus its
    /// 42 ms span, and the 64 ms intensity window.</summary>
    public const int MarginFrames = 16;

    int nextCore;

    protected PieceTracker(int sampleRate, double hopSeconds, int coreFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(coreFrames, 2 * MarginFrames);
        SampleRate = sampleRate;
        Hop = (int)Math.Round(hopSeconds * sampleRate);
        CoreSamples = coreFrames * Hop;
        MarginSamples = MarginFrames * Hop;
    }

    public int SampleRate { get; }
    protected int Hop { get; }
    protected int CoreSamples { get; }
    protected int MarginSamples { get; }
    protected SampleHistory History { get; } = new();

    /// <summary>Samples received.</summary>
    public int Length => History.End;

    /// <summary>The next samples of the signal.</summary>
    public void Push(ReadOnlySpan<float> samples)
    {
        History.Append(samples);
        while (History.End >= nextCore + CoreSamples + MarginSamples) Emit(nextCore + CoreSamples, History.End);
    }

    /// <summary>The signal has ended: the remaining pieces, the last one ending with the signal.</summary>
    protected void Flush()
    {
        while (nextCore < History.End) Emit(Math.Min(History.End, nextCore + CoreSamples), History.End);
    }

    void Emit(int coreEnd, int received)
    {
        var pieceStart = Math.Max(0, nextCore - MarginSamples);
        var pieceEnd = Math.Min(received, coreEnd + MarginSamples);
        // core frames: centred on samples in [nextCore, coreEnd)
        int firstFrame = nextCore / Hop, endFrame = (coreEnd + Hop - 1) / Hop;
        OnPiece(History.Slice(pieceStart, pieceEnd), pieceStart, nextCore, coreEnd, firstFrame, endFrame);
        nextCore = coreEnd;
        History.DropBefore(Math.Min(nextCore - MarginSamples, KeepFrom()));
    }

    /// <summary>One piece: samples [pieceStart, pieceStart + piece.Length) around the core [coreStart, coreEnd), whose
    /// frames are [firstFrame, endFrame); the piece's local frame k is frame pieceStart / hop + k.</summary>
    protected abstract void OnPiece(ReadOnlySpan<float> piece, int pieceStart, int coreStart, int coreEnd, int firstFrame, int endFrame);

    /// <summary>The oldest sample the tracker still needs besides the next piece's context.</summary>
    protected virtual int KeepFrom() => int.MaxValue;
}

/// <summary>What the first pass over a long recording learns: the whole-recording quantities that every frame's
/// decision depends on (YIN's loudest frame, the harmonicity peak, the voice-activity noise floor and hence the speech
/// segments, the speaking-rate intensity contour whose 0.99 quantile sets the syllable threshold).</summary>
/// <param name="Samples">length of the recording at the analysis rate</param>
/// <param name="Speech">the voice-activity detector's segments (<see cref="EnergyVad.Detect"/> of the whole recording)</param>
/// <param name="Intensity">the speaking-rate intensity contour, one value per frame (4 bytes per 10 ms, on disk past 11
/// minutes); disposing the statistics releases it</param>
public sealed record RecordingStatistics(int SampleRate, int Samples, double LoudestPitchEnergy, float Peak,
    IReadOnlyList<Segment> Speech, FrameValues<float> Intensity) : IDisposable
{
    public double DurationSeconds => (double)Samples / SampleRate;

    public void Dispose() => Intensity.Dispose();
}

/// <summary>Pass 1 over a long recording: <see cref="RecordingStatistics"/> from the samples as they are decoded, keeping
/// a few bytes per frame (the intensity contour and the voice-activity frame energies, in <see cref="FrameValues{T}"/>:
/// on disk past 64 Ki frames) and never the signal.</summary>
public sealed class RecordingScan : PieceTracker
{
    readonly ProsodyOptions options;
    readonly EnergyVad vad;
    readonly int vadFrame, vadHop;
    readonly FrameValues<double> vadEnergy;
    readonly FrameValues<ushort> vadCrossings;
    readonly FrameValues<float> intensity;
    double loudest;
    float peak;

    /// <param name="blockSize">values per <see cref="FrameValues{T}"/> block (small in tests, to cross many blocks)</param>
    public RecordingScan(int sampleRate, EnergyVad vad, ProsodyOptions? options = null, int coreFrames = DefaultCoreFrames,
        int blockSize = FrameValues<float>.DefaultBlockSize)
        : base(sampleRate, (options ?? new ProsodyOptions()).PitchOrDefault.HopSeconds, coreFrames)
    {
        (vadEnergy, vadCrossings, intensity) = (new(blockSize), new(blockSize), new(blockSize));
        this.options = options ?? new ProsodyOptions();
        this.vad = vad;
        (vadFrame, vadHop) = vad.FrameLayout(sampleRate);
        if (vadFrame > MarginSamples) throw new ArgumentException($"voice-activity frames of {vadFrame} samples exceed the piece margin of {MarginSamples}");
    }

    protected override void OnPiece(ReadOnlySpan<float> piece, int pieceStart, int coreStart, int coreEnd, int firstFrame, int endFrame)
    {
        var pitchOptions = options.PitchOrDefault;
        var skip = firstFrame - pieceStart / Hop;
        var energies = YinPitchTracker.FrameEnergies(piece, SampleRate, pitchOptions);
        for (var f = skip; f < skip + endFrame - firstFrame; f++) loudest = Math.Max(loudest, energies[f]);
        peak = Math.Max(peak, Harmonicity.Peak(piece.Slice(coreStart - pieceStart, coreEnd - coreStart)));
        var rateOptions = options.SpeakingRateOrDefault;
        rateOptions.Validate();
        var contour = FrameEnergy.RmsDb(piece, SampleRate, pitchOptions.HopSeconds, rateOptions.IntensityWindowSeconds);
        for (var f = skip; f < skip + endFrame - firstFrame; f++) intensity.Add(contour[f]);
        for (var t = (coreStart + vadHop - 1) / vadHop; (long)t * vadHop < coreEnd && (long)t * vadHop + vadFrame <= pieceStart + piece.Length; t++)
        {
            var (energy, crossings) = EnergyVad.FrameFeatures(piece.Slice(t * vadHop - pieceStart, vadFrame));
            vadEnergy.Add(energy);
            vadCrossings.Add(crossings);
        }
    }

    public RecordingStatistics Finish()
    {
        Flush();
        var speech = vad.Segments(vadEnergy, vadCrossings, Length, SampleRate);
        vadEnergy.Dispose();   // not needed in pass 2
        vadCrossings.Dispose();
        return new RecordingStatistics(SampleRate, Length, loudest, peak, speech, intensity);
    }
}

/// <summary>What pass 2 over a long recording gives: its prosody summary (equal to <see cref="ProsodyAnalyzer.Summarize(ProsodyTracks, double)"/>
/// of the whole signal's tracks) and the seconds of voiced frames at least as loud as the threshold it was given.</summary>
public sealed record RecordingProsody(ProsodySummary Summary, double LoudVoicedSeconds);

/// <summary>
/// Pass 2 over a long recording: every prosody track (<see cref="ProsodyAnalyzer.Track"/>) computed piece by piece with the
/// whole-recording quantities of pass 1, each frame added to the summary as it is final; glottal pulses are tracked per
/// voiced run once the run has ended. Holds the samples of one piece (or of the current voiced run, if longer); the few
/// bytes per frame it keeps go to disk past 64 Ki frames.
/// </summary>
public sealed class ProsodyStream : PieceTracker
{
    /// <summary>Pitch frames either side of a voiced run that pulse tracking may consult (it looks for the nearest voiced
    /// frame from a run's edges), and samples before a run it may read (half a period at the lowest F0, rounded up).</summary>
    const int RunContextFrames = 8, RunContextSamples = 1024;

    readonly RecordingStatistics statistics;
    readonly ProsodyOptions options;
    readonly ProsodySummaryBuilder summary;
    readonly FrameValues<bool> voiced;
    /// <summary>F0 of the frames from the earliest a pending voiced run's pulse tracking may read.</summary>
    readonly SampleHistory recentF0 = new();
    readonly Queue<(int Start, int End)> endedRuns = new();
    int runStart = -1;

    /// <param name="blockSize">values per <see cref="FrameValues{T}"/> block (small in tests, to cross many blocks)</param>
    public ProsodyStream(RecordingStatistics statistics, ProsodyOptions? options = null, double loudVoicedDbfs = -60, int coreFrames = DefaultCoreFrames,
        int blockSize = FrameValues<float>.DefaultBlockSize)
        : base(statistics.SampleRate, (options ?? new ProsodyOptions()).PitchOrDefault.HopSeconds, coreFrames)
    {
        this.statistics = statistics;
        this.options = options ?? new ProsodyOptions();
        voiced = new(blockSize);
        summary = new ProsodySummaryBuilder(HopSeconds, loudVoicedDbfs, blockSize);
        if (RunContextSamples > MarginSamples) throw new ArgumentException("pulse context exceeds the piece margin");
    }

    /// <summary>The grid's hop, as the whole-signal pitch track states it (<see cref="PitchTrack.HopSeconds"/>).</summary>
    double HopSeconds => (double)Hop / SampleRate;

    protected override void OnPiece(ReadOnlySpan<float> piece, int pieceStart, int coreStart, int coreEnd, int firstFrame, int endFrame)
    {
        var pitchOptions = options.PitchOrDefault;
        var pitch = YinPitchTracker.Track(piece, SampleRate, pitchOptions, statistics.LoudestPitchEnergy);
        var energy = FrameEnergy.RmsDb(piece, SampleRate, pitchOptions.HopSeconds);
        var hnr = Harmonicity.Track(piece, SampleRate, options.HarmonicityOrDefault with { HopSeconds = pitchOptions.HopSeconds }, statistics.Peak);
        var spectral = SpectralBalance.Track(piece.ToArray(), SampleRate, pitchOptions.HopSeconds);
        var skip = firstFrame - pieceStart / Hop;
        static float At(float[] values, int t) => t < values.Length ? values[t] : float.NaN;
        for (var k = skip; k < skip + endFrame - firstFrame; k++)
        {
            var frame = voiced.Count;
            var frequency = pitch.FrequencyHz[k];
            voiced.Add(frequency > 0);
            recentF0.Append([frequency]);
            summary.AddFrame(frequency, k < energy.Length ? energy[k] : null, At(hnr, k), At(spectral.AlphaRatioDb, k), At(spectral.HammarbergIndexDb, k),
                At(spectral.Slope0To500DbPerHz, k), At(spectral.Slope500To1500DbPerHz, k));
            if (frequency > 0 && runStart < 0) runStart = frame;
            else if (frequency <= 0 && runStart >= 0) { endedRuns.Enqueue((runStart, frame)); runStart = -1; }
        }
        TrackEndedRuns(final: false);
    }

    /// <summary>Pulses of the voiced runs whose context frames are final (all of them at the end).</summary>
    void TrackEndedRuns(bool final)
    {
        while (endedRuns.TryPeek(out var run) && (final || run.End + RunContextFrames <= voiced.Count))
        {
            endedRuns.Dequeue();
            var from = Math.Max(0, run.Start - RunContextFrames);
            var to = Math.Min(voiced.Count, run.End + RunContextFrames);
            var frames = recentF0.Slice(from, to).ToArray();
            var first = Math.Max(History.Start, GlottalPulses.RunFirstSample(run.Start, HopSeconds * SampleRate) - RunContextSamples);
            var found = new List<PulseChain>();
            GlottalPulses.FindInRun(new SignalPiece(History.Slice(first, History.End), first, History.End), SampleRate,
                new PitchPiece(frames, from, voiced.Count, HopSeconds), run.Start, run.End, found);
            foreach (var chain in found) summary.AddChain(chain);
        }
        var pending = endedRuns.TryPeek(out var next) ? next.Start : runStart >= 0 ? runStart : voiced.Count;
        recentF0.DropBefore(Math.Max(0, pending - RunContextFrames));
    }

    protected override int KeepFrom()
    {
        var start = endedRuns.TryPeek(out var run) ? run.Start : runStart;
        return start < 0 ? int.MaxValue : Math.Max(0, GlottalPulses.RunFirstSample(start, HopSeconds * SampleRate) - RunContextSamples);
    }

    public RecordingProsody Finish()
    {
        Flush();
        if (Length != statistics.Samples)
            throw new InvalidOperationException($"the second pass read {Length} samples, the first {statistics.Samples}: the recording changed between them");
        if (runStart >= 0) { endedRuns.Enqueue((runStart, voiced.Count)); runStart = -1; }
        TrackEndedRuns(final: true);
        var rateOptions = options.SpeakingRateOrDefault;
        rateOptions.Validate();
        var nuclei = SpeakingRate.Detect(statistics.Intensity, statistics.DurationSeconds, HopSeconds, voiced.Count, t => voiced[t], rateOptions);
        voiced.Dispose();
        return new RecordingProsody(summary.Build(statistics.DurationSeconds, nuclei), summary.LoudVoicedSeconds);
    }
}
