namespace Sentire.Audio.Decoding;

/// <summary>An audio file that cannot be decoded: empty, truncated, corrupt, of an unsupported
/// encoding, or needing a decoder (ffmpeg) that is not installed. Always names the file and the reason.</summary>
public sealed class AudioFormatException : IOException
{
    public AudioFormatException(string fileName, string reason, Exception? inner = null)
        : base($"{fileName}: {reason}", inner)
    {
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>The file (or the name given for an in-memory buffer) that failed.</summary>
    public string FileName { get; }

    /// <summary>Why it failed, without the file name.</summary>
    public string Reason { get; }
}

/// <summary>Audio longer than a caller's limit (a service's duration limit), found from the header before decoding
/// where the format says its length.</summary>
/// <param name="seconds">the audio's length, null when decoding stopped at the limit</param>
public sealed class AudioTooLongException(string fileName, double? seconds, double maxSeconds)
    : IOException($"{fileName}: {(seconds is { } s ? $"{s:F1} s long" : $"longer than {maxSeconds:0.#} s")}; at most {maxSeconds:0.#} s is accepted")
{
    public string FileName { get; } = fileName;
    public double? Seconds { get; } = seconds;
    public double MaxSeconds { get; } = maxSeconds;
}
