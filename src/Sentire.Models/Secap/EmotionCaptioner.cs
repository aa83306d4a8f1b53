using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Sentire.IO;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Decoders;
using Sentire.Models.Generation;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Text;

namespace Sentire.Models.Secap;

/// <summary>How a caption is decoded: the decoder's <see cref="GenerationOptions"/>, and SECap's consensus option
/// (sample <see cref="ConsensusSamples"/> captions and keep the one most similar to the others; 0 = off).</summary>
public sealed record CaptionOptions
{
    public GenerationOptions Decoding { get; init; } = new() { MaxNewTokens = 48, RepetitionPenalty = 1.2f };
    public int ConsensusSamples { get; init; }
    /// <summary>Sampling settings of the consensus draws.</summary>
    public float ConsensusTemperature { get; init; } = 0.8f;
    public float ConsensusTopP { get; init; } = 0.9f;
    /// <summary>Picks the consensus among the sampled captions; null = SECap's own, the highest summed cosine of
    /// sentence embeddings (<see cref="EmotionCaptioner.Consensus"/>). An n-gram chooser (minimum Bayes risk under
    /// CIDEr-D: Sentire.Evaluation's CentralCaption) comes from the caller, since the metric lives above the models.</summary>
    public Func<IReadOnlyList<string>, string>? ConsensusChooser { get; init; }
    /// <summary>The instruction; null = the language's first instruction.</summary>
    public string? Instruction { get; init; }
    /// <summary>The transcript, for models trained with a transcript input modality.</summary>
    public string? Transcript { get; init; }
    /// <summary>The prosody levels measured on the clip, which an English caption must agree with; null with
    /// <see cref="EmotionCaptioner.Caption"/> = measured there, with <see cref="EmotionCaptioner.CaptionFrames"/> = none.</summary>
    public ProsodyLevels? Prosody { get; init; }
    /// <summary>The emotion label an analysis of the clip found (its top label), which an English caption must not
    /// contradict: its emotion clause names this emotion or none (<see cref="EmotionCaptioner"/>'s AgreeingClause); null,
    /// or a label without English wording (<see cref="CaptionEmotionWords"/>) = the language model's own guess. Chinese
    /// captions are not held to it.</summary>
    public string? Emotion { get; init; }

    /// <summary>These options held to what <paramref name="analysis"/> found in the clip: its top emotion and its prosody
    /// levels (how <c>analyze --caption</c>, <c>sentire caption</c> and the service's captions agree with the analysis);
    /// unchanged when the analysis has no emotion (silent or too short: the captioner's gate gives the same status).</summary>
    public CaptionOptions HeldTo(FileAnalysis analysis) =>
        analysis.Overall is { } overall ? this with { Emotion = overall.Top.Label, Prosody = analysis.ProsodyLevels } : this;
    /// <summary>Decode under <see cref="CaptionConstraint"/> (one well-formed sentence in the language, agreeing with
    /// <see cref="Prosody"/>); false = the raw decoder, only for comparisons.</summary>
    public bool Constrained { get; init; } = true;
}

/// <summary>The caption of one file, or why it has none: <see cref="AnalysisStatus.TooShort"/> and
/// <see cref="AnalysisStatus.Silent"/> files get no caption (the gate of <see cref="FileSegmentation.Screen"/>).</summary>
public sealed record FileCaption(string File, double DurationSeconds, AnalysisStatus Status, string? Caption, ProsodyLevels? Prosody);

/// <summary>
/// Speech emotion captioning with a packaged SECap model: speech encoder frames -> Q-Former -> projection -> frozen LM
/// prompted with an instruction in the caption language ("en" or "zh").
/// </summary>
public sealed class EmotionCaptioner
{
    /// <summary>Default instruction per language (index 0 of the training instruction lists).</summary>
    public static IReadOnlyDictionary<string, string> DefaultInstructions { get; } = new Dictionary<string, string>
    {
        ["en"] = "Describe the speaker's emotion in one sentence.",
        ["zh"] = "请用一句话描述说话人的情感。",
    };

    readonly ISpeechEncoder encoder;
    readonly LogMelFrontEnd frontEnd;
    readonly int windowFrames, maxFrames;
    readonly Lazy<CaptionVocabulary> vocabulary;

    public SecapPackageConfig Config { get; }
    public SecapModel Model { get; }
    public LlamaForCausalLM LanguageModel { get; }
    public CaptionTokenizer Tokenizer { get; }
    public SecapInputModality Modality { get; }

    EmotionCaptioner(SecapPackageConfig config, EmotionModelConfig encoderConfig, ISpeechEncoder encoder, SecapModel model, LlamaForCausalLM lm, CaptionTokenizer tokenizer)
    {
        Config = config;
        this.encoder = encoder;
        frontEnd = new LogMelFrontEnd(encoderConfig.FrontEnd);
        windowFrames = (int)Math.Round(encoderConfig.WindowSeconds * encoderConfig.FrontEnd.FramesPerSecond);
        maxFrames = (int)Math.Round(config.MaxSeconds * encoderConfig.FrontEnd.FramesPerSecond);
        Model = model;
        LanguageModel = lm;
        Tokenizer = tokenizer;
        Modality = config.InputModality;
        vocabulary = new(() => new CaptionVocabulary(tokenizer));
    }

    public static EmotionCaptioner Load(string folder)
    {
        var config = SecapPackage.ReadConfig(folder);
        var (encoderConfig, clap, _) = EmotionModelPackage.Load(SecapPackage.SpeechEncoderFolder(folder, config));
        var lmFolder = SecapPackage.LanguageModelPath(folder, config);
        if (!Directory.Exists(lmFolder)) throw new DirectoryNotFoundException($"{folder}: the caption language model {lmFolder} named in {SecapPackage.ConfigFile} is missing");
        var (lm, tokenizer) = CaptionLanguageModel.Load(lmFolder, config.LanguageModelPrecision);
        var model = SecapPackage.LoadModel(folder, config, lm.Config.HiddenSize);
        var speech = SecapSpeechFrames.SpeechEncoderOf(SecapPackage.SpeechEncoderFolder(folder, config), clap.AudioEncoder);
        return new EmotionCaptioner(config, encoderConfig, speech, model, lm, tokenizer);
    }

    /// <summary>Frozen speech-encoder frames (T', D) of a clip.</summary>
    public Audio.Dsp.FeatureMatrix Frames(AudioClip clip) => SecapSpeechFrames.Encode(encoder, frontEnd.LogMel(clip), windowFrames, maxFrames);

    /// <summary>Tokens and per-language masks of the LM's vocabulary, for <see cref="CaptionConstraint"/>.</summary>
    public CaptionVocabulary Vocabulary => vocabulary.Value;

    /// <summary>Caption of a file behind the analysis gate: a too-short or silent file gets its status and no caption;
    /// otherwise the caption agrees with the prosody levels measured on the file (returned beside it).</summary>
    public FileCaption CaptionFile(string path, string language, CaptionOptions? options = null) => CaptionClip(path, AudioFile.Read(path), language, options);

    /// <summary><see cref="CaptionFile"/> of audio already decoded (an upload), reported under <paramref name="name"/>.</summary>
    public FileCaption CaptionClip(string name, AudioClip clip, string language, CaptionOptions? options = null)
    {
        var path = name;
        var samples = frontEnd.Condition(clip);
        int rate = frontEnd.Config.SampleRate;
        double duration = (double)samples.Length / rate;
        var (status, tracks, _) = FileSegmentation.Screen(samples, rate);
        if (tracks is null) return new FileCaption(path, duration, status, null, null);
        options ??= new CaptionOptions();
        var levels = options.Prosody ?? ProsodyLevels.Of(ProsodyAnalyzer.Summarize(tracks, duration));
        return new FileCaption(path, duration, AnalysisStatus.Ok, CaptionSamples(samples, language, options with { Prosody = levels }), levels);
    }

    /// <summary>Caption of a clip, agreeing with the prosody levels measured on it (or given in the options). No gate:
    /// see <see cref="CaptionFile"/>.</summary>
    public string Caption(AudioClip clip, string language, CaptionOptions? options = null) => CaptionSamples(frontEnd.Condition(clip), language, options ?? new CaptionOptions());

    string CaptionSamples(float[] samples, string language, CaptionOptions options)
    {
        if (options.Constrained && options.Prosody is null && samples.Length > 0)
            options = options with { Prosody = ProsodyLevels.Of(ProsodyAnalyzer.Summarize(samples, frontEnd.Config.SampleRate)) };
        return CaptionFrames(SecapSpeechFrames.Encode(encoder, frontEnd.LogMel(samples), windowFrames, maxFrames), language, options);
    }

    /// <summary>Caption of precomputed speech-encoder frames.</summary>
    public string CaptionFrames(Audio.Dsp.FeatureMatrix frames, string language, CaptionOptions options)
    {
        if (!DefaultInstructions.TryGetValue(language, out var instruction))
            throw new ArgumentException($"caption language '{language}' is not 'en' or 'zh'");
        instruction = options.Instruction ?? instruction;
        if (SecapModel.NeedsTranscript(Modality) && string.IsNullOrWhiteSpace(options.Transcript))
            throw new ArgumentException($"this captioner was trained with the '{OptionNames.Of(Config.InputModality)}' input modality and needs a transcript");
        using var _ = Autograd.NoGrad();
        var (embeds, mask) = Prefix(frames, instruction, options.Transcript);
        var decoding = options.Decoding;
        CaptionConstraint? constraint = null;
        if (options.Constrained)
        {
            constraint = new CaptionConstraint(Vocabulary, language);
            decoding = decoding with { Processors = [.. decoding.Processors, constraint] };
        }
        if (options.ConsensusSamples <= 1)
            return Finish(TextGenerator.Generate(LanguageModel, embeds, mask, decoding)[0], embeds, language, constraint, options.Prosody, options.Emotion);
        var candidates = new List<string>();
        for (int i = 0; i < options.ConsensusSamples; i++)
        {
            var sampling = decoding with { Temperature = options.ConsensusTemperature, TopP = options.ConsensusTopP, BeamSize = 1, Seed = options.Decoding.Seed + (ulong)i };
            candidates.Add(Finish(TextGenerator.Generate(LanguageModel, embeds, mask, sampling)[0], embeds, language, constraint, options.Prosody, options.Emotion));
        }
        return options.ConsensusChooser is { } choose ? choose(candidates) : Consensus(candidates);
    }

    /// <summary>
    /// The caption of generated ids. Unconstrained: their text. Constrained Chinese: the text with its full stop (human
    /// Chinese captions mostly have none, so the LM ends them with EOS). Constrained English: the LM's emotion clause (or,
    /// given an analysis's <paramref name="emotion"/>, the clause <see cref="AgreeingClause"/> picks), then the prosody
    /// phrase of the measured levels that the LM scores highest after it (mean log-probability of the whole caption and
    /// EOS), then a full stop; without measured levels the clause alone.
    /// </summary>
    string Finish(int[] ids, Tensor prompt, string language, CaptionConstraint? constraint, ProsodyLevels? prosody, string? emotion)
    {
        var text = Tokenizer.Decode(ids).Trim();
        if (constraint is null) return text;
        if (language == "zh") return text.Length > 0 && !CaptionText.Terminators(language).Contains(text[^1]) ? text + "。" : text;
        var clause = constraint.Clause(text);
        if (emotion is not null && CaptionEmotionWords.English.ContainsKey(emotion)) clause = AgreeingClause(prompt, clause, emotion);
        if (clause.Length == 0) return "";
        if (prosody is null) return clause + ".";
        var candidates = CaptionProsodyPhrases.English(prosody, CaptionProsodyPhrases.Possessive(clause)).Select(p => clause + p + ".").ToList();
        return candidates.Count == 1 ? candidates[0] : candidates.MaxBy(c => MeanLogProbability(prompt, c))!;
    }

    /// <summary>
    /// The emotion clause held to an analysis's <paramref name="emotion"/>: of the grammar's clauses naming it
    /// (<see cref="CaptionEmotionWords.Clauses"/>, after the LM clause's subject) and the LM's own clause when it names no
    /// other emotion (<see cref="CaptionEmotionWords.OtherEmotionWords"/>), the one the LM scores highest (mean
    /// log-probability of the clause, a full stop and EOS). The caption then names the analysis's emotion or none.
    /// </summary>
    string AgreeingClause(Tensor prompt, string clause, string emotion)
    {
        var forbidden = CaptionEmotionWords.OtherEmotionWords(emotion);
        var candidates = CaptionEmotionWords.Clauses(CaptionEmotionWords.Subject(clause), emotion).ToList();
        if (clause.Length > 0 && !CaptionText.Words(clause).Any(forbidden.Contains)) candidates.Add(clause);
        return candidates.MaxBy(c => MeanLogProbability(prompt, c + "."))!;
    }

    /// <summary>Mean log-probability per token of <paramref name="caption"/> and EOS after the prompt (1, T, D).</summary>
    double MeanLogProbability(Tensor prompt, string caption)
    {
        var ids = Tokenizer.Encode(caption);
        int t = prompt.Dim(1), n = ids.Length + 1;
        var embeds = Tensor.Concat([prompt, LanguageModel.EmbedTokens([ids])], 1);               // (1, T + L, D)
        var hidden = LanguageModel.Hidden(embeds).Narrow(1, t - 1, n);                            // (1, L + 1, D)
        var logp = LanguageModel.Logits(hidden.Reshape(n, hidden.Dim(2))).LogSoftmax(-1);         // (L + 1, V)
        double sum = 0;
        int v = logp.Dim(1);
        for (int i = 0; i < n; i++) sum += logp.Data[i * v + (i < ids.Length ? ids[i] : Tokenizer.EosId)];
        return sum / n;
    }

    (Tensor Embeds, Tensor Mask) Prefix(Audio.Dsp.FeatureMatrix frames, string instruction, string? transcript) =>
        Model.Prompt(LanguageModel, Tokenizer, Modality, frames, instruction, transcript);

    /// <summary>Pooled C-Embedding (1, d_q) of a sentence: the Q-Former's text mode, our sentence encoder.</summary>
    public Tensor EmbedSentence(string text)
    {
        using var noGrad = Autograd.NoGrad();
        var ids = Tokenizer.Encode(text, addBos: true, addEos: true);
        if (ids.Length > Config.QFormer.MaxPositionEmbeddings) ids = ids[..Config.QFormer.MaxPositionEmbeddings];
        return QFormer.PoolText(Model.QFormer.EncodeText([ids], out _)).Normalize(dim: -1);
    }

    /// <summary>SECap's consensus: the candidate with the highest mean cosine similarity to the other candidates.</summary>
    public string Consensus(IReadOnlyList<string> candidates)
    {
        var embeddings = candidates.Select(c => EmbedSentence(c).Data.ToArray()).ToArray();
        int best = 0;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < candidates.Count; i++)
        {
            double score = 0;
            for (int j = 0; j < candidates.Count; j++)
                if (j != i) score += System.Numerics.Tensors.TensorPrimitives.Dot<float>(embeddings[i], embeddings[j]);
            if (score > bestScore) { bestScore = score; best = i; }
        }
        return candidates[best];
    }
}
