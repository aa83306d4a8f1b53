namespace Sentire.Audio.Conditioning;

/// <summary>Where a crop to a maximum length is taken from.</summary>
public enum CropPosition
{
    /// <summary>The first samples (evaluation, deterministic).</summary>
    Start,
    /// <summary>The middle.</summary>
    Center,
    /// <summary>A uniformly random offset from the caller's generator (training augmentation, as GEmo-CLAP's 14 s crop).</summary>
    Random,
}

/// <summary>How a clip shorter than the target is filled.</summary>
public enum LengthPadding
{
    /// <summary>Keep the clip as it is (crop only).</summary>
    None,
    /// <summary>Zeros after the clip.</summary>
    Zeros,
    /// <summary>The clip repeated until the length is reached.</summary>
    Repeat,
}

/// <summary>Crops to at most, or pads to exactly, a number of samples.</summary>
public static class LengthFitter
{
    /// <summary>
    /// A copy of <paramref name="signal"/> cropped to <paramref name="length"/> samples when longer, and padded
    /// when shorter unless <paramref name="padding"/> is None. <paramref name="random"/> is needed for Random crops.
    /// </summary>
    public static float[] Fit(ReadOnlySpan<float> signal, int length, CropPosition position = CropPosition.Start,
        LengthPadding padding = LengthPadding.Zeros, Random? random = null)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "Target length must be non-negative.");
        if (signal.Length >= length)
        {
            var excess = signal.Length - length;
            var offset = position switch
            {
                CropPosition.Start => 0,
                CropPosition.Center => excess / 2,
                _ => (random ?? throw new ArgumentNullException(nameof(random), "A random crop needs a Random generator.")).Next(excess + 1),
            };
            return signal.Slice(offset, length).ToArray();
        }
        if (padding == LengthPadding.None) return signal.ToArray();
        var result = new float[length];
        signal.CopyTo(result);
        if (padding == LengthPadding.Repeat && signal.Length > 0)
            for (var filled = signal.Length; filled < length; filled += signal.Length)
                signal[..Math.Min(signal.Length, length - filled)].CopyTo(result.AsSpan(filled));
        return result;
    }
}
