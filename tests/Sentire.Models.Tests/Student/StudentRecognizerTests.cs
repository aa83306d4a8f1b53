using Sentire.Audio.Decoding;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Models.Student;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Student;

/// <summary>The shipped student behind <see cref="IEmotionAnalyzer"/>: the same numbers as TinyStudent's own forward pass.</summary>
public sealed class StudentRecognizerTests
{
    static string Folder => Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");
    static readonly Lazy<IEmotionAnalyzer> Shipped = new(() => EmotionModels.Load(Folder));
    static string Sample => Path.Combine(RepoPaths.Root, "samples", "03-01-04-02-01-01-20.flac");

    /// <summary>Softmax logits and dimensions of TinyStudent on the clip's log-mel frames, computed directly.</summary>
    static (float[] Logits, float[] Dimensions) Direct(AudioClip clip)
    {
        var (config, model) = StudentPackage.Load(Folder);
        var mel = new LogMelFrontEnd(config.FrontEnd).LogMel(clip);
        using var _ = Autograd.NoGrad();
        var (logits, dims) = model.Forward(new Tensor(mel.Data, 1, mel.Rows, mel.Columns));
        return (logits.Data.ToArray(), dims.Data.ToArray());
    }

    static double[] Softmax(IEnumerable<float> logits)
    {
        var x = logits.Select(v => (double)v).ToArray();
        double max = x.Max(), sum = x.Sum(v => Math.Exp(v - max));
        return x.Select(v => Math.Exp(v - max) / sum).ToArray();
    }

    [Fact]
    public void LoaderPicksTheStudentByItsConfigFormat()
    {
        var student = Assert.IsType<StudentRecognizer>(Shipped.Value);
        Assert.Equal("emotion-student-tiny", student.Name);
        Assert.Equal(["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"], student.Labels);
        Assert.True(student.HasDimensions);
        Assert.IsType<EmotionRecognizer>(EmotionModels.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small")));
        var other = Directory.CreateTempSubdirectory("sentire-not-a-model").FullName;
        File.WriteAllText(Path.Combine(other, "config.json"), """{"format": "sentire-secap"}""");
        var e = Assert.Throws<InvalidDataException>(() => EmotionModels.Load(other));
        Assert.Contains("'sentire-secap'", e.Message);
    }

    [Fact]
    public void ProbabilitiesAndDimensionsEqualTheDirectForwardPass()
    {
        var clip = AudioFile.Read(Sample);
        var (logits, dims) = Direct(clip);
        var expected = Softmax(logits);
        var prediction = Shipped.Value.Analyze(clip);
        Assert.Equal(8, prediction.Emotions.Count);
        for (int k = 0; k < 8; k++)
            Assert.Equal(expected[k], prediction.Emotions.Single(e => e.Label == Shipped.Value.Labels[k]).Probability, 5);
        Assert.Equal(prediction.Emotions.OrderByDescending(e => e.Probability), prediction.Emotions);
        Assert.Equal(dims[0], prediction.Dimensions!.Arousal, 5);
        Assert.Equal(dims[1], prediction.Dimensions.Valence, 5);
        Assert.Equal(dims[2], prediction.Dimensions.Dominance, 5);

        // A file gives the same overall prediction as its decoded clip.
        var file = Shipped.Value.AnalyzeFile(Sample);
        Assert.Equal(AnalysisStatus.Ok, file.Status);
        Assert.Equal(prediction.Emotions, file.Overall!.Emotions);
    }

    [Fact]
    public void ASubsetOfItsLabelsIsTheSoftmaxOverThoseLogitsAndOtherLabelsAreRefused()
    {
        var clip = AudioFile.Read(Sample);
        var (logits, _) = Direct(clip);
        var expected = Softmax([logits[3], logits[2]]);                                     // sad, happy
        var prediction = Shipped.Value.Analyze(clip, ["sad", "happy"]);
        Assert.Equal(expected[0], prediction.Emotions.Single(e => e.Label == "sad").Probability, 5);
        Assert.Equal(expected[1], prediction.Emotions.Single(e => e.Label == "happy").Probability, 5);

        var e = Assert.Throws<ArgumentException>(() => Shipped.Value.Analyze(clip, ["happy", "bored"]));
        Assert.Contains("not a zero-shot model", e.Message);
        Assert.Contains("not bored", e.Message);
        Assert.Throws<ArgumentException>(() => Shipped.Value.Analyze(clip, null, "The emotion is {label}."));
        Assert.Throws<ArgumentException>(() => Shipped.Value.Analyze(clip, []));
    }

    [Fact]
    public void FilesFollowTheTeachersTooShortAndLongRules()
    {
        static string TempWav(float[] samples)
        {
            var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-test").FullName, "clip.wav");
            WavWriter.Write(path, AudioClip.FromMono(samples, 16000), WavEncoding.Float32);
            return path;
        }
        Assert.Equal(AnalysisStatus.TooShort, Shipped.Value.AnalyzeFile(TempWav(new float[3200])).Status);   // 0.2 s
        Assert.Equal(AnalysisStatus.Silent, Shipped.Value.AnalyzeFile(TempWav(new float[16000])).Status);    // 1 s of zeros

        // 35 s: 3 s tone bursts every 10 s -> 4 segments; the overall prediction is the mean of theirs.
        var samples = new float[35 * 16000];
        for (int burst = 0; burst < 4; burst++)
            for (int i = 0; i < 3 * 16000; i++)
                samples[burst * 160000 + i] = (float)(0.2 * Math.Sin(2 * Math.PI * 180 * i / 16000.0));
        var result = Shipped.Value.AnalyzeFile(TempWav(samples));
        Assert.Equal(4, result.Segments.Count);
        foreach (var label in Shipped.Value.Labels)
            Assert.Equal(result.Segments.Average(s => s.Emotions.Single(e => e.Label == label).Probability),
                result.Overall!.Emotions.Single(e => e.Label == label).Probability, 5);
        Assert.Equal(result.Segments.Average(s => s.Dimensions!.Arousal), result.Dimensions!.Arousal, 5);
    }
}
