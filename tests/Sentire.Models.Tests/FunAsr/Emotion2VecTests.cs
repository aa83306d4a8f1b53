using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.FunAsr;
using Sentire.Models.Published;
using Sentire.Models.Tests.HuggingFace.Speech;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.FunAsr;

/// <summary>
/// emotion2vec against tests/fixtures/emotion2vec (tools/golden/emotion2vec_fixtures.py): a tiny random checkpoint in
/// the FunASR folder layout (config.yaml, tokens.txt, model.pt) on a torch reference written from FunASR's definition
/// (ALiBi with six heads, extra tokens, prenet and main post-norm blocks), run on the four demo clips: logits to 1e-4.
/// </summary>
public sealed class Emotion2VecTests
{
    static string Folder => RepoPaths.Fixture("emotion2vec/emotion2vec-tiny");

    public static TheoryData<string> Formats => new() { "emotion2vec-tiny", "emotion2vec-tiny-safetensors" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void LogitsMatchTheReferenceOnTheDemoClips(string folder)
    {
        var model = Emotion2VecModel.Load(RepoPaths.Fixture($"emotion2vec/{folder}"));
        var expected = SpeechClassifierTests.GoldenFile(RepoPaths.Fixture("emotion2vec/emotion2vec-tiny.expected.json"));
        Assert.Equal(["angry", "disgusted", "fearful", "happy", "neutral", "other", "sad", "surprised", "unknown"], model.Labels);
        Assert.Equal(expected.Labels, model.Labels);
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        for (int c = 0; c < expected.Clips.Length; c++)
        {
            var y = model.Predict(conditioner.Apply(AudioFile.Read(SpeechClassifierTests.Sample(expected.Clips[c]))));
            Assert.Equal(9, y.Length);
            for (int k = 0; k < y.Length; k++)
                Assert.True(Math.Abs(y[k] - expected.Outputs[c][k]) <= 1e-4, $"{expected.Clips[c]} {model.Labels[k]}: {y[k]} vs {expected.Outputs[c][k]}");
        }
    }

    [Fact]
    public void RunsThroughEmotionModelsAndReportsTheUnusedDecoder()
    {
        var analyzer = EmotionModels.Load(Folder);
        Assert.IsType<PublishedEmotionAnalyzer>(analyzer);
        Assert.Equal(9, analyzer.Labels.Count);
        var result = analyzer.AnalyzeFile(SpeechClassifierTests.Sample("03-01-05-02-01-01-18.flac"));
        Assert.Equal(1.0, result.Overall!.Emotions.Sum(e => e.Probability), 6);
        var inspection = EmotionModels.Inspect(Folder);
        Assert.Equal("emotion2vec", inspection.Family);
        Assert.Equal(["model.modality_encoders.AUDIO.decoder.proj.bias", "model.modality_encoders.AUDIO.decoder.proj.weight"], inspection.UnusedTensors);
        Assert.Equal("F32 100%", inspection.Precision);
    }

    [Fact]
    public void AlibiSlopesFollowPressEtAl()
    {
        Assert.Equal([0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625], Emotion2VecModel.AlibiSlopes(8));
        var six = Emotion2VecModel.AlibiSlopes(6);   // 4 of a power of two, then every other slope of 8
        Assert.Equal([0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125], six.Select(s => Math.Round(s, 10)));
    }

    [Fact]
    public void FeatureEncoderSpecIsParsed()
    {
        var spec = Emotion2VecConfig.ParseSpec("[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]", "config.yaml");
        Assert.Equal(7, spec.Length);
        Assert.Equal((512, 10, 5), spec[0]);
        Assert.Equal((512, 3, 2), spec[4]);
        Assert.Equal((512, 2, 2), spec[6]);
        Assert.Throws<InvalidDataException>(() => Emotion2VecConfig.ParseSpec("conv(512)", "config.yaml"));
    }
}
