using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using Sentire.Audio.Decoding;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire audio info FILE|FOLDER|GLOB... [--json]</c>: what each file holds and how loud it peaks; a truncated
/// WAV says how many frames its header claims.</summary>
public static class AudioCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("inputs") { Description = "Audio files (WAV, FLAC, or anything ffmpeg reads), folders (searched recursively) or globs, as analyze takes them.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "One JSON object per file, in a JSON array." };
        var info = new Command("info", "Format, sample rate, channels, bits, frames, duration, peak level (dBFS) and clipped samples of each file.")
        {
            files, json,
        };
        info.SetAction(parse => Info(parse.GetValue(files) ?? [], parse.GetValue(json)));
        return new Command("audio", "Inspect audio files.") { info };
    }

    /// <summary>What <c>audio info</c> reports for one file; <see cref="Error"/> set when it could not be decoded.</summary>
    public sealed record AudioInfo(string File, string? Format = null, int? SampleRate = null, int? Channels = null, int? Bits = null,
        long? Frames = null, double? DurationSeconds = null, double? PeakDbfs = null, long? ClippedSamples = null, string? Error = null,
        bool? Truncated = null, string? Warning = null);

    static int Info(string[] inputs, bool asJson)
    {
        var expansion = InputExpansion.Expand(inputs);
        var results = expansion.Problems.Select(p => new AudioInfo(p.Input, Error: p.Problem)).Concat(expansion.Files.Select(Describe)).ToList();
        if (asJson)
        {
            var options = new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
            Console.WriteLine(JsonSerializer.Serialize(results, options));
        }
        else
        {
            foreach (var r in results)
            {
                if (r.Error is not null) { Console.Error.WriteLine($"{r.File}: error: {r.Error}"); continue; }
                if (r.Warning is not null) Console.Error.WriteLine($"{r.File}: warning: {r.Warning}");
                var peak = r.PeakDbfs is double db ? db.ToString("0.00", CultureInfo.InvariantCulture) + " dBFS" : "-inf dBFS (silent)";
                Console.WriteLine($"{r.File}: {r.Format}, {r.SampleRate} Hz, {r.Channels} ch, {(r.Bits is > 0 ? $"{r.Bits}-bit" : "bits unknown")}, " +
                    $"{r.Frames} frames, {r.DurationSeconds?.ToString("0.000", CultureInfo.InvariantCulture)} s, peak {peak}, {r.ClippedSamples} clipped samples");
            }
        }
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    static AudioInfo Describe(string path)
    {
        AudioClip clip;
        try { clip = AudioFile.Read(path); }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return new AudioInfo(path, Error: error is AudioFormatException bad ? bad.Reason : error.Message);
        }
        var format = clip.Container switch
        {
            AudioContainer.Wav => clip.IsFloatEncoding ? "WAV float" : "WAV PCM",
            AudioContainer.Flac => "FLAC",
            AudioContainer.OggOpus => "Ogg Opus",
            _ => "decoded by ffmpeg",
        };
        // MaxMagnitude returns the signed sample of largest magnitude.
        float peak = clip.Samples.Length == 0 ? 0 : MathF.Abs(TensorPrimitives.MaxMagnitude(clip.Samples));
        // Clipped: at integer full scale ((2^(b-1) - 1) / 2^(b-1) or -1), or beyond ±1 for float and unknown encodings.
        float top = clip.BitsPerSample > 0 && !clip.IsFloatEncoding ? (float)(1 - Math.Pow(2, 1 - clip.BitsPerSample)) : 1f;
        long clipped = 0;
        foreach (var s in clip.Samples) if (s >= top || s <= -1f) clipped++;
        return new AudioInfo(path, format, clip.SampleRate, clip.Channels, clip.BitsPerSample, clip.Frames, Math.Round(clip.DurationSeconds, 6),
            peak > 0 ? Math.Round(20 * Math.Log10(peak), 2) : null, clipped, Truncated: clip.Truncation is null ? null : true, Warning: clip.Truncation?.Message);
    }
}
