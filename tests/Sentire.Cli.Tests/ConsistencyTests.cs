using System.Globalization;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>The same thing said the same way everywhere (issue 15, item 12): the student's size, eval on the student
/// analyze takes, help showing a default once, option errors in option names with exit 2.</summary>
public sealed class ConsistencyTests
{
    static string Student => Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");

    [Fact]
    public void TheStudentsSizeIsCountedFromTheModelAndQuotedAlike()
    {
        var shipped = Models.Student.StudentPackage.Load(Student);
        var count = shipped.Model.ParameterCount().ToString("N0", CultureInfo.InvariantCulture);
        Assert.Equal(shipped.Model.ParameterCount(), new Models.Student.TinyStudentConfig().ParameterCount());
        var (_, help, _) = CliRunner.Run("train", "student", "--help");
        Assert.Contains($"{count} parameters", help);
        var output = Path.Combine(Directory.CreateTempSubdirectory("sentire-export").FullName, "student.bin");
        var (exit, text) = CliRunner.RunCombined("export", "standalone", "--model", Student, "--out", output);
        Assert.Equal(0, exit);
        Assert.Contains($"{count} parameters", text);
        foreach (var doc in new[] { "README.md", "docs/student.md", "models/emotion-student-tiny/README.md" })
        {
            var markdown = File.ReadAllText(Path.Combine(RepoPaths.Root, doc));
            Assert.Contains(count, markdown);
            Assert.DoesNotMatch(@"\b7[0-9]K-parameter", markdown);
        }
    }

    [Fact]
    public void EvalTakesTheStudentAnalyzeTakes()
    {
        var corpora = TinyEmotionModel.Corpus(
            ("ravdess", "17", "male", "happy"), ("ravdess", "18", "female", "sad"), ("ravdess", "19", "male", "angry"), ("ravdess", "20", "female", "neutral")).Root;
        var (exit, text, err) = CliRunner.Run("eval", "--model", Student, "--corpora", corpora, "--split", "all");
        Assert.True(exit == 0, err);
        Assert.Contains("emotion-student-tiny", text);
        Assert.Contains("4 clips", text);

        (exit, _, err) = CliRunner.Run("eval", "--model", Student, "--corpora", corpora, "--split", "bogus");
        Assert.Equal(2, exit);
        Assert.Contains("--split must be", err);
        Assert.DoesNotContain("data.validation", err);
    }

    [Fact]
    public void HelpShowsEachDefaultOnce()
    {
        var (_, help, _) = CliRunner.Run("features", "--help");
        var lines = help.Split('\n');
        Assert.All(lines, l => Assert.False(l.Contains("Default:") && l.Contains("[default:"), l));
        Assert.Contains("[default: 16000]", lines.Single(l => l.TrimStart().StartsWith("--sample-rate", StringComparison.Ordinal)));
        Assert.Contains("Default: true.", help.Split('\n').Single(l => l.TrimStart().StartsWith("--center", StringComparison.Ordinal)));
    }

    [Fact]
    public void OptionErrorsNameTheOptionAndExitTwo()
    {
        var sample = Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");
        var (exit, _, err) = CliRunner.Run("caption", sample, "--beam", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--beam must be >= 1, found 0", err);
        Assert.DoesNotContain("Parameter", err);
        Assert.DoesNotContain("BeamSize", err);

        var output = Path.Combine(Directory.CreateTempSubdirectory("sentire-features").FullName, "f.npy");
        (exit, _, err) = CliRunner.Run("features", sample, "--kind", "mel", "--out", output, "--n-mels", "0");
        Assert.Equal(2, exit);
        Assert.DoesNotContain("(Parameter", err);
    }
}
