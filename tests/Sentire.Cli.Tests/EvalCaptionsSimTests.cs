using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire eval-captions`: the SIM encoder options and the fact accuracy of derived English captions.</summary>
public sealed class EvalCaptionsSimTests
{
    /// <summary>Derived-caption references as CaptionDataset writes them (category, language) and candidates with known
    /// answers: gender right on 3 of 4 clips, emotion right on 2 of 4, 3 distinct candidate strings.</summary>
    static (string Refs, string Cands) WriteSet(string folder)
    {
        var refs = Path.Combine(folder, "refs.jsonl");
        var cands = Path.Combine(folder, "cands.jsonl");
        File.WriteAllLines(refs,
        [
            """{"id":"ravdess/a","language":"en","split":"test","category":"happy","source":"derived","reference":"A woman sounds delighted."}""",
            """{"id":"ravdess/b","language":"en","split":"test","category":"sad","source":"derived","reference":"The man is sad, speaking slowly."}""",
            """{"id":"ravdess/c","language":"en","split":"test","category":"neutral","source":"derived","reference":"A female speaker is calm and matter-of-fact."}""",
            """{"id":"ravdess/d","language":"en","split":"test","category":"angry","source":"derived","reference":"A male speaker sounds furious."}""",
        ]);
        File.WriteAllLines(cands,
        [
            """{"id":"ravdess/a","caption":"A woman sounds happy."}""",                // gender right, emotion right
            """{"id":"ravdess/b","caption":"A woman sounds happy."}""",                // gender wrong, emotion wrong
            """{"id":"ravdess/c","caption":"Her voice conveys no particular emotion."}""", // gender right, emotion right
            """{"id":"ravdess/d","caption":"A man is calm."}""",                       // gender right, emotion wrong
        ]);
        return (refs, cands);
    }

    [Fact]
    public void BertSimEncoderIsNamedAndFactsAreScored()
    {
        var folder = Directory.CreateTempSubdirectory("eval-sim-").FullName;
        try
        {
            var (refs, cands) = WriteSet(folder);
            var bert = RepoPaths.Fixture("hf-text/bert");
            var (exit, output, err) = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--sim-encoder", bert, "--json");
            Assert.True(exit == 0, err);
            var o = JsonDocument.Parse(output).RootElement;
            Assert.Equal($"BERT {bert}, mean-pooled", o.GetProperty("sim_encoder").GetString());
            Assert.InRange(o.GetProperty("sim").GetDouble(), -100, 99.99);
            Assert.Equal(0.75, o.GetProperty("gender_accuracy").GetDouble(), 9);
            Assert.Equal(4, o.GetProperty("gender_clips").GetInt32());
            Assert.Equal(0.5, o.GetProperty("emotion_accuracy").GetDouble(), 9);
            Assert.Equal(3, o.GetProperty("distinct_captions").GetInt32());

            var row = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--sim-encoder", bert, "--markdown", "sys").Out.Trim();
            Assert.EndsWith("| 0.750 | 0.500 | 3/4 |", row);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void DefaultSimEncoderIsTheShippedCaptionLm()
    {
        var folder = Directory.CreateTempSubdirectory("eval-sim-").FullName;
        try
        {
            var (refs, cands) = WriteSet(folder);
            File.WriteAllLines(cands, File.ReadAllLines(refs).Select(l => l.Replace("\"reference\"", "\"caption\"", StringComparison.Ordinal)));   // the references as candidates
            var (exit, output, err) = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--json");
            Assert.True(exit == 0, err);
            var o = JsonDocument.Parse(output).RootElement;
            Assert.Equal("caption LM models/secap-small/language_model, mean-pooled", o.GetProperty("sim_encoder").GetString());
            Assert.Equal(100, o.GetProperty("sim").GetDouble(), 4);
            Assert.Equal(1.0, o.GetProperty("gender_accuracy").GetDouble(), 9);
            Assert.Equal(1.0, o.GetProperty("emotion_accuracy").GetDouble(), 9);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AWrongSimEncoderIsAUsageErrorNamingTheFolder()
    {
        var folder = Directory.CreateTempSubdirectory("eval-sim-").FullName;
        try
        {
            var (refs, cands) = WriteSet(folder);
            var (exit, _, err) = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--sim-encoder", folder);
            Assert.Equal(2, exit);
            Assert.Contains(folder, err);
            Assert.Contains("not a sentence encoder folder", err);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void CentralCaptionGivesEveryTestClipTheMostTypicalTrainingCaption()
    {
        var folder = Directory.CreateTempSubdirectory("eval-central-").FullName;
        try
        {
            var (refs, _) = WriteSet(folder);
            File.AppendAllLines(refs,
            [
                """{"id":"t1","language":"en","split":"train","reference":"A woman sounds happy."}""",
                """{"id":"t2","language":"en","split":"train","reference":"A man sounds happy."}""",
                """{"id":"t3","language":"en","split":"train","reference":"Quiet."}""",
                """{"id":"t4","language":"zh","split":"train","reference":"声音高亢"}""",
            ]);
            var cands = Path.Combine(folder, "central.jsonl");
            var (exit, output, err) = CliRunner.Run("eval-captions", "--central-caption", "--candidates", cands, "--references", refs, "--split", "test", "--lang", "en", "--json");
            Assert.True(exit == 0, err);
            var lines = File.ReadAllLines(cands);
            Assert.Equal(4, lines.Length);                      // the four test clips, not the training ones
            Assert.All(lines, l => Assert.Equal("A woman sounds happy.", JsonDocument.Parse(l).RootElement.GetProperty("caption").GetString()));
            var o = JsonDocument.Parse(output).RootElement;
            Assert.Equal(1, o.GetProperty("distinct_captions").GetInt32());
            Assert.Equal(0.5, o.GetProperty("gender_accuracy").GetDouble(), 9);    // a woman: right for a and c
            Assert.Equal(0.25, o.GetProperty("emotion_accuracy").GetDouble(), 9);  // happy: right for a only

            Assert.Equal(2, CliRunner.Run("eval-captions", "--central-caption", "--model", "models/secap-small", "--candidates", cands, "--references", refs).Exit);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
