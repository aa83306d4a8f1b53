using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Audio.Segmentation;
using Sentire.Models.Analysis;
using Sentire.Tensors;

namespace Sentire.Models;

/// <summary>What a model makes of a long recording's segments, given one at a time in time order: each segment's
/// prediction, then the overall prediction of the recording from all of them (the model's own way of combining them:
/// a mean of embeddings, of probabilities...), so the segments need not be held.</summary>
public interface ISegmentTimeline
{
    /// <summary>The prediction of <paramref name="segment"/>, given its samples (mono at the model rate).</summary>
    EmotionPrediction Add(Segment segment, float[] samples);

    /// <summary>The prediction of the whole recording from the segments added.</summary>
    EmotionPrediction Overall(double durationSeconds);
}

/// <summary>
/// How every emotion model turns a file into a <see cref="FileAnalysis"/>, one voice-activity policy for every length:
/// audio shorter than <see cref="MinSeconds"/> is too short; audio is silent (no speech: digital silence, steady noise,
/// DC) when the voice-activity detector (<see cref="EnergyVad"/>) finds no speech segment of at least
/// <see cref="MinSeconds"/> and the pitch tracker finds less than <see cref="MinSeconds"/> of voiced frames above
/// <see cref="SilenceDbfs"/> (voicing keeps continuous speech over loud background, which an energy detector relative
/// to the noise floor can miss), whatever its duration. Neither is given an emotion or prosody. Speech of at most
/// <see cref="LongFileSeconds"/> is scored whole; longer recordings are scored per speech segment (at most
/// <see cref="SegmentSeconds"/> each; equal parts of the whole file when only voicing found speech), plus an overall
/// prediction the model makes from its segments.
/// <para>Long recordings are analysed as a stream, in bounded memory whatever their duration: pass 1 reads the file for
/// the whole-recording quantities (<see cref="RecordingScan"/>: the voice-activity noise floor and segments, YIN's
/// loudest frame, the syllable threshold), pass 2 reads it again, tracking prosody piece by piece
/// (<see cref="ProsodyStream"/>) and scoring each speech segment as soon as it has been read; a third pass scores equal
/// parts when only voicing found speech. The result equals the analysis of the whole signal held in memory, which is
/// the same code fed the signal in one chunk.</para>
/// </summary>
public static class FileSegmentation
{
    public const double MinSeconds = 0.3;
    public const double SilenceDbfs = -60;
    public const double LongFileSeconds = 30, SegmentSeconds = 10;

    /// <summary>Decodes and analyses the file at <paramref name="path"/> as a stream (<see cref="AudioFile.Open"/>,
    /// <see cref="Conditioner.Read"/>): a file of at most <see cref="LongFileSeconds"/> is read once and held, a longer one
    /// is read two or three times and never held.</summary>
    /// <param name="whole">prediction of a whole file of at most <see cref="LongFileSeconds"/> (its samples), given the
    /// file's YIN track with default options (made for the prosody summary; a front end may reuse it)</param>
    /// <param name="timeline">a new timeline for the segments of a longer file</param>
    /// <param name="arena">when given, each model call (a whole file of at most <see cref="LongFileSeconds"/>, or one
    /// segment) runs in a scope of it, so a caller analysing file after file on one thread reuses the same storage
    /// instead of leaving it to the garbage collector; it holds one call's intermediates at a time</param>
    public static FileAnalysis AnalyzeFile(string path, Conditioner conditioner, Func<float[], PitchTrack, EmotionPrediction> whole,
        Func<ISegmentTimeline> timeline, TensorArena? arena = null)
    {
        if (arena is not null)
        {
            var (unscoped, unscopedTimeline) = (whole, timeline);
            whole = (samples, pitch) => { using (arena.Enter()) return unscoped(samples, pitch); };
            timeline = () => new ScopedTimeline(unscopedTimeline(), arena);
        }
        Truncation? truncation = null;
        return Analyze(path, conditioner.Options.SampleRate, sink =>
        {
            using var reader = AudioFile.Open(path);
            conditioner.Read(reader, sink);
            truncation = reader.Truncation;
        }, whole, timeline, () => truncation);
    }

    /// <param name="samples">the file conditioned to mono at <paramref name="rate"/></param>
    /// <param name="truncation">what the decoder found missing from the file, carried into the analysis</param>
    public static FileAnalysis Analyze(string path, float[] samples, int rate, Func<float[], PitchTrack, EmotionPrediction> whole,
        Func<ISegmentTimeline> timeline, Truncation? truncation = null)
    {
        if ((double)samples.Length / rate <= LongFileSeconds) return AnalyzeWhole(path, samples, rate, whole, truncation);
        var scan = new RecordingScan(rate, Vad());
        scan.Push(samples);
        using var statistics = scan.Finish();
        return AnalyzeLong(path, sink => sink(samples), statistics, timeline, truncation);
    }

    /// <summary>A recording read by <paramref name="read"/> (from its start, mono at <paramref name="rate"/>, into the sink;
    /// called once per pass): its first <see cref="LongFileSeconds"/> are held while pass 1 reads, so a short recording
    /// is read once.</summary>
    public static FileAnalysis Analyze(string path, int rate, Action<SampleSink> read, Func<float[], PitchTrack, EmotionPrediction> whole,
        Func<ISegmentTimeline> timeline, Func<Truncation?> truncation)
    {
        var held = (int)Math.Floor(LongFileSeconds * rate);
        List<float>? head = [];
        RecordingScan? scan = null;
        read(chunk =>
        {
            if (head is not null)
            {
                if (head.Count + chunk.Length <= held) { head.AddRange(chunk); return; }
                scan = new RecordingScan(rate, Vad());
                scan.Push(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(head));
                head = null;
            }
            scan!.Push(chunk);
        });
        if (head is not null) return AnalyzeWhole(path, [.. head], rate, whole, truncation());
        using var statistics = scan!.Finish();
        scan = null;   // the closure above keeps it reachable through pass 2
        return AnalyzeLong(path, read, statistics, timeline, truncation());
    }

    static FileAnalysis AnalyzeWhole(string path, float[] samples, int rate, Func<float[], PitchTrack, EmotionPrediction> whole, Truncation? truncation)
    {
        double duration = (double)samples.Length / rate;
        var (status, screened, _) = Screen(samples, rate);
        if (screened is not { } tracks) return new FileAnalysis(path, duration, status, null, [], Truncation: truncation);
        var prosody = ProsodyAnalyzer.Summarize(tracks, duration);
        return new FileAnalysis(path, duration, AnalysisStatus.Ok, whole(samples, tracks.Pitch), [], prosody, ProsodyLevels.Of(prosody), truncation);
    }

    /// <summary>Pass 2 (and 3) over a recording longer than <see cref="LongFileSeconds"/>, given pass 1's statistics.</summary>
    static FileAnalysis AnalyzeLong(string path, Action<SampleSink> read, RecordingStatistics statistics, Func<ISegmentTimeline> timeline, Truncation? truncation)
    {
        var duration = statistics.DurationSeconds;
        var speech = statistics.Speech.Where(s => s.DurationSeconds >= MinSeconds).ToList();
        var prosody = new ProsodyStream(statistics, loudVoicedDbfs: SilenceDbfs);
        var scored = speech.Count > 0 ? new ScoredSegments(speech, timeline()) : null;
        read(chunk =>
        {
            prosody.Push(chunk);
            scored?.Cutter.Push(chunk);
        });
        var tracked = prosody.Finish();
        if (speech.Count == 0 && tracked.LoudVoicedSeconds < MinSeconds)
            return new FileAnalysis(path, duration, AnalysisStatus.Silent, null, [], Truncation: truncation);
        if (scored is null)
        {
            scored = new ScoredSegments(EqualParts(statistics.Samples, statistics.SampleRate), timeline());
            read(scored.Cutter.Push);
        }
        scored.Cutter.Finish();
        return new FileAnalysis(path, duration, AnalysisStatus.Ok, scored.Timeline.Overall(duration), scored.Predictions,
            tracked.Summary, ProsodyLevels.Of(tracked.Summary), truncation);
    }

    /// <summary>A timeline whose every call runs in a scope of <paramref name="arena"/>.</summary>
    sealed class ScopedTimeline(ISegmentTimeline inner, TensorArena arena) : ISegmentTimeline
    {
        public EmotionPrediction Add(Segment segment, float[] samples) { using (arena.Enter()) return inner.Add(segment, samples); }
        public EmotionPrediction Overall(double durationSeconds) { using (arena.Enter()) return inner.Overall(durationSeconds); }
    }

    /// <summary>Segments scored by a timeline as their samples arrive.</summary>
    sealed class ScoredSegments
    {
        public ScoredSegments(IReadOnlyList<Segment> segments, ISegmentTimeline timeline)
        {
            Timeline = timeline;
            Cutter = new SegmentCutter(segments, (segment, samples) => Predictions.Add(timeline.Add(segment, samples)));
        }

        public ISegmentTimeline Timeline { get; }
        public SegmentCutter Cutter { get; }
        public List<EmotionPrediction> Predictions { get; } = [];
    }

    static EnergyVad Vad() => new(new VadOptions { MaxSegmentSeconds = SegmentSeconds });

    /// <summary>The one gate of every output that describes a voice (emotions, captions): <see cref="AnalysisStatus.TooShort"/>,
    /// <see cref="AnalysisStatus.Silent"/> (the policy above) or <see cref="AnalysisStatus.Ok"/>, with the prosody tracks
    /// (null unless Ok) and the speech segments it looked at.</summary>
    public static (AnalysisStatus Status, ProsodyTracks? Tracks, IReadOnlyList<Segment> Speech) Screen(float[] samples, int rate)
    {
        if ((double)samples.Length / rate < MinSeconds) return (AnalysisStatus.TooShort, null, []);
        var tracks = ProsodyAnalyzer.Track(samples, rate);
        var speech = Speech(samples, rate);
        return speech.Count == 0 && VoicedSeconds(tracks) < MinSeconds ? (AnalysisStatus.Silent, null, speech) : (AnalysisStatus.Ok, tracks, speech);
    }

    /// <summary>The speech segments (at least <see cref="MinSeconds"/>, at most <see cref="SegmentSeconds"/> each) the
    /// voice-activity detector finds in mono audio.</summary>
    public static IReadOnlyList<Segment> Speech(float[] samples, int rate) =>
        Vad().Detect(samples, rate).Where(s => s.DurationSeconds >= MinSeconds).ToList();

    /// <summary>Seconds of voiced frames louder than <see cref="SilenceDbfs"/>.</summary>
    static double VoicedSeconds(ProsodyTracks tracks)
    {
        var pitch = tracks.Pitch;
        int voiced = 0;
        for (int t = 0; t < pitch.FrameCount && t < tracks.EnergyDb.Length; t++)
            if (pitch.IsVoiced(t) && tracks.EnergyDb[t] >= SilenceDbfs) voiced++;
        return voiced * pitch.HopSeconds;
    }

    static List<Segment> EqualParts(long length, int rate)
    {
        long max = (long)(SegmentSeconds * rate);
        int parts = (int)((length + max - 1) / max);
        return [.. Enumerable.Range(0, parts).Select(p => new Segment(length * p / parts, length * (p + 1) / parts, rate))];
    }
}
