namespace Sentire.Tensors.Nn;

/// <summary>A state-dict key whose tensor has the wrong shape for the module.</summary>
public sealed record ShapeMismatch(string Key, int[] Found, int[] Expected)
{
    public override string ToString() => $"{Key}: found [{string.Join(", ", Found)}], expected [{string.Join(", ", Expected)}]";
}

/// <summary>What <see cref="Module.LoadStateDict"/> did: keys the module wanted but did not get, keys it did
/// not know, keys whose shapes differ, and how many tensors were loaded.</summary>
public sealed record StateDictReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> Mismatched, int LoadedCount)
{
    public bool IsClean => Missing.Count == 0 && Unexpected.Count == 0 && Mismatched.Count == 0;

    public override string ToString()
    {
        var lines = new List<string> { $"loaded {LoadedCount} tensors" };
        if (Missing.Count > 0) lines.Add($"missing ({Missing.Count}): {string.Join(", ", Missing)}");
        if (Unexpected.Count > 0) lines.Add($"unexpected ({Unexpected.Count}): {string.Join(", ", Unexpected)}");
        if (Mismatched.Count > 0) lines.Add($"shape mismatch ({Mismatched.Count}): {string.Join("; ", Mismatched)}");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Thrown by a strict <see cref="Module.LoadStateDict"/> when the keys or shapes do not match; nothing was loaded.</summary>
public sealed class StateDictMismatchException(string moduleName, StateDictReport report)
    : Exception($"state dict does not match {moduleName}:{Environment.NewLine}{report}")
{
    public StateDictReport Report { get; } = report;
}
