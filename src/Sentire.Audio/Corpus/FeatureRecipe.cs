using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Corpus;

/// <summary>What <see cref="FeatureCache"/> stores: a key naming every setting that shapes the features (it selects the
/// cache file, so a changed setting never reads stale features) and the function computing them for one utterance.</summary>
public sealed record FeatureRecipe(string ConfigKey, Func<Utterance, FeatureMatrix> Extract)
{
    /// <summary>Decoded mono samples as a (samples × 1) matrix. No resampling is done here: a file at another rate is an
    /// error naming it (the development corpora are all 16 kHz).</summary>
    public static FeatureRecipe DecodedMono(int sampleRate) => new(
        $"decoded-mono-float32/v1/sample_rate={sampleRate}",
        utterance =>
        {
            var clip = AudioFile.Read(utterance.AudioPath).ToMono();
            if (clip.SampleRate != sampleRate)
                throw new InvalidDataException(
                    $"{utterance.AudioPath}: sample rate {clip.SampleRate} Hz, the feature recipe expects {sampleRate} Hz");
            return new FeatureMatrix(clip.Samples.Length, 1, clip.Samples);
        });
}
