namespace Sentire.Cli;

/// <summary>Finds the model folder to use: an explicit path, else SENTIRE_MODEL, else the default model shipped
/// beside the binary (copied from models/ at build time).</summary>
public static class ModelLocator
{
    public const string DefaultModel = "emotion-clap-mobilenet";

    public static string Resolve(string? explicitPath)
    {
        var candidate = explicitPath ?? Environment.GetEnvironmentVariable("SENTIRE_MODEL") ?? Path.Combine(AppContext.BaseDirectory, "models", DefaultModel);
        if (!Directory.Exists(candidate))
            throw new DirectoryNotFoundException(explicitPath is null && Environment.GetEnvironmentVariable("SENTIRE_MODEL") is null
                ? $"the default model is missing from {candidate}: rebuild (./sentire builds it in), or pass --model FOLDER"
                : $"model folder {candidate} not found");
        return candidate;
    }
}
