using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Conditioning;

/// <summary>Which gain normalisation <see cref="Conditioner"/> applies.</summary>
public enum NormalizationKind
{
    None,
    /// <summary>Peak to <see cref="ConditioningOptions.TargetDbfs"/>.</summary>
    Peak,
    /// <summary>RMS to <see cref="ConditioningOptions.TargetDbfs"/>, peak limited to 0 dBFS.</summary>
    Rms,
}

/// <summary>Settings of <see cref="Conditioner"/>; defaults only mix down and resample to 16 kHz.</summary>
public sealed record ConditioningOptions
{
    public int SampleRate { get; init; } = 16000;
    public ResamplerOptions Resampler { get; init; } = new();
    /// <summary>Trim leading/trailing silence with these settings; null keeps it.</summary>
    public TrimOptions? Trim { get; init; }
    public NormalizationKind Normalization { get; init; } = NormalizationKind.None;
    public double TargetDbfs { get; init; } = -20;
    /// <summary>Crop (and pad, by <see cref="Padding"/>) to this many seconds; GEmo-CLAP uses 14 s.</summary>
    public double? MaxSeconds { get; init; }
    public CropPosition Crop { get; init; } = CropPosition.Start;
    public LengthPadding Padding { get; init; } = LengthPadding.None;
}

/// <summary>
/// The model-input conditioning chain, in order: 1) mix down to mono (channel mean, <see cref="AudioClip.ToMono"/>),
/// 2) resample to the target rate, 3) trim silence, 4) normalise gain, 5) crop/pad to the maximum length.
/// Resampler plans are cached per input rate (thread-safe).
/// </summary>
public sealed class Conditioner(ConditioningOptions options)
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<int, Resampler> _resamplers = new();

    public ConditioningOptions Options => options;

    /// <summary>Mono samples at <see cref="ConditioningOptions.SampleRate"/>; <paramref name="random"/> only for random crops.</summary>
    public float[] Apply(AudioClip clip, Random? random = null)
    {
        // 1) mix down
        var mono = clip.ToMono().Samples;
        // 2) resample (a new array; the clip's samples are shared and stay untouched)
        var samples = clip.SampleRate == options.SampleRate
            ? (float[])mono.Clone()
            : _resamplers.GetOrAdd(clip.SampleRate, rate => new Resampler(rate, options.SampleRate, options.Resampler)).Process(mono);
        // 3) trim
        if (options.Trim is { } trim) samples = SilenceTrimmer.Trim(samples, options.SampleRate, trim);
        // 4) normalise
        if (options.Normalization == NormalizationKind.Peak) Loudness.NormalizePeak(samples, options.TargetDbfs);
        else if (options.Normalization == NormalizationKind.Rms) Loudness.NormalizeRms(samples, options.TargetDbfs);
        // 5) crop / pad
        if (options.MaxSeconds is { } seconds)
            samples = LengthFitter.Fit(samples, (int)Math.Round(seconds * options.SampleRate), options.Crop, options.Padding, random);
        return samples;
    }
}
