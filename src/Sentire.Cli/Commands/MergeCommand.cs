using System.CommandLine;
using System.Text;
using Sentire.Cli.Batch;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire merge results-*.jsonl --inputs list.txt --out all.jsonl</c>: the shards' results files as one, a record
/// per input. A file recorded more than once (in two shards, or retried) keeps its last successful record (its last
/// failure when it never succeeded); the others are dropped and counted. With <c>--inputs</c> (the list the shards were
/// given) the records follow the list's order, inputs without a record are reported as missing (exit code 1) and
/// records of files not on the list are left out; without it the records are sorted by file. Failures are listed on
/// stderr and kept in the output, so a rerun with <c>--retry-failed</c> can pick them up.
/// </summary>
public static class MergeCommand
{
    public static Command Create()
    {
        var results = new Argument<string[]>("results") { Description = "Results files of the shards (results-*.jsonl).", Arity = ArgumentArity.OneOrMore };
        var inputs = new Option<string?>("--inputs") { Description = "The input list the shards were given (list.txt, manifest.jsonl or .csv): report the inputs no shard recorded." };
        var output = new Option<string>("--out") { Description = "The merged results file (.jsonl), written atomically.", Required = true };
        var command = new Command("merge", "Combine the results files of sharded analyze runs.") { results, inputs, output };
        command.SetAction(parse =>
        {
            var paths = ExpandResults(parse.GetValue(results)!, out var notFound);
            if (notFound.Count > 0) return Usage($"no results file {string.Join(", ", notFound)}");
            var outPath = parse.GetValue(output)!;
            if (paths.Append(outPath).FirstOrDefault(p => ResultLog.FormatOf(p) != ResultFormat.Jsonl) is { } other)
                return Usage($"{other}: merge reads and writes .jsonl results files (give the shards --out results-K.jsonl)");
            if (paths.Any(p => Path.GetFullPath(p) == Path.GetFullPath(outPath))) return Usage($"--out {outPath} is one of the results files being merged");

            List<string>? expected = null;
            if (parse.GetValue(inputs) is { } list)
            {
                try { expected = BatchInputs.Expand(InputManifest.Read(list)); }
                catch (Exception e) when (e is IOException or InvalidDataException) { return Usage(e.Message); }
            }
            MergeReport report;
            try { report = Merge(paths, expected); }
            catch (Exception e) when (e is IOException or InvalidDataException) { return Usage(e.Message); }

            var tmp = outPath + ".tmp";
            File.WriteAllText(tmp, string.Concat(report.Lines.Select(l => l + "\n")), new UTF8Encoding(false));
            File.Move(tmp, outPath, overwrite: true);
            foreach (var (file, error) in report.Failed) Console.Error.WriteLine($"sentire merge: failed: {file}: {error}");
            foreach (var file in report.Missing) Console.Error.WriteLine($"sentire merge: missing: {file}");
            Console.Error.WriteLine($"sentire merge: {report.Lines.Count} records from {paths.Count} results files into {outPath}; "
                + $"{report.Duplicates} duplicates dropped, {report.Failed.Count} failed, {report.Missing.Count} missing"
                + (report.Unlisted > 0 ? $", {report.Unlisted} files not in the input list left out" : "")
                + (report.TornFiles.Count > 0 ? $"; unfinished last records ignored in {string.Join(", ", report.TornFiles)}" : ""));
            return report.Missing.Count > 0 ? 1 : 0;
        });
        return command;
    }

    /// <summary>What a merge kept and found: the output lines, and the inputs that failed or have no record.</summary>
    public sealed record MergeReport(List<string> Lines, int Duplicates, List<(string File, string Error)> Failed, List<string> Missing, int Unlisted, List<string> TornFiles);

    /// <summary>One record per file from <paramref name="paths"/> (read in order, later records winning, successes over
    /// failures), in the order of <paramref name="expected"/> when given (else sorted by file).</summary>
    public static MergeReport Merge(IReadOnlyList<string> paths, IReadOnlyList<string>? expected)
    {
        var best = new Dictionary<string, (RecordedFile Record, string Line)>(StringComparer.Ordinal);
        int records = 0;
        var torn = new List<string>();
        foreach (var path in paths)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                foreach (var (number, line) in ResultLog.ReadLines(stream))
                {
                    if (string.IsNullOrWhiteSpace(line)) continue;
                    var record = ResultLog.Parse(line, path, number);
                    records++;
                    if (!best.TryGetValue(record.File, out var kept) || !record.Failed || kept.Record.Failed) best[record.File] = (record, line);
                }
                if (stream.Length > 0)
                {
                    stream.Position = stream.Length - 1;
                    if (stream.ReadByte() != '\n') torn.Add(path);
                }
            }
        }
        var order = expected is null ? best.Keys.Order(StringComparer.Ordinal).ToList() : expected.Distinct(StringComparer.Ordinal).ToList();
        var lines = new List<string>();
        var failed = new List<(string, string)>();
        var missing = new List<string>();
        foreach (var file in order)
        {
            if (!best.TryGetValue(file, out var kept)) { missing.Add(file); continue; }
            lines.Add(kept.Line);
            if (kept.Record.Failed) failed.Add((file, ErrorOf(kept.Line)));
        }
        int unlisted = expected is null ? 0 : best.Keys.Except(order, StringComparer.Ordinal).Count();
        return new MergeReport(lines, records - best.Count, failed, missing, unlisted, torn);
    }

    static string ErrorOf(string line) =>
        System.Text.Json.Nodes.JsonNode.Parse(line)?["error"]?.GetValue<string>() ?? "(no message)";

    /// <summary>Results files named directly or by a glob the shell did not expand (results-*.jsonl in a job script),
    /// matched as analyze matches its inputs (<see cref="InputExpansion.Glob"/>).</summary>
    static List<string> ExpandResults(IEnumerable<string> names, out List<string> notFound)
    {
        var found = new List<string>();
        notFound = [];
        foreach (var name in names)
        {
            if (File.Exists(name)) { found.Add(name); continue; }
            var matches = InputExpansion.IsGlob(name) ? InputExpansion.Glob(name).Where(File.Exists).ToList() : [];
            if (matches.Count == 0) notFound.Add(name);
            else found.AddRange(matches);
        }
        return found;
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire merge: {message}");
        return 2;
    }
}
