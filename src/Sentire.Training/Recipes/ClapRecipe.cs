using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Models.Speech;

namespace Sentire.Training.Recipes;

/// <summary>
/// Everything that defines an Emo-CLAP / GEmo-CLAP training run (Pan et al., 2023), one YAML file in recipes/.
/// Defaults are for our from-scratch log-mel encoder on 2 cores; the paper's values for SSL encoders are noted.
/// </summary>
public sealed class ClapRecipe
{
    public string Name { get; init; } = "emo-clap";
    public ulong Seed { get; init; } = 1234;
    /// <summary>emo-clap | sl-gemo-clap | ml-gemo-clap</summary>
    public ClapVariant Variant { get; init; } = ClapVariant.EmoClap;
    /// <summary>GEmo-CLAP's alpha: weight of emotion against gender (SL: in the soft target; ML: in the loss). Paper: 0.9 (SL), 0.8 (ML).</summary>
    public float Alpha { get; init; } = 0.9f;
    public ClapDataRecipe Data { get; init; } = new();
    public ClapAugmentRecipe Augment { get; init; } = new();
    public ClapEncoderRecipe Encoder { get; init; } = new();
    public ClapTextRecipe Text { get; init; } = new();
    public ClapHeadRecipe Head { get; init; } = new();
    public ClapOptimRecipe Optim { get; init; } = new();
    /// <summary>Auxiliary distillation of the AudioSet teacher into the audio encoder (training only; both weights 0: off).</summary>
    public ClapDistillRecipe Distill { get; init; } = new();

    public void Validate(string source) => RecipeErrors.Check(source, errors =>
    {
        errors.If(Alpha is < 0f or > 1f, $"alpha must be in [0, 1], got {Alpha}");
        errors.If(Data.Labels.Count < 2, "data.labels needs at least two labels");
        errors.If(!Data.PromptTemplate.Contains("{label}", StringComparison.Ordinal), $"data.prompt_template '{Data.PromptTemplate}' has no {{label}}");
        errors.If(Data.CropSeconds <= 0 || Data.CropSeconds > Data.MaxSeconds, $"data.crop_seconds must be in (0, max_seconds = {Data.MaxSeconds}], got {Data.CropSeconds}");
        errors.If(Encoder.Layer != "all" && !int.TryParse(Encoder.Layer, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _),
            $"encoder.layer '{Encoder.Layer}' is not 'all' or a hidden-state index");
        errors.If(Encoder.Prosody && Encoder.Pretrained is not null, "encoder.prosody adds channels to our log-mel encoder's input; a pretrained encoder reads the waveform");
        errors.If(Encoder.Architecture == SpeechEncoderArchitecture.MobileNet && Encoder.Pretrained is not null,
            "encoder.architecture mobilenet trains our own encoder; encoder.pretrained names a frozen one in its place: set one of them");
        errors.If(!(Encoder.WidthMultiplier is > 0f and <= 4f), $"encoder.width_multiplier must be in (0, 4], got {Encoder.WidthMultiplier}");
        errors.If(!(Augment.EqDb >= 0) || float.IsInfinity(Augment.EqDb), $"augment.eq_db must be a number >= 0, got {Augment.EqDb}");
        errors.If(Augment.EqDb > 0 && Augment.EqPoints < 2, $"augment.eq_points must be at least 2 (a curve from the first mel bin to the last), got {Augment.EqPoints}");
        errors.If(Augment.SpeedProbability is < 0 or > 1, $"augment.speed_probability must be in [0, 1], got {Augment.SpeedProbability}");
        errors.If(Augment.SpeedRange is < 0 or >= 0.5f, $"augment.speed_range must be in [0, 0.5), got {Augment.SpeedRange}");
        errors.If(Augment.SpeedProbability > 0 && Encoder.Pretrained is not null, "augment.speed_probability perturbs our log-mel frames; a pretrained encoder's features are cached per window");
        errors.HeldOut("data.validation", Data.Validation);
        errors.If(Data.ValidationClipsPerCorpus < 0, $"data.validation_clips_per_corpus must be >= 0 (0: all), got {Data.ValidationClipsPerCorpus}");
        foreach (var (corpus, weight) in Data.CorpusWeights)
        {
            errors.If(!Data.Corpora.Contains(corpus), $"data.corpus_weights names '{corpus}', which is not in data.corpora");
            errors.If(!(weight > 0) || double.IsInfinity(weight), $"data.corpus_weights.{corpus} must be a positive number, got {weight}");
        }
        errors.If(Optim.EmaDecay is < 0f or >= 1f, $"optim.ema_decay must be in [0, 1), got {Optim.EmaDecay}");
        errors.If(!(Optim.EncoderLearningRateScale is > 0 and <= 1), $"optim.encoder_learning_rate_scale must be in (0, 1], got {Optim.EncoderLearningRateScale}");
        errors.If(Optim.BatchSize < 2, $"optim.batch_size must be at least 2 for a contrastive loss, got {Optim.BatchSize}");
        errors.If(!(Distill.EmbeddingWeight >= 0) || float.IsInfinity(Distill.EmbeddingWeight), $"distill.embedding_weight must be a number >= 0, got {Distill.EmbeddingWeight}");
        errors.If(!(Distill.LogitsWeight >= 0) || float.IsInfinity(Distill.LogitsWeight), $"distill.logits_weight must be a number >= 0, got {Distill.LogitsWeight}");
        errors.If(Distill.Enabled && Encoder.Pretrained is not null, "distill.* trains our log-mel encoder towards the teacher; a pretrained encoder is frozen");
        errors.If(Distill.Stage != DistillStage.Auxiliary && Distill.PretrainSteps < 1, $"distill.pretrain_steps must be at least 1 with distill.stage {OptionNames.Of(Distill.Stage)}, got {Distill.PretrainSteps}");
        var labelled = Distill.PretrainCorpora.Where(Data.Corpora.Contains).ToList();
        errors.If(Distill.Stage != DistillStage.Auxiliary && labelled.Count > 0,
            $"distill.pretrain_corpora names {string.Join(", ", labelled.Select(c => $"'{c}'"))}, which {(labelled.Count == 1 ? "is" : "are")} in data.corpora: their training clips are distilled on already, their test clips must not be");
        errors.Schedule("optim", Optim.Epochs, Optim.StepsPerEpoch, Optim.WarmupSteps, Optim.LearningRate, Optim.MinLearningRate);
    });
}

public sealed class ClapDataRecipe
{
    /// <summary>Corpus folders under the corpora root.</summary>
    public List<string> Corpora { get; init; } = ["ravdess", "emovo", "ased", "urdu"];
    /// <summary>The unified label vocabulary; clips with other labels are left out.</summary>
    public List<string> Labels { get; init; } = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
    /// <summary>Text prompt of a label (GEmo-CLAP: "The emotion is {label}.").</summary>
    public string PromptTemplate { get; init; } = "The emotion is {label}.";
    public string GenderTemplate { get; init; } = "The gender is {label}.";
    /// <summary>Held-out speakers for validation and early stopping: "ravdess-17-20" (the fixed RAVDESS test actors), "fold:K/N"
    /// (speaker-disjoint fold K of N within every corpus) or "ravdess-17-20+fold:K/N" (RAVDESS actors 17-20 and fold K of N
    /// of every other corpus). A corpus with fewer than N speakers is split into as many folds as it has speakers.</summary>
    public string Validation { get; init; } = "ravdess-17-20";
    /// <summary>At most this many held-out clips of each corpus are scored after every epoch (a seeded random draw; 0: all), so
    /// that validation of six corpora costs little beside training. `sentire eval` scores every held-out clip.</summary>
    public int ValidationClipsPerCorpus { get; init; }
    /// <summary>Share of each corpus in the balanced sampler relative to 1 (corpora not named have 1), e.g. tess: 0.5.</summary>
    public Dictionary<string, double> CorpusWeights { get; init; } = [];
    /// <summary>Folder where the decoded log-mel (and prosody) frames of each corpus are kept between runs
    /// (<see cref="Sentire.Audio.Corpus.FeatureCache"/>); null decodes every run.</summary>
    public string? FeatureCache { get; init; }
    /// <summary>Every training and inference window has this length (clip length must not be a cue). GEmo-CLAP crops at 14 s.</summary>
    public double CropSeconds { get; init; } = 2.0;
    public double MaxSeconds { get; init; } = 14.0;
    /// <summary>Hop between inference windows, as a fraction of the window.</summary>
    public double WindowHopFraction { get; init; } = 0.5;
}

public sealed class ClapAugmentRecipe
{
    /// <summary>SpecAugment (Park et al., 2019): number and maximum width of time and frequency masks.</summary>
    public int TimeMasks { get; init; } = 2;
    public int TimeMaskFrames { get; init; } = 20;
    public int FreqMasks { get; init; } = 2;
    public int FreqMaskBins { get; init; } = 10;
    /// <summary>Random gain in +-dB, applied in the log-mel domain (ln(10^(g/10)) added to every bin).</summary>
    public float GainDb { get; init; } = 6f;
    /// <summary>Random channel equalisation (a microphone, a room, a codec): a gain curve over the mel bins through
    /// eq_points control points spread evenly from the first bin to the last, each uniform in +-eq_db dB, linear between
    /// them, added to every frame of the window; 0 disables.</summary>
    public float EqDb { get; init; }
    public int EqPoints { get; init; } = 4;
    /// <summary>Additive white noise at a random SNR in [min, max] dB on the log-mel power (0 disables).</summary>
    public float NoiseSnrMinDb { get; init; } = 15f;
    public float NoiseSnrMaxDb { get; init; } = 40f;
    public float NoiseProbability { get; init; } = 0.3f;
    /// <summary>Speed perturbation (Ko et al., 2015) on the log-mel frames: with this probability a training crop is read as if
    /// the audio were played r times faster, r uniform in [1 - speed_range, 1 + speed_range] (time and frequency axes
    /// scaled by r, F0 by r); 0 disables.</summary>
    public float SpeedProbability { get; init; }
    public float SpeedRange { get; init; } = 0.1f;
}

public sealed class ClapEncoderRecipe
{
    public int NMels { get; init; } = 80;
    /// <summary>Our audio encoder: "transformer" (<see cref="LogMelEncoder"/>: subsampling, stack_frames, hidden_size, heads,
    /// layers, ffn_size, dropout) or "mobilenet" (<see cref="MobileNetEncoder"/>, the teacher's MobileNetV3 shape over our
    /// log-mel from random weights: width_multiplier).</summary>
    public SpeechEncoderArchitecture Architecture { get; init; } = SpeechEncoderArchitecture.Transformer;
    /// <summary>The MobileNet's width multiplier (architecture mobilenet; the teacher's 0.4 makes a 384-d output).</summary>
    public float WidthMultiplier { get; init; } = 0.4f;
    /// <summary>How 10 ms log-mel frames become encoder frames: "stack" (k frames concatenated, one linear map) or "conv"
    /// (Whisper-style strided 1-D convolutions); both reduce the frame rate by stack_frames.</summary>
    public Subsampling Subsampling { get; init; } = Subsampling.Stack;
    public int StackFrames { get; init; } = 4;
    public int HiddenSize { get; init; } = 192;
    public int Heads { get; init; } = 4;
    public int Layers { get; init; } = 4;
    public int FfnSize { get; init; } = 768;
    public float Dropout { get; init; } = 0.1f;
    /// <summary>Frame F0 and voicing beside the log-mel bins (Speech.ProsodyChannels), and each window's pitch and energy
    /// functionals (Speech.ProsodyStatistics) beside the pooled encoder output in the audio projection. Our addition to the
    /// paper, for an encoder trained from scratch on a few hours; off reproduces the paper's audio tower.</summary>
    public bool Prosody { get; init; }
    /// <summary>A Hugging Face speech-encoder folder (wav2vec2, HuBERT, data2vec-audio, WavLM) used frozen in place of the
    /// log-mel encoder above (whose sizes are then unused); null trains our own encoder. See docs/pretrained/recipes.md.</summary>
    public string? Pretrained { get; init; }
    /// <summary>Hidden states of the pretrained encoder fed to the head: "all" (learnt SUPERB-style weighted sum) or an index N.</summary>
    public string Layer { get; init; } = "all";
    /// <summary>Folder of the pooled pretrained-encoder features (one file per corpus, encoder and windowing).</summary>
    public string FeatureCache { get; init; } = "cache/pretrained-features";
}

public sealed class ClapTextRecipe
{
    public int VocabSize { get; init; } = 400;
    public int HiddenSize { get; init; } = 128;
    public int Heads { get; init; } = 4;
    public int Layers { get; init; } = 2;
    public int FfnSize { get; init; } = 512;
    public float Dropout { get; init; } = 0.1f;
    public int MaxTokens { get; init; } = 32;
    /// <summary>A Hugging Face BERT/RoBERTa folder used frozen as the text tower, pooled on its first token, with its own
    /// tokenizer (the sizes above are then unused); null trains our own text encoder. See docs/pretrained/recipes.md.</summary>
    public string? Pretrained { get; init; }
}

public sealed class ClapHeadRecipe
{
    public int ProjectionSize { get; init; } = 128;
    /// <summary>tau of both directions at initialisation (CLIP/CLAP: 0.07).</summary>
    public float Temperature { get; init; } = 0.07f;
    public bool LearnableTemperature { get; init; } = true;
}

public sealed class ClapOptimRecipe
{
    /// <summary>Paper (SSL encoders, fine-tuning): 5e-5 with batch 32; from scratch we need more.</summary>
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;
    public int BatchSize { get; init; } = 32;
    public int WarmupSteps { get; init; } = 200;
    public int Epochs { get; init; } = 30;
    public int StepsPerEpoch { get; init; } = 100;
    public double GradClip { get; init; } = 1.0;
    /// <summary>Epochs without a better validation UAR before stopping.</summary>
    public int EarlyStopPatience { get; init; } = 8;
    public double MinLearningRate { get; init; } = 1e-5;
    /// <summary>Decay of the exponential moving average of the weights that is validated and saved (0: off, the last weights).</summary>
    public float EmaDecay { get; init; }
    /// <summary>The audio encoder's learning rate in the CLAP stage as a multiple of <see cref="LearningRate"/> (warm-up and
    /// decay alike); below 1 it keeps more of what a pre-training stage taught it. 1: one rate for every parameter.</summary>
    public double EncoderLearningRateScale { get; init; } = 1.0;
}

/// <summary>
/// Distillation of the AudioSet teacher (EfficientAT mn04_as, docs/teacher.md) into our audio encoder, as an auxiliary loss
/// beside the CLAP objective or as a pre-training stage before it (<see cref="Stage"/>): linear heads from the pooled
/// encoder output to the teacher's standardised 384-d clip embedding (MSE) and to its 527 AudioSet logits (binary
/// cross-entropy against sigmoid of the teacher's logits). The heads exist only in training: the packaged model is the
/// CLAP model alone and runs without the teacher.
/// </summary>
public sealed class ClapDistillRecipe
{
    /// <summary>auxiliary: the distillation loss beside the CLAP objective at every step; pretrain: <see cref="PretrainSteps"/>
    /// steps of the distillation loss alone on the audio encoder (training clips, labels unused, and the clips of
    /// <see cref="PretrainCorpora"/>), then the CLAP objective alone; both: that pre-training, then the CLAP objective with
    /// the distillation loss beside it.</summary>
    public DistillStage Stage { get; init; } = DistillStage.Auxiliary;
    /// <summary>Steps of the pre-training stage (batches of optim.batch_size windows; stages pretrain and both).</summary>
    public int PretrainSteps { get; init; } = 1000;
    /// <summary>Corpora without categories whose audio is distilled on in the pre-training stage beside the training clips
    /// (stages pretrain and both): audio we hold but cannot use in the CLAP objective.</summary>
    public List<string> PretrainCorpora { get; init; } = ["baved", "secap"];

    /// <summary>Weight of the embedding regression (0: off).</summary>
    public float EmbeddingWeight { get; init; }
    /// <summary>Weight of the AudioSet-logit binary cross-entropy (0: off).</summary>
    public float LogitsWeight { get; init; }
    /// <summary>Teacher checkpoint; null: ../teachers/efficientat-mn04/mn04_as_mAP_432.pt beside the corpora folder.</summary>
    public string? Teacher { get; init; }
    /// <summary>Folder of the teacher targets (`sentire train teacher-targets`; computed there for corpora that lack them).</summary>
    public string TeacherCache { get; init; } = "cache/teacher";

    public bool Enabled => EmbeddingWeight > 0 || LogitsWeight > 0;
    /// <summary>Whether a pre-training stage runs before the CLAP objective (stage pretrain or both).</summary>
    public bool Pretrains => Enabled && Stage is DistillStage.Pretrain or DistillStage.Both;
    /// <summary>Whether the distillation loss is added to the CLAP objective (stage auxiliary or both).</summary>
    public bool Auxiliary => Enabled && Stage is DistillStage.Auxiliary or DistillStage.Both;
}

/// <summary>Which audio encoder a recipe trains (<see cref="ClapEncoderRecipe.Architecture"/>).</summary>
public enum SpeechEncoderArchitecture { Transformer, [System.Text.Json.Serialization.JsonStringEnumMemberName("mobilenet")] MobileNet }

/// <summary>Where the teacher's distillation loss acts (<see cref="ClapDistillRecipe.Stage"/>).</summary>
public enum DistillStage { Auxiliary, Pretrain, Both }
