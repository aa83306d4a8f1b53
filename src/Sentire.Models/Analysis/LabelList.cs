namespace Sentire.Models.Analysis;

/// <summary>
/// A label list as every emotion model takes it: labels are compared without regard to case ("Sad" and "SAD" are one
/// emotion, and scoring both would split its probability between two prompts), so a list may not repeat one.
/// <see cref="Parse"/> reads the comma-separated form of <c>--labels</c> and drops repeats, keeping the first spelling.
/// </summary>
public static class LabelList
{
    public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

    /// <summary>"happy, sad,,Sad" -> [happy, sad], with "Sad" in <paramref name="repeated"/>.</summary>
    public static IReadOnlyList<string> Parse(string commaSeparated, out IReadOnlyList<string> repeated)
    {
        var kept = new List<string>();
        var dropped = new List<string>();
        var seen = new HashSet<string>(Comparer);
        foreach (var label in commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            (seen.Add(label) ? kept : dropped).Add(label);
        repeated = dropped;
        return kept;
    }

    /// <summary>Throws when <paramref name="labels"/> is empty or repeats a label (ignoring case).</summary>
    public static void EnsureValid(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) throw new ArgumentException("the label list is empty");
        var repeated = labels.GroupBy(l => l, Comparer).Where(g => g.Count() > 1).Select(g => string.Join("/", g)).ToList();
        if (repeated.Count > 0)
            throw new ArgumentException($"the label list repeats {string.Join(", ", repeated)} (labels are compared ignoring case): {string.Join(", ", labels)}");
    }
}
