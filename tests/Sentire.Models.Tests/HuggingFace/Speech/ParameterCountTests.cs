using Sentire.Models.HuggingFace.Speech;

namespace Sentire.Models.Tests.HuggingFace.Speech;

/// <summary>
/// The parameter count of a config, computed from its sizes alone (<see cref="SpeechEncoderConfig.ParameterCount"/>,
/// <see cref="SpeechHeadConfig.ParameterCount"/>), equals the loaded model's count on every fixture layout, and on the
/// public configs of named checkpoints (values copied from their config.json) it gives their published sizes.
/// </summary>
public sealed class ParameterCountTests
{
    public static TheoryData<string> HeadFixtures => new()
    {
        "wav2vec2-seq-cls", "hubert-seq-cls-weighted", "wavlm-large-seq-cls-weighted", "data2vec-audio-seq-cls",
        "wav2vec2-dense-cls", "hubert-dense-cls-max", "audeering-dim",
    };

    [Theory]
    [MemberData(nameof(HeadFixtures))]
    public void CountFromTheConfigEqualsTheLoadedModel(string name)
    {
        var model = SpeechClassifier.Load(SpeechClassifierTests.Folder(name));
        var encoder = model.Encoder.Config;
        Assert.Equal(model.Encoder.ParameterCount(), encoder.ParameterCount());
        Assert.Equal(model.ParameterCount(), encoder.ParameterCount() + model.Head.ParameterCount(encoder));
    }

    public static TheoryData<string> EncoderFixtures => new() { "wav2vec2-base", "wav2vec2-large", "hubert", "data2vec-audio", "wavlm", "wavlm-large" };

    [Theory]
    [MemberData(nameof(EncoderFixtures))]
    public void EncoderCountFromTheConfigEqualsTheLoadedEncoder(string name)
    {
        var encoder = PretrainedSpeechEncoder.Load(PretrainedSpeechEncoderTests.Folder(name));
        Assert.Equal(encoder.ParameterCount(), encoder.Config.ParameterCount());
    }

    // Published sizes are checked against the checkpoint files the Hub lists (float32 weights, 4 bytes each, plus the
    // file format's framing: a safetensors JSON header, or a torch.save zip of pickled storages), read with the search
    // tool on 2026-12-06; the config values are copied from the configs those pages show.

    /// <summary>superb/wav2vec2-base-superb-er (config.json: wav2vec2-base sizes, group-norm feature encoder without conv
    /// bias, post-norm, classifier_proj_size 256, id2label 0 neu, 1 hap, 2 ang, 3 sad; use_weighted_layer_sum true as the
    /// SUPERB protocol trains it, 13 parameters that no file size can confirm); its checkpoint also stores
    /// wav2vec2.masked_spec_embed (768). Published: pytorch_model.bin and model.safetensors of 378 MB
    /// (https://huggingface.co/superb/wav2vec2-base-superb-er/tree/refs%2Fpr%2F2), i.e. 94.57 M float32 values; the
    /// 94.6M "model size" of the Hub's widget is the same count rounded.</summary>
    [Fact]
    public void SuperbEmotionRecognitionBaseHasItsPublishedSize()
    {
        var encoder = new SpeechEncoderConfig
        {
            Family = SpeechEncoderFamily.Wav2Vec2, ConvBias = false, FeatExtractNorm = FeatExtractNorm.Group, HiddenSize = 768, NumHiddenLayers = 12,
            NumAttentionHeads = 12, IntermediateSize = 3072, NumConvPosEmbeddings = 128, NumConvPosEmbeddingGroups = 16, DoStableLayerNorm = false,
        };
        var head = new SpeechHeadConfig
        {
            Kind = SpeechHeadKind.SequenceClassification, Labels = ["neu", "hap", "ang", "sad"], Output = EmotionOutputKind.Categorical,
            UseWeightedLayerSum = true, ClassifierProjSize = 256,
        };
        Assert.Equal(94_370_944, encoder.ParameterCount());
        long total = encoder.ParameterCount() + head.ParameterCount(encoder) + 768;
        Assert.Equal(94_569_617, total);
        Assert.Equal(94.6, Math.Round(total / 1e6, 1));
        Assert.Equal(378, Math.Round(4.0 * total / 1e6));                     // the listed 378 MB
    }

    /// <summary>audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim (config.json, as quoted by
    /// https://huggingface.co/steveway/wav2vec2-large-robust-12-ft-emotion-msp-dim_onnx/blob/492c990c080c1982a13526d3bb0b23459e3fb008/wav2vec2-large-robust-12-ft-emotion-msp-dim.config:
    /// architectures Wav2Vec2ForSpeechClassification, hidden_size 1024, conv_bias true, feat_extract_norm "layer",
    /// do_stable_layer_norm true, conv_dim 7 x 512, id2label 0 arousal, 1 dominance, 2 valence; num_hidden_layers 12
    /// (the "12" of the name: wav2vec2-large-robust pruned from 24), 16 heads, intermediate_size 4096, positional
    /// convolution 128 in 16 groups as every wav2vec2-large; the dense + tanh + out_proj head); its checkpoint also
    /// stores wav2vec2.masked_spec_embed (1024). Published: pytorch_model.bin of 661,436,013 bytes (the LFS pointer of an
    /// unchanged copy, https://huggingface.co/spaces/lafi23333/kn/commit/1675378992035dacbca8ccd2c2ba142b5bc532ab; the
    /// model's own tree lists 661 MB, https://huggingface.co/audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim/tree/main,
    /// with torch.FloatStorage as its only storage type): 4 bytes x 165,336,707 plus 89,185 bytes of zip and pickle
    /// framing (about 400 bytes for each of its ~220 tensors). A 24-layer count would leave 50 M values unexplained.</summary>
    [Fact]
    public void AudeeringDimensionalModelHasItsPublishedSize()
    {
        var encoder = new SpeechEncoderConfig
        {
            Family = SpeechEncoderFamily.Wav2Vec2, ConvBias = true, FeatExtractNorm = FeatExtractNorm.Layer, HiddenSize = 1024, NumHiddenLayers = 12,
            NumAttentionHeads = 16, IntermediateSize = 4096, NumConvPosEmbeddings = 128, NumConvPosEmbeddingGroups = 16, DoStableLayerNorm = true,
        };
        var head = new SpeechHeadConfig { Kind = SpeechHeadKind.DenseTanh, Labels = ["arousal", "dominance", "valence"], Output = EmotionOutputKind.Dimensional };
        long total = encoder.ParameterCount() + head.ParameterCount(encoder) + 1024;
        Assert.Equal(165_336_707, total);
        Assert.Equal(165, Math.Round(total / 1e6));
        long framing = 661_436_013 - 4 * total;
        Assert.InRange(framing, 1, 200_000);
    }
}
