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
