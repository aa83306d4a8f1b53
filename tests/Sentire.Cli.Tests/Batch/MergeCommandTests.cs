namespace Sentire.Cli.Tests.Batch;

public sealed class MergeCommandTests
{
    static string Record(string file, string? error = null, int size = 10) => error is null
        ? $"{{\"file\":\"{file}\",\"duration\":1.5,\"status\":\"ok\",\"emotions\":[],\"file_size\":{size},\"file_mtime\":\"2026-01-01T00:00:00.0000000Z\"}}"
        : $"{{\"file\":\"{file}\",\"error\":\"{error}\",\"file_size\":{size},\"file_mtime\":\"2026-01-01T00:00:00.0000000Z\"}}";

    [Fact]
    public void MergeKeepsOneRecordPerFileInListOrderAndReportsMissingDuplicateAndFailedInputs()
    {
        var dir = Directory.CreateTempSubdirectory("sentire-merge").FullName;
        string a = Path.Combine(dir, "a.wav"), b = Path.Combine(dir, "b.wav"), c = Path.Combine(dir, "c.wav"), d = Path.Combine(dir, "d.wav"), e = Path.Combine(dir, "e.wav");
        foreach (var f in new[] { a, b, c, d }) File.WriteAllText(f, "");
        var list = Path.Combine(dir, "list.txt");
        File.WriteAllLines(list, ["d.wav", "a.wav", "b.wav", "c.wav", "e.wav"]);
        // b failed in shard 0 and succeeded when retried in shard 1; a is in both shards; c only failed; e has no record
        File.WriteAllText(Path.Combine(dir, "results-0.jsonl"), string.Join("\n", Record(a, size: 1), Record(b, "decoder died"), Record(c, "not audio"), Record("/elsewhere/x.wav")) + "\n");
        File.WriteAllText(Path.Combine(dir, "results-1.jsonl"), string.Join("\n", Record(b, size: 2), Record(a, size: 3), Record(d)) + "\n" + "{\"file\":\"" + e);   // torn tail
        var merged = Path.Combine(dir, "all.jsonl");

        var (exit, _, err) = CliRunner.Run("merge", Path.Combine(dir, "results-*.jsonl"), "--inputs", list, "--out", merged);
        Assert.Equal(1, exit);                                                  // e is missing
        Assert.Equal([Record(d), Record(a, size: 3), Record(b, size: 2), Record(c, "not audio")], File.ReadAllLines(merged));
        Assert.Contains($"missing: {e}", err);
        Assert.Contains($"failed: {c}: not audio", err);
        Assert.Contains("4 records from 2 results files", err);
        Assert.Contains("2 duplicates dropped, 1 failed, 1 missing, 1 files not in the input list left out", err);
        Assert.Contains("unfinished last records ignored in", err);

        // without a list: every file once, sorted; nothing can be missing
        (exit, _, _) = CliRunner.Run("merge", Path.Combine(dir, "results-0.jsonl"), Path.Combine(dir, "results-1.jsonl"), "--out", merged);
        Assert.Equal(0, exit);
        Assert.Equal(["/elsewhere/x.wav", a, b, c, d], File.ReadAllLines(merged).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("file").GetString()));

        Assert.Equal(2, CliRunner.Run("merge", Path.Combine(dir, "nothing-*.jsonl"), "--out", merged).Exit);
        Directory.Delete(dir, recursive: true);
    }
}
