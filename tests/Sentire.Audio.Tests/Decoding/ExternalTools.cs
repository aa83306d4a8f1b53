using Sentire.Audio.Decoding;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>ffmpeg and flac, the independent references the decoding tests compare against.</summary>
internal static class ExternalTools
{
    public static string? FfmpegPath { get; } = ExternalProcess.FindOnPath("ffmpeg");
    public static string? FlacPath { get; } = ExternalProcess.FindOnPath("flac");
    public static FfmpegDecoder Ffmpeg { get; } = new(FfmpegPath);

    /// <summary>Runs a tool; returns its standard output, or fails the test with its error output.</summary>
    public static byte[] Run(string executable, params string[] arguments)
    {
        var result = ExternalProcess.Run(executable, arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(executable)} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }
}
