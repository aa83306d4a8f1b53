using System.CommandLine;

namespace Sentire.Cli.Batch;

/// <summary>What a command's batch options asked for: the shard of inputs to take, and a results file to write (null: print).</summary>
public sealed record BatchPlan(Shard Shard, BatchOptions? Options);

/// <summary>
/// The batch options of <c>sentire analyze</c>: <c>--out</c> (a resumable results file), <c>--force</c>,
/// <c>--retry-failed</c> and <c>--shard K/N</c> (else the scheduler's environment, <see cref="Shard.Resolve"/>).
/// </summary>
public sealed class BatchOptionSet
{
    readonly Option<string?> output = new("--out") { Description = "Append each file's record to this results file (.jsonl, or .csv with analyze --csv's columns) as it is finished; a rerun skips files already recorded (same path, size and modification time)." };
    readonly Option<bool> force = new("--force") { Description = "With --out: start the results file afresh and analyse every file." };
    readonly Option<bool> retryFailed = new("--retry-failed") { Description = "With --out: analyse again the files recorded as failures." };
    readonly Option<string?> shard = new("--shard") { Description = "Take share K of N (K/N, 0-based) of the inputs, by a hash of each path; default: SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX/SENTIRE_SHARD_COUNT when set." };

    public static BatchOptionSet Create() => new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { output, force, retryFailed, shard }) command.Options.Add(option);
    }

    /// <summary>The plan, or null after reporting a usage error through <paramref name="usage"/>.</summary>
    public BatchPlan? Parse(ParseResult parse, Func<string, int> usage)
    {
        Shard share;
        try { share = Shard.Resolve(parse.GetValue(shard), Environment.GetEnvironmentVariable); }
        catch (FormatException e) { usage(e.Message); return null; }
        if (parse.GetValue(shard) is null && share != Shard.All)
            Console.Error.WriteLine($"sentire: shard {share} from the scheduler's environment");
        var path = parse.GetValue(output);
        if (path is null)
        {
            if (parse.GetValue(force) || parse.GetValue(retryFailed)) { usage("--force and --retry-failed need --out"); return null; }
            return new BatchPlan(share, null);
        }
        if (ResultLog.FormatOf(path) is null) { usage($"--out {path}: a results file ends in .jsonl or .csv"); return null; }
        return new BatchPlan(share, new BatchOptions(path, share, parse.GetValue(force), parse.GetValue(retryFailed)));
    }
}
