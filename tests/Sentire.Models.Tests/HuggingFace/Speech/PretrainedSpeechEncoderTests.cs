using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.HuggingFace.Speech;

/// <summary>
/// Golden tests against tests/fixtures/hf-speech (tools/golden/hf_speech_fixtures.py): small random checkpoints of
/// torchaudio 0.13's wav2vec 2.0 / HuBERT models renamed to Hugging Face's keys, and reference data2vec-audio and
/// WavLM implementations, run on three real clips of about 1 s. Every hidden state is compared.
/// </summary>
public sealed class PretrainedSpeechEncoderTests
{
    const float Rtol = 1e-4f, Atol = 1e-4f;

    internal static string Folder(string name) => RepoPaths.Fixture($"hf-speech/{name}");

    /// <summary>The fixture clips as 16 kHz samples in [-1, 1).</summary>
    internal static float[][] Clips()
    {
        var tensors = SafeTensors.Read(RepoPaths.Fixture("hf-speech/clips.safetensors"));
        return Enumerable.Range(0, 3).Select(i =>
        {
            var pcm = tensors[$"clip{i}"].Data.ToArray();
            for (int j = 0; j < pcm.Length; j++) pcm[j] /= 32768f;
            return pcm;
        }).ToArray();
    }

    static Dictionary<string, Tensor> Expected(string name) => SafeTensors.Read(RepoPaths.Fixture($"hf-speech/{name}.expected.safetensors"));

    public static TheoryData<string, string> Checkpoints => new()
    {
        { "wav2vec2-base", "wav2vec2-base" },
        { "wav2vec2-base-f16", "wav2vec2-base" },
        { "wav2vec2-base-sharded", "wav2vec2-base" },
        { "../torch/wav2vec2-base-bin", "wav2vec2-base" },  // the same weights as pytorch_model.bin, keys under "wav2vec2."
        { "wav2vec2-large", "wav2vec2-large" },
        { "hubert", "hubert" },
        { "data2vec-audio", "data2vec-audio" },
        { "wavlm", "wavlm" },
        { "wavlm-large", "wavlm-large" },
    };

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void EveryHiddenStateMatchesTheReference(string checkpoint, string expectedName)
    {
        var model = PretrainedSpeechEncoder.Load(Folder(checkpoint));
        var expected = Expected(expectedName);
        var clips = Clips();
        using var _ = Autograd.NoGrad();
        for (int c = 0; c < clips.Length; c++)
        {
            var output = model.Encode(Tensor.FromArray(clips[c], 1, clips[c].Length), null);
            Assert.Equal(model.LayerCount + 1, output.HiddenStates.Count);
            Assert.Null(output.FrameMask);
            for (int l = 0; l <= model.LayerCount; l++)
                AssertClose(expected[$"clip{c}.hidden.{l}"], output.HiddenStates[l], $"{checkpoint} clip {c} hidden state {l}");
            Assert.Same(output.HiddenStates[^1], output.LastHiddenState);
        }
    }

    public static TheoryData<string> Families => new() { "wav2vec2-base", "wav2vec2-large", "hubert", "data2vec-audio", "wavlm", "wavlm-large" };

    [Theory]
    [MemberData(nameof(Families))]
    public void PaddedItemsEqualTheirUnpaddedResult(string name)
    {
        var model = PretrainedSpeechEncoder.Load(Folder(name));
        var expected = Expected(name);
        var clips = Clips();
        int longest = clips.Max(c => c.Length);
        var batch = Tensor.Zeros(clips.Length, longest);
        for (int c = 0; c < clips.Length; c++) clips[c].CopyTo(batch.Data.Slice(c * longest, clips[c].Length));
        var lengths = clips.Select(c => c.Length).ToArray();

        using var _ = Autograd.NoGrad();
        var output = model.Encode(batch, lengths);
        int frames = model.Config.OutputFrames(longest);
        Assert.Equal([clips.Length, frames], output.FrameMask!.Shape.ToArray());
        for (int c = 0; c < clips.Length; c++)
        {
            int valid = model.Config.OutputFrames(lengths[c]);
            Assert.Equal(expected[$"clip{c}.hidden.0"].Dim(1), valid);
            for (int t = 0; t < frames; t++) Assert.Equal(t < valid ? 1f : 0f, output.FrameMask[c, t]);
            for (int l = 0; l <= model.LayerCount; l++)
            {
                var item = output.HiddenStates[l].Narrow(0, c, 1).Narrow(1, 0, valid);
                AssertClose(expected[$"clip{c}.hidden.{l}"], item, $"{name} padded item {c} hidden state {l}");
            }
        }
    }

    [Fact]
    public void ConfigAndPreprocessorAreRead()
    {
        var large = PretrainedSpeechEncoder.Load(Folder("wav2vec2-large"));
        Assert.Equal(SpeechEncoderFamily.Wav2Vec2, large.Config.Family);
        Assert.True(large.Config.DoStableLayerNorm);
        Assert.Equal(FeatExtractNorm.Layer, large.Config.FeatExtractNorm);
        Assert.True(large.NormalizeInput);
        Assert.Equal(16000, large.SampleRate);
        Assert.Equal(320, large.Config.FrameStride);
        Assert.Equal(400, large.Config.ReceptiveField);
        Assert.Equal(49, large.Config.OutputFrames(16000));
        Assert.Equal(0, large.Config.OutputFrames(399));
        Assert.Equal((32, 2), (large.HiddenSize, large.LayerCount));
        Assert.False(large.Training);

        var hubert = PretrainedSpeechEncoder.Load(Folder("hubert"));
        Assert.False(hubert.Config.FeatProjLayerNorm);
        Assert.Null(hubert.FeatureProjection.Norm);
        Assert.False(hubert.NormalizeInput);
        Assert.Equal((32, 64), (PretrainedSpeechEncoder.Load(Folder("wavlm")).Config.NumBuckets, PretrainedSpeechEncoder.Load(Folder("wavlm")).Config.MaxBucketDistance));
    }

    [Fact]
    public void TaskPrefixesAreStrippedAndUnusedTensorsListed()
    {
        Assert.Equal(["masked_spec_embed"], PretrainedSpeechEncoder.Load(Folder("wav2vec2-base")).IgnoredKeys);
        Assert.Equal(["lm_head.bias", "lm_head.weight"], PretrainedSpeechEncoder.Load(Folder("wav2vec2-large")).IgnoredKeys);
        Assert.Equal(["classifier.bias", "classifier.weight", "layer_weights", "projector.bias", "projector.weight"],
            PretrainedSpeechEncoder.Load(Folder("hubert")).IgnoredKeys);
        Assert.Empty(PretrainedSpeechEncoder.Load(Folder("wavlm")).IgnoredKeys);
        Assert.Equal(["lm_head.bias", "lm_head.weight"], PretrainedSpeechEncoder.Load(Folder("wavlm-large")).IgnoredKeys);
    }

    [Fact]
    public void MissingTensorIsAnErrorNamingFileAndKey()
    {
        using var dir = new TempCheckpoint("wav2vec2-large");
        var state = SafeTensors.Read(dir.Model);
        state.Remove("wav2vec2.encoder.layers.1.attention.k_proj.weight");
        SafeTensors.Write(dir.Model, state);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedSpeechEncoder.Load(dir.Path));
        Assert.Contains(dir.Model, e.Message);
        Assert.Contains("encoder.layers.1.attention.k_proj.weight", e.Message);
        Assert.Contains("\"wav2vec2.\"", e.Message);
    }

    [Fact]
    public void WrongShapeIsAnErrorNamingTheKey()
    {
        using var dir = new TempCheckpoint("wavlm");
        var state = SafeTensors.Read(dir.Model);
        state["encoder.layers.0.attention.rel_attn_embed.weight"] = Tensor.Zeros(31, 4);
        SafeTensors.Write(dir.Model, state);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedSpeechEncoder.Load(dir.Path));
        Assert.Contains("encoder.layers.0.attention.rel_attn_embed.weight: found [31, 4], expected [32, 4]", e.Message);
    }

    [Fact]
    public void UnsupportedModelTypeAndOptionsAreErrors()
    {
        using var dir = new TempCheckpoint("hubert");
        var config = File.ReadAllText(Path.Combine(dir.Path, "config.json"));
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), config.Replace("\"model_type\": \"hubert\"", "\"model_type\": \"whisper\""));
        var e = Assert.Throws<NotSupportedException>(() => PretrainedSpeechEncoder.Load(dir.Path));
        Assert.Contains("\"whisper\"", e.Message);
        Assert.Contains("wav2vec2, hubert, data2vec-audio, wavlm", e.Message);

        File.WriteAllText(Path.Combine(dir.Path, "config.json"), config.Replace("\"feat_extract_norm\": \"group\"", "\"feat_extract_norm\": \"batch\""));
        var bad = Assert.Throws<InvalidDataException>(() => PretrainedSpeechEncoder.Load(dir.Path));
        Assert.Contains("config.json", bad.Message);
        Assert.Contains("\"batch\"", bad.Message);
        Assert.Contains("one of [group, layer]", bad.Message);
    }

    [Fact]
    public void CheckpointWithWeightNormRemovedLoadsTheSameWeight()
    {
        using var dir = new TempCheckpoint("wav2vec2-base");
        var state = SafeTensors.Read(dir.Model);
        var g = state["encoder.pos_conv_embed.conv.weight_g"];
        var v = state["encoder.pos_conv_embed.conv.weight_v"];
        var reference = new WeightNormConv1d(v.Dim(0), v.Dim(2), 0, 4);
        g.Data.CopyTo(reference.WeightG.Data);
        v.Data.CopyTo(reference.WeightV.Data);
        state.Remove("encoder.pos_conv_embed.conv.weight_g");
        state.Remove("encoder.pos_conv_embed.conv.weight_v");
        state["encoder.pos_conv_embed.conv.weight"] = reference.Weight().Detach();
        SafeTensors.Write(dir.Model, state);

        var model = PretrainedSpeechEncoder.Load(dir.Path);
        var pos = (Wav2Vec2PositionalConvEmbedding)model.Encoder.PositionalEmbedding;
        AssertClose(reference.Weight(), pos.Conv.Weight(), "recomposed positional weight", 1e-5f, 1e-6f);
        Assert.Equal(["masked_spec_embed"], model.IgnoredKeys);
    }

    [Fact]
    public void TooShortInputIsAnError()
    {
        var model = PretrainedSpeechEncoder.Load(Folder("wav2vec2-base"));
        var e = Assert.Throws<ArgumentException>(() => model.Encode(Tensor.Zeros(1, 399), null));
        Assert.Contains("399 samples", e.Message);
        Assert.Contains("400 samples", e.Message);
        var item = Assert.Throws<ArgumentException>(() => model.Encode(Tensor.Zeros(2, 800), [800, 100]));
        Assert.Contains("item 1", item.Message);
    }

    [Fact]
    public void RelativeBucketsFollowT5()
    {
        // 320 buckets, max distance 800: 160 per sign, exact below 80, log-spaced 80..159 up to 800.
        Assert.Equal(0, WavLMAttention.RelativeBucket(0, 320, 800));
        Assert.Equal(165, WavLMAttention.RelativeBucket(5, 320, 800));
        Assert.Equal(5, WavLMAttention.RelativeBucket(-5, 320, 800));
        Assert.Equal(239, WavLMAttention.RelativeBucket(79, 320, 800));
        Assert.Equal(240, WavLMAttention.RelativeBucket(80, 320, 800));                  // log(1) = 0
        Assert.Equal(80 + (int)(80 * Math.Log(2) / Math.Log(10)), WavLMAttention.RelativeBucket(-160, 320, 800));  // 104
        Assert.Equal(159, WavLMAttention.RelativeBucket(-800, 320, 800));                // clamped to the last bucket
        Assert.Equal(319, WavLMAttention.RelativeBucket(5000, 320, 800));
    }

    internal static void AssertClose(Tensor expected, Tensor actual, string what, float rtol = Rtol, float atol = Atol)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString}, expected {expected.ShapeString}");
        var e = expected.Data;
        var a = actual.Data;
        for (int i = 0; i < e.Length; i++)
        {
            float diff = MathF.Abs(a[i] - e[i]);
            if (!(diff <= atol + rtol * MathF.Abs(e[i])))
                Assert.Fail($"{what}: element {i} is {a[i]:G9}, expected {e[i]:G9} (|diff| {diff:G3} > atol {atol} + rtol {rtol} * |expected|)");
        }
    }

    /// <summary>A writable copy of a fixture checkpoint folder, deleted on dispose.</summary>
    internal sealed class TempCheckpoint : IDisposable
    {
        public string Path { get; }
        public string Model => System.IO.Path.Combine(Path, "model.safetensors");

        public TempCheckpoint(string name)
        {
            Path = Directory.CreateTempSubdirectory("sentire-hf-speech-").FullName;
            foreach (var file in Directory.GetFiles(Folder(name)))
                File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
