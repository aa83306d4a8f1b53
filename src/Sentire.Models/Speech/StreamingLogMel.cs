using Sentire.Audio.Dsp;
using Sentire.Audio.Prosody;

namespace Sentire.Models.Speech;

/// <summary>
/// <see cref="LogMelFrontEnd.LogMel"/> of every window of a live stream (windows of <c>windowSamples</c> every
/// <c>hopSamples</c>), each frame computed once. A window's frames are the front end's on the window alone, number for
/// number: a frame that reads only samples inside the window (the mel frame's n_fft samples about its centre, the pitch
/// frame's <see cref="YinPitchTracker.SpanLength"/>) is the same in every window that holds it, so it is computed once
/// and kept while a later window still holds it; only the few frames at each edge, which read the window's padding, and
/// the pitch track's decisions over the whole window (<see cref="YinPitchTracker.Decide"/>) are made for each window.
/// <code>
/// var stream = new StreamingLogMel(frontEnd, 32000, 8000);      // 2 s windows, 0.5 s hop, at 16 kHz
/// var frames = stream.Window(samples[k * 8000 .. k * 8000 + 32000], k * 8000);   // == frontEnd.LogMel(that slice)
/// </code>
/// Window and hop must lie on the frame grid (<see cref="Fits"/>). Not thread-safe: one per stream, windows in order.
/// </summary>
public sealed class StreamingLogMel
{
    readonly LogMelFrontEnd frontEnd;
    readonly MelSpectrogram uncentred;   // frame j reads samples [j·hop, j·hop + n_fft): no padding
    readonly PitchOptions pitchOptions;
    readonly int window, hop, rate, halfFft, melFrames, pitchFrames, pitchHalfSpan, pitchSpan;
    readonly Dictionary<int, float[]> melRows = [];       // stream frame -> power mel row
    readonly Dictionary<int, YinFrame> pitchRows = [];    // stream frame -> YIN frame

    public StreamingLogMel(LogMelFrontEnd frontEnd, int windowSamples, int hopSamples)
    {
        if (!Fits(frontEnd.Config, windowSamples, hopSamples))
            throw new ArgumentException($"windows of {windowSamples} samples every {hopSamples} are not on the front end's frame grid (multiples of {frontEnd.Config.HopLength}, at least {EdgeSamples(frontEnd.Config)} samples long)");
        this.frontEnd = frontEnd;
        uncentred = new MelSpectrogram(frontEnd.Mel.Options with { Center = false });
        var config = frontEnd.Config;
        (window, hop, rate, halfFft) = (windowSamples, config.HopLength, config.SampleRate, config.NFft / 2);
        melFrames = frontEnd.Mel.FrameCount(windowSamples);
        pitchOptions = ProsodyChannels.PitchOptions(rate, hop);
        pitchFrames = (windowSamples - 1) / hop + 1;
        pitchSpan = YinPitchTracker.SpanLength(rate, pitchOptions);
        pitchHalfSpan = pitchSpan / 2;
    }

    /// <summary>Whether windows of <paramref name="windowSamples"/> every <paramref name="hopSamples"/> lie on the frame grid.</summary>
    public static bool Fits(LogMelFrontEndConfig config, int windowSamples, int hopSamples) =>
        windowSamples % config.HopLength == 0 && hopSamples % config.HopLength == 0 && hopSamples > 0 && windowSamples >= EdgeSamples(config);

    /// <summary>Length of the slices at each end of a window whose centred mel frames stand in for the window's edge
    /// frames: on the grid, and long enough that those frames read nothing past the slice's other end.</summary>
    static int EdgeSamples(LogMelFrontEndConfig config)
    {
        int hop = config.HopLength, inside = (config.NFft / 2 + hop - 1) / hop;
        return ((inside + 1) * hop + config.NFft + hop - 1) / hop * hop;
    }

    /// <summary>The frames of the window <paramref name="samples"/> that starts at sample <paramref name="start"/> of the
    /// stream: equal to <c>frontEnd.LogMel(samples)</c>. Windows come in order of start.</summary>
    public FeatureMatrix Window(float[] samples, long start)
    {
        if (samples.Length != window) throw new ArgumentException($"a window holds {window} samples, got {samples.Length}");
        if (start % hop != 0) throw new ArgumentException($"a window starts on the frame grid (a multiple of {hop} samples), got {start}");
        int first = checked((int)(start / hop));   // the window's frame 0 in the stream
        Forget(melRows, first);
        Forget(pitchRows, first);

        // mel: frame t reads [t·hop - n_fft/2, t·hop + n_fft/2); inside the window for t in [melIn, melOut]
        int melIn = (halfFft + hop - 1) / hop, melOut = (window - halfFft) / hop;
        var power = new FeatureMatrix(melFrames, frontEnd.Config.NMels);
        int missing = melIn;
        while (missing <= melOut && melRows.ContainsKey(first + missing)) missing++;
        if (missing <= melOut)
        {
            var rows = uncentred.Compute(samples.AsMemory(missing * hop - halfFft, (melOut - missing) * hop + 2 * halfFft));
            for (int t = missing; t <= melOut; t++) melRows[first + t] = rows.Row(t - missing).ToArray();
        }
        for (int t = melIn; t <= melOut; t++) melRows[first + t].CopyTo(power.Row(t));
        int edge = EdgeSamples(frontEnd.Config);   // centred frames of an edge slice, padded as the window's are
        var head = frontEnd.Mel.Compute(samples.AsMemory(0, edge));
        for (int t = 0; t < melIn; t++) head.Row(t).CopyTo(power.Row(t));
        int tailStart = (window - edge) / hop;
        var tail = frontEnd.Mel.Compute(samples.AsMemory(window - edge, edge));
        for (int t = melOut + 1; t < melFrames; t++) tail.Row(t - tailStart).CopyTo(power.Row(t));

        return frontEnd.Frames(power, () => PitchTrack(samples, first));
    }

    /// <summary>The YIN track of the window: its inside frames from the kept ones, its edge frames and the decisions anew.</summary>
    PitchTrack PitchTrack(float[] samples, int first)
    {
        // frame t reads [t·hop - span/2, t·hop - span/2 + span)
        int pitchIn = (pitchHalfSpan + hop - 1) / hop, pitchOut = (window - pitchSpan + pitchHalfSpan) / hop;
        var frames = new YinFrame[pitchFrames];
        int missing = pitchIn;
        while (missing <= pitchOut && pitchRows.ContainsKey(first + missing)) missing++;
        if (missing <= pitchOut)
        {
            YinPitchTracker.AnalyseFrames(samples, rate, pitchOptions, missing, frames.AsSpan(missing, pitchOut - missing + 1));
            for (int t = missing; t <= pitchOut; t++) pitchRows[first + t] = frames[t];
        }
        for (int t = pitchIn; t <= pitchOut; t++) frames[t] = pitchRows[first + t];
        YinPitchTracker.AnalyseFrames(samples, rate, pitchOptions, 0, frames.AsSpan(0, pitchIn));
        YinPitchTracker.AnalyseFrames(samples, rate, pitchOptions, pitchOut + 1, frames.AsSpan(pitchOut + 1));
        return YinPitchTracker.Decide(frames, samples, rate, pitchOptions);
    }

    /// <summary>Drops the kept frames before the window's first: no later window holds them.</summary>
    static void Forget<T>(Dictionary<int, T> kept, int first)
    {
        foreach (var frame in kept.Keys.Where(f => f < first).ToList()) kept.Remove(frame);
    }
}
