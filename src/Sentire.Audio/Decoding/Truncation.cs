using System.Globalization;

namespace Sentire.Audio.Decoding;

/// <summary>A file whose header promises more sample frames than it holds (a copy or download cut short): what is
/// there is decoded, and this says how much is missing.</summary>
public sealed record Truncation(long ClaimedFrames, long PresentFrames)
{
    public string Message => string.Create(CultureInfo.InvariantCulture,
        $"truncated: the header claims {ClaimedFrames:N0} frames, {PresentFrames:N0} are present");
}
