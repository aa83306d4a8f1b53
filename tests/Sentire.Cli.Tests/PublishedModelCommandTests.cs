using System.Text.Json;
using Sentire.Models;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire analyze` and `sentire inspect` on published models (tests/fixtures/hf-emotion: Hugging Face heads).</summary>
public sealed class PublishedModelCommandTests
{
    static string Fixture(string name) => RepoPaths.Fixture($"hf-emotion/{name}");
    static string Sample => Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");

    [Fact]
    public void AnalyzeJsonOfACategoricalHeadHasItsOwnLabels()
    {
        var (exit, output, err) = CliRunner.Run("analyze", Sample, "--json", "--model", Fixture("wav2vec2-seq-cls"));
        Assert.True(exit == 0, err);
        var o = JsonDocument.Parse(output.Trim()).RootElement;
        var expected = EmotionModels.Load(Fixture("wav2vec2-seq-cls")).AnalyzeFile(Sample).Overall!;
        Assert.Equal(expected.Emotions.Select(e => e.Label), o.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("label").GetString()));
        Assert.Equal(expected.Emotions.Select(e => Math.Round(e.Probability, 4)), o.GetProperty("emotions").EnumerateArray().Select(e => e.GetProperty("probability").GetDouble()));
        Assert.False(o.TryGetProperty("arousal", out _));
        Assert.DoesNotContain("warning", err);
    }

    [Fact]
    public void AnalyzeJsonOfADimensionalModelHasArousalValenceDominanceAndNoEmotions()
    {
        var (exit, output, err) = CliRunner.Run("analyze", Sample, "--json", "--model", Fixture("audeering-dim"));
        Assert.True(exit == 0, err);
        var o = JsonDocument.Parse(output.Trim()).RootElement;
        var d = EmotionModels.Load(Fixture("audeering-dim")).AnalyzeFile(Sample).Dimensions!;
        Assert.Empty(o.GetProperty("emotions").EnumerateArray());
        Assert.Equal(Math.Round(d.Arousal, 3), o.GetProperty("arousal").GetDouble());
        Assert.Equal(Math.Round(d.Valence, 3), o.GetProperty("valence").GetDouble());
        Assert.Equal(Math.Round(d.Dominance, 3), o.GetProperty("dominance").GetDouble());
    }

    [Fact]
    public void LabelsAndTemplatesAreUsageErrorsForClosedSetHeads()
    {
        var (exit, _, err) = CliRunner.Run("analyze", Sample, "--model", Fixture("wav2vec2-seq-cls"), "--labels", "happy,sad");
        Assert.Equal(2, exit);
        Assert.Contains("closed-set model with its own labels (neu, hap, ang, sad)", err);
        (exit, _, err) = CliRunner.Run("analyze", Sample, "--model", Fixture("audeering-dim"), "--template", "The speaker sounds {label}.");
        Assert.Equal(2, exit);
        Assert.Contains("--labels and --template are zero-shot options of CLAP models", err);
    }

    [Fact]
    public void InspectDescribesAModelAndExplainsARefusal()
    {
        var (exit, output, err) = CliRunner.Run("inspect", Fixture("hubert-seq-cls-weighted"));
        Assert.True(exit == 0, err);
        Assert.Contains("HubertForSequenceClassification", output);
        Assert.Contains("labels (4): neu, hap, ang, sad", output);
        Assert.Contains("stored precision: F32 100%", output);

        (exit, output, _) = CliRunner.Run("inspect", Fixture("audeering-dim"), "--json");
        Assert.Equal(0, exit);
        var o = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Equal(["arousal", "dominance", "valence"], o.GetProperty("dimensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["wav2vec2.masked_spec_embed"], o.GetProperty("unused_tensors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, o.GetProperty("refused").ValueKind);

        (exit, output, _) = CliRunner.Run("inspect", RepoPaths.Fixture("hf-speech/wav2vec2-base"));
        Assert.Equal(1, exit);
        Assert.Contains("refused: ", output);
        Assert.Contains("no utterance head", output);
    }
}
