using Sentire.Audio.Decoding;
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
}

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

    readonly LogMelEncoder encoder;
    readonly LogMelFrontEnd frontEnd;
    readonly int windowFrames, maxFrames;

    public SecapPackageConfig Config { get; }
    public SecapModel Model { get; }
    public LlamaForCausalLM LanguageModel { get; }
    public CaptionTokenizer Tokenizer { get; }
    public SecapInputModality Modality { get; }

    EmotionCaptioner(SecapPackageConfig config, EmotionModelConfig encoderConfig, LogMelEncoder encoder, SecapModel model, LlamaForCausalLM lm, CaptionTokenizer tokenizer)
    {
        Config = config;
        this.encoder = encoder;
        frontEnd = new LogMelFrontEnd(encoderConfig.FrontEnd);
        windowFrames = (int)Math.Round(encoderConfig.WindowSeconds * encoderConfig.FrontEnd.FramesPerSecond);
        maxFrames = (int)Math.Round(config.MaxSeconds * encoderConfig.FrontEnd.FramesPerSecond);
        Model = model;
        LanguageModel = lm;
        Tokenizer = tokenizer;
        Modality = SecapModel.ParseModality(config.InputModality);
    }

    public static EmotionCaptioner Load(string folder)
    {
        var config = SecapPackage.ReadConfig(folder);
        var (encoderConfig, clap, _) = EmotionModelPackage.Load(SecapPackage.SpeechEncoderFolder(folder, config));
        var lmFolder = SecapPackage.LanguageModelPath(folder, config);
        if (!Directory.Exists(lmFolder)) throw new DirectoryNotFoundException($"{folder}: the caption language model {lmFolder} named in {SecapPackage.ConfigFile} is missing");
        var (lm, tokenizer) = CaptionLanguageModel.Load(lmFolder, CaptionLanguageModel.ParsePrecision(config.LanguageModelPrecision));
        var model = SecapPackage.LoadModel(folder, config, lm.Config.HiddenSize);
        return new EmotionCaptioner(config, encoderConfig, (LogMelEncoder)clap.AudioEncoder, model, lm, tokenizer);
    }

    /// <summary>Frozen speech-encoder frames (T', D) of a clip.</summary>
    public Audio.Dsp.FeatureMatrix Frames(AudioClip clip) => SecapSpeechFrames.Encode(encoder, frontEnd.LogMel(clip), windowFrames, maxFrames);

    public string CaptionFile(string path, string language, CaptionOptions? options = null) => Caption(AudioFile.Read(path), language, options);

    public string Caption(AudioClip clip, string language, CaptionOptions? options = null) => CaptionFrames(Frames(clip), language, options ?? new CaptionOptions());

    /// <summary>Caption of precomputed speech-encoder frames.</summary>
    public string CaptionFrames(Audio.Dsp.FeatureMatrix frames, string language, CaptionOptions options)
    {
        if (!DefaultInstructions.TryGetValue(language, out var instruction))
            throw new ArgumentException($"caption language '{language}' is not 'en' or 'zh'");
        instruction = options.Instruction ?? instruction;
        if (SecapModel.NeedsTranscript(Modality) && string.IsNullOrWhiteSpace(options.Transcript))
            throw new ArgumentException($"this captioner was trained with the '{Config.InputModality}' input modality and needs a transcript");
        using var _ = Autograd.NoGrad();
        var (embeds, mask) = Prefix(frames, instruction, options.Transcript);
        if (options.ConsensusSamples <= 1)
            return Decode(TextGenerator.Generate(LanguageModel, embeds, mask, options.Decoding)[0]);
        var candidates = new List<string>();
        for (int i = 0; i < options.ConsensusSamples; i++)
        {
            var sampling = options.Decoding with { Temperature = options.ConsensusTemperature, TopP = options.ConsensusTopP, BeamSize = 1, Seed = options.Decoding.Seed + (ulong)i };
            candidates.Add(Decode(TextGenerator.Generate(LanguageModel, embeds, mask, sampling)[0]));
        }
        return options.ConsensusChooser is { } choose ? choose(candidates) : Consensus(candidates);
    }

    (Tensor Embeds, Tensor Mask) Prefix(Audio.Dsp.FeatureMatrix frames, string instruction, string? transcript) =>
        Model.Prompt(LanguageModel, Tokenizer, Modality, frames, instruction, transcript);

    string Decode(int[] ids) => Tokenizer.Decode(ids).Trim();

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
