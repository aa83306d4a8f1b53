using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Analysis;

/// <summary>
/// A long file analysed as a stream (<see cref="IEmotionAnalyzer.AnalyzeFile"/>: decoded in chunks, two passes, never held)
/// gives the JSON of the analysis of the whole signal held in memory: written out here as the analysis was before
/// streaming (every prosody track of the whole signal, the voice-activity segments of the whole signal, each segment
/// scored, the overall encoding the mean of the stacked segment encodings), and as <see cref="IEmotionAnalyzer.AnalyzeClip"/>
/// (the server's upload path). The recording is real speech (the four samples at several gains with pauses, 46 s),
/// stored as 44.1 kHz stereo WAV and FLAC (mixed down and resampled as a stream) and as MP3 (ffmpeg's pipe).
/// </summary>
public sealed class StreamingAnalysisTests
{
    const int Rate = 16000;
    static readonly Lazy<EmotionRecognizer> Clap = new(() => EmotionRecognizer.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small")));
    static readonly Lazy<IEmotionAnalyzer> Student = new(() => EmotionModels.Load(Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny")));
    static readonly Lazy<EmotionRecognizer> MobileNet = new(() => EmotionRecognizer.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-mobilenet")));
    static readonly Lazy<string> Folder = new(WriteRecordings);

    /// <summary>recording.wav (44.1 kHz stereo 16-bit), recording.flac (the same samples), recording.mp3.</summary>
    static string WriteRecordings()
    {
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 44100 });
        var clips = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal)
            .Select(f => conditioner.Apply(AudioFile.Read(f))).ToList();
        var left = new List<float>();
        var random = new Random(46);
        void Pause(double seconds) { for (var i = 0; i < (int)(seconds * 44100); i++) left.Add((float)((random.NextDouble() - 0.5) * 0.002)); }
        foreach (var gain in new[] { 1f, 0.4f, 1.5f, 0.8f })
            foreach (var clip in clips)
            {
                Pause(0.5 + random.NextDouble());
                foreach (var v in clip) left.Add(Math.Clamp(v * gain, -1f, 1f));
            }
        Pause(0.4);
        var stereo = new float[2 * left.Count];
        for (var t = 0; t < left.Count; t++) (stereo[2 * t], stereo[2 * t + 1]) = (left[t], 0.7f * left[t]);
        var folder = Directory.CreateTempSubdirectory("sentire-streaming").FullName;
        var wav = Path.Combine(folder, "recording.wav");
        WavWriter.Write(wav, new AudioClip(stereo, 44100, 2, wav), WavEncoding.Pcm16);
        Tool("flac", "--silent", "--force", "-o", Path.Combine(folder, "recording.flac"), wav);
        Tool("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", wav, Path.Combine(folder, "recording.mp3"));
        return folder;
    }

    static void Tool(string name, params string[] arguments)
    {
        var executable = ExternalProcess.FindOnPath(name) ?? throw new InvalidOperationException($"{name} is needed (scripts/setup.sh installs it)");
        var result = ExternalProcess.Run(executable, arguments);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{name} failed: {result.StandardError}");
    }

    static string Json(FileAnalysis analysis) => FileAnalysisJson.Serialize(FileAnalysisJson.ToJson(analysis));

    /// <summary>The analysis of a long file as it was made before streaming, from the whole decoded signal.</summary>
    static FileAnalysis WholeSignalAnalysis(EmotionRecognizer model, string path)
    {
        var clip = AudioFile.Read(path);
        var samples = new Conditioner(new ConditioningOptions { SampleRate = Rate }).Apply(clip);
        var duration = (double)samples.Length / Rate;
        var tracks = ProsodyAnalyzer.Track(samples, Rate);
        var prosody = ProsodyAnalyzer.Summarize(tracks, duration);
        var speech = FileSegmentation.Speech(samples, Rate);
        var frontEnd = new LogMelFrontEnd(model.Config.FrontEnd);
        var segments = speech.Select(s => model.AnalyzeSamples(samples, (int)s.StartSample, (int)s.EndSample)).ToList();
        var encodings = speech.Select(s => model.Encode(frontEnd.LogMel(samples[(int)s.StartSample..(int)s.EndSample]))).ToList();
        ClipEncoding overall;
        using (Autograd.NoGrad())
            overall = new ClipEncoding(Tensor.Concat(encodings.Select(e => e.Embedding).ToList(), 0).Mean(0, keepDim: true).Normalize(dim: -1),
                Tensor.Concat(encodings.Select(e => e.Pooled).ToList(), 0).Mean(0, keepDim: true));
        var labels = model.Labels;
        var probabilities = model.Score(overall.Embedding, labels, model.Config.PromptTemplate);
        var emotions = labels.Select((l, i) => new EmotionScore(l, probabilities[i])).OrderByDescending(e => e.Probability).ToList();
        return new FileAnalysis(path, duration, AnalysisStatus.Ok, new EmotionPrediction(0, duration, emotions, model.Dimensions(overall.Pooled)),
            segments, prosody, ProsodyLevels.Of(prosody), clip.Truncation);
    }

    [Fact]
    public void Streamed_wav_gives_the_json_of_the_whole_signal_analysis()
    {
        var path = Path.Combine(Folder.Value, "recording.wav");
        var streamed = Clap.Value.AnalyzeFile(path);
        Assert.Equal(AnalysisStatus.Ok, streamed.Status);
        Assert.InRange(streamed.DurationSeconds, 40, 60);
        Assert.True(streamed.Segments.Count >= 10, $"{streamed.Segments.Count} segments");
        var json = Json(streamed);
        Assert.Equal(Json(WholeSignalAnalysis(Clap.Value, path)), json);
        Assert.Equal(json, Json(Clap.Value.AnalyzeClip(AudioFile.Read(path))));
        // the FLAC holds the same samples: the same analysis but for the file name
        var flac = Path.Combine(Folder.Value, "recording.flac");
        Assert.Equal(json.Replace("recording.wav", "recording.flac", StringComparison.Ordinal), Json(Clap.Value.AnalyzeFile(flac)));
    }

    [Fact]
    public void Streamed_mp3_through_ffmpeg_gives_the_json_of_the_clip_in_memory()
    {
        var path = Path.Combine(Folder.Value, "recording.mp3");
        var streamed = Json(Clap.Value.AnalyzeFile(path));
        Assert.Contains("\"segments\"", streamed);
        Assert.Equal(Json(Clap.Value.AnalyzeClip(AudioFile.Read(path))), streamed);
    }

    [Fact]
    public void Student_streamed_gives_the_json_of_the_clip_in_memory_with_the_whole_signal_segments()
    {
        var path = Path.Combine(Folder.Value, "recording.wav");
        var streamed = Student.Value.AnalyzeFile(path);
        var samples = new Conditioner(new ConditioningOptions { SampleRate = Rate }).Apply(AudioFile.Read(path));
        Assert.Equal(FileSegmentation.Speech(samples, Rate).Select(s => (s.StartSeconds, s.EndSeconds)),
            streamed.Segments.Select(s => (s.StartSeconds, s.EndSeconds)));
        Assert.Equal(Json(Student.Value.AnalyzeClip(AudioFile.Read(path))), Json(streamed));
    }

    [Fact]
    public void An_arena_changes_no_analysis_and_is_reused_from_file_to_file()
    {
        // `sentire analyze` passes one arena for all its files: the long recording (segments) and a short sample
        // (scored whole), twice each, give exactly the JSON of the analysis on the ordinary heap.
        var recording = Path.Combine(Folder.Value, "recording.wav");
        var sample = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal).First();
        foreach (IEmotionAnalyzer model in new IEmotionAnalyzer[] { MobileNet.Value, Clap.Value, Student.Value })
        {
            var arena = new TensorArena();
            var expected = new[] { recording, sample }.Select(f => Json(model.AnalyzeFile(f))).ToList();
            Assert.Equal(expected, new[] { recording, sample }.Select(f => Json(model.AnalyzeFile(f, arena: arena))).ToList());
            int created = arena.ArraysCreated;
            Assert.True(created > 0, $"{model.Name}: the arena was not used");
            Assert.Equal(expected, new[] { recording, sample }.Select(f => Json(model.AnalyzeFile(f, arena: arena))).ToList());
            Assert.Equal(created, arena.ArraysCreated);   // the second round took every array from the pool
        }
    }
}
