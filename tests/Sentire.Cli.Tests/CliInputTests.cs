using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>How commands take their inputs and options (issue 15, items 8, 9 and 12): unknown options, "--", globs in
/// any path component, files reached twice, empty folders, --top, repeated labels, usage exit codes, --version.</summary>
public sealed class CliInputTests
{
    static string Sample => Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");

    static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>A folder tree: root/a/b/x.wav, root/a/c/y.wav, root/d/z.flac (a copy of the sample), root/notes.txt.</summary>
    static (string Root, string X, string Y, string Z) Tree()
    {
        var audio = new TestAudio();
        var x = audio.Write(Path.Combine("a", "b", "x.wav"), TestAudio.Tone(1));
        var y = audio.Write(Path.Combine("a", "c", "y.wav"), TestAudio.Tone(1, 330));
        var z = Path.Combine(audio.Folder, "d", "z.flac");
        Directory.CreateDirectory(Path.GetDirectoryName(z)!);
        File.Copy(Sample, z);
        File.WriteAllText(Path.Combine(audio.Folder, "notes.txt"), "not audio");
        return (audio.Folder, x, y, z);
    }

    [Fact]
    public void GlobsMatchInAnyPathComponentAndDoubleStarSpansFolders()
    {
        var (root, x, y, z) = Tree();
        Assert.Equal([x, y], InputExpansion.Expand([Path.Combine(root, "a", "*", "*.wav")]).Files);
        Assert.Equal([x, y, z], InputExpansion.Expand([Path.Combine(root, "**", "*.*")]).Files.Where(InputExpansion.IsAudioFile));
        Assert.Equal([x], InputExpansion.Expand([Path.Combine(root, "**", "b", "?.wav")]).Files);
        Assert.Equal([y], InputExpansion.Expand([Path.Combine(root, "a", "[c-d]", "*")]).Files);
        // a glob that matches a folder searches it as a folder
        Assert.Equal([x, y], InputExpansion.Expand([Path.Combine(root, "a", "*")]).Files);

        var (exit, output, _) = CliRunner.Run("analyze", "--json", Path.Combine(root, "*", "*", "*.wav"));
        Assert.Equal(0, exit);
        Assert.Equal([x, y], JsonLines(output).Select(o => o.GetProperty("file").GetString()));
    }

    [Fact]
    public void AFileReachedTwiceIsAnalysedOnce()
    {
        var (root, x, y, z) = Tree();
        var inputs = new[] { Path.Combine(root, "a"), Path.Combine(root, "a", "*", "x.wav"), x, Path.Combine(root, "a", ".", "b", "x.wav"), z };
        Assert.Equal([x, y, z], InputExpansion.Expand(inputs).Files);
        var (exit, output, _) = CliRunner.Run(["analyze", "--json", .. inputs]);
        Assert.Equal(0, exit);
        Assert.Equal([x, y, z], JsonLines(output).Select(o => o.GetProperty("file").GetString()));
    }

    [Fact]
    public void AFolderWithNoAudioIsSaidAndExitsOne()
    {
        var empty = Directory.CreateTempSubdirectory("sentire-empty").FullName;
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "no audio here");
        var (exit, output, err) = CliRunner.Run("analyze", empty);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains($"{empty}: error: no audio files", err);
        (exit, output, _) = CliRunner.Run("analyze", "--csv", empty);
        Assert.Equal(1, exit);
        Assert.Contains($"{empty},,error,", output);
        Assert.Equal(1, CliRunner.Run("caption", empty).Exit);
        Assert.Equal(1, CliRunner.Run("audio", "info", empty).Exit);
    }

    [Fact]
    public void UnknownOptionsAreUsageErrorsAndDoubleDashTakesAFileNamedLikeOne()
    {
        var (exit, output, err) = CliRunner.Run("analyze", Sample, "--jsn");
        Assert.Equal(2, exit);
        Assert.Equal("", output);                          // nothing was analysed
        Assert.Contains("unknown option '--jsn'", err);
        Assert.Equal(2, CliRunner.Run("caption", "-x", Sample).Exit);
        Assert.Equal(2, CliRunner.Run("audio", "info", "--jsno", Sample).Exit);

        var folder = Directory.CreateTempSubdirectory("sentire-dash").FullName;
        File.Copy(Sample, Path.Combine(folder, "-x.flac"));
        var cwd = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(folder);
        try
        {
            Assert.Equal(2, CliRunner.Run("analyze", "-x.flac").Exit);
            (exit, output, _) = CliRunner.Run("analyze", "--json", "--", "-x.flac");
            Assert.Equal(0, exit);
            Assert.Equal("-x.flac", JsonLines(output).Single().GetProperty("file").GetString());
            (exit, output, _) = CliRunner.Run("audio", "info", "--json", "--", "-x.flac");
            Assert.Equal(0, exit);
            Assert.Equal(2.389, JsonDocument.Parse(output).RootElement[0].GetProperty("duration_seconds").GetDouble(), 3);
        }
        finally { Directory.SetCurrentDirectory(cwd); }
    }

    [Fact]
    public void TopBelowOneIsAUsageError()
    {
        foreach (var value in new[] { "0", "-3" })
        {
            var (exit, output, err) = CliRunner.Run("analyze", Sample, "--top", value);
            Assert.Equal(2, exit);
            Assert.Equal("", output);
            Assert.Contains("--top", err);
        }
        var (ok, text, _) = CliRunner.Run("analyze", Sample, "--top", "2");
        Assert.Equal(0, ok);
        Assert.Equal(2, text.Split('\n')[0].Split(':')[^1].Split("  ", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void RepeatedLabelsAreMergedIgnoringCaseWithAWarning()
    {
        var (exit, output, err) = CliRunner.Run("analyze", Sample, "--json", "--labels", "Sad,SAD,happy,sad");
        Assert.Equal(0, exit);
        Assert.Contains("warning: --labels repeats SAD, sad", err);
        var labels = JsonLines(output).Single().GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("label").GetString()).Order();
        Assert.Equal(["Sad", "happy"], labels);
        // the library refuses a repeated label rather than splitting one emotion's probability between two prompts
        var model = Models.EmotionModels.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small"));
        var e = Assert.Throws<ArgumentException>(() => model.Analyze(Audio.Decoding.AudioFile.Read(Sample), ["sad", "Sad"]));
        Assert.Contains("repeats sad/Sad", e.Message);
    }

    [Fact]
    public void AudioInfoTakesFoldersAndGlobsAsAnalyzeDoes()
    {
        var (root, x, y, z) = Tree();
        var (exit, output, _) = CliRunner.Run("audio", "info", "--json", root);
        Assert.Equal(0, exit);
        var files = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(o => o.GetProperty("file").GetString()).ToList();
        Assert.Equal([x, y, z], files);
        (exit, output, _) = CliRunner.Run("audio", "info", Path.Combine(root, "a", "*", "*.wav"));
        Assert.Equal(0, exit);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void AFailureNoCommandHandlesIsOneLineNamingTheFileNotAStackTrace()
    {
        // A model folder whose weights file was cut short (a failed copy): the reader's error reaches Program's handler.
        var audio = new TestAudio();
        var model = Path.Combine(audio.Folder, "cut-model");
        var shipped = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(shipped)) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var weights = Path.Combine(model, "model.safetensors");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..1000]);

        var (exit, _, err) = CliRunner.Run("analyze", Sample, "--model", model);
        Assert.Equal(1, exit);
        Assert.Contains($"sentire: error: {weights}: header length", err);
        Assert.Contains("runs past the end of the file (1000 bytes", err);
        Assert.DoesNotContain("Unhandled exception", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void ParseErrorsExitTwoInPlainWords()
    {
        foreach (var args in new[] { new[] { "analyze", Sample, "--top", "x" }, ["caption", Sample, "--beam", "two"], ["analyze"], ["no-such-command"] })
        {
            var (exit, _, err) = CliRunner.Run(args);
            Assert.Equal(2, exit);
            Assert.DoesNotContain("System.", err);
            Assert.DoesNotContain("(Parameter", err);
        }
        Assert.Contains("--top: 'x' is not a whole number", CliRunner.Run("analyze", Sample, "--top", "x").Err);
    }

    [Fact]
    public void VersionOptionAndCommandPrintTheSame()
    {
        var (exit, option, _) = CliRunner.Run("--version");
        Assert.Equal(0, exit);
        var (_, command, _) = CliRunner.Run("version");
        Assert.Equal(command, option);
        Assert.StartsWith("sentire 1.", option);
    }
}
