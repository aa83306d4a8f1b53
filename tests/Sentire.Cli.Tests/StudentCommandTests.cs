using System.Text.Json;
using Sentire.Models;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire analyze` and `sentire report` with the student package instead of the teacher.</summary>
public sealed class StudentCommandTests
{
    static string Student => Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");

    [Fact]
    public void AnalyzeJsonWithTheStudentHasItsEmotionsAndDimensions()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "03-01-04-02-01-01-20.flac");
        var (exit, output, err) = CliRunner.Run("analyze", sample, "--json", "--model", Student);
        Assert.True(exit == 0, err);
        var o = JsonDocument.Parse(output.Trim()).RootElement;
        var expected = EmotionModels.Load(Student).AnalyzeFile(sample).Overall!;
        Assert.Equal(expected.Emotions.Select(e => e.Label), o.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("label").GetString()));
        Assert.Equal(expected.Emotions.Select(e => Math.Round(e.Probability, 4)), o.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("probability").GetDouble()));
        Assert.Equal(Math.Round(expected.Dimensions!.Arousal, 3), o.GetProperty("arousal").GetDouble());
        Assert.Equal(Math.Round(expected.Dimensions.Valence, 3), o.GetProperty("valence").GetDouble());
        Assert.Equal(Math.Round(expected.Dimensions.Dominance, 3), o.GetProperty("dominance").GetDouble());

        (exit, _, err) = CliRunner.Run("analyze", sample, "--model", Student, "--labels", "happy,bored");
        Assert.Equal(2, exit);
        Assert.Contains("not a zero-shot model", err);
    }

    [Fact]
    public void ReportRunsOnTheStudent()
    {
        var model = TinyEmotionModel.SaveStudent(Directory.CreateTempSubdirectory("sentire-tiny-student").FullName);
        var corpora = TinyEmotionModel.Corpus(
            ("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"), ("ravdess", "17", "male", "angry"),
            ("ravdess", "18", "female", "sad"), ("ravdess", "19", "male", "happy"), ("ravdess", "20", "female", "neutral")).Root;
        var output = Directory.CreateTempSubdirectory("sentire-report").FullName;
        var (exit, text, err) = CliRunner.Run("report", "--model", model, "--corpora", corpora, "--perturbations", "gain+10db", "--out", output);
        Assert.True(exit == 0, err);
        Assert.Contains("CCC (derived targets)", text);
        var markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.StartsWith("# tiny-student: evaluation report", markdown);
        Assert.Contains("4 clips", markdown);                  // the test speakers 17-20
        Assert.Contains("speaker ravdess/17", markdown);
        Assert.Contains("| gain+10db |", markdown);
    }
}
