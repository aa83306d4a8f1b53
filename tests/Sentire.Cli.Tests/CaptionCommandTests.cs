using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire caption` and `sentire eval-captions` end to end through Program.Main on the shipped secap-small.</summary>
public sealed class CaptionCommandTests
{
    [Fact]
    public void JsonHasFileAndCaptionPerClip()
    {
        var samples = Path.Combine(RepoPaths.Root, "samples");
        var (exit, output, _) = CliRunner.Run("caption", samples, "--json", "--max-tokens", "12");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        foreach (var line in lines)
        {
            var o = JsonDocument.Parse(line).RootElement;
            Assert.EndsWith(".flac", o.GetProperty("file").GetString());
            Assert.Equal("en", o.GetProperty("language").GetString());
            Assert.False(string.IsNullOrWhiteSpace(o.GetProperty("caption").GetString()));
        }
        Assert.Equal(2, CliRunner.Run("caption", samples, "--lang", "fr").Exit);
    }

    [Fact]
    public void EvalCaptionsScoresIdenticalCaptionsPerfectlyAndNeverInventsSpice()
    {
        var folder = Directory.CreateTempSubdirectory("eval-captions-").FullName;
        try
        {
            var refs = Path.Combine(folder, "refs.jsonl");
            var cands = Path.Combine(folder, "cands.jsonl");
            File.WriteAllLines(refs, ["{\"id\": \"a\", \"references\": [\"A woman sounds very happy.\"]}", "{\"id\": \"b\", \"reference\": \"A man is sad, speaking slowly.\"}"]);
            File.WriteAllLines(cands, ["{\"id\": \"a\", \"caption\": \"A woman sounds very happy.\"}", "{\"id\": \"b\", \"caption\": \"A man is sad, speaking slowly.\"}"]);
            var (exit, output, _) = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--lang", "en", "--json");
            Assert.Equal(0, exit);
            var o = JsonDocument.Parse(output).RootElement;
            Assert.Equal(1.0, o.GetProperty("bleu1").GetDouble(), 6);
            Assert.Equal(1.0, o.GetProperty("rouge_l").GetDouble(), 6);
            Assert.Equal(JsonValueKind.Null, o.GetProperty("spice").ValueKind);
            Assert.Contains("not computed", o.GetProperty("spice_note").GetString());
            File.WriteAllLines(cands, ["{\"id\": \"a\", \"caption\": \"x\"}"]);
            Assert.Equal(2, CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs).Exit);   // b has no candidate
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
