namespace Sentire.Audio.Decoding;

/// <summary>The latest samples of a signal that arrives in chunks: samples [<see cref="Start"/>, <see cref="End"/>),
/// indexed by their position in the whole signal. Samples before a position are dropped when no longer needed, so a
/// long recording is held only as far back as its reader looks.</summary>
public sealed class SampleHistory
{
    float[] buffer = new float[1 << 16];
    int head, count;

    /// <summary>Position of the oldest sample held.</summary>
    public int Start { get; private set; }

    /// <summary>Samples received so far.</summary>
    public int End => Start + count;

    public void Append(ReadOnlySpan<float> samples)
    {
        if ((long)End + samples.Length > int.MaxValue)
            throw new NotSupportedException($"a signal of more than {int.MaxValue} samples per channel (37 hours at 16 kHz, 12 hours at 48 kHz) is not supported");
        if (head + count + samples.Length > buffer.Length)
        {
            var target = count + samples.Length > buffer.Length ? new float[Math.Max(2 * buffer.Length, count + samples.Length)] : buffer;
            Array.Copy(buffer, head, target, 0, count);
            buffer = target;
            head = 0;
        }
        samples.CopyTo(buffer.AsSpan(head + count));
        count += samples.Length;
    }

    /// <summary>Forgets the samples before <paramref name="position"/>.</summary>
    public void DropBefore(int position)
    {
        var drop = Math.Clamp(position - Start, 0, count);
        head += drop;
        count -= drop;
        Start += drop;
    }

    /// <summary>Samples [<paramref name="from"/>, <paramref name="to"/>), which must still be held.</summary>
    public ReadOnlySpan<float> Slice(int from, int to)
    {
        if (from < Start || to > End || to < from)
            throw new ArgumentOutOfRangeException(nameof(from), $"samples {from}..{to} asked for, {Start}..{End} are held");
        return buffer.AsSpan(head + from - Start, to - from);
    }
}
