using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.Models.Analysis;
using Sentire.Models.Dimensions;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>What the speech encoder makes of one clip: the CLAP embedding (1, P), L2-normalised, and the pooled encoder
/// output (1, D) that the dimensional head reads; both are means over the clip's windows.</summary>
public sealed record ClipEncoding(Tensor Embedding, Tensor Pooled);

/// <summary>
/// Zero-shot speech emotion recognition with a packaged Emo-CLAP model:
/// <code>
/// using var recognizer = EmotionRecognizer.Load("models/emotion-clap-mobilenet");
/// var prediction = recognizer.Analyze(AudioFile.Read("clip.wav"));            // the model's own labels
/// var custom = recognizer.Analyze(clip, ["happy", "sad", "bored"]);              // any label list
/// var avd = prediction.Dimensions;                                               // arousal, valence, dominance (null without a head)
/// </code>
/// Audio is cut into fixed windows as in training (short clips are tiled), each window embedded, the window
/// embeddings averaged, and the clip scored against one prompt per label. When the package has a dimensional
/// head, the window-averaged pooled encoder output also gives arousal, valence and dominance in [0, 1].
/// </summary>
public sealed class EmotionRecognizer : IEmotionAnalyzer
{
    readonly ClapModel model;
    readonly BpeTokenizer tokenizer;
    readonly LogMelFrontEnd frontEnd;
    readonly Dictionary<string, Tensor> promptCache;
    readonly Lock cacheLock;
    readonly EmbeddingAlignment? alignment;

    EmotionRecognizer(EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer, DimensionalHead? dimensionalHead, string? dimensionsProblem,
        ReferenceEmbedding? reference, string? referenceProblem)
    {
        Config = config;
        this.model = model;
        this.tokenizer = tokenizer;
        DimensionalHead = dimensionalHead;
        DimensionsProblem = dimensionsProblem;
        Reference = reference;
        ReferenceProblem = referenceProblem;
        frontEnd = new LogMelFrontEnd(config.FrontEnd);
        promptCache = new(StringComparer.Ordinal);
        cacheLock = new();
    }

    /// <summary>The same model (weights, prompt cache) scoring through <paramref name="alignment"/>.</summary>
    EmotionRecognizer(EmotionRecognizer source, EmbeddingAlignment alignment)
    {
        (Config, model, tokenizer, frontEnd) = (source.Config, source.model, source.tokenizer, source.frontEnd);
        (DimensionalHead, DimensionsProblem, Reference, ReferenceProblem) = (source.DimensionalHead, source.DimensionsProblem, source.Reference, source.ReferenceProblem);
        (promptCache, cacheLock) = (source.promptCache, source.cacheLock);
        this.alignment = alignment;
    }

    /// <summary>The mean embedding of the clips the model was trained on (reference.safetensors), or null
    /// (<see cref="ReferenceProblem"/> says why): what <see cref="AlignedTo"/> needs.</summary>
    public ReferenceEmbedding? Reference { get; }

    public string? ReferenceProblem { get; }

    /// <summary>This model scoring every clip of a recording set-up through an <see cref="EmbeddingAlignment"/>: the
    /// set-up's mean clip embedding (of <paramref name="setEmbeddings"/>, clip embeddings from <see cref="EmbedFeatures"/>
    /// of unlabelled clips of it) is moved onto the model's <see cref="Reference"/>. Embeddings stay as the encoder made
    /// them; only scoring changes.</summary>
    public EmotionRecognizer AlignedTo(IReadOnlyList<Tensor> setEmbeddings)
    {
        if (Reference is null) throw new InvalidOperationException($"{Name} cannot align to a recording set-up: {ReferenceProblem}");
        var mean = EmbeddingAlignment.Mean(setEmbeddings.Select(e => e.Data.ToArray()).ToList());
        return new EmotionRecognizer(this, new EmbeddingAlignment(Reference, mean, setEmbeddings.Count));
    }

    public EmotionModelConfig Config { get; }

    /// <summary>The arousal/valence/dominance head, or null when the package has none (or a stale one).</summary>
    public DimensionalHead? DimensionalHead { get; }

    /// <summary>Why <see cref="DimensionalHead"/> is null, for a warning; null when the head is loaded.</summary>
    public string? DimensionsProblem { get; }

    /// <summary>Warns only about a head the package names and could not load (a package without one is not warned about).</summary>
    public string? DimensionsWarning => Config.Dimensions is null ? null : DimensionsProblem;

    /// <summary>The labels the model was trained on, the default label set.</summary>
    public IReadOnlyList<string> Labels => Config.Labels;

    public string Name => Config.Name;
    public int SampleRate => Config.FrontEnd.SampleRate;
    public bool HasDimensions => DimensionalHead is not null;

    public static EmotionRecognizer Load(string folder)
    {
        var (config, model, tokenizer) = EmotionModelPackage.Load(folder);
        var (head, problem) = EmotionModelPackage.LoadDimensionalHead(folder, config);
        var (reference, referenceProblem) = EmotionModelPackage.LoadReference(folder, config.Head.ProjectionSize);
        return new EmotionRecognizer(config, model, tokenizer, head, problem, reference, referenceProblem);
    }

    /// <summary>Creates a recognizer around a model in memory (used by training to validate).</summary>
    public static EmotionRecognizer FromModel(EmotionModelConfig config, ClapModel model, BpeTokenizer tokenizer, DimensionalHead? dimensionalHead = null) =>
        new(config, model, tokenizer, dimensionalHead, dimensionalHead is null ? "no dimensional head given" : null, null, "a model in training has no reference embedding");

    /// <summary>Frames of one model window (samples, for an encoder that reads the waveform).</summary>
    public int WindowFrames => (int)Math.Round(Config.WindowSeconds * (Waveform ? Config.FrontEnd.SampleRate : Config.FrontEnd.FramesPerSecond));

    bool Waveform => model.AudioEncoder.Input == SpeechInput.Waveform;

    /// <summary>What the speech encoder reads: log-mel frames, or the samples as a one-column matrix (pretrained encoders).</summary>
    Audio.Dsp.FeatureMatrix Features(float[] samples, Audio.Prosody.PitchTrack? defaultPitch = null) =>
        Waveform ? new Audio.Dsp.FeatureMatrix(samples.Length, 1, samples) : frontEnd.LogMel(samples, defaultPitch);

    public string? RequestProblem(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        if (promptTemplate is not null && !promptTemplate.Contains("{label}", StringComparison.Ordinal))
            return $"prompt template '{promptTemplate}' has no {{label}} placeholder";
        if (labels is null) return null;
        try { Analysis.LabelList.EnsureValid(labels); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>Clips shorter than this are reported as too short (no emotion is inferred from 0.3 s).</summary>
    public const double MinSeconds = FileSegmentation.MinSeconds;

    /// <summary>Decodes and analyses one file under the rules of <see cref="FileSegmentation"/> (a long file as a stream);
    /// the overall prediction of a long recording scores the mean of its segments' embeddings.</summary>
    public FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null, TensorArena? arena = null)
    {
        var (list, template) = (labels ?? Config.Labels, promptTemplate ?? Config.PromptTemplate);
        return FileSegmentation.AnalyzeFile(path, frontEnd.Conditioner, (samples, pitch) => Predict(samples, 0, list, template, pitch), () => new Timeline(this, list, template), arena);
    }

    public FileAnalysis AnalyzeClip(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        var (list, template) = (labels ?? Config.Labels, promptTemplate ?? Config.PromptTemplate);
        return FileSegmentation.Analyze(clip.Source, frontEnd.Condition(clip), Config.FrontEnd.SampleRate, (samples, pitch) => Predict(samples, 0, list, template, pitch),
            () => new Timeline(this, list, template), clip.Truncation);
    }

    /// <summary>Segments scored one by one; the overall encoding is the mean of theirs (the embedding renormalised), summed
    /// row by row in time order as <see cref="Tensor.Mean(int, bool)"/> of the stacked encodings sums them.</summary>
    sealed class Timeline(EmotionRecognizer recognizer, IReadOnlyList<string> labels, string template) : ISegmentTimeline
    {
        float[]? embeddingSum, pooledSum;
        int count;

        public EmotionPrediction Add(Audio.Segmentation.Segment segment, float[] samples)
        {
            var encoding = recognizer.Encode(recognizer.Features(samples));
            embeddingSum ??= new float[encoding.Embedding.Length];
            pooledSum ??= new float[encoding.Pooled.Length];
            System.Numerics.Tensors.TensorPrimitives.Add(embeddingSum, encoding.Embedding.Data, embeddingSum);
            System.Numerics.Tensors.TensorPrimitives.Add(pooledSum, encoding.Pooled.Data, pooledSum);
            count++;
            return recognizer.Prediction(segment.StartSeconds, segment.EndSeconds, labels, encoding, template);
        }

        public EmotionPrediction Overall(double durationSeconds)
        {
            if (embeddingSum is null || pooledSum is null) throw new InvalidOperationException("no segment was scored");
            var embedding = Mean(embeddingSum);
            var pooled = Mean(pooledSum);
            ClipEncoding overall;
            using (Autograd.NoGrad())
                overall = new ClipEncoding(new Tensor(embedding, 1, embedding.Length).Normalize(dim: -1), new Tensor(pooled, 1, pooled.Length));
            return recognizer.Prediction(0, durationSeconds, labels, overall, template);
        }

        float[] Mean(float[] sum)
        {
            var mean = (float[])sum.Clone();
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, count, mean);
            return mean;
        }
    }

    EmotionPrediction Prediction(double start, double end, IReadOnlyList<string> labels, ClipEncoding encoding, string template)
    {
        var probabilities = Score(encoding.Embedding, labels, template);
        return new(start, end, labels.Select((l, i) => new EmotionScore(l, probabilities[i])).OrderByDescending(s => s.Probability).ToList(), Dimensions(encoding.Pooled));
    }

    /// <summary>Arousal, valence and dominance from a pooled encoder output (1, D); null without a head.</summary>
    public EmotionDimensions? Dimensions(Tensor pooled)
    {
        if (DimensionalHead is null) return null;
        using var _ = Autograd.NoGrad();
        var y = DimensionalHead.Forward(pooled).Data;
        return new EmotionDimensions(y[0], y[1], y[2]);
    }

    public EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        var samples = frontEnd.Condition(clip);
        return AnalyzeSamples(samples, 0, samples.Length, labels, promptTemplate);
    }

    /// <summary>Scores samples[start, end) of mono audio at the model rate.</summary>
    public EmotionPrediction AnalyzeSamples(float[] samples, int start, int end, IReadOnlyList<string>? labels = null, string? promptTemplate = null) =>
        Predict(samples.AsSpan(start, end - start).ToArray(), start, labels, promptTemplate, defaultPitch: null);

    /// <summary>The front end of a live stream cut into windows of <paramref name="windowSamples"/> every
    /// <paramref name="hopSamples"/> (mono, model rate), which computes each frame once (<see cref="StreamingLogMel"/>);
    /// null when this model reads the waveform or the windows are off its frame grid (analyse each with <see cref="Analyze"/>).</summary>
    public StreamingLogMel? StreamFrontEnd(int windowSamples, int hopSamples) =>
        !Waveform && StreamingLogMel.Fits(Config.FrontEnd, windowSamples, hopSamples) ? new StreamingLogMel(frontEnd, windowSamples, hopSamples) : null;

    /// <summary>Prediction of one stream window's frames from <see cref="StreamFrontEnd"/>: <see cref="Analyze"/> of its samples.</summary>
    public EmotionPrediction AnalyzeFrames(Audio.Dsp.FeatureMatrix frames, double startSeconds, double endSeconds, IReadOnlyList<string>? labels = null, string? promptTemplate = null) =>
        Prediction(startSeconds, endSeconds, labels ?? Config.Labels, Encode(frames), promptTemplate ?? Config.PromptTemplate);

    /// <summary>Prediction of <paramref name="slice"/>, which starts at sample <paramref name="start"/> of its file; a pitch
    /// track of the slice made for the prosody summary is reused by the front end (<see cref="LogMelFrontEnd.LogMel"/>).</summary>
    EmotionPrediction Predict(float[] slice, int start, IReadOnlyList<string>? labels, string? promptTemplate, Audio.Prosody.PitchTrack? defaultPitch)
    {
        double rate = Config.FrontEnd.SampleRate;
        return Prediction(start / rate, (start + slice.Length) / rate, labels ?? Config.Labels, Encode(Features(slice, defaultPitch)), promptTemplate ?? Config.PromptTemplate);
    }

    /// <summary>The clip embedding (1, P) of a whole decoded clip (conditioned as analysis conditions it), e.g. for
    /// <see cref="AlignedTo"/>.</summary>
    public Tensor EmbedClip(AudioClip clip) => EmbedFeatures(Features(frontEnd.Condition(clip)));

    /// <summary>The clip embedding (1, P): mean of the window embeddings, renormalised.</summary>
    public Tensor EmbedFeatures(Audio.Dsp.FeatureMatrix features) => Encode(features).Embedding;

    /// <summary>Log-mel frames cut into the model's windows (short clips tiled): (W, window, n_mels).</summary>
    public Tensor Windows(Audio.Dsp.FeatureMatrix features)
    {
        int window = WindowFrames, hop = Math.Max(1, (int)(window * Config.WindowHopFraction));
        var starts = FixedLengthWindows.Starts(features.Rows, window, hop);
        var batch = Tensor.Zeros(starts.Length, window, features.Columns);
        for (int i = 0; i < starts.Length; i++)
            FixedLengthWindows.Copy(features, starts[i], window, batch.Data.Slice(i * window * features.Columns, window * features.Columns));
        return batch;
    }

    /// <summary>One encoder pass over the clip's windows: the CLAP embedding a = normalize(mean_w normalize(P_a(pool_w)))
    /// and the pooled encoder output mean_w pool_w that the dimensional head reads.</summary>
    public ClipEncoding Encode(Audio.Dsp.FeatureMatrix features)
    {
        if (Waveform && features.Columns != 1)
            throw new ArgumentException($"this model's speech encoder reads the waveform (audio_encoder.pretrained '{Config.AudioEncoder?.Pretrained}'), not {features.Columns}-column features such as log-mel frames");
        var batch = Windows(features);
        if (Waveform) batch = batch.Reshape(batch.Dim(0), batch.Dim(1));                     // (W, samples)
        using var _ = Autograd.NoGrad();
        var encoded = model.AudioEncoder.Encode(batch, null);
        var pooled = Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask);          // (W, D)
        var embedding = model.ProjectAudio(batch, pooled);                                      // (W, P), as ClapModel.EmbedAudio
        return new ClipEncoding(ClapModel.ClipEmbedding(embedding), pooled.Mean(0, keepDim: true));
    }

    /// <summary>Probabilities over <paramref name="labels"/> for a clip embedding from <see cref="EmbedFeatures"/>.</summary>
    public float[] Score(Tensor clipEmbedding, IReadOnlyList<string> labels, string promptTemplate)
    {
        Analysis.LabelList.EnsureValid(labels);
        if (!promptTemplate.Contains("{label}", StringComparison.Ordinal))
            throw new ArgumentException($"prompt template '{promptTemplate}' has no {{label}} placeholder");
        var prompts = labels.Select(l => promptTemplate.Replace("{label}", l, StringComparison.Ordinal)).ToList();
        using var _ = Autograd.NoGrad();
        var text = Tensor.Concat(prompts.Select(PromptEmbedding).ToList(), 0);
        return model.ZeroShot(alignment is null ? clipEmbedding : alignment.Apply(clipEmbedding), text).Data.ToArray();
    }

    Tensor PromptEmbedding(string prompt)
    {
        lock (cacheLock)
        {
            if (promptCache.TryGetValue(prompt, out var cached)) return cached;
            var made = model.EmbedText([model.PromptIds(prompt, tokenizer)]);
            // copied to ordinary memory: the first call for a prompt may run inside a TensorArena scope (a serving
            // worker), whose storage is recycled when the scope ends
            var embedding = new Tensor(made.Data.ToArray(), made.ShapeArray());
            promptCache[prompt] = embedding;
            return embedding;
        }
    }
}
