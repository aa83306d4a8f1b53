namespace Sentire.Tests.Common;

/// <summary>Where the repository and the shared corpora are, seen from a running test.</summary>
internal static class RepoPaths
{
    /// <summary>The folder holding Sentire.slnx, found by walking up from the test binary.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>../shared beside the checkout (SENTIRE_SHARED overrides), or null when absent:
    /// tests that need the real corpora skip themselves then.</summary>
    public static string? Shared
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("SENTIRE_SHARED") ?? Path.Combine(Root, "..", "shared");
            return Directory.Exists(Path.Combine(dir, "corpora")) ? Path.GetFullPath(dir) : null;
        }
    }

    /// <summary>A committed fixture file under tests/fixtures/.</summary>
    public static string Fixture(string relative) => Path.Combine(Root, "tests", "fixtures", relative);

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"Sentire.slnx not found above {AppContext.BaseDirectory}");
    }
}
