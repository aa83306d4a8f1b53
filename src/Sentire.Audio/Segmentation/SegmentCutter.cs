namespace Sentire.Audio.Segmentation;

/// <summary>Hands out the samples of each segment of a signal that arrives in chunks, as soon as the segment's last
/// sample has arrived, holding no more of the signal than the segment being filled (at most its length plus a chunk).</summary>
/// <param name="segments">in time order, none overlapping the next</param>
/// <param name="onSegment">gets each segment and a copy of its samples, in order</param>
public sealed class SegmentCutter(IReadOnlyList<Segment> segments, Action<Segment, float[]> onSegment)
{
    readonly Decoding.SampleHistory history = new();
    int next;

    public void Push(ReadOnlySpan<float> samples)
    {
        history.Append(samples);
        while (next < segments.Count && history.End >= segments[next].EndSample)
        {
            var segment = segments[next++];
            onSegment(segment, history.Slice((int)segment.StartSample, (int)segment.EndSample).ToArray());
        }
        history.DropBefore(next < segments.Count ? (int)segments[next].StartSample : history.End);
    }

    /// <summary>The signal has ended; every segment must have been handed out.</summary>
    public void Finish()
    {
        if (next < segments.Count)
            throw new InvalidOperationException($"segment {next} ends at sample {segments[next].EndSample}, the signal at {history.End}");
    }
}
