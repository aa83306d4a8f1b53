using System.Globalization;

namespace Sentire.Training.Recipes;

/// <summary>
/// The held-out speakers a recipe names (<c>data.validation</c>): "ravdess-17-20" (the fixed RAVDESS test actors),
/// "fold:K/N" (speaker-disjoint fold K of N within every corpus), "ravdess-17-20+fold:K/N" (RAVDESS actors 17-20 and
/// fold K of N of every other corpus) or "without:CORPUS" (leave one corpus out: every speaker of CORPUS held out, the
/// other corpora trained on whole). <see cref="Fold"/> is null for the first and the last form, <see cref="Corpus"/>
/// for all but the last.
/// </summary>
public sealed record HeldOutSpeakers(bool RavdessActors, (int Fold, int Folds)? Fold, string? Corpus = null)
{
    public const string Ravdess = "ravdess-17-20", Without = "without:";
    /// <summary>The accepted forms, for error messages.</summary>
    public const string Forms = "'ravdess-17-20', 'fold:K/N', 'ravdess-17-20+fold:K/N' with 1 <= K <= N, or 'without:CORPUS'";

    /// <summary>The leave-one-corpus-out split that holds out <paramref name="corpus"/>.</summary>
    public static string WithoutCorpus(string corpus) => Without + corpus;

    /// <summary>The split <paramref name="validation"/> names, or null when it is none of <see cref="Forms"/>.</summary>
    public static HeldOutSpeakers? Parse(string validation)
    {
        if (validation == Ravdess) return new(true, null);
        if (validation.StartsWith(Without, StringComparison.Ordinal))
            return validation.Length > Without.Length && !validation[Without.Length..].Any(char.IsWhiteSpace) ? new(false, null, validation[Without.Length..]) : null;
        bool ravdess = validation.StartsWith(Ravdess + "+", StringComparison.Ordinal);
        return ParseFold(ravdess ? validation[(Ravdess.Length + 1)..] : validation) is { } fold ? new(ravdess, fold) : null;
    }

    /// <summary>(K, N) of "fold:K/N", or null when the text is not of that form.</summary>
    public static (int Fold, int Folds)? ParseFold(string text) =>
        text.StartsWith("fold:", StringComparison.Ordinal) && text[5..].Split('/') is [var k, var n]
        && int.TryParse(k, CultureInfo.InvariantCulture, out int fold) && int.TryParse(n, CultureInfo.InvariantCulture, out int folds) && fold >= 1 && fold <= folds && folds >= 2
            ? (fold, folds) : null;
}
