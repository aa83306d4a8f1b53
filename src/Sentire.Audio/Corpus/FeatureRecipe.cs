using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Corpus;

/// <summary>What <see cref="FeatureCache"/> stores: a key naming every setting that shapes the features (it selects the
/// cache file, so a changed setting never reads stale features) and the function computing them for one utterance.</summary>
public sealed record FeatureRecipe(string ConfigKey, Func<Utterance, FeatureMatrix> Extract)
{
    /// <summary>Decoded mono samples at <paramref name="sampleRate"/> (resampled when the file differs) as a
    /// (samples × 1) matrix.</summary>
    public static FeatureRecipe DecodedMono(int sampleRate, ResamplerOptions? resampler = null)
    {
        resampler ??= new ResamplerOptions();
        return new FeatureRecipe(
            $"decoded-mono-float32/v1/sample_rate={sampleRate}/{resampler}",
            utterance =>
            {
                var samples = DecodeMono(utterance, sampleRate, resampler);
                return new FeatureMatrix(samples.Length, 1, samples);
            });
    }

    /// <summary>Log-mel spectrogram (frames × n_mels, dB) of the decoded mono audio, resampled to the options' rate.</summary>
    public static FeatureRecipe LogMel(MelSpectrogramOptions options, float? topDb = null, ResamplerOptions? resampler = null)
    {
        resampler ??= new ResamplerOptions();
        var logMel = new LogMelSpectrogram(options, topDb);
        return new FeatureRecipe(
            $"log-mel/v1/{options}/top_db={topDb?.ToString("R") ?? "none"}/{resampler}",
            utterance => logMel.Compute(DecodeMono(utterance, options.SampleRate, resampler)));
    }

    static float[] DecodeMono(Utterance utterance, int sampleRate, ResamplerOptions resampler)
    {
        var clip = AudioFile.Read(utterance.AudioPath).ToMono();
        return clip.SampleRate == sampleRate
            ? clip.Samples
            : new Resampler(clip.SampleRate, sampleRate, resampler).Process(clip.Samples);
    }
}
