using System.Text.Json;
using Sentire.Tests.Common;

[assembly: CollectionBehavior(DisableTestParallelization = true)]   // the tests redirect the process-wide Console

namespace Sentire.Cli.Tests;

/// <summary>`sentire analyze` end to end through Program.Main on the shipped default model.</summary>
public sealed class AnalyzeCommandTests
{
    static string Samples => Path.Combine(RepoPaths.Root, "samples");

    [Fact]
    public void CaptionAddsTheCaptionersSentenceToJsonAndText()
    {
        var clip = Path.Combine(Samples, "03-01-05-02-01-01-18.flac");
        var captionModel = Path.Combine(RepoPaths.Root, "models", "secap-small");
        var captioner = Models.Secap.EmotionCaptioner.Load(captionModel);
        var (exit, output, _) = CliRunner.Run("analyze", clip, "--json", "--caption", "--caption-model", captionModel);
        Assert.Equal(0, exit);
        var analysis = JsonDocument.Parse(output).RootElement;
        // the caption is held to the top emotion printed beside it (Chinese is not) and to the measured prosody
        var top = analysis.GetProperty("emotions")[0].GetProperty("label").GetString()!;
        string en = captioner.CaptionFile(clip, "en", new Models.Secap.CaptionOptions { Emotion = top }).Caption!, zh = captioner.CaptionFile(clip, "zh").Caption!;
        Assert.Equal(en, analysis.GetProperty("caption").GetString());
        Assert.Contains(Models.Secap.CaptionEmotionWords.Phrases[top], phrase => en.Contains(phrase, StringComparison.Ordinal));
        (exit, output, _) = CliRunner.Run("analyze", clip, "--json", "--caption", "--caption-model", captionModel, "--lang", "zh");
        Assert.Equal(0, exit);
        Assert.Equal(zh, JsonDocument.Parse(output).RootElement.GetProperty("caption").GetString());
        (exit, output, _) = CliRunner.Run("analyze", clip, "--caption", "--caption-model", captionModel);
        Assert.Equal(0, exit);
        Assert.Contains($"\n  caption: {en}\n", output.ReplaceLineEndings("\n"));
        // without --caption the JSON has no caption field
        (exit, output, _) = CliRunner.Run("analyze", clip, "--json");
        Assert.False(JsonDocument.Parse(output).RootElement.TryGetProperty("caption", out _));
        Assert.Equal(2, CliRunner.Run("analyze", clip, "--caption", "--lang", "fr").Exit);
        Assert.Equal(2, CliRunner.Run("analyze", clip, "--caption", "--caption-model", "/no/captioner").Exit);
    }

    [Fact]
    public void JsonHasOneObjectPerFileWithSortedEmotions()
    {
        var (exit, output, _) = CliRunner.Run("analyze", Samples, "--json");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        foreach (var line in lines)
        {
            var o = JsonDocument.Parse(line).RootElement;
            Assert.EndsWith(".flac", o.GetProperty("file").GetString());
            Assert.Equal(2.389, o.GetProperty("duration").GetDouble(), 3);
            var p = o.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("probability").GetDouble()).ToList();
            Assert.Equal(8, p.Count);
            Assert.Equal(p.OrderByDescending(x => x), p);
            Assert.Equal(1.0, p.Sum(), 2);
            Assert.True(o.GetProperty("prosody").GetProperty("pitch_hz").GetDouble() > 50);
            foreach (var dimension in new[] { "arousal", "valence", "dominance" })
                Assert.InRange(o.GetProperty(dimension).GetDouble(), 0, 1);
        }
    }

    [Fact]
    public void BadFilesAreReportedAndTheBatchGoesOn()
    {
        var broken = Path.Combine(Directory.CreateTempSubdirectory("sentire-cli").FullName, "broken.flac");
        File.WriteAllBytes(broken, "fLaC"u8.ToArray());
        var (exit, output, _) = CliRunner.Run("analyze", broken, Path.Combine(Samples, "03-01-04-02-01-01-20.flac"), "/no/such/file.wav", "--json", "--labels", "sad,happy");
        Assert.Equal(1, exit);
        var objects = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, objects.Count);
        Assert.Contains(objects, o => o.TryGetProperty("error", out _) && o.GetProperty("file").GetString() == broken);
        Assert.Contains(objects, o => o.TryGetProperty("error", out _) && o.GetProperty("file").GetString() == "/no/such/file.wav");
        var good = objects.Single(o => o.TryGetProperty("emotions", out _));
        Assert.Equal(["happy", "sad"], good.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("label").GetString()).Order());
    }

    [Fact]
    public void UsageErrorsExitWithTwoAndSayWhy()
    {
        var (exit, _, err) = CliRunner.Run("analyze", Samples, "--labels", " , ");
        Assert.Equal(2, exit);
        Assert.Contains("--labels is empty", err);
        (exit, _, err) = CliRunner.Run("analyze", Samples, "--template", "The emotion");
        Assert.Equal(2, exit);
        Assert.Contains("{label}", err);
        (exit, _, err) = CliRunner.Run("analyze", Samples, "--model", "/no/model");
        Assert.Equal(2, exit);
        Assert.Contains("/no/model", err);
    }

    [Fact]
    public void CsvHasAHeaderAndOneRowPerLabel()
    {
        var (exit, output, _) = CliRunner.Run("analyze", Path.Combine(Samples, "03-01-01-01-01-01-19.flac"), "--csv", "--labels", "calm,angry,sad");
        Assert.Equal(0, exit);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("file,duration,status,start,end,label,probability,arousal,valence,dominance,error,warning", rows[0]);
        Assert.Equal(4, rows.Length);
        // Every label row repeats the clip's three dimensions.
        var dimensions = rows.Skip(1).Select(r => string.Join(",", r.Split(',')[^5..^2])).Distinct().ToList();
        Assert.Single(dimensions);
        Assert.All(dimensions[0].Split(','), v => Assert.InRange(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture), 0, 1));
    }
}

public sealed class TrainCommandTests
{
    [Fact]
    public void BadRecipeOverrideIsAUsageErrorNamingTheProblem()
    {
        var (exit, output) = CliRunner.RunCombined("train", "clap", "--recipe", Path.Combine(Sentire.Tests.Common.RepoPaths.Root, "recipes", "emotion-clap-small.yaml"),
            "--set", "optim.warmup_steps=999999", "--corpora", Path.GetTempPath());
        Assert.Equal(2, exit);
        Assert.Contains("optim.warmup_steps", output);
    }

    [Fact]
    public void SecapWithAMissingDecoderFolderIsAUsageErrorNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-decoder-" + Guid.NewGuid().ToString("N"));
        var (exit, output) = CliRunner.RunCombined("train", "secap", "--stage", "2", "--recipe", Path.Combine(Sentire.Tests.Common.RepoPaths.Root, "recipes", "secap-small.yaml"),
            "--decoder", missing, "--corpora", Path.GetTempPath());
        Assert.Equal(2, exit);
        Assert.Contains(missing, output.ReplaceLineEndings("").Replace(" ", ""));
    }
}
