using Sentire.Audio.Decoding;
using Sentire.Models.Student;
using Sentire.Standalone;
using Sentire.Tensors;
using Sentire.Tensors.Onnx;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Student;

/// <summary>The shipped student outside the engine: the dependency-free class (export/standalone, compiled into this
/// test project) and the ONNX graph re-imported with our reader and run by our interpreter, both against the engine
/// on the demo clips (RAVDESS actors 17-20, held out from distillation).</summary>
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
    public void ExportedOnnxGraphReImportedAndInterpretedReproducesTheEngine()
    {
        var (config, model) = StudentPackage.Load(ModelFolder);
        var bytes = OnnxFile.Serialize(TinyStudentOnnx.Export(config, model));
        var onnx = OnnxFile.Parse(bytes);
        Assert.Equal([new OnnxOpset("", 13)], onnx.Opsets);
        Assert.Equal(["log_mel"], onnx.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["logits", "probabilities", "dimensions"], onnx.Graph.Outputs.Select(o => o.Name));
        Assert.Equal(string.Join(",", config.Labels), onnx.Metadata["labels"]);
        var interpreter = new OnnxInterpreter(onnx);
        foreach (var file in Clips)
        {
            var logMel = Engine.Value.FrontEnd.LogMel(AudioFile.Read(file));
            var expected = Engine.Value.Predict(logMel);
            var outputs = interpreter.Run(new Dictionary<string, Tensor> { ["log_mel"] = new Tensor(logMel.Data, 1, logMel.Rows, logMel.Columns) });
            for (int i = 0; i < expected.Probabilities.Length; i++) Assert.Equal(expected.Probabilities[i], outputs["probabilities"].Data[i], 1e-4f);
            for (int i = 0; i < 3; i++) Assert.Equal(expected.Dimensions[i], outputs["dimensions"].Data[i], 1e-4f);
        }
    }
}
