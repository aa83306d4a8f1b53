using System.Text.Json;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.Generation;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Published;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.HuggingFace.Speech;

/// <summary>
/// Golden tests against tests/fixtures/hf-emotion (tools/golden/hf_emotion_heads_fixtures.py): tiny random checkpoints
/// of every head layout on the torch references of the encoders, run on the four committed demo clips (samples/*.flac).
/// The head's outputs (logits, or arousal/dominance/valence) must match to 1e-4.
/// </summary>
public sealed class SpeechClassifierTests
{
    const double Tolerance = 1e-4;

    internal static string Folder(string name) => RepoPaths.Fixture($"hf-emotion/{name}");

    internal sealed record Expected(string[] Clips, string[] Labels, double[][] Outputs);

    internal static Expected Golden(string name) => GoldenFile(RepoPaths.Fixture($"hf-emotion/{name}.expected.json"));

    /// <summary>An expected-outputs file of the fixture writers: clips, labels, outputs per clip.</summary>
    internal static Expected GoldenFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return new Expected(
            root.GetProperty("clips").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray(),
            root.GetProperty("outputs").EnumerateArray().Select(o => o.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray());
    }

    internal static string Sample(string file) => Path.Combine(RepoPaths.Root, "samples", file);

    static float[] Samples16k(string file) => new Conditioner(new ConditioningOptions { SampleRate = 16000 }).Apply(AudioFile.Read(Sample(file)));

    public static TheoryData<string, string> Checkpoints => new()
    {
        { "wav2vec2-seq-cls", "wav2vec2-seq-cls" },
        { "wav2vec2-seq-cls-f16", "wav2vec2-seq-cls" },
        { "wav2vec2-seq-cls-bin", "wav2vec2-seq-cls" },
        { "audeering-dim-sharded-bin", "audeering-dim" },
        { "hubert-seq-cls-weighted", "hubert-seq-cls-weighted" },
        { "wavlm-large-seq-cls-weighted", "wavlm-large-seq-cls-weighted" },
        { "data2vec-audio-seq-cls", "data2vec-audio-seq-cls" },
        { "wav2vec2-dense-cls", "wav2vec2-dense-cls" },
        { "hubert-dense-cls-max", "hubert-dense-cls-max" },
        { "audeering-dim", "audeering-dim" },
        { "audeering-dim-bf16-bin", "audeering-dim-bf16-bin" },
    };

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void OutputsMatchTheReferenceOnTheDemoClips(string checkpoint, string expectedName)
    {
        var model = SpeechClassifier.Load(Folder(checkpoint));
        var expected = Golden(expectedName);
        Assert.Equal(expected.Labels, model.Head.Labels);
        Assert.Equal(4, expected.Clips.Length);
        for (int c = 0; c < expected.Clips.Length; c++)
        {
            var y = model.Predict(Samples16k(expected.Clips[c]));
            Assert.Equal(expected.Outputs[c].Length, y.Length);
            for (int k = 0; k < y.Length; k++)
                Assert.True(Math.Abs(y[k] - expected.Outputs[c][k]) <= Tolerance,
                    $"{checkpoint} {expected.Clips[c]} output {k} ({expected.Labels[k]}): {y[k]} vs {expected.Outputs[c][k]}");
        }
    }

    [Fact]
    public void HeadLayoutsAndConfigFieldsAreRead()
    {
        var superb = SpeechClassifier.Load(Folder("wav2vec2-seq-cls"));
        Assert.Equal(SpeechHeadKind.SequenceClassification, superb.Head.Kind);
        Assert.Equal(EmotionOutputKind.Categorical, superb.Head.Output);
        Assert.Equal("Wav2Vec2ForSequenceClassification", superb.Head.Architecture);
        Assert.Null(superb.LayerSum);
        Assert.True(superb.Encoder.NormalizeInput);

        var weighted = SpeechClassifier.Load(Folder("wavlm-large-seq-cls-weighted"));
        Assert.NotNull(weighted.LayerSum);
        Assert.True(weighted.Encoder.Config.DoStableLayerNorm);
        Assert.Equal(weighted.Encoder.LayerCount + 1, weighted.LayerSum!.LayerWeights.Length);

        var max = SpeechClassifier.Load(Folder("hubert-dense-cls-max"));
        Assert.Equal(SpeechHeadPooling.Max, max.Head.Pooling);
        Assert.Equal(SpeechHeadKind.DenseTanh, max.Head.Kind);

        var dims = SpeechClassifier.Load(Folder("audeering-dim"));
        Assert.Equal(EmotionOutputKind.Dimensional, dims.Head.Output);
        Assert.Equal(["arousal", "dominance", "valence"], dims.Head.Labels);
        Assert.Equal(["wav2vec2.masked_spec_embed"], dims.UnusedKeys);
        Assert.Empty(superb.UnusedKeys);
        Assert.Equal("F16 100%", SpeechClassifier.Load(Folder("wav2vec2-seq-cls-f16")).StoredPrecision);
        Assert.Equal("F32 100%", superb.StoredPrecision);
        var sharded = SpeechClassifier.Load(Folder("audeering-dim-sharded-bin"));
        Assert.Equal(["wav2vec2.masked_spec_embed"], sharded.UnusedKeys);
        Assert.Equal(EmotionOutputKind.Dimensional, sharded.Head.Output);
    }

    /// <summary>An F16 or BF16 checkpoint keeps every linear weight in its 16-bit format: the parameter bytes are the float32
    /// model's minus 2 bytes per linear weight element (convolutions, norms and biases stay float32), and the outputs match
    /// the float64 reference computed from the same rounded weights (<see cref="OutputsMatchTheReferenceOnTheDemoClips"/>).
    /// Widening on request gives float32 parameters with the same values.</summary>
    [Theory]
    [InlineData("wav2vec2-seq-cls-f16", "F16")]
    [InlineData("audeering-dim-bf16-bin", "BF16")]
    public void HalfPrecisionCheckpointsStayHalfInMemory(string name, string format)
    {
        var half = SpeechClassifier.Load(Folder(name));
        var linears = half.NamedModules().Select(m => m.Value).OfType<Sentire.Tensors.Nn.Linear>().ToList();
        Assert.NotEmpty(linears);
        Assert.All(linears, l => Assert.Equal(format == "F16" ? Sentire.Tensors.HalfFormat.Float16 : Sentire.Tensors.HalfFormat.BFloat16, l.HalfWeight?.Format));
        long linearElements = linears.Sum(l => (long)l.InFeatures * l.OutFeatures);
        Assert.Equal(4 * half.ParameterCount() - 2 * linearElements, half.ParameterBytes());

        var widened = SpeechClassifier.Load(Folder(name), Models.HuggingFace.HalfWeights.Widen);
        Assert.Equal(half.ParameterCount(), widened.ParameterCount());
        Assert.Equal(4 * widened.ParameterCount(), widened.ParameterBytes());
        Assert.All(linears.Zip(widened.NamedModules().Select(m => m.Value).OfType<Sentire.Tensors.Nn.Linear>()),
            p => Assert.Equal(p.First.HalfWeight!.Value.ToTensor().Data.ToArray(), p.Second.Weight.Data.ToArray()));

        var facts = new SpeechClassifierModel(half).Facts;
        Assert.Equal($"{format} 100%", facts.Precision);
        Assert.StartsWith($"{format} ", facts.MemoryPrecision);
        Assert.Equal(half.ParameterBytes(), facts.ParameterBytes);
        var inspection = EmotionModels.Inspect(Folder(name));
        Assert.Equal(facts.MemoryPrecision, inspection.MemoryPrecision);
        Assert.Equal(facts.ParameterBytes, inspection.ParameterBytes);
    }

    /// <summary>The in-memory size of a wav2vec2-large-sized model (24 layers of 1024, 4096) from an F16 checkpoint: every
    /// linear weight (24 x (4 x 1024^2 + 2 x 1024 x 4096) plus the 512 x 1024 feature projection) takes 2 bytes, the rest 4;
    /// 52% of the float32 model's bytes. The sizes only: a HalfWeight holds no memory until it is loaded.</summary>
    [Fact]
    public void AWav2Vec2LargeSizedModelTakesAboutHalfItsFloat32Bytes()
    {
        var config = new SpeechEncoderConfig
        {
            Family = SpeechEncoderFamily.Wav2Vec2, ConvBias = true, FeatExtractNorm = FeatExtractNorm.Layer, HiddenSize = 1024, NumHiddenLayers = 24,
            NumAttentionHeads = 16, IntermediateSize = 4096, DoStableLayerNorm = true,
        };
        var model = new Wav2Vec2Model(config, Sentire.Tensors.HalfFormat.Float16);
        long linear = 24L * (4 * 1024 * 1024 + 2 * 1024 * 4096) + 512 * 1024;
        Assert.Equal(config.ParameterCount(), model.ParameterCount());
        Assert.Equal(4 * config.ParameterCount() - 2 * linear, model.ParameterBytes());
        Assert.InRange((double)model.ParameterBytes() / (4 * config.ParameterCount()), 0.51, 0.53);
    }

    [Fact]
    public void CategoricalModelAnswersThroughEmotionModelsWithItsOwnLabels()
    {
        var analyzer = EmotionModels.Load(Folder("wav2vec2-seq-cls"));
        Assert.IsType<PublishedEmotionAnalyzer>(analyzer);
        var expected = Golden("wav2vec2-seq-cls");
        Assert.Equal(["neu", "hap", "ang", "sad"], analyzer.Labels);
        Assert.False(analyzer.HasDimensions);
        for (int c = 0; c < expected.Clips.Length; c++)
        {
            var result = analyzer.AnalyzeFile(Sample(expected.Clips[c]));
            var p = LogitsProcessors.Softmax(expected.Outputs[c].Select(v => (float)v).ToArray());
            Assert.Equal(expected.Labels.Length, result.Overall!.Emotions.Count);
            foreach (var e in result.Overall.Emotions)
                Assert.Equal(p[Array.IndexOf(expected.Labels, e.Label)], e.Probability, 4);
            Assert.Equal(result.Overall.Emotions.Max(e => e.Probability), result.Overall.Top.Probability);
            Assert.Null(result.Dimensions);
        }
    }

    [Fact]
    public void DimensionalModelFillsArousalValenceDominanceInItsConfigsOrder()
    {
        var analyzer = EmotionModels.Load(Folder("audeering-dim"));
        var expected = Golden("audeering-dim");   // arousal, dominance, valence
        Assert.True(analyzer.HasDimensions);
        Assert.Empty(analyzer.Labels);
        for (int c = 0; c < expected.Clips.Length; c++)
        {
            var result = analyzer.AnalyzeFile(Sample(expected.Clips[c]));
            Assert.Empty(result.Overall!.Emotions);
            var d = result.Dimensions!;
            Assert.Equal(expected.Outputs[c][0], d.Arousal, 4);
            Assert.Equal(expected.Outputs[c][1], d.Dominance, 4);
            Assert.Equal(expected.Outputs[c][2], d.Valence, 4);
        }
    }

    [Fact]
    public void LongFilesAreScoredPerSegmentAndOverallIsTheirMean()
    {
        // 35 s: 2 s of a demo clip every 10 s -> 4 voice-activity segments (FileSegmentation), as for Sentire's own models.
        var clip = Samples16k(Golden("wav2vec2-seq-cls").Clips[0]).AsSpan(0, 2 * 16000).ToArray();
        var samples = new float[35 * 16000];
        for (int burst = 0; burst < 4; burst++) clip.CopyTo(samples, burst * 160000);
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-long").FullName, "long.wav");
        WavWriter.Write(path, AudioClip.FromMono(samples, 16000), WavEncoding.Float32);

        var categorical = EmotionModels.Load(Folder("wav2vec2-seq-cls"));
        var result = categorical.AnalyzeFile(path);
        Assert.Equal(4, result.Segments.Count);
        foreach (var label in categorical.Labels)
            Assert.Equal(result.Segments.Average(s => s.Emotions.Single(e => e.Label == label).Probability),
                result.Overall!.Emotions.Single(e => e.Label == label).Probability, 6);
        var model = SpeechClassifier.Load(Folder("wav2vec2-seq-cls"));
        var first = result.Segments[0];
        var direct = LogitsProcessors.Softmax(model.Predict(samples.AsSpan((int)Math.Round(first.StartSeconds * 16000), (int)Math.Round((first.EndSeconds - first.StartSeconds) * 16000))));
        for (int k = 0; k < direct.Length; k++)
            Assert.Equal(direct[k], first.Emotions.Single(e => e.Label == model.Head.Labels[k]).Probability, 4);

        var dims = EmotionModels.Load(Folder("audeering-dim")).AnalyzeFile(path);
        Assert.Equal(4, dims.Segments.Count);
        Assert.All(dims.Segments, s => Assert.Empty(s.Emotions));
        Assert.Equal(dims.Segments.Average(s => s.Dimensions!.Arousal), dims.Dimensions!.Arousal, 6);
        Assert.Equal(dims.Segments.Average(s => s.Dimensions!.Valence), dims.Dimensions.Valence, 6);
        Assert.Equal(dims.Segments.Average(s => s.Dimensions!.Dominance), dims.Dimensions.Dominance, 6);
    }

    [Fact]
    public void ClosedSetModelsRefuseLabelsAndTemplates()
    {
        var analyzer = EmotionModels.Load(Folder("wav2vec2-seq-cls"));
        var clip = Sample(Golden("wav2vec2-seq-cls").Clips[0]);
        var e = Assert.Throws<ArgumentException>(() => analyzer.AnalyzeFile(clip, ["happy", "sad"]));
        Assert.Contains("closed-set", e.Message);
        Assert.Contains("neu, hap, ang, sad", e.Message);
        Assert.Throws<ArgumentException>(() => analyzer.AnalyzeFile(clip, null, "The speaker sounds {label}."));
    }

    [Fact]
    public void AnEncoderWithoutAHeadIsRefusedWithTheReason()
    {
        var folder = PretrainedSpeechEncoderTests.Folder("wav2vec2-base");
        var e = Assert.Throws<InvalidDataException>(() => EmotionModels.Load(folder));
        Assert.Contains("no utterance head", e.Message);
        Assert.Contains("model.safetensors", e.Message);
        var inspection = EmotionModels.Inspect(folder);
        Assert.Equal(e.Message, inspection.Refused);
        Assert.Null(inspection.Family);
    }

    [Fact]
    public void InspectionReportsFamilyOutputsSizeAndUnusedTensors()
    {
        var i = EmotionModels.Inspect(Folder("audeering-dim"));
        Assert.Null(i.Refused);
        Assert.Equal("Wav2Vec2ForSpeechClassification", i.Family);
        Assert.Empty(i.Labels);
        Assert.Equal(["arousal", "dominance", "valence"], i.Dimensions);
        Assert.Equal(["wav2vec2.masked_spec_embed"], i.UnusedTensors);
        // every stored tensor but wav2vec2.masked_spec_embed is a parameter
        using var store = PretrainedSpeechEncoder.OpenCheckpoint(Folder("audeering-dim"));
        long stored = store.Keys.Where(k => k != "wav2vec2.masked_spec_embed").Sum(k => store.ShapeOf(k).Aggregate(1L, (a, b) => a * b));
        Assert.Equal(stored, i.Parameters);
        Assert.Equal("F32 100%", i.Precision);
    }

    [Fact]
    public void HeadTensorsOfTheWrongSizeAreNamed()
    {
        var dir = Directory.CreateTempSubdirectory("sentire-bad-head").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Folder("wav2vec2-seq-cls"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var config = File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"classifier_proj_size\": 8", "\"classifier_proj_size\": 9");
            File.WriteAllText(Path.Combine(dir, "config.json"), config);
            var e = Assert.Throws<InvalidDataException>(() => SpeechClassifier.Load(dir));
            Assert.Contains("projector.weight: found [8, 32], expected [9, 32]", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
