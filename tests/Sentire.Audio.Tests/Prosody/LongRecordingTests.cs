using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Audio.Segmentation;
using Sentire.Tests.Common;

namespace Sentire.Audio.Tests.Prosody;

/// <summary>The two passes over a long recording (<see cref="RecordingScan"/>, <see cref="ProsodyStream"/>) give exactly
/// what the whole-signal functions give: the same speech segments as <see cref="EnergyVad.Detect"/> and the same prosody
/// summary, to the last bit, as <see cref="ProsodyAnalyzer.Summarize(ProsodyTracks, double)"/> of the whole signal's tracks.
/// The signal is real speech (the four samples at several gains, with pauses and a faint noise floor) cut into 3-second
/// pieces and pushed in odd-sized chunks, so many piece and chunk edges fall inside voiced runs.</summary>
public sealed class LongRecordingTests
{
    const int Rate = 16000;

    /// <summary>About 40 s: the samples at gains 1, 0.3 and 2 (clipped), 0.6 s pauses, noise at -70 dBFS.</summary>
    internal static float[] SpeechWithPauses()
    {
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = Rate });
        var clips = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal)
            .Select(f => conditioner.Apply(AudioFile.Read(f))).ToList();
        var signal = new List<float>();
        var random = new Random(20);
        void Pause(int samples) { for (var i = 0; i < samples; i++) signal.Add((float)((random.NextDouble() - 0.5) * 0.0011)); }
        foreach (var gain in new[] { 1f, 0.3f, 2f, 1f })
            foreach (var clip in clips)
            {
                Pause((int)(0.6 * Rate));
                foreach (var v in clip) signal.Add(Math.Clamp(v * gain, -1f, 1f));
            }
        Pause((int)(0.37 * Rate));
        return [.. signal];
    }

    [Fact]
    public void Two_passes_over_pieces_equal_the_whole_signal_analysis()
    {
        var samples = SpeechWithPauses();
        var vad = new EnergyVad(new VadOptions { MaxSegmentSeconds = 10 });
        var wholeSpeech = vad.Detect(samples, Rate);
        var wholeTracks = ProsodyAnalyzer.Track(samples, Rate);
        var whole = ProsodyAnalyzer.Summarize(wholeTracks, (double)samples.Length / Rate);

        // blocks of 256 frames: every per-frame store goes through its temporary file
        var scan = new RecordingScan(Rate, vad, coreFrames: 300, blockSize: 256);
        foreach (var chunk in samples.Chunk(7777)) scan.Push(chunk);
        using var statistics = scan.Finish();
        var stream = new ProsodyStream(statistics, coreFrames: 300, blockSize: 256);
        foreach (var chunk in samples.Chunk(12345)) stream.Push(chunk);
        var streamed = stream.Finish();

        Assert.Equal(samples.Length, statistics.Samples);
        Assert.True(statistics.Intensity.Count > 10 * 256, $"{statistics.Intensity.Count} frames");
        Assert.Equal(wholeSpeech, statistics.Speech);
        Assert.True(wholeSpeech.Count >= 10, $"{wholeSpeech.Count} speech segments");
        Assert.True(whole.F0Hz.Count > 1000 && whole.JitterLocal > 0, "the signal is voiced speech with pulses");
        Assert.Equal(whole, streamed.Summary);
        var loudVoiced = Enumerable.Range(0, wholeTracks.Pitch.FrameCount)
            .Count(t => wholeTracks.Pitch.IsVoiced(t) && wholeTracks.EnergyDb[t] >= -60) * wholeTracks.Pitch.HopSeconds;
        Assert.Equal(loudVoiced, streamed.LoudVoicedSeconds);
    }

    [Fact]
    public void A_recording_of_one_piece_equals_the_whole_signal_analysis()
    {
        var samples = SpeechWithPauses()[..(7 * Rate + 123)];
        var vad = new EnergyVad(new VadOptions { MaxSegmentSeconds = 10 });
        var scan = new RecordingScan(Rate, vad);
        scan.Push(samples);
        var stream = new ProsodyStream(scan.Finish());
        stream.Push(samples);
        Assert.Equal(ProsodyAnalyzer.Summarize(samples, Rate), stream.Finish().Summary);
    }
}

/// <summary><see cref="OrderStatistic.Select"/> against sorting a copy, and <see cref="FrameValues{T}"/> across its blocks
/// (in memory and read back from its temporary file).</summary>
public sealed class OrderStatisticTests
{
    [Theory]
    [InlineData(FrameValues<double>.DefaultBlockSize)]
    [InlineData(1024)]
    public void Select_gives_the_sorted_value_at_every_position_with_ties_and_outliers(int blockSize)
    {
        var random = new Random(3);
        using var values = new FrameValues<double>(blockSize);
        for (var i = 0; i < 200_000; i++)
            values.Add(i % 1000 == 0 ? 1e6 : i % 7 == 0 ? -42.5 : Math.Round(random.NextDouble() * 100 - 80, i % 3));
        var sorted = values.ToArray();
        Array.Sort(sorted);
        Assert.Equal(200_000, values.Count);
        Assert.Equal(sorted.Length, values.Blocks().Sum(b => b.Length));
        Assert.Equal(values.ToArray(), values.Blocks().SelectMany(b => b.ToArray()));
        Assert.Equal(1e6, values[199_000]);
        Assert.Equal(-42.5, values[7]);
        foreach (var k in new[] { 0, 1, 19_999, 28_571, 100_000, 199_798, 199_799, 199_999 })
            Assert.Equal(sorted[k], OrderStatistic.Select(values, k));
        float[] floats = [3f, 3f, 3f];
        Assert.Equal(3f, OrderStatistic.Select(floats, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatistic.Select(floats, 3));
    }
}

/// <summary><see cref="Functionals"/> of <see cref="FrameValues{T}"/> merged from sorted runs on disk equal, to the last
/// bit, the statistics of the values sorted in memory (Array.Sort, LINQ's Average and Sum in sorted order, numpy's
/// percentile positions), which is how they were computed before the runs.</summary>
public sealed class FunctionalsTests
{
    static Functionals SortedInMemory(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).ToArray();
        Array.Sort(sorted);
        if (sorted.Length == 0) return Functionals.Empty;
        var mean = sorted.Average();
        return new Functionals(sorted.Length, mean, Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length),
            Functionals.Percentile(sorted, 0.2), Functionals.Percentile(sorted, 0.5), Functionals.Percentile(sorted, 0.8));
    }

    [Theory]
    [InlineData(100_003, 1024)]
    [InlineData(100_003, FrameValues<float>.DefaultBlockSize)]
    [InlineData(5, 2)]
    [InlineData(1, 4)]
    public void Runs_merged_from_disk_equal_the_values_sorted_in_memory(int count, int blockSize)
    {
        var random = new Random(count);
        using var values = new FrameValues<float>(blockSize);
        for (var i = 0; i < count; i++)
            values.Add(i % 97 == 0 ? float.NaN : i % 13 == 0 ? -33.25f : (float)(random.NextDouble() * 400 + 60));
        static double Semitones(float f) => 12 * Math.Log2(f / ProsodyAnalyzer.SemitoneReferenceHz);
        var expected = SortedInMemory(values.Select(v => Semitones(v)));
        var merged = Functionals.Of(values, Semitones);
        Assert.Equal(expected, merged);
        Assert.Equal(SortedInMemory(values.Select(v => (double)v)), Functionals.Of(values.Select(v => (double)v)));
        Assert.Equal(values.Count(v => float.IsFinite(v) && v > 0), merged.Count);
    }

    [Fact]
    public void No_finite_values_give_the_empty_functionals()
    {
        using var values = new FrameValues<float>(2);
        for (var i = 0; i < 5; i++) values.Add(float.NaN);
        Assert.Equal(Functionals.Empty, Functionals.Of(values, v => v));
    }
}
