using Sentire.Audio.Dsp;

namespace Sentire.Models.Speech;

/// <summary>
/// Every clip the emotion encoders see, in training and at inference, has exactly the same number of frames:
/// longer clips are cut into windows, shorter ones are tiled (repeated) up to the window. A model fed a common
/// length cannot use clip duration as a cue, which matters because durations give labels away in some corpora
/// (ASED: every happy clip is 2.9 s).
/// </summary>
public static class FixedLengthWindows
{
    /// <summary>Start frames of windows of <paramref name="window"/> frames with hop <paramref name="hop"/> covering all frames
    /// (the last window is aligned to the end); one window at 0 for a clip no longer than a window.</summary>
    public static int[] Starts(int frames, int window, int hop)
    {
        if (window <= 0 || hop <= 0) throw new ArgumentException($"window and hop must be positive (got window {window}, hop {hop})");
        if (frames <= window) return [0];
        var starts = new List<int>();
        for (int s = 0; s + window < frames; s += hop) starts.Add(s);
        starts.Add(frames - window);
        return [.. starts];
    }

    /// <summary>Copies <paramref name="window"/> frames starting at <paramref name="start"/> into <paramref name="destination"/>
    /// (window × columns), wrapping round to the first frame when the clip is shorter than the window.</summary>
    public static void Copy(FeatureMatrix features, int start, int window, Span<float> destination)
    {
        int cols = features.Columns;
        if (features.Rows == 0) throw new ArgumentException("cannot take a window of a clip with no frames");
        if (destination.Length != window * cols) throw new ArgumentException($"destination holds {destination.Length} floats, a window needs {window * cols}");
        for (int i = 0; i < window; i++)
            features.Row((start + i) % features.Rows).CopyTo(destination.Slice(i * cols, cols));
    }
}
