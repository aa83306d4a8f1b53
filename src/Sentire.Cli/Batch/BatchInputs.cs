namespace Sentire.Cli.Batch;

/// <summary>The inputs of a batch run as analyze orders them: inputs naming nothing first (each becomes an error
/// record keyed by the input as typed), then the files they expand to. <c>merge --inputs</c> expands the same list the
/// same way, so a merged file lines up with a single-process run.</summary>
public static class BatchInputs
{
    public const string MissingProblem = InputExpansion.MissingProblem;

    public static List<string> Expand(IEnumerable<string> named)
    {
        var expansion = InputExpansion.Expand(named);
        return [.. expansion.Problems.Select(p => p.Input), .. expansion.Files];
    }

    /// <summary>Why an input of <see cref="Expand"/> that is not a file gave nothing: a folder or glob without audio, or
    /// nothing by that name.</summary>
    public static string Problem(string input) =>
        Directory.Exists(input) || InputExpansion.IsGlob(input) && InputExpansion.Glob(input).Any() ? InputExpansion.EmptyProblem : InputExpansion.MissingProblem;
}
