namespace Sentire.Cli.Batch;

/// <summary>The inputs of a batch run as analyze orders them: inputs naming nothing first (each becomes an error
/// record keyed by the input as typed), then the files they expand to. <c>merge --inputs</c> expands the same list the
/// same way, so a merged file lines up with a single-process run.</summary>
public static class BatchInputs
{
    public const string MissingProblem = "no such file, folder or matching glob";

    public static List<string> Expand(IEnumerable<string> named)
    {
        var files = Commands.AnalyzeCommand.ExpandInputs(named, out var missing);
        return [.. missing, .. files];
    }
}
