using Sentire.Audio.Decoding;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests;

/// <summary>The shipped default model through the public API: mechanics, not accuracy (see its model card).</summary>
public sealed class EmotionRecognizerTests
{
    static readonly Lazy<EmotionRecognizer> Default = new(() => EmotionRecognizer.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small")));

    static string TempWav(float[] samples, int rate = 16000)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-test").FullName, "clip.wav");
        WavWriter.Write(path, AudioClip.FromMono(samples, rate), WavEncoding.Float32);
        return path;
    }

    [Fact]
    public void DemoClipGetsAProbabilityForEveryModelLabelSortedDescending()
    {
        var result = Default.Value.AnalyzeFile(Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac"));
        Assert.Equal(AnalysisStatus.Ok, result.Status);
        Assert.Equal(2.389, result.DurationSeconds, 3);
        var emotions = result.Overall!.Emotions;
        Assert.Equal(Default.Value.Labels.Order(), emotions.Select(e => e.Label).Order());
        Assert.Equal(1.0, emotions.Sum(e => e.Probability), 4);
        Assert.True(emotions.Zip(emotions.Skip(1)).All(p => p.First.Probability >= p.Second.Probability));
        Assert.NotNull(result.Prosody);
        Assert.Empty(result.Segments);
    }

    [Fact]
    public void ZeroShotUsesTheGivenLabelsAndIsRepeatable()
    {
        var path = Path.Combine(RepoPaths.Root, "samples", "03-01-04-02-01-01-20.flac");
        var first = Default.Value.AnalyzeFile(path, ["furious", "sad", "bored"]);
        var second = Default.Value.AnalyzeFile(path, ["furious", "sad", "bored"]);
        Assert.Equal(["bored", "furious", "sad"], first.Overall!.Emotions.Select(e => e.Label).Order());
        Assert.Equal(first.Overall.Emotions, second.Overall!.Emotions);
        Assert.Throws<ArgumentException>(() => Default.Value.AnalyzeFile(path, []));
        Assert.Throws<ArgumentException>(() => Default.Value.AnalyzeFile(path, null, "no placeholder"));
    }

    [Fact]
    public void ShortAndSilentAudioAreReportedNotLabelled()
    {
        var tooShort = Default.Value.AnalyzeFile(TempWav(new float[3200]));                 // 0.2 s
        Assert.Equal(AnalysisStatus.TooShort, tooShort.Status);
        Assert.Null(tooShort.Overall);
        var silent = Default.Value.AnalyzeFile(TempWav(new float[16000]));                  // 1 s of zeros
        Assert.Equal(AnalysisStatus.Silent, silent.Status);
        Assert.Null(silent.Overall);
    }

    [Fact]
    public void LongRecordingsGetATimelineOfSegments()
    {
        // 40 s: 3 s bursts of a harmonic tone every 10 s, silence between.
        var samples = new float[40 * 16000];
        for (int burst = 0; burst < 4; burst++)
            for (int i = 0; i < 3 * 16000; i++)
            {
                double t = i / 16000.0;
                samples[burst * 160000 + i] = (float)(0.2 * Math.Sin(2 * Math.PI * 180 * t) + 0.1 * Math.Sin(2 * Math.PI * 360 * t));
            }
        var result = Default.Value.AnalyzeFile(TempWav(samples));
        Assert.Equal(AnalysisStatus.Ok, result.Status);
        Assert.Equal(4, result.Segments.Count);
        for (int k = 0; k < 4; k++) Assert.InRange(result.Segments[k].StartSeconds, 10 * k - 0.3, 10 * k + 0.3);
        Assert.Equal(1.0, result.Overall!.Emotions.Sum(e => e.Probability), 4);
    }

    [Fact]
    public void UnreadableFileIsATypedErrorNamingTheFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-test").FullName, "broken.wav");
        File.WriteAllBytes(path, "RIFF\u0004\u0000\u0000\u0000WAVE"u8.ToArray());
        var e = Assert.ThrowsAny<IOException>(() => Default.Value.AnalyzeFile(path));
        Assert.Contains("broken.wav", e.Message);
    }

    [Fact]
    public void MissingModelFolderIsAClearError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => EmotionRecognizer.Load("/nonexistent/model"));
        Assert.Contains("config.json", e.Message);
    }
}
