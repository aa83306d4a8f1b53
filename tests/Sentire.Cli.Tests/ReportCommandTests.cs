using Sentire.Models.Clap;
using Sentire.Models.Dimensions;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire report` and `sentire train dims` end to end on a tiny random model and a synthetic corpus.</summary>
public sealed class ReportCommandTests
{
    static string Corpus() => TinyEmotionModel.Corpus(
        ("ravdess", "01", "male", "happy"), ("ravdess", "02", "female", "sad"), ("ravdess", "17", "male", "angry"),
        ("ravdess", "18", "female", "sad"), ("ravdess", "19", "male", "happy"), ("ravdess", "20", "female", "neutral")).Root;

    [Fact]
    public void Report_writes_markdown_html_and_charts()
    {
        var model = TinyEmotionModel.Save(Directory.CreateTempSubdirectory("sentire-tiny-model").FullName);
        EmotionModelPackage.SaveDimensionalHead(model, new DimensionalHead(new DimensionalHeadConfig(16, 4), new Generator(1), new Generator(2)));
        var output = Directory.CreateTempSubdirectory("sentire-report").FullName;
        var (exit, text) = CliRunner.RunCombined("report", "--model", model, "--corpora", Corpus(), "--perturbations", "gain+10db,babble-10db", "--out", output);
        Assert.True(exit == 0, text);
        Assert.Contains("CCC (derived targets)", text);
        var markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        Assert.Contains("| babble-10db |", markdown);
        Assert.Contains("speaker ravdess/20", markdown);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(output, "report.html")));
    }

    [Fact]
    public void Report_usage_errors_exit_with_two_and_say_why()
    {
        var (exit, text) = CliRunner.RunCombined("report", "--corpora", Corpus(), "--perturbations", "pink-3db");
        Assert.Equal(2, exit);
        Assert.Contains("unknown perturbation(s) pink-3db", text);
        (exit, text) = CliRunner.RunCombined("train", "dims", "--model", "/no/model", "--corpora", Corpus(),
            "--recipe", Path.Combine(RepoPaths.Root, "recipes", "dimensions-small.yaml"));
        Assert.Equal(2, exit);
        Assert.Contains("/no/model", text);
        (exit, text) = CliRunner.RunCombined("train", "dims", "--model", "/no/model", "--recipe", Path.Combine(RepoPaths.Root, "recipes", "dimensions-small.yaml"), "--set", "optim.batch_size=1");
        Assert.Equal(2, exit);
        Assert.Contains("optim.batch_size", text);
    }
}
