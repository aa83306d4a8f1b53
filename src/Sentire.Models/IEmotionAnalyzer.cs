using System.Text.Json;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Audio.Segmentation;
using Sentire.Models.Clap;
using Sentire.Models.Published;
using Sentire.Models.Speech;
using Sentire.Models.Student;

namespace Sentire.Models;

/// <summary>
/// Any shipped emotion model, as analysis, evaluation and reports see it: the zero-shot teacher
/// (<see cref="EmotionRecognizer"/>) and the fixed-label student (<see cref="StudentRecognizer"/>).
/// <code>
/// IEmotionAnalyzer model = EmotionModels.Load("models/emotion-student-tiny");
/// var prediction = model.Analyze(AudioFile.Read("clip.wav"));
/// </code>
/// </summary>
public interface IEmotionAnalyzer
{
    string Name { get; }
    /// <summary>The model's own labels, the default label set.</summary>
    IReadOnlyList<string> Labels { get; }
    /// <summary>Rate of the mono audio the model reads.</summary>
    int SampleRate { get; }
    /// <summary>Whether predictions carry arousal/valence/dominance.</summary>
    bool HasDimensions { get; }
    /// <summary>Why there is no arousal/valence/dominance, for a warning; null when there are.</summary>
    string? DimensionsProblem { get; }

    /// <summary>Probabilities over <paramref name="labels"/> (default <see cref="Labels"/>) of one clip.</summary>
    /// <param name="promptTemplate">zero-shot prompt with {label}; a model that is not zero-shot rejects it.</param>
    EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null);

    /// <summary>Why this model cannot score <paramref name="labels"/> with <paramref name="promptTemplate"/> (a repeated
    /// label, a label a fixed-label model does not know, a template without {label}), or null when it can: a caller
    /// checks a request once before a batch instead of failing on every file.</summary>
    string? RequestProblem(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        if (labels is null) return null;
        try { Analysis.LabelList.EnsureValid(labels); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>Decodes and analyses one file under the rules of <see cref="FileSegmentation"/>.</summary>
    FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null);

    /// <summary>Analyses a decoded file (an upload, a live stream) as <see cref="AnalyzeFile"/> does; the analysis names it
    /// by the clip's <see cref="AudioClip.Source"/>.</summary>
    FileAnalysis AnalyzeClip(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null);
}

/// <summary>
/// Opens an emotion model folder of any kind: Sentire's own packages by the <c>format</c> of their config.json
/// (Emo-CLAP, student), then the published families of <see cref="PublishedEmotionModels.Families"/> (Hugging Face
/// speech classifiers by config.json <c>model_type</c>, ...), which run as their authors published them.
/// </summary>
public static class EmotionModels
{
    public static IEmotionAnalyzer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: model folder not found");
        var configPath = Path.Combine(folder, "config.json");
        var format = File.Exists(configPath) ? Format(configPath) : null;
        switch (format)
        {
            case EmotionModelConfig.FormatName: return EmotionRecognizer.Load(folder);
            case StudentModelConfig.FormatName: return StudentRecognizer.Load(folder);
            case not null: throw new InvalidDataException($"{configPath}: format is '{format}', expected '{EmotionModelConfig.FormatName}' or '{StudentModelConfig.FormatName}'");
        }
        if (PublishedEmotionModels.Find(folder) is { } family) return PublishedEmotionAnalyzer.Load(folder, family);
        throw new InvalidDataException(NotAModel(folder, configPath));
    }

    /// <summary>Why no family takes <paramref name="folder"/>.</summary>
    static string NotAModel(string folder, string configPath)
    {
        var families = $"a Sentire package (format '{EmotionModelConfig.FormatName}' or '{StudentModelConfig.FormatName}') or one of: {string.Join("; ", PublishedEmotionModels.Families.Select(f => f.Name))}";
        if (!File.Exists(configPath)) return $"{folder}: not a model folder (no config.json); expected {families}";
        var modelType = PublishedEmotionModels.HuggingFaceModelType(folder);
        return $"{configPath}: no format, and model_type '{modelType}' is not a family Sentire runs (Hugging Face speech: {string.Join(", ", HuggingFace.Speech.PretrainedSpeechEncoder.ModelTypes.Keys)}); expected {families}";
    }

    static string? Format(string configPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        }
        catch (JsonException e) { throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>What <c>sentire inspect</c> reports: the model a folder holds, or the exact reason it is refused.</summary>
    public static ModelInspection Inspect(string folder)
    {
        IEmotionAnalyzer model;
        try { model = Load(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException or ArgumentException)
        {
            return new ModelInspection(folder, null, [], [], null, null, [], e.Message);
        }
        return model switch
        {
            PublishedEmotionAnalyzer p => new ModelInspection(folder, p.Model.Family, p.Labels,
                p.HasDimensions ? p.Model.Outputs : [], p.Model.Facts.Parameters, p.Model.Facts.Precision, p.Model.Facts.UnusedTensors, null)
            { MemoryPrecision = p.Model.Facts.MemoryPrecision, ParameterBytes = p.Model.Facts.ParameterBytes },
            EmotionRecognizer r => new ModelInspection(folder, $"Sentire {EmotionModelConfig.FormatName}", r.Labels,
                r.HasDimensions ? ["arousal", "valence", "dominance"] : [], null, null, [], null),
            _ => new ModelInspection(folder, $"Sentire {StudentModelConfig.FormatName}", model.Labels,
                model.HasDimensions ? ["arousal", "valence", "dominance"] : [], null, null, [], null),
        };
    }
}

/// <summary>A model folder as <c>sentire inspect</c> describes it; <see cref="Refused"/> is set (and the rest empty)
/// when the folder cannot be run.</summary>
/// <param name="Family">e.g. "Wav2Vec2ForSequenceClassification", "Sentire emotion-clap"</param>
/// <param name="Labels">emotion labels of a categorical model</param>
/// <param name="Dimensions">dimension names in output order of a dimensional model</param>
/// <param name="Parameters">parameter count (null where not reported)</param>
/// <param name="Precision">stored dtypes and their shares</param>
/// <param name="UnusedTensors">checkpoint tensors the model does not use</param>
public sealed record ModelInspection(string Folder, string? Family, IReadOnlyList<string> Labels, IReadOnlyList<string> Dimensions,
    long? Parameters, string? Precision, IReadOnlyList<string> UnusedTensors, string? Refused)
{
    /// <summary>How the loaded parameters are held in memory, e.g. "F16 96.3%, F32 3.7%" (null where not reported).</summary>
    public string? MemoryPrecision { get; init; }
    /// <summary>Bytes the loaded parameters occupy (null where not reported).</summary>
    public long? ParameterBytes { get; init; }
}

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
    public static FileAnalysis AnalyzeFile(string path, Conditioner conditioner, Func<float[], PitchTrack, EmotionPrediction> whole,
        Func<ISegmentTimeline> timeline)
    {
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
        return AnalyzeLong(path, sink => sink(samples), scan.Finish(), timeline, truncation);
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
        return head is not null
            ? AnalyzeWhole(path, [.. head], rate, whole, truncation())
            : AnalyzeLong(path, read, scan!.Finish(), timeline, truncation());
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
