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

    /// <summary>Steps 1 and 2 as a stream: the mono samples at <see cref="ConditioningOptions.SampleRate"/> of a file read in
    /// chunks, handed to <paramref name="sink"/> as they are made; together they are <see cref="Apply"/> of the whole clip.
    /// Trimming, normalisation and cropping need the whole signal and are refused here.</summary>
    public void Read(AudioStreamReader reader, SampleSink sink)
    {
        if (options.Trim is not null || options.Normalization != NormalizationKind.None || options.MaxSeconds is not null)
            throw new NotSupportedException("trimming, gain normalisation and cropping need the whole signal; decode it with AudioFile.Read and use Apply");
        var resampler = reader.SampleRate == options.SampleRate ? null
            : _resamplers.GetOrAdd(reader.SampleRate, rate => new Resampler(rate, options.SampleRate, options.Resampler)).Stream();
        var mono = reader.Channels == 1 ? null : new float[16384];
        reader.ReadAll(chunk =>
        {
            if (mono is not null)
            {
                var frames = chunk.Length / reader.Channels;
                if (mono.Length < frames) mono = new float[frames];
                AudioClip.MixDown(chunk, reader.Channels, mono.AsSpan(0, frames));
                chunk = mono.AsSpan(0, frames);
            }
            if (resampler is null) sink(chunk);
            else resampler.Push(chunk, sink);
        });
        resampler?.Finish(sink);
    }

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
