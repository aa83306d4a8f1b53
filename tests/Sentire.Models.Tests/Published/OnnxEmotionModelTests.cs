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
        Assert.Equal($"{config}: \"kind\" is \"mfcc\", expected one of waveform, log_mel, whisper_log_mel",
            Refusal("""{"input": {"kind": "mfcc"}, "output": {"name": "logits", "labels": ["a", "b", "c", "d"]}}"""));
        Assert.Contains("exactly one of \"labels\"", Refusal("""{"input": {}, "output": {"name": "logits"}}"""));
        Assert.Contains("the graph has outputs logits, dims; name one", Refusal("""{"input": {}, "output": {"labels": ["a"]}}"""));
        Assert.Contains("no output named \"probs\"", Refusal("""{"input": {}, "output": {"name": "probs", "labels": ["a"]}}"""));
        Assert.Contains("rank 2, but a LogMel input is read as rank 3", Refusal("""{"input": {"kind": "log_mel"}, "output": {"name": "logits", "labels": ["a"]}}"""));
        Assert.Contains("rank 2, but a WhisperLogMel input is read as rank 3 (1, n_mels, 3000)", Refusal("""{"input": {"kind": "whisper_log_mel"}, "output": {"name": "logits", "labels": ["a"]}}"""));
        Assert.Contains("\"n_mels\" is 64, but Whisper's front end has 80 or 128 mel bins", Refusal("""{"input": {"kind": "whisper_log_mel", "n_mels": 64}, "output": {"name": "logits", "labels": ["a"]}}"""));
        // A wrong label count is found on the first clip.
        File.WriteAllText(config, """{"input": {}, "output": {"name": "logits", "labels": ["a", "b"]}}""");
        using var model = OnnxEmotionModel.Load(folder);
        Assert.Contains("has 4 values, sentire.json names 2", Assert.Throws<InvalidDataException>(() => model.Score(new float[16000])).Message);
    }

    /// <summary>An audonnx folder (model.onnx + model.yaml, no sentire.json), as audEERING publishes its models: the labelled
    /// output is read, arousal/dominance/valence make it dimensional, and the raw signal goes in unnormalised (audonnx
    /// passes it as it is when transform is null); torch's outputs on the raw clips match to 1e-4.</summary>
    [Fact]
    public void AnAudonnxFolderRunsFromItsModelYaml()
    {
        Assert.True(OnnxEmotionModel.Claims(Folder("audonnx")));
        Assert.Same(PublishedEmotionModels.Onnx, PublishedEmotionModels.Find(Folder("audonnx")));
        using var model = OnnxEmotionModel.Load(Folder("audonnx"));
        Assert.Equal(["arousal", "dominance", "valence"], model.Outputs);
        Assert.Equal(EmotionOutputKind.Dimensional, model.OutputKind);
        Assert.Equal(OnnxInputNormalization.None, model.Config.Normalize);
        Assert.Equal("dims", model.Config.OutputName);
        var clips = PretrainedSpeechEncoderTests.Clips();
        for (int c = 0; c < clips.Length; c++)
        {
            var dims = model.Score(clips[c]);
            var expected = Expected[$"clip{c}.audonnx_dims"].Data;
            for (int i = 0; i < dims.Length; i++) Assert.Equal(expected[i], dims[i], 1e-4f);
        }
        // the normalised copy differs: the raw signal really is what goes in
        Assert.NotEqual(Expected["clip0.dims"].Data[0], Expected["clip0.audonnx_dims"].Data[0], 1e-3f);
    }

    [Fact]
    public void AudonnxModelYamlsSentireCannotRunAreRefusedWithTheReason()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-audonnx-bad").FullName;
        File.Copy(Path.Combine(Folder("audonnx"), "model.onnx"), Path.Combine(folder, "model.onnx"));
        var yaml = Path.Combine(folder, "model.yaml");
        string Refusal(string text)
        {
            File.WriteAllText(yaml, text);
            return Assert.ThrowsAny<SystemException>(() => OnnxEmotionModel.Load(folder)).Message;   // InvalidDataException or FileNotFoundException
        }
        const string Tag = "$audonnx.core.model.Model==0.7.0:\n  path: model.onnx\n";
        Assert.Contains("the model's input is a transform ($audsp.core.spectrogram.Spectrogram==0.12.2), not the raw signal",
            Refusal(Tag + "  labels: [a, b]\n  transform:\n    spectrogram:\n      $audsp.core.spectrogram.Spectrogram==0.12.2:\n        win_dur: 0.02\n"));
        Assert.Contains("labels are given for the outputs logits, dims; exactly one labelled output",
            Refusal(Tag + "  labels:\n    logits: [a, b, c, d]\n    dims: [arousal, dominance, valence]\n  transform: null\n"));
        Assert.Contains("the graph has outputs logits, dims; name one", Refusal(Tag + "  labels: [a, b, c, d]\n  transform: null\n"));
        Assert.Contains("the ONNX file other.onnx is not in", Refusal("$audonnx.core.model.Model==0.7.0:\n  path: other.onnx\n  labels: [a]\n  transform: null\n"));
        Assert.Contains("expected the ONNX file's name inside the model folder", Refusal("$audonnx.core.model.Model==0.7.0:\n  path: ../x.onnx\n  labels: [a]\n"));
        // sentire.json, when present, takes precedence over model.yaml
        File.WriteAllText(yaml, Tag + "  labels: [a, b, c, d]\n  transform: null\n");
        File.Copy(Path.Combine(Folder("categorical"), "sentire.json"), Path.Combine(folder, "sentire.json"));
        using var model = OnnxEmotionModel.Load(folder);
        Assert.Equal(["angry", "happy", "neutral", "sad"], model.Outputs);
    }

    /// <summary>A classifier over Whisper's log-mel features (input kind whisper_log_mel): Sentire's WhisperFeatureExtractor
    /// feeds it, and the logits match torch's on audio.py's log-mel of the same clips to 1e-4.</summary>
    [Fact]
    public void AWhisperLogMelInputIsFedWhispersFeatures()
    {
        using var model = OnnxEmotionModel.Load(Folder("whisper-log-mel"));
        Assert.Equal(OnnxEmotionInput.WhisperLogMel, model.Config.Input);
        Assert.Equal(80, model.Config.WhisperMels);
        var clips = PretrainedSpeechEncoderTests.Clips();
        for (int c = 0; c < clips.Length; c++)
        {
            var logits = model.Score(clips[c]);
            var expected = Expected[$"clip{c}.whisper_logits"].Data;
            for (int i = 0; i < logits.Length; i++) Assert.Equal(expected[i], logits[i], 1e-4f);
        }
    }
}
