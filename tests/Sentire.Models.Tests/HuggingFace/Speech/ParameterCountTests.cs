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

    /// <summary>superb/wav2vec2-base-superb-er (config.json: wav2vec2-base sizes, group-norm feature encoder without conv
    /// bias, post-norm, use_weighted_layer_sum true, classifier_proj_size 256, 4 labels neu/hap/ang/sad); its checkpoint
    /// also stores wav2vec2.masked_spec_embed (768). Published size: 94.6M parameters.</summary>
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
    }

    /// <summary>audeering/wav2vec2-large-robust-12-ft-emotion-msp-dim (config.json: hidden_size 1024, num_hidden_layers 12
    /// (pruned from 24), 16 heads, intermediate_size 4096, feat_extract_norm "layer", conv_bias true, do_stable_layer_norm
    /// true, num_conv_pos_embeddings 128 in 16 groups; id2label arousal, dominance, valence; the dense + tanh + out_proj
    /// head); its checkpoint also stores wav2vec2.masked_spec_embed (1024). Published size: 165M parameters.</summary>
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
    }
}
