using Sentire.Audio.Decoding;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Published;
using Sentire.Models.Tests.HuggingFace.Speech;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Published;

/// <summary>
/// The ONNX family against tests/fixtures/onnx-emotion (tools/golden/onnx_emotion_fixtures.py): a tiny random
/// raw-waveform model exported by torch.onnx.export, its outputs computed by torch on three real clips after the
/// per-utterance normalisation of sentire.json. Matched to 1e-4 through ONNX Runtime.
/// </summary>
public sealed class OnnxEmotionModelTests
{
    static string Folder(string name) => RepoPaths.Fixture($"onnx-emotion/{name}");
    static readonly Dictionary<string, Tensors.Tensor> Expected = SafeTensors.Read(RepoPaths.Fixture("onnx-emotion/expected.safetensors"));

    [Fact]
    public void CategoricalOutputsMatchTorch()
    {
        using var model = OnnxEmotionModel.Load(Folder("categorical"));
        Assert.Equal(["angry", "happy", "neutral", "sad"], model.Outputs);
        Assert.Equal(EmotionOutputKind.Categorical, model.OutputKind);
        Assert.Equal(OnnxInputNormalization.Utterance, model.Config.Normalize);
        // conv1 8x1x64+8, conv2 16x8x5+16, norm 16+16, logits 4x16+4, dims 3x16+3
        Assert.Equal(8 * 64 + 8 + 16 * 8 * 5 + 16 + 32 + 4 * 16 + 4 + 3 * 16 + 3, model.Facts.Parameters);
        var clips = PretrainedSpeechEncoderTests.Clips();
        for (int c = 0; c < clips.Length; c++)
        {
            var logits = model.Score(clips[c]);
            var expected = Expected[$"clip{c}.logits"].Data;
            for (int i = 0; i < logits.Length; i++) Assert.Equal(expected[i], logits[i], 1e-4f);
        }
    }

    [Fact]
    public void DimensionalOutputsReachAnalyzeAsArousalValenceDominance()
    {
        var analyzer = Assert.IsType<PublishedEmotionAnalyzer>(EmotionModels.Load(Folder("dimensional")));
        Assert.Equal("ONNX", analyzer.Model.Family);
        Assert.True(analyzer.HasDimensions);
        var clips = PretrainedSpeechEncoderTests.Clips();
        for (int c = 0; c < clips.Length; c++)
        {
            var expected = Expected[$"clip{c}.dims"].Data;   // arousal, dominance, valence
            var prediction = analyzer.Analyze(new AudioClip(clips[c], 16000, 1, $"clip{c}"));
            Assert.Empty(prediction.Emotions);
            Assert.Equal(expected[0], prediction.Dimensions!.Arousal, 1e-4);
            Assert.Equal(expected[1], prediction.Dimensions.Dominance, 1e-4);
            Assert.Equal(expected[2], prediction.Dimensions.Valence, 1e-4);
        }
    }

    [Fact]
    public void AnalyzeReportsSoftmaxOfTheLogitsAndRefusesLabels()
    {
        var analyzer = EmotionModels.Load(Folder("categorical"));
        var clip = PretrainedSpeechEncoderTests.Clips()[1];
        var prediction = analyzer.Analyze(new AudioClip(clip, 16000, 1, "clip1"));
        var logits = Expected["clip1.logits"].Data.ToArray();
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        var labels = new[] { "angry", "happy", "neutral", "sad" };
        foreach (var e in prediction.Emotions)
            Assert.Equal(Math.Exp(logits[Array.IndexOf(labels, e.Label)] - max) / sum, e.Probability, 1e-4);
        Assert.Contains("closed-set", Assert.Throws<ArgumentException>(() => analyzer.Analyze(new AudioClip(clip, 16000, 1, "x"), ["calm"])).Message);
    }

    [Fact]
    public void BadSentireJsonNamesTheFileAndTheField()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-onnx-bad").FullName;
        File.Copy(Path.Combine(Folder("categorical"), "model.onnx"), Path.Combine(folder, "model.onnx"));
        var config = Path.Combine(folder, "sentire.json");
        string Refusal(string json)
        {
            File.WriteAllText(config, json);
            return Assert.Throws<InvalidDataException>(() => OnnxEmotionModel.Load(folder)).Message;
        }
        Assert.Equal($"{config}: \"kind\" is \"mfcc\", expected one of waveform, log_mel",
            Refusal("""{"input": {"kind": "mfcc"}, "output": {"name": "logits", "labels": ["a", "b", "c", "d"]}}"""));
        Assert.Contains("exactly one of \"labels\"", Refusal("""{"input": {}, "output": {"name": "logits"}}"""));
        Assert.Contains("the graph has outputs logits, dims; name one", Refusal("""{"input": {}, "output": {"labels": ["a"]}}"""));
        Assert.Contains("no output named \"probs\"", Refusal("""{"input": {}, "output": {"name": "probs", "labels": ["a"]}}"""));
        Assert.Contains("rank 2, but a LogMel input is read as rank 3", Refusal("""{"input": {"kind": "log_mel"}, "output": {"name": "logits", "labels": ["a"]}}"""));
        // A wrong label count is found on the first clip.
        File.WriteAllText(config, """{"input": {}, "output": {"name": "logits", "labels": ["a", "b"]}}""");
        using var model = OnnxEmotionModel.Load(folder);
        Assert.Contains("has 4 values, sentire.json names 2", Assert.Throws<InvalidDataException>(() => model.Score(new float[16000])).Message);
    }
}
