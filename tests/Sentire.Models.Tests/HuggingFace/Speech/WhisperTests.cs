using Sentire.Audio.Decoding;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Published;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.HuggingFace.Speech;

/// <summary>
/// Whisper against tests/fixtures/whisper (tools/golden/whisper_fixtures.py: modeling_whisper.py's modules and
/// whisper's log-mel front end rebuilt in Debian's torch 1.13, tiny and random, the real parameter names and config
/// fields) on the three real clips of the speech fixtures, each padded to a 30 s window. Tolerance 1e-4.
/// </summary>
public sealed class WhisperTests
{
    static string Folder(string name) => RepoPaths.Fixture($"whisper/{name}");
    static readonly Lazy<Dictionary<string, Tensor>> Expected = new(() => SafeTensors.Read(RepoPaths.Fixture("whisper/expected.safetensors")));

    static void AssertClose(Tensor expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected.Data[i])), $"{what}[{i}] = {actual[i]}, torch gives {expected.Data[i]}");
    }

    [Theory]
    [InlineData(80)]
    [InlineData(128)]
    public void LogMelMatchesWhispersFrontEnd(int nMels)
    {
        var features = new WhisperFeatureExtractor(nMels).Compute(PretrainedSpeechEncoderTests.Clips()[0]);
        Assert.Equal([nMels, 3000], features.ShapeArray());
        var expected = Expected.Value[$"mel{nMels}.clip0"];                       // (n_mels, 120): the first 1.2 s
        var first = new float[nMels * 120];
        for (int k = 0; k < nMels; k++) features.Data.Slice(k * 3000, 120).CopyTo(first.AsSpan(k * 120));
        AssertClose(expected, first, $"log-mel {nMels}");
        // The zero padding after the clip sits at the floor, max - 8, rescaled: the same value in every bin.
        Assert.Equal(features.Data[2999], features.Data[nMels * 3000 - 1]);
    }

    [Theory]
    [InlineData("cls-weighted")]   // 80 bins, use_weighted_layer_sum, model.safetensors
    [InlineData("cls-128")]        // 128 bins, last hidden state, pytorch_model.bin
    public void ClassifierLogitsMatchTheReference(string name)
    {
        var model = WhisperForAudioClassification.Load(Folder(name));
        Assert.Equal(["angry", "happy", "neutral", "sad"], model.Head.Labels);
        Assert.Equal(name == "cls-weighted", model.LayerSum is not null);
        Assert.Empty(model.UnusedKeys);
        long head = (model.LayerSum is null ? 0 : 3) + 16 * 8 + 8 + 8 * 4 + 4;   // layer_weights, projector 16->8, classifier 8->4
        Assert.Equal(model.Encoder.Config.ParameterCount() + head, model.ParameterCount());
        var clips = PretrainedSpeechEncoderTests.Clips();
        using var _ = Autograd.NoGrad();
        for (int c = 0; c < clips.Length; c++)
        {
            var features = model.FeatureExtractor.Compute(clips[c]);
            var states = model.Encoder.Forward(features.Reshape(1, features.Dim(0), 3000));
            AssertClose(Expected.Value[$"{name}.clip{c}.last_hidden"], states[^1].Data[..(40 * 16)], $"{name} clip {c} last hidden state");
            AssertClose(Expected.Value[$"{name}.clip{c}.logits"], model.Predict(clips[c]), $"{name} clip {c} logits");
        }
    }

    [Fact]
    public void EncoderOfAWhisperModelCheckpointLoadsAndMatches()
    {
        var encoder = WhisperEncoder.Load(Folder("encoder"));
        var extractor = new WhisperFeatureExtractor(80);
        var clips = PretrainedSpeechEncoderTests.Clips();
        using var _ = Autograd.NoGrad();
        for (int c = 0; c < clips.Length; c++)
        {
            var features = extractor.Compute(clips[c]);
            var last = encoder.Forward(features.Reshape(1, 80, 3000))[^1];
            Assert.Equal([1, 1500, 16], last.ShapeArray());
            AssertClose(Expected.Value[$"encoder.clip{c}.last_hidden"], last.Data[..(40 * 16)], $"encoder clip {c}");
        }
        // The stored positions are whisper's sinusoids.
        var table = Tensor.Zeros(1500, 16);
        WhisperEncoder.Sinusoids(table);
        AssertClose(table, encoder.EmbedPositions.Weight.Data, "embed_positions", 1e-4f);   // torch forms angles up to 1500 in float32
        // A bare encoder is no emotion model: the reason is given.
        Assert.Contains("no classification head", Assert.Throws<InvalidDataException>(() => WhisperForAudioClassification.Load(Folder("encoder"))).Message);
    }

    [Fact]
    public void AnalyzeRunsAWhisperClassifierFolder()
    {
        var analyzer = Assert.IsType<PublishedEmotionAnalyzer>(EmotionModels.Load(Folder("cls-weighted")));
        Assert.Equal("WhisperForAudioClassification", analyzer.Model.Family);
        var clip = PretrainedSpeechEncoderTests.Clips()[2];
        var prediction = analyzer.Analyze(new AudioClip(clip, 16000, 1, "clip2"));
        var logits = Expected.Value["cls-weighted.clip2.logits"].Data.ToArray();
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        string[] labels = ["angry", "happy", "neutral", "sad"];
        foreach (var e in prediction.Emotions)
            Assert.Equal(Math.Exp(logits[Array.IndexOf(labels, e.Label)] - max) / sum, e.Probability, 1e-4);
        var inspection = EmotionModels.Inspect(Folder("cls-128"));
        Assert.Null(inspection.Refused);
        Assert.Equal("F32 100%", inspection.Precision);
    }

    [Fact]
    public void PublishedSizesFromTheirConfigs()
    {
        // The encoder formula is checked against loaded models above; on the public configs it gives the encoder part of
        // the published sizes. openai/whisper-base (d_model 512, encoder_layers 6, encoder_attention_heads 8,
        // encoder_ffn_dim 2048, num_mel_bins 80, max_source_positions 1500): 20.6M of the 74M model.
        Assert.Equal(20_590_592, new WhisperConfig(80, 512, 6, 8, 2048, 1500).ParameterCount());
        // The whole of openai/whisper-base adds the decoder (same d_model, 6 layers of self-attention, cross-attention
        // (k_proj without bias in both) and fc1/fc2 with 3 layer norms, 51865 x 512 token embeddings tied to the output,
        // 448 x 512 learned positions, a final norm): 72,593,920 float32 values. Its model.safetensors is 290,403,936 bytes
        // (https://huggingface.co/DanielMarius/dms-whisper-base lists the byte-identical file; the model's own tree,
        // https://huggingface.co/openai/whisper-base/tree/15ec5e35b3b840df9eb2a22a2cea891bfd3ef763, says 290 MB): 4 bytes a
        // value plus a 28,256-byte JSON header. The paper's "74M" (Radford et al. 2022, table 1) is the same model rounded up.
        long d = 512, f = 2048, decoderLayer = 2 * (4 * d * d + 3 * d) + 3 * 2 * d + d * f + f + f * d + d;
        long whole = new WhisperConfig(80, 512, 6, 8, 2048, 1500).ParameterCount() + 6 * decoderLayer + 51865 * d + 448 * d + 2 * d;
        Assert.Equal(72_593_920, whole);
        Assert.InRange(290_403_936 - 4 * whole, 1, 65_536);
        // openai/whisper-large-v3 (d_model 1280, 32 layers, 20 heads, ffn 5120, 128 mel bins): 637M of the 1.55B model.
        Assert.Equal(636_968_960, new WhisperConfig(128, 1280, 32, 20, 5120, 1500).ParameterCount());
    }
}
