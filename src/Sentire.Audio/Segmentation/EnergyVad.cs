namespace Sentire.Audio.Segmentation;

/// <summary>Settings of <see cref="EnergyVad"/>.</summary>
public sealed record VadOptions
{
    public double FrameSeconds { get; init; } = 0.025;
    public double HopSeconds { get; init; } = 0.010;
    /// <summary>Frames this many dB above the noise floor are speech.</summary>
    public double EnergyThresholdDb { get; init; } = 12;
    /// <summary>Quieter frames (but this far above the floor) with a high zero-crossing rate are speech too (fricatives).</summary>
    public double WeakEnergyThresholdDb { get; init; } = 6;
    /// <summary>Zero crossings per sample above which a weak frame counts as a fricative.</summary>
    public double FricativeZeroCrossingRate { get; init; } = 0.25;
    /// <summary>Frames never count as speech below this level (dBFS of frame RMS), so digital silence stays silence.</summary>
    public double AbsoluteFloorDbfs { get; init; } = -60;
    /// <summary>The noise floor is this percentile of the frame energies (dB).</summary>
    public double NoisePercentile { get; init; } = 10;
    /// <summary>Speech continues this long after the last speech frame (bridges short pauses and decays).</summary>
    public double HangoverSeconds { get; init; } = 0.2;
    /// <summary>Shorter detections are dropped (clicks).</summary>
    public double MinSpeechSeconds { get; init; } = 0.1;
    /// <summary>Context added before each segment's onset.</summary>
    public double PadSeconds { get; init; } = 0.05;
    /// <summary>Longer segments are cut into equal parts no longer than this (null: no limit).</summary>
    public double? MaxSegmentSeconds { get; init; }
}

/// <summary>
/// Energy / zero-crossing voice-activity detector with hangover (after L. Rabiner and M. Sambur, "An algorithm
/// for determining the endpoints of isolated utterances", 1975): per frame the RMS level E_t (dB) and the
/// zero-crossing rate Z_t; the noise floor N is a low percentile of E. Frame t is speech when
/// E_t ≥ N + T_strong, or E_t ≥ N + T_weak and Z_t ≥ Z_fricative, and E_t ≥ the absolute floor; a speech
/// decision holds for the hangover time afterwards; runs shorter than the minimum are dropped; segments get
/// the onset pad and are split to the maximum length.
/// </summary>
public sealed class EnergyVad(VadOptions? options = null)
{
    public VadOptions Options { get; } = options ?? new VadOptions();

    /// <summary>Speech segments of a mono signal, in time order.</summary>
    public IReadOnlyList<Segment> Detect(ReadOnlySpan<float> signal, int sampleRate)
    {
        var (frame, hop) = FrameLayout(sampleRate);
        if (signal.Length < frame) return [];
        var frames = 1 + (signal.Length - frame) / hop;
        var energyDb = new double[frames];
        var zeroCrossings = new ushort[frames];
        for (var t = 0; t < frames; t++) (energyDb[t], zeroCrossings[t]) = FrameFeatures(signal.Slice(t * hop, frame));
        return Segments(energyDb, zeroCrossings, signal.Length, sampleRate);
    }

    /// <summary>Frame length and hop in samples; frame t covers samples [t hop, t hop + frame).</summary>
    internal (int Frame, int Hop) FrameLayout(int sampleRate) =>
        (Math.Max(2, (int)Math.Round(Options.FrameSeconds * sampleRate)), Math.Max(1, (int)Math.Round(Options.HopSeconds * sampleRate)));

    /// <summary>E_t (dB) and the zero crossings of one frame.</summary>
    internal static (double EnergyDb, ushort Crossings) FrameFeatures(ReadOnlySpan<float> window)
    {
        double sum = 0;
        var crossings = 0;
        for (var i = 0; i < window.Length; i++)
        {
            sum += (double)window[i] * window[i];
            if (i > 0 && (window[i] >= 0) != (window[i - 1] >= 0)) crossings++;
        }
        return (10 * Math.Log10(sum / window.Length + 1e-20), checked((ushort)crossings));
    }

    /// <summary>The segments of a signal of <paramref name="length"/> samples from its frames' E_t and zero crossings
    /// (the noise floor is a percentile of all of them).</summary>
    internal IReadOnlyList<Segment> Segments(IReadOnlyList<double> energyDb, IReadOnlyList<ushort> zeroCrossings, long length, int sampleRate)
    {
        var o = Options;
        var (frame, hop) = FrameLayout(sampleRate);
        var frames = energyDb.Count;
        if (frames == 0) return [];
        var noiseFloor = Prosody.OrderStatistic.Select(energyDb, (int)Math.Clamp(o.NoisePercentile / 100 * (frames - 1), 0, frames - 1));

        var hangoverFrames = (int)Math.Round(o.HangoverSeconds / o.HopSeconds);
        var segments = new List<Segment>();
        int runStart = -1, lastSpeech = -1;
        for (var t = 0; t <= frames; t++)
        {
            var speech = t < frames && IsSpeech(energyDb[t], (double)zeroCrossings[t] / (frame - 1), noiseFloor);
            if (speech)
            {
                if (runStart < 0) runStart = t;
                lastSpeech = t;
            }
            else if (runStart >= 0 && (t == frames || t - lastSpeech > hangoverFrames))
            {
                // The run covers frames runStart..lastSpeech plus the hangover.
                long start = (long)runStart * hop, end = Math.Min(length, (long)lastSpeech * hop + frame + (long)hangoverFrames * hop);
                AddSegment(segments, start, end, length, sampleRate);
                runStart = -1;
            }
        }
        return segments;
    }

    bool IsSpeech(double energyDb, double zeroCrossingRate, double noiseFloor)
    {
        var o = Options;
        if (energyDb < o.AbsoluteFloorDbfs) return false;
        return energyDb >= noiseFloor + o.EnergyThresholdDb
            || (energyDb >= noiseFloor + o.WeakEnergyThresholdDb && zeroCrossingRate >= o.FricativeZeroCrossingRate);
    }

    void AddSegment(List<Segment> segments, long start, long end, long length, int sampleRate)
    {
        var o = Options;
        // The minimum applies to the detected speech, before hangover and padding.
        var hangover = (long)Math.Round(o.HangoverSeconds * sampleRate);
        if (end - start - hangover < o.MinSpeechSeconds * sampleRate) return;
        start = Math.Max(0, start - (long)Math.Round(o.PadSeconds * sampleRate));
        if (segments.Count > 0 && start < segments[^1].EndSample)
        {
            start = segments[^1].StartSample; // overlapping after padding: merge
            segments.RemoveAt(segments.Count - 1);
        }
        end = Math.Min(end, length);
        var parts = 1;
        if (o.MaxSegmentSeconds is { } max)
        {
            var maxLength = Math.Max(1, (long)Math.Round(max * sampleRate));
            parts = (int)((end - start + maxLength - 1) / maxLength);
        }
        for (var p = 0; p < parts; p++)
            segments.Add(new Segment(start + (end - start) * p / parts, start + (end - start) * (p + 1) / parts, sampleRate));
    }
}
