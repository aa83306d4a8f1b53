using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Tests.Decoding;

/// <summary>Reading in chunks (<see cref="AudioFile.Open"/>, <see cref="Conditioner.Read"/>, <see cref="Resampler.Stream"/>)
/// gives exactly the samples of decoding and conditioning the whole file: WAV of every sample format (with chunks around
/// the data and a truncated one), FLAC through many refills of its byte buffer, Ogg Opus page by page, ffmpeg's pipe
/// (other formats and WAV encodings Sentire does not decode itself).</summary>
public sealed class AudioStreamReaderTests
{
    /// <summary>Three seconds of two tones and noise, stereo.</summary>
    static AudioClip Stereo(int rate, float gain = 0.5f)
    {
        var random = new Random(7);
        var samples = new float[3 * rate * 2];
        for (var t = 0; t < samples.Length / 2; t++)
        {
            var time = (double)t / rate;
            samples[2 * t] = gain * (float)(Math.Sin(2 * Math.PI * 220 * time) * 0.6 + (random.NextDouble() - 0.5) * 0.2);
            samples[2 * t + 1] = gain * (float)(Math.Sin(2 * Math.PI * 331 * time) * 0.5 + (random.NextDouble() - 0.5) * 0.1);
        }
        return new AudioClip(samples, rate, 2, "(memory)");
    }

    static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("sentire-stream").FullName, name);

    /// <summary>All samples of a reader, read <paramref name="frames"/> frames at a time.</summary>
    static float[] ReadAll(AudioStreamReader reader, int frames)
    {
        var all = new List<float>();
        var buffer = new float[frames * reader.Channels];
        int n;
        while ((n = reader.Read(buffer)) > 0)
        {
            Assert.Equal(0, n % reader.Channels);
            all.AddRange(buffer.AsSpan(0, n));
        }
        return [.. all];
    }

    static void AssertSameAsWholeFile(string path, AudioStreamReader reader, int frames = 1000)
    {
        var whole = AudioFile.Read(path);
        using (reader)
        {
            Assert.Equal((whole.SampleRate, whole.Channels), (reader.SampleRate, reader.Channels));
            Assert.Equal(whole.Samples, ReadAll(reader, frames));
            Assert.Equal(whole.Truncation, reader.Truncation);
        }
    }

    [Theory]
    [InlineData(WavEncoding.Pcm16)]
    [InlineData(WavEncoding.Float32)]
    public void Wav_in_chunks_equals_the_whole_file(WavEncoding encoding)
    {
        var path = Temp("clip.wav");
        WavWriter.Write(path, Stereo(44100), encoding);
        var reader = AudioFile.Open(path);
        Assert.Equal(AudioContainer.Wav, reader.Container);
        AssertSameAsWholeFile(path, reader, frames: 777);
    }

    [Fact]
    public void Wav_with_chunks_around_the_data_and_a_truncated_data_chunk_equals_the_whole_file()
    {
        var bytes = WavWriter.ToBytes(Stereo(16000), WavEncoding.Pcm16).ToList();
        // a LIST chunk before the data: insert after "RIFF....WAVE" + fmt chunk (12 + 8 + 16 bytes)
        byte[] list = [.. "LIST"u8, 6, 0, 0, 0, .. "INFOab"u8];
        bytes.InsertRange(36, list);
        var path = Temp("truncated.wav");
        // cut 1001 bytes off the end: the data chunk claims more than the file holds (half a frame dropped)
        File.WriteAllBytes(path, [.. bytes.Take(bytes.Count - 1001)]);
        var reader = AudioFile.Open(path);
        Assert.NotNull(reader.Truncation);
        AssertSameAsWholeFile(path, reader, frames: 4096);
    }

    [Fact]
    public void Flac_in_chunks_equals_the_whole_file_through_many_buffer_refills()
    {
        Assert.True(ExternalTools.FlacPath is not null, "the flac tool is needed (scripts/setup.sh installs it)");
        var wav = Temp("clip.wav");
        WavWriter.Write(wav, Stereo(44100), WavEncoding.Pcm16);
        var flac = Path.ChangeExtension(wav, ".flac");
        ExternalTools.Run(ExternalTools.FlacPath!, "--silent", "--force", "-o", flac, wav);
        Assert.True(new FileInfo(flac).Length > 200_000);
        Assert.Equal(AudioContainer.Flac, AudioFile.Open(flac).Container);
        // 64 KB held ahead of each frame: the buffer is refilled a dozen times
        AssertSameAsWholeFile(flac, FlacDecoder.OpenStream(File.OpenRead(flac), flac, reserve: 1 << 16), frames: 1500);
    }

    [Fact]
    public void Ffmpeg_pipe_in_chunks_equals_the_whole_decode()
    {
        Assert.True(ExternalTools.FfmpegPath is not null, "ffmpeg is needed (scripts/setup.sh installs it)");
        var wav = Temp("clip.wav");
        WavWriter.Write(wav, Stereo(22050), WavEncoding.Pcm16);
        var mp3 = Path.ChangeExtension(wav, ".mp3");
        ExternalTools.Run(ExternalTools.FfmpegPath!, "-nostdin", "-loglevel", "error", "-y", "-i", wav, mp3);
        var reader = AudioFile.Open(mp3);
        Assert.Equal(AudioContainer.Ffmpeg, reader.Container);
        AssertSameAsWholeFile(mp3, reader, frames: 999);
    }

    [Fact]
    public void Ogg_opus_in_chunks_equals_the_whole_file()
    {
        Assert.True(ExternalTools.FfmpegPath is not null, "ffmpeg is needed to encode the test file (scripts/setup.sh installs it)");
        var wav = Temp("clip.wav");
        WavWriter.Write(wav, Stereo(48000), WavEncoding.Pcm16);
        var opus = Path.ChangeExtension(wav, ".opus");
        // 20 ms packets, about 50 pages: granule positions, the pre-skip and the end trim cross many chunk edges
        ExternalTools.Run(ExternalTools.FfmpegPath!, "-nostdin", "-loglevel", "error", "-y", "-i", wav, "-c:a", "libopus", "-b:a", "48k",
            "-page_duration", "60000", opus);
        var reader = AudioFile.Open(opus);
        Assert.Equal(AudioContainer.OggOpus, reader.Container);
        var whole = AudioFile.Read(opus);
        Assert.InRange(whole.Samples.Length, 2 * (3 * 48000 - 960), 2 * 3 * 48000);   // the encoder's length, pre-skip dropped
        AssertSameAsWholeFile(opus, reader, frames: 777);
        AssertSameAsWholeFile(opus, AudioFile.Open(opus), frames: 48000);
    }

    [Fact]
    public void Wav_of_an_encoding_for_ffmpeg_streams_through_its_pipe()
    {
        Assert.True(ExternalTools.FfmpegPath is not null, "ffmpeg is needed (scripts/setup.sh installs it)");
        var wav = Temp("clip.wav");
        WavWriter.Write(wav, Stereo(8000), WavEncoding.Pcm16);
        var alaw = Path.Combine(Path.GetDirectoryName(wav)!, "alaw.wav");
        ExternalTools.Run(ExternalTools.FfmpegPath!, "-nostdin", "-loglevel", "error", "-y", "-i", wav, "-c:a", "pcm_alaw", alaw);
        var reader = AudioFile.Open(alaw);
        Assert.Equal(AudioContainer.Ffmpeg, reader.Container);
        AssertSameAsWholeFile(alaw, reader, frames: 333);
    }

    [Fact]
    public void Ffmpeg_failure_is_the_error_of_the_whole_decode()
    {
        Assert.True(ExternalTools.FfmpegPath is not null, "ffmpeg is needed (scripts/setup.sh installs it)");
        var path = Temp("noise.mp3");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251))]);
        var whole = Assert.Throws<AudioFormatException>(() => AudioFile.Read(path));
        var streamed = Assert.Throws<AudioFormatException>(() => { using var reader = AudioFile.Open(path); ReadAll(reader, 1000); });
        Assert.Equal(whole.Message, streamed.Message);
    }

    [Theory]
    [InlineData(44100, 16000)]
    [InlineData(48000, 16000)]
    [InlineData(8000, 16000)]
    [InlineData(16001, 16000)]   // 16000 phases: interpolated between the 1024 of the table
    public void Resampler_stream_equals_the_whole_signal(int from, int to)
    {
        var signal = Stereo(from).GetChannel(0);
        var resampler = new Resampler(from, to);
        var whole = resampler.Process(signal);
        var stream = resampler.Stream();
        var streamed = new List<float>();
        foreach (var chunk in signal.Chunk(1237)) stream.Push(chunk, s => streamed.AddRange(s));
        stream.Finish(s => streamed.AddRange(s));
        Assert.Equal(whole, streamed);
    }

    [Fact]
    public void Conditioner_reading_a_stereo_file_equals_conditioning_the_whole_clip()
    {
        var path = Temp("clip.wav");
        WavWriter.Write(path, Stereo(44100), WavEncoding.Pcm16);
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        var streamed = new List<float>();
        using (var reader = AudioFile.Open(path)) conditioner.Read(reader, s => streamed.AddRange(s));
        Assert.Equal(conditioner.Apply(AudioFile.Read(path)), streamed);
    }
}
