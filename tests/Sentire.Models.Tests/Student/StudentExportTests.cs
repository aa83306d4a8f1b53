using Sentire.Audio.Decoding;
using Sentire.Models.Published;
using Sentire.Models.Student;
using Sentire.Standalone;
using Sentire.Tensors;
using Sentire.Tensors.Onnx;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Student;

/// <summary>The shipped student outside the engine: the dependency-free class (export/standalone, compiled into this
/// test project) and the exported ONNX graph run by ONNX Runtime as a published ONNX emotion model, both against the
/// engine on the demo clips (RAVDESS actors 17-20, held out from distillation).</summary>
public sealed class StudentExportTests
{
    static readonly string ModelFolder = Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");
    static readonly Lazy<EmotionStudent> Engine = new(() => EmotionStudent.Load(ModelFolder));
    static IEnumerable<string> Clips => Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order();

    [Fact]
    public void StandaloneClassReproducesTheEngineOnRealClips()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-standalone").FullName, "student.bin");
        var (config, model) = StudentPackage.Load(ModelFolder);
        StandaloneWeights.Write(path, config, model);
        Assert.True(new FileInfo(path).Length < 400_000);
        var standalone = TinyEmotionStudent.Load(path);
        Assert.Equal(config.Labels, standalone.Labels);
        foreach (var file in Clips)
        {
            var samples = Engine.Value.FrontEnd.Condition(AudioFile.Read(file));
            var expected = Engine.Value.Predict(Engine.Value.FrontEnd.LogMel(samples));
            var (probabilities, dimensions) = standalone.Predict(samples);
            for (int i = 0; i < probabilities.Length; i++) Assert.Equal(expected.Probabilities[i], probabilities[i], 1e-4f);
            for (int i = 0; i < 3; i++) Assert.Equal(expected.Dimensions[i], dimensions[i], 1e-4f);
        }
    }

    [Fact]
    public void StandaloneLogMelMatchesTheEngineFrontEnd()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-standalone").FullName, "student.bin");
        var (config, model) = StudentPackage.Load(ModelFolder);
        StandaloneWeights.Write(path, config, model);
        var standalone = TinyEmotionStudent.Load(path);
        var samples = Engine.Value.FrontEnd.Condition(AudioFile.Read(Clips.First()));
        var expected = Engine.Value.FrontEnd.LogMel(samples);
        var actual = standalone.LogMel(samples, out int frames);
        Assert.Equal(expected.Rows, frames);
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected.Data[i], actual[i], 2e-3f);   // ln of power: float FFT vs double FFT
    }

    [Fact]
    public void ExportedOnnxGraphRunInOnnxRuntimeReproducesTheEngine()
    {
        var (config, model) = StudentPackage.Load(ModelFolder);
        var bytes = OnnxFile.Serialize(TinyStudentOnnx.Export(config, model));
        var onnx = OnnxFile.Parse(bytes);
        Assert.Equal([new OnnxOpset("", 13)], onnx.Opsets);
        Assert.Equal(["log_mel"], onnx.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["logits", "probabilities", "dimensions"], onnx.Graph.Outputs.Select(o => o.Name));
        Assert.Equal(string.Join(",", config.Labels), onnx.Metadata["labels"]);

        // The export as an ONNX emotion-model folder: model.onnx + sentire.json naming Sentire's log-mel front end.
        var folder = Directory.CreateTempSubdirectory("sentire-student-onnx").FullName;
        File.WriteAllBytes(Path.Combine(folder, OnnxEmotionModel.ModelFileName), bytes);
        var f = config.FrontEnd;
        string Json(string output) => $$"""
            {"input": {"name": "log_mel", "kind": "log_mel", "sample_rate": {{f.SampleRate}}, "n_fft": {{f.NFft}}, "hop_length": {{f.HopLength}}, "n_mels": {{f.NMels}}, "log_floor": {{f.LogFloor.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}}},
             "output": {{output}}}
            """;
        File.WriteAllText(Path.Combine(folder, OnnxEmotionConfig.FileName), Json($$"""{"name": "probabilities", "values": "probabilities", "labels": [{{string.Join(", ", config.Labels.Select(l => $"\"{l}\""))}}]}"""));
        using var categorical = OnnxEmotionModel.Load(folder);
        File.WriteAllText(Path.Combine(folder, OnnxEmotionConfig.FileName), Json("""{"name": "dimensions", "dimensions": ["arousal", "valence", "dominance"]}"""));
        using var dimensional = OnnxEmotionModel.Load(folder);
        var analyzer = Assert.IsType<PublishedEmotionAnalyzer>(EmotionModels.Load(folder));
        foreach (var file in Clips)
        {
            var samples = Engine.Value.FrontEnd.Condition(AudioFile.Read(file));
            var expected = Engine.Value.Predict(Engine.Value.FrontEnd.LogMel(samples));
            var logProbabilities = categorical.Score(samples);
            for (int i = 0; i < expected.Probabilities.Length; i++) Assert.Equal(expected.Probabilities[i], MathF.Exp(logProbabilities[i]), 1e-4f);
            var dimensions = dimensional.Score(samples);
            for (int i = 0; i < 3; i++) Assert.Equal(expected.Dimensions[i], dimensions[i], 1e-4f);
            var analyzed = analyzer.Analyze(AudioFile.Read(file)).Dimensions!;
            Assert.Equal(expected.Dimensions[0], analyzed.Arousal, 1e-4);
            Assert.Equal(expected.Dimensions[1], analyzed.Valence, 1e-4);
        }
    }
}
