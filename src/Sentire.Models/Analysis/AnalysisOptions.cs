namespace Sentire.Models.Analysis;

/// <summary>
/// The options of one analysis as <c>sentire analyze</c> and <c>POST /v1/analyze</c> both take them, parsed and checked
/// in one place so that the command and the service accept the same values and refuse the rest with the same words.
/// </summary>
/// <param name="Labels">zero-shot labels, null for the model's own</param>
/// <param name="PromptTemplate">prompt with {label}, null for the model's</param>
/// <param name="Language">caption language, one of <see cref="Languages"/></param>
public sealed record AnalysisOptions(IReadOnlyList<string>? Labels, string? PromptTemplate, string Language)
{
    /// <summary>Caption languages of the shipped captioner.</summary>
    public static readonly IReadOnlyList<string> Languages = ["en", "zh"];

    /// <summary>Parses the raw option values (<paramref name="labels"/> comma-separated, repeats dropped ignoring case and
    /// listed in <paramref name="repeated"/> for a warning); null and the problem, in the words of the command's options,
    /// when one is invalid.</summary>
    public static AnalysisOptions? Parse(string? labels, string? template, string? language, out string? problem, out IReadOnlyList<string> repeated)
    {
        problem = null;
        repeated = [];
        var labelList = labels is null ? null : LabelList.Parse(labels, out repeated);
        if (labelList is { Count: 0 }) problem = "--labels is empty: give at least one label, e.g. --labels happy,sad";
        else if (template is not null && !template.Contains("{label}", StringComparison.Ordinal))
            problem = $"--template '{template}' has no {{label}} placeholder";
        else if (LanguageProblem(language ?? "en") is { } bad) problem = bad;
        return problem is null ? new AnalysisOptions(labelList, template, language ?? "en") : null;
    }

    /// <summary>Why <paramref name="language"/> is not a caption language, or null when it is.</summary>
    public static string? LanguageProblem(string language) =>
        Languages.Contains(language) ? null : $"--lang must be {string.Join(" or ", Languages)}, got '{language}'";
}
