using System.Text.Json.Nodes;

namespace Sentire.Cli.Batch;

/// <summary>Settings of a resumable batch run: the results file, the share of inputs, what to redo.</summary>
/// <param name="Force">start the results file afresh and analyse every input</param>
/// <param name="RetryFailed">analyse again the inputs whose records are failures</param>
public sealed record BatchOptions(string OutPath, Shard Shard, bool Force = false, bool RetryFailed = false);

/// <summary>One input's outcome: its record as analyze --json and --csv write it (or the error record and row), and its audio seconds.</summary>
public readonly record struct BatchRecord(JsonObject Record, IReadOnlyList<string> CsvRows, double AudioSeconds)
{
    public bool Failed => Record.ContainsKey("error");

    public static BatchRecord Of(Models.Analysis.FileAnalysis analysis, string? caption) =>
        new(Models.Analysis.FileAnalysisJson.ToJson(analysis, caption), [.. Models.Analysis.FileAnalysisCsv.Rows(analysis)], analysis.DurationSeconds);

    public static BatchRecord Error(string file, string error) =>
        new(Models.Analysis.FileAnalysisJson.Error(file, error), [Models.Analysis.FileAnalysisCsv.ErrorRow(file, error)], 0);
}

/// <summary>
/// <c>sentire analyze ... --out results.jsonl</c>: analyses this shard's inputs in order, appending each record to the
/// results file as it is finished (<see cref="ResultLog"/>), skipping inputs whose record matches their current size and
/// modification time; the same command run again after a crash continues where it stopped.
/// </summary>
public static class BatchRun
{
    /// <param name="inputs">this shard's files and unreadable inputs, in order</param>
    /// <param name="analyze">the record of one input (an error record for a file that cannot be analysed)</param>
    /// <returns>failures among this shard's inputs, including kept failure records</returns>
    public static int Run(IReadOnlyList<string> inputs, Func<string, BatchRecord> analyze, BatchOptions options, TextWriter log, bool live)
    {
        var mine = inputs;
        using var results = ResultLog.Open(options.OutPath, options.Force);
        if (results.TornBytes > 0)
            log.WriteLine($"sentire analyze: {options.OutPath}: cut off an unfinished last record ({results.TornBytes} bytes) left by an interrupted run");
        var stamps = mine.Select(FileStamp.Of).ToList();
        var progress = new BatchProgress(mine.Count, stamps.Sum(s => s?.Size ?? 0), log, live);
        for (int i = 0; i < mine.Count; i++)
        {
            var file = mine[i];
            var stamp = stamps[i];
            if (results.IsDone(file, stamp, options.RetryFailed, out var failed)) { progress.Skipped(stamp?.Size ?? 0, failed); continue; }
            var outcome = analyze(file);
            results.Append(outcome, stamp);
            progress.Finished(stamp?.Size ?? 0, outcome.AudioSeconds, outcome.Failed);
        }
        progress.EndLine();
        log.WriteLine($"sentire analyze: {progress.Summary(options.OutPath, options.Shard)}");
        return progress.Failed;
    }
}
