using Sentire.Audio.Decoding;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>Dispatch on magic bytes, the ffmpeg path, its absence, and <see cref="AudioClip"/> helpers.</summary>
public sealed class AudioFileTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("sentire-audiofile-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static AudioClip Ramp(int channels) =>
        new(Enumerable.Range(0, 300 * channels).Select(i => (i % 200 - 100) / 128f).ToArray(), 16000, channels, "ramp");

    [Fact]
    public void ContentDecidesTheDecoderNotTheExtension()
    {
        var flacNamedWav = Path.Combine(folder, "really-flac.wav");
        File.Copy(RepoPaths.Fixture("audio/stereo16-flac8.flac"), flacNamedWav);
        Assert.Equal(AudioContainer.Flac, AudioFile.Read(flacNamedWav).Container);

        var wavNamedFlac = Path.Combine(folder, "really-wav.flac");
        WavWriter.Write(wavNamedFlac, Ramp(1));
        var clip = AudioFile.Read(wavNamedFlac);
        Assert.Equal(AudioContainer.Wav, clip.Container);
        Assert.Equal(Ramp(1).Samples, clip.Samples);
        Assert.Equal(wavNamedFlac, clip.Source);
    }

    [Fact]
    public void FlacAfterAnId3TagIsFound()
    {
        var flac = File.ReadAllBytes(RepoPaths.Fixture("audio/stereo16-flac8.flac"));
        // ID3v2.3 header with a syncsafe size of 0x81 = 129 bytes of tag body.
        byte[] tag = [(byte)'I', (byte)'D', (byte)'3', 3, 0, 0, 0, 0, 1, 1, .. new byte[129]];
        var withTag = tag.Concat(flac).ToArray();
        Assert.Equal(AudioContainer.Flac, AudioFile.Detect(withTag));
        Assert.Equal(AudioFile.Read(flac, "plain").Samples, AudioFile.Read(withTag, "tagged").Samples);
    }

    [Fact]
    public void ExactFormatsThroughFfmpegKeepTheSamples()
    {
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        // AIFF is big-endian PCM: not WAV or FLAC, so it takes the ffmpeg path, and it is lossless.
        var wav = Path.Combine(folder, "in.wav");
        WavWriter.Write(wav, Ramp(2));
        var aiff = Path.Combine(folder, "clip.aiff");
        ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-i", wav, "-c:a", "pcm_s16be", aiff);
        var clip = AudioFile.Read(aiff);
        Assert.Equal((AudioContainer.Ffmpeg, 16000, 2, aiff), (clip.Container, clip.SampleRate, clip.Channels, clip.Source));
        Assert.Equal(Ramp(2).Samples, clip.Samples);
    }

    [Fact]
    public void WavEncodingsOtherThanPcmGoThroughFfmpeg()
    {
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        var path = Path.Combine(folder, "alaw.wav");
        ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.5",
            "-c:a", "pcm_alaw", path);
        Assert.Equal(WavSampleFormat.Other, WavReader.ReadLayout(File.ReadAllBytes(path), path).Format);
        var clip = AudioFile.Read(path);
        Assert.Equal((AudioContainer.Ffmpeg, 8000, 4000), (clip.Container, clip.SampleRate, clip.Frames));
        Assert.InRange(clip.Samples.Max(), 0.12f, 0.13f); // lavfi sine amplitude 1/8 through 8-bit A-law
    }

    [Theory]
    [InlineData("libmp3lame", "mp3", 16000)]
    public void LossyFormatsDecodeThroughFfmpeg(string codec, string extension, int expectedRate)
    {
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        var path = Path.Combine(folder, "tone." + extension);
        ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=1",
            "-c:a", codec, path);
        var clip = AudioFile.Read(path);
        Assert.Equal((AudioContainer.Ffmpeg, expectedRate, 1), (clip.Container, clip.SampleRate, clip.Channels));
        Assert.InRange(clip.DurationSeconds, 0.95, 1.1); // encoder delay and padding
        // lavfi's sine has amplitude 1/8; a lossy codec keeps the level within a few percent.
        var rms = Math.Sqrt(clip.Samples.Skip(clip.Frames / 4).Take(clip.Frames / 2).Average(s => (double)s * s));
        Assert.InRange(rms, 0.125 / Math.Sqrt(2) * 0.9, 0.125 / Math.Sqrt(2) * 1.1);
    }

    [Fact]
    public void OpusCorpusClipsComeOutAt16kHzThroughTheFeatureRecipe()
    {
        // nemo, tess and baved in ../shared/corpora are Ogg Opus (.opus) encoded from 16 kHz mono; ffmpeg decodes them at 48 kHz.
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        var path = Path.Combine(folder, "clip.opus");
        ExternalTools.Run(ExternalTools.FfmpegPath, "-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=16000:duration=1",
            "-c:a", "libopus", "-b:a", "32k", path);
        var utterance = new Sentire.Audio.Corpus.Utterance("toy/clip", path, 1.0, "toy", "en");
        var samples = Sentire.Audio.Corpus.FeatureRecipe.DecodedMono(16000).Extract(utterance);
        Assert.Equal(1, samples.Columns);
        Assert.InRange(samples.Rows, 15_800, 17_000); // 1 s at 16 kHz, plus the codec's padding
        // The 500 Hz tone survives: 32 samples per period at 16 kHz, so the signal one period later is nearly the same.
        var x = samples.Data.AsSpan(4000, 8000);
        double same = 0, energy = 0;
        for (int i = 0; i < x.Length - 32; i++) { same += x[i] * x[i + 32]; energy += x[i] * x[i]; }
        Assert.InRange(same / energy, 0.95, 1.05);
    }

    [Fact]
    public void MissingFfmpegSaysHowToInstallIt()
    {
        var path = Path.Combine(folder, "voice.mp3");
        File.WriteAllBytes(path, [0xFF, 0xFB, 0x90, 0x00, 0, 0, 0, 0]);
        var error = Assert.Throws<AudioFormatException>(() => new FfmpegDecoder(null).Decode(path));
        Assert.Equal(path, error.FileName);
        Assert.Contains("ffmpeg", error.Reason);
        Assert.Contains("apt-get install ffmpeg", error.Reason);
        Assert.StartsWith(path + ": ", error.Message);
    }

    [Fact]
    public void FfmpegFailureIsATypedError()
    {
        if (ExternalTools.FfmpegPath is null) Assert.Skip("ffmpeg is not installed");
        var path = Path.Combine(folder, "garbage.ogg");
        File.WriteAllBytes(path, Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray());
        var error = Assert.Throws<AudioFormatException>(() => AudioFile.Read(path));
        Assert.Contains("ffmpeg could not decode it", error.Reason);
    }

    [Fact]
    public void EmptyMissingAndUnknownInputs()
    {
        var empty = Path.Combine(folder, "empty.wav");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty file", Assert.Throws<AudioFormatException>(() => AudioFile.Read(empty)).Reason);
        Assert.Throws<FileNotFoundException>(() => AudioFile.Read(Path.Combine(folder, "absent.wav")));
        var error = Assert.Throws<AudioFormatException>(() => AudioFile.Read("OggS\0\0\0\0"u8.ToArray(), "memory.ogg"));
        Assert.Contains("\"OggS\"", error.Reason);
    }

    [Fact]
    public void ToMonoAveragesChannels()
    {
        var clip = new AudioClip([0.5f, -0.5f, 0.25f, 1f, 0.25f, 0.25f], 8000, 3, "three");
        var mono = clip.ToMono();
        Assert.Equal(new[] { 0.25f / 3, 0.5f }, mono.Samples);
        Assert.Equal((1, 2, 8000), (mono.Channels, mono.Frames, mono.SampleRate));
        Assert.Same(mono, mono.ToMono());
        Assert.Equal(new[] { -0.5f, 0.25f }, clip.GetChannel(1));
        Assert.Equal(TimeSpan.FromSeconds(2.0 / 8000), clip.Duration);
        Assert.Throws<ArgumentException>(() => new AudioClip(new float[5], 8000, 2, "odd"));
    }
}
