using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests;

/// <summary><see cref="StreamingLogMel"/> against the front end run on each window alone: the same numbers, bit for bit.</summary>
public sealed class StreamingLogMelTests
{
    /// <summary>The four sample clips one after another at 16 kHz (speech, pauses, four speakers).</summary>
    static float[] Speech()
    {
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        return Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal)
            .SelectMany(f => conditioner.Apply(AudioFile.Read(f))).ToArray();
    }

    [Theory]
    [InlineData(32000, 8000, 1)]    // the live stream's default: 2 s windows, 0.5 s hop
    [InlineData(16000, 16000, 1)]   // windows that do not overlap
    [InlineData(8000, 1600, 3)]     // 0.5 s every 0.1 s, only every third window asked for (the others had no voice)
    public void EveryWindowEqualsTheFrontEndOnTheWindowAlone(int window, int hop, int every)
    {
        var frontEnd = new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: 80, Prosody: true));
        var stream = new StreamingLogMel(frontEnd, window, hop);
        var samples = Speech();
        int windows = 0;
        for (int start = 0; start + window <= samples.Length; start += every * hop, windows++)
        {
            var slice = samples.AsSpan(start, window).ToArray();
            var expected = frontEnd.LogMel(slice);
            var frames = stream.Window(slice, start);
            Assert.Equal((expected.Rows, expected.Columns), (frames.Rows, frames.Columns));
            Assert.Equal(expected.Data, frames.Data);   // exact: mel bins, pitch in semitones and voicing
        }
        Assert.True(windows >= 4, $"only {windows} windows");
        Assert.Contains(stream.Window(samples.AsSpan(0, window).ToArray(), 0).Data, v => v > 0 && v < 1);   // voiced frames are there
    }

    [Fact]
    public void WindowsOffTheFrameGridAreRefused()
    {
        var config = new LogMelFrontEndConfig(Prosody: true);
        Assert.False(StreamingLogMel.Fits(config, 32001, 8000));
        Assert.False(StreamingLogMel.Fits(config, 32000, 8080));
        Assert.True(StreamingLogMel.Fits(config, 32000, 8000));
        var e = Assert.Throws<ArgumentException>(() => new StreamingLogMel(new LogMelFrontEnd(config), 32000, 100));
        Assert.Contains("not on the front end's frame grid", e.Message);
    }

    [Fact]
    public void TheDefaultModelScoresAStreamWindowAsTheClip()
    {
        var recognizer = EmotionRecognizer.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small"));
        var stream = recognizer.StreamFrontEnd(32000, 8000)!;
        var samples = Speech();
        for (int k = 0; k < 3; k++)
        {
            var slice = samples.AsSpan(k * 8000, 32000).ToArray();
            var expected = recognizer.Analyze(AudioClip.FromMono(slice, 16000)) with { StartSeconds = k * 0.5, EndSeconds = k * 0.5 + 2 };
            var got = recognizer.AnalyzeFrames(stream.Window(slice, k * 8000), k * 0.5, k * 0.5 + 2);
            Assert.Equal(expected.Emotions, got.Emotions);
            Assert.Equal(expected.Dimensions, got.Dimensions);
            Assert.Equal((expected.StartSeconds, expected.EndSeconds), (got.StartSeconds, got.EndSeconds));
        }
        Assert.Null(recognizer.StreamFrontEnd(32000, 8001));   // off the grid: the caller analyses the samples
    }
}
