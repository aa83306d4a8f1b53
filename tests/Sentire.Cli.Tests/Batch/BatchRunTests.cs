using System.Diagnostics;
using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests.Batch;

/// <summary>`sentire analyze --out results.jsonl`: resuming, failures, torn tails, and a run killed mid-way.</summary>
public sealed class BatchRunTests
{
    static string Model => Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");

    /// <summary>A folder of <paramref name="count"/> distinct copies of the shipped samples.</summary>
    static string Clips(int count)
    {
        var dir = Directory.CreateTempSubdirectory("sentire-batch").FullName;
        var samples = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < count; i++) File.Copy(samples[i % samples.Length], Path.Combine(dir, $"clip-{i:D2}.flac"));
        return dir;
    }

    static string[] Lines(string path) => File.ReadAllText(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void ARerunSkipsRecordedFilesRedoesChangedOnesAndRetriesFailuresOnlyWhenAsked()
    {
        var dir = Clips(3);
        var bad = Path.Combine(dir, "bad.wav");
        File.WriteAllText(bad, "RIFF\x10\0\0\0WAVEjunk");
        var results = Path.Combine(dir, "out", "results.jsonl");

        var (exit, stdout, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results);
        Assert.Equal(1, exit);                                            // one failure
        Assert.Equal("", stdout);                                         // records go to the file, the summary to stderr
        Assert.Contains("4 files: 4 analysed, 1 failed now", err);
        var first = Lines(results);
        Assert.Equal(4, first.Length);
        var records = first.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(bad, records[0].GetProperty("file").GetString());
        Assert.Contains("bad.wav", records[0].GetProperty("error").GetString());
        foreach (var r in records.Skip(1))
        {
            Assert.Equal(new FileInfo(r.GetProperty("file").GetString()!).Length, r.GetProperty("file_size").GetInt64());
            Assert.Equal("ok", r.GetProperty("status").GetString());
        }
        // each record is analyze --json's object plus the stamp
        var (_, json, _) = CliRunner.Run("analyze", Path.Combine(dir, "clip-00.flac"), "--model", Model, "--json");
        Assert.StartsWith(json.Trim()[..^1] + ",\"file_size\":", first[1]);

        // the same command again: nothing to do, the failure still counts
        (exit, _, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results);
        Assert.Equal(1, exit);
        Assert.Contains("0 analysed, 4 already in", err);
        Assert.Equal(first, Lines(results));

        // a changed file is analysed again (a new record, the last one counts); the failure is retried on request
        File.SetLastWriteTimeUtc(Path.Combine(dir, "clip-01.flac"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.Delete(bad);
        (exit, _, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results, "--retry-failed");
        Assert.Equal(0, exit);
        Assert.Contains("3 files: 1 analysed, 2 already in", err);
        var after = Lines(results);
        Assert.Equal(5, after.Length);
        Assert.Contains("\"file_mtime\":\"2020-01-01T00:00:00.0000000Z\"", after[4]);

        // --force starts afresh
        (exit, _, _) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results, "--force");
        Assert.Equal(0, exit);
        Assert.Equal(3, Lines(results).Length);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ACsvResultsFileHasAnalyzeCsvRowsWithTheStampAndResumes()
    {
        var dir = Clips(2);
        File.WriteAllText(Path.Combine(dir, "bad.wav"), "RIFF\x10\0\0\0WAVEjunk");
        var results = Path.Combine(dir, "results.csv");
        var (exit, _, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results);
        Assert.Equal(1, exit);
        var (_, csv, _) = CliRunner.Run("analyze", dir, "--model", Model, "--csv");
        var expected = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = Lines(results);
        Assert.Equal(expected[0] + ",file_size,file_mtime", rows[0]);
        Assert.Equal(expected.Length, rows.Length);
        for (int i = 1; i < rows.Length; i++)
        {
            var file = rows[i].Split(',')[0];
            var stamp = new FileInfo(file);
            Assert.Equal(expected[i] + $",{stamp.Length},{stamp.LastWriteTimeUtc:O}", rows[i]);
        }
        (exit, _, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results);
        Assert.Equal(1, exit);
        Assert.Contains("0 analysed, 3 already in", err);
        Assert.Equal(rows, Lines(results));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ARunKilledMidwayAndResumedWritesWhatAnUninterruptedRunWrites()
    {
        const int count = 24;
        var dir = Clips(count);
        var expected = Path.Combine(dir, "expected.jsonl");
        Assert.Equal(0, CliRunner.Run("analyze", dir, "--model", Model, "--out", expected).Exit);

        // the CLI as its own process, killed once a few records are written
        var results = Path.Combine(dir, "results.jsonl");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { typeof(Program).Assembly.Location, "analyze", dir, "--model", Model, "--out", results }) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            var deadline = Stopwatch.StartNew();
            while (!process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2) && (!File.Exists(results) || Lines(results).Length < 3)) Thread.Sleep(10);
            Assert.False(process.HasExited, "the run ended before it could be killed");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        int written = Lines(results).Length;
        Assert.InRange(written, 3, count - 1);

        // a torn last record, as a crash in the middle of a write would leave
        File.AppendAllText(results, "{\"file\":\"" + Path.Combine(dir, "clip-99.fl"));
        var (exit, _, err) = CliRunner.Run("analyze", dir, "--model", Model, "--out", results);
        Assert.Equal(0, exit);
        Assert.Contains("cut off an unfinished last record", err);
        Assert.Contains($"{count - written} analysed, {written} already in", err);
        Assert.Equal(File.ReadAllText(expected), File.ReadAllText(results));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void ShardsFromTheSlurmEnvironmentMergeIntoTheSingleProcessRun()
    {
        var dir = Clips(6);
        var list = Path.Combine(dir, "list.txt");
        File.WriteAllLines(list, [.. Directory.GetFiles(dir, "*.flac").Order(StringComparer.Ordinal).Select(Path.GetFileName)!, "gone.wav"]);
        var single = Path.Combine(dir, "single.jsonl");
        Assert.Equal(1, CliRunner.Run("analyze", "--inputs", list, "--model", Model, "--out", single).Exit);   // gone.wav fails
        var shards = new List<string>();
        for (int k = 0; k < 3; k++)
        {
            shards.Add(Path.Combine(dir, $"results-{k}.jsonl"));
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", $"{k}");
            Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", "3");
            try { CliRunner.Run("analyze", "--inputs", list, "--model", Model, "--out", shards[k]); }
            finally
            {
                Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_ID", null);
                Environment.SetEnvironmentVariable("SLURM_ARRAY_TASK_COUNT", null);
            }
        }
        Assert.Equal(7, shards.Sum(s => Lines(s).Length));
        var merged = Path.Combine(dir, "all.jsonl");
        var (exit, _, err) = CliRunner.Run("merge", Path.Combine(dir, "results-*.jsonl"), "--inputs", list, "--out", merged);
        Assert.True(exit == 0, err);
        Assert.Contains("1 failed, 0 missing", err);
        Assert.Equal(File.ReadAllText(single), File.ReadAllText(merged));
        Directory.Delete(dir, recursive: true);
    }
}
