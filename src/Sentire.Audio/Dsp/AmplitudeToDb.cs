namespace Sentire.Audio.Dsp;

/// <summary>
/// torchaudio.functional.amplitude_to_DB with ref 1: x_dB = multiplier·log10(max(x, amin)), multiplier 10 for
/// power and 20 for magnitude; with top_db, values are raised to at least max(x_dB) − top_db, the maximum
/// taken over the whole spectrogram (torchaudio's per-item max for a single clip).
/// </summary>
public static class AmplitudeToDb
{
    public const float DefaultAmin = 1e-10f;

    /// <summary>Converts <paramref name="values"/> in place.</summary>
    public static void Apply(Span<float> values, bool isPower = true, float? topDb = null, float amin = DefaultAmin)
    {
        if (topDb is < 0) throw new ArgumentOutOfRangeException(nameof(topDb), topDb, "top_db must be non-negative.");
        var multiplier = isPower ? 10f : 20f;
        var max = float.NegativeInfinity;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = multiplier * MathF.Log10(MathF.Max(values[i], amin));
            max = MathF.Max(max, values[i]);
        }
        if (topDb is { } top)
        {
            var floor = max - top;
            for (var i = 0; i < values.Length; i++) values[i] = MathF.Max(values[i], floor);
        }
    }
}

/// <summary>Log-mel spectrogram: <see cref="MelSpectrogram"/> followed by AmplitudeToDB("power", top_db), in dB.</summary>
public sealed class LogMelSpectrogram(MelSpectrogramOptions options, float? topDb = null)
{
    readonly MelSpectrogram _mel = new(options);

    public MelSpectrogram Mel => _mel;
    public float? TopDb => topDb;

    /// <summary>frames × n_mels, dB.</summary>
    public FeatureMatrix Compute(ReadOnlyMemory<float> signal)
    {
        var result = _mel.Compute(signal);
        AmplitudeToDb.Apply(result.Data, isPower: options.Power == 2f, topDb);
        return result;
    }
}
