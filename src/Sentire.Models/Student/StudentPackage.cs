using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.IO;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.Student;

/// <summary>config.json of a packaged student: the front end, the sizes, the label order and where it came from.</summary>
public sealed record StudentModelConfig
{
    public const string FormatName = "sentire-emotion-student";
    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = 1;
    public string Name { get; init; } = "";
    public LogMelFrontEndConfig FrontEnd { get; init; } = new();
    public TinyStudentConfig Model { get; init; } = new();
    /// <summary>Category order of the logits (the teacher's labels).</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];
    /// <summary>Order of the dimension outputs.</summary>
    public IReadOnlyList<string> DimensionNames { get; init; } = ["arousal", "valence", "dominance"];
    /// <summary>False when the teacher had no dimensions: the dimension head is then untrained and must not be reported.</summary>
    public bool DimensionsTrained { get; init; }
    public string Teacher { get; init; } = "";
    /// <summary>SHA-256 (hex, first 16 digits) of the teacher's config.json and model.safetensors.</summary>
    public string TeacherHash { get; init; } = "";
}

/// <summary>
/// A packaged student folder: config.json, model.safetensors (state dict of <see cref="TinyStudent"/>) and the
/// model card README.md. Each file is replaced atomically; loading checks every key and shape.
/// </summary>
public static class StudentPackage
{
    public const string ConfigFile = PackageConfig.FileName, WeightsFile = "model.safetensors", CardFile = "README.md";

    public static void Save(string folder, StudentModelConfig config, TinyStudent model, string? modelCard)
    {
        Directory.CreateDirectory(folder);
        PackageConfig.Write(folder, config);
        SafeTensors.Write(Path.Combine(folder, WeightsFile), model.StateDict(), new Dictionary<string, string> { ["format"] = config.Format });
        if (modelCard is not null)
        {
            var card = System.Text.Encoding.UTF8.GetBytes(modelCard);
            AtomicFile.Write(Path.Combine(folder, CardFile), s => s.Write(card));
        }
    }

    public static StudentModelConfig LoadConfig(string folder)
    {
        var config = PackageConfig.Read<StudentModelConfig>(folder, "a student model folder", "student config", c => c.Format, StudentModelConfig.FormatName);
        if (config.Labels.Count != config.Model.Categories)
            throw new InvalidDataException($"{Path.Combine(folder, ConfigFile)}: {config.Labels.Count} labels for {config.Model.Categories} categories");
        return config;
    }

    public static (StudentModelConfig Config, TinyStudent Model) Load(string folder)
    {
        var config = LoadConfig(folder);
        var model = new TinyStudent(config.Model, rngForInit: null);
        using (var weights = SafeTensors.OpenModel(Path.Combine(folder, WeightsFile)))
            model.LoadStateDict(weights, strict: true);   // throws naming missing, unexpected and mis-shaped keys
        model.Eval();
        return (config, model);
    }
}

/// <summary>The student's answer for one clip: probabilities in <see cref="StudentModelConfig.Labels"/> order and
/// arousal/valence/dominance (meaningful only when the package says its dimensions were trained).</summary>
public sealed record StudentPrediction(float[] Probabilities, float[] Dimensions);

/// <summary>
/// Runs a packaged student on audio:
/// <code>
/// var student = EmotionStudent.Load("models/emotion-student-tiny");
/// var p = student.Predict(AudioFile.Read("clip.wav"));
/// </code>
/// </summary>
public sealed class EmotionStudent
{
    readonly LogMelFrontEnd frontEnd;

    EmotionStudent(StudentModelConfig config, TinyStudent model)
    {
        Config = config;
        Model = model;
        frontEnd = new LogMelFrontEnd(config.FrontEnd);
    }

    public StudentModelConfig Config { get; }
    public TinyStudent Model { get; }
    public LogMelFrontEnd FrontEnd => frontEnd;

    public static EmotionStudent Load(string folder)
    {
        var (config, model) = StudentPackage.Load(folder);
        return new EmotionStudent(config, model);
    }

    public static EmotionStudent FromModel(StudentModelConfig config, TinyStudent model) => new(config, model);

    public StudentPrediction Predict(AudioClip clip) => Predict(frontEnd.LogMel(clip));

    public StudentPrediction Predict(FeatureMatrix logMel)
    {
        var input = new Tensor(logMel.Data, 1, logMel.Rows, logMel.Columns);
        using var _ = Autograd.NoGrad();
        var (logits, dims) = Model.Forward(input);
        return new StudentPrediction(logits.Softmax(-1).Data.ToArray(), dims.Data.ToArray());
    }
}
