using System.Diagnostics;
using System.Globalization;

namespace Sentire.Cli.Batch;

/// <summary>
/// The progress of a batch run: on a terminal one line redrawn in place (files, hours of audio, speed as a multiple of
/// real time, ETA from the bytes still to read); nothing while stderr is a pipe or a file (a scheduler's log), where
/// only the closing <see cref="Summary"/> line is written.
/// </summary>
public sealed class BatchProgress(int files, long bytes, TextWriter writer, bool live)
{
    readonly Stopwatch clock = Stopwatch.StartNew();
    int done, failed, skipped, previouslyFailed;
    long bytesDone, bytesToDo = bytes;
    double audioSeconds;

    /// <summary>A file already in the results file; <paramref name="failed"/> when its record is a failure.</summary>
    public void Skipped(long fileBytes, bool failed)
    {
        skipped++;
        bytesToDo -= fileBytes;
        if (failed) previouslyFailed++;
    }

    /// <summary>A file analysed now (<paramref name="seconds"/> of audio, 0 for a failure).</summary>
    public void Finished(long fileBytes, double seconds, bool fileFailed)
    {
        done++;
        bytesDone += fileBytes;
        audioSeconds += seconds;
        if (fileFailed) failed++;
        if (!live) return;
        double elapsed = clock.Elapsed.TotalSeconds;
        string eta = bytesDone > 0 && bytesToDo > bytesDone ? Clock(elapsed * (bytesToDo - bytesDone) / bytesDone) : "--:--:--";
        writer.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r{done + skipped}/{files} files, {Audio(audioSeconds)} of audio, {Speed(elapsed)}, ETA {eta}{(failed > 0 ? $", {failed} failed" : "")}   "));
        writer.Flush();
    }

    /// <summary>Failures in this run, now and in records that were kept.</summary>
    public int Failed => failed + previouslyFailed;

    /// <summary>One closing line: counts, audio, time and speed.</summary>
    public string Summary(string outPath, Shard shard)
    {
        double elapsed = clock.Elapsed.TotalSeconds;
        var parts = new List<string> { $"{done} analysed" };
        if (skipped > 0) parts.Add($"{skipped} already in {outPath}{(previouslyFailed > 0 ? $" ({previouslyFailed} of them failures: --retry-failed retries them)" : "")}");
        if (failed > 0) parts.Add($"{failed} failed now");
        return string.Create(CultureInfo.InvariantCulture,
            $"{done + skipped} files{(shard.Count > 1 ? $" in shard {shard}" : "")}: {string.Join(", ", parts)}; {Audio(audioSeconds)} of audio in {Clock(elapsed)} ({Speed(elapsed)})");
    }

    /// <summary>Ends the live line before other output.</summary>
    public void EndLine()
    {
        if (live && done > 0) writer.WriteLine();
    }

    string Speed(double elapsed) => elapsed > 0 && audioSeconds > 0 ? string.Create(CultureInfo.InvariantCulture, $"{audioSeconds / elapsed:F1}x real time") : "speed --";

    static string Audio(double seconds) =>
        seconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F1} s")
        : seconds < 3600 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:F2} h");

    static string Clock(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}");
    }
}
