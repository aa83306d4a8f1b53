using Sentire.Audio.Decoding;

namespace Sentire.Cli.Tests;

/// <summary>Awkward audio for CLI tests, written as real WAV files with the project's <see cref="WavWriter"/> into a fresh
/// temporary folder: silence, white noise, tones, clicks, DC, bursts of noise (whisper-like: loud and quiet in turn,
/// never voiced), very short clips, a truncated WAV.</summary>
public sealed class TestAudio
{
    public const int Rate = 16000;

    public string Folder { get; } = Directory.CreateTempSubdirectory("sentire-cli-audio").FullName;

    public string Write(string name, float[] samples)
    {
        var path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WavWriter.Write(path, AudioClip.FromMono(samples, Rate));
        return path;
    }

    public static float[] Silence(double seconds) => new float[(int)(seconds * Rate)];

    public static float[] WhiteNoise(double seconds, float amplitude = 0.3f, ulong seed = 1)
    {
        var x = new float[(int)(seconds * Rate)];
        ulong state = seed * 0x9E3779B97F4A7C15UL + 1;
        for (int i = 0; i < x.Length; i++)
        {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;   // xorshift64
            x[i] = amplitude * (2 * (state >> 40) / (float)(1UL << 24) - 1);
        }
        return x;
    }

    public static float[] Tone(double seconds, double hz = 220, float amplitude = 0.3f)
    {
        var x = new float[(int)(seconds * Rate)];
        for (int i = 0; i < x.Length; i++) x[i] = amplitude * (float)Math.Sin(2 * Math.PI * hz * i / Rate);
        return x;
    }

    /// <summary>Single-sample clicks of full scale, <paramref name="perSecond"/> of them a second.</summary>
    public static float[] Clicks(double seconds, int perSecond = 4)
    {
        var x = new float[(int)(seconds * Rate)];
        for (int i = 0; i < x.Length; i += Rate / perSecond) x[i] = 0.99f;
        return x;
    }

    public static float[] Dc(double seconds, float level = 0.5f) => Enumerable.Repeat(level, (int)(seconds * Rate)).ToArray();

    /// <summary>0.25 s of white noise, 0.25 s of silence, in turn: energy that comes and goes like syllables, with no
    /// voiced frame anywhere (what whispered speech gives a pitch tracker).</summary>
    public static float[] NoiseBursts(double seconds)
    {
        var x = WhiteNoise(seconds);
        for (int i = 0; i < x.Length; i++) if (i / (Rate / 4) % 2 == 1) x[i] = 0;
        return x;
    }

    /// <summary>A 16-bit WAV whose header claims <paramref name="claimedFrames"/> frames of which only the first
    /// <paramref name="presentFrames"/> are in the file (a copy cut short).</summary>
    public string WriteTruncated(string name, float[] samples, int presentFrames)
    {
        var bytes = WavWriter.ToBytes(AudioClip.FromMono(samples, Rate));
        var path = Path.Combine(Folder, name);
        const int headerBytes = 44;   // canonical 16-bit PCM header: RIFF, fmt (16 bytes), data
        File.WriteAllBytes(path, bytes.AsSpan(0, headerBytes + 2 * presentFrames).ToArray());
        return path;
    }
}
