using System.Diagnostics;

namespace Sentire.Audio.Decoding;

/// <summary>
/// Decodes formats Sentire has no decoder for (MP3, Ogg/Vorbis, Opus, M4A/AAC, WebM...) by running
/// <c>ffmpeg -i FILE -map 0:a:0 -c:a pcm_f32le -f wav pipe:1</c> and reading the streamed float WAV it writes
/// (data size 0xFFFFFFFF, handled by <see cref="WavReader"/>). Channels and sample rate are kept as decoded.
/// </summary>
public sealed class FfmpegDecoder
{
    /// <summary>The decoder using the first <c>ffmpeg</c> on PATH (unavailable when there is none).</summary>
    public static FfmpegDecoder Default { get; } = new(FindOnPath("ffmpeg"));

    /// <param name="executable">Path of the ffmpeg binary, or null when it is not installed.</param>
    public FfmpegDecoder(string? executable) => Executable = executable;

    public string? Executable { get; }

    public bool IsAvailable => Executable is not null && File.Exists(Executable);

    /// <summary>Decodes the audio file at <paramref name="path"/> (its first audio stream).</summary>
    /// <exception cref="AudioFormatException">ffmpeg is missing or cannot decode the file.</exception>
    public AudioClip Decode(string path)
    {
        if (!IsAvailable)
            throw new AudioFormatException(path,
                "not WAV or FLAC, and ffmpeg (which Sentire uses for MP3, Ogg, Opus, M4A, WebM and other formats) is not installed" +
                (Executable is null ? "" : $" at {Executable}") +
                ". Install it (Debian/Ubuntu: sudo apt-get install ffmpeg; Fedora: sudo dnf install ffmpeg; macOS: brew install ffmpeg; " +
                "Windows: winget install ffmpeg) so that `ffmpeg` is on PATH, or convert the file to WAV or FLAC first.");

        var start = new ProcessStartInfo(Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-i", Path.GetFullPath(path),
                     "-map", "0:a:0", "-vn", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1" })
            start.ArgumentList.Add(arg);

        byte[] wav;
        string errors;
        int exitCode;
        using (var process = Process.Start(start) ?? throw new AudioFormatException(path, $"could not start {Executable}"))
        {
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            using var buffer = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(buffer);
            process.WaitForExit();
            errors = stderr.Result.Trim();
            exitCode = process.ExitCode;
            wav = buffer.ToArray();
        }
        if (exitCode != 0 || wav.Length == 0)
        {
            var lastLine = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "no message";
            throw new AudioFormatException(path, $"ffmpeg could not decode it (exit code {exitCode}): {lastLine}");
        }
        var clip = WavReader.Read(wav, path);
        return new AudioClip(clip.Samples, clip.SampleRate, clip.Channels, path, AudioContainer.Ffmpeg);
    }

    /// <summary>Full path of <paramref name="program"/> in a PATH folder, or null.</summary>
    internal static string? FindOnPath(string program)
    {
        var names = OperatingSystem.IsWindows() ? new[] { program + ".exe", program } : new[] { program };
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var name in names)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }
}
