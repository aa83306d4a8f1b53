using System.Diagnostics;

namespace Sentire.Audio.Decoding;

/// <summary>What a finished external program left.</summary>
public sealed record ProcessResult(int ExitCode, byte[] StandardOutput, string StandardError)
{
    /// <summary>The last non-empty line of standard error, for error messages.</summary>
    public string LastErrorLine =>
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "no message";
}

/// <summary>Runs external decoders (ffmpeg, flac) and finds them on PATH.</summary>
public static class ExternalProcess
{
    /// <summary>Full path of <paramref name="program"/> in a PATH folder, or null when it is not installed.</summary>
    public static string? FindOnPath(string program)
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

    /// <summary>Starts <paramref name="executable"/> with its standard output and error redirected (standard input closed),
    /// for a caller that reads the output as it is written; <see cref="Stop"/> ends it.</summary>
    public static Process Start(string executable, IEnumerable<string> arguments)
    {
        var process = Launch(executable, arguments);
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Starts <paramref name="executable"/> (arguments passed as they are, no shell) with all three streams redirected.</summary>
    static Process Launch(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
    }

    /// <summary>Kills a started process that has not exited (a reader that stopped early) and waits for it.</summary>
    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        catch (InvalidOperationException) { } // never started or already reaped
    }

    /// <summary>Runs <paramref name="executable"/> to completion (arguments passed as they are, no shell),
    /// feeding <paramref name="standardInput"/> and collecting both output streams.</summary>
    public static ProcessResult Run(string executable, IEnumerable<string> arguments, byte[]? standardInput = null)
    {
        using var process = Launch(executable, arguments);
        // Both pipes drain concurrently so neither program nor reader blocks on a full pipe.
        var errors = process.StandardError.ReadToEndAsync();
        var feeder = Task.Run(() =>
        {
            try
            {
                if (standardInput is not null) process.StandardInput.BaseStream.Write(standardInput);
                process.StandardInput.Close();
            }
            catch (IOException) { } // the program exited without reading everything
        });
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        feeder.Wait();
        return new ProcessResult(process.ExitCode, output.ToArray(), errors.Result);
    }
}
