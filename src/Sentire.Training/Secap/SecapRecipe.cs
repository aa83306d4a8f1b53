using Sentire.Models.Secap;
using Sentire.Training.Captions;
using Sentire.Training.Recipes;

namespace Sentire.Training.Secap;

/// <summary>Where stage 2's Q-Former starts: the stage-1 weights, or fresh ones (the "no stage 1" ablation).</summary>
public enum Stage2Init { Stage1, Scratch }

/// <summary>The text hint of a caption-LM pre-training row: the row's own caption, or another paraphrase of the clip.</summary>
public enum CaptionHint { Copy, Paraphrase }

/// <summary>
/// SECap (Xu et al., AAAI 2024) Bridge-Net training, stages 1 and 2, one YAML file in recipes/ (secap-small.yaml).
/// The frozen speech encoder is a packaged emotion model's audio encoder; the frozen language model and its tokenizer
/// come from a <see cref="SecapLmRecipe"/> run, or are a Hugging Face LLaMA/Qwen2 checkpoint folder with its tokenizer. Defaults are sized for 2 CPU cores; the paper's values are noted.
/// </summary>
public sealed class SecapRecipe
{
    public string Name { get; init; } = "secap-small";
    public ulong Seed { get; init; } = 1234;
    /// <summary>Packaged emotion model whose audio encoder is SECap's frozen speech encoder (paper: HuBERT-large).</summary>
    public string SpeechEncoder { get; init; } = "models/emotion-clap-small";
    /// <summary>Folder of the pre-trained, frozen caption LM (paper: LLaMA-7B): written by <c>sentire train secap-lm</c>,
    /// or a Hugging Face LLaMA/Qwen2/Mistral checkpoint folder with its tokenizer (<c>--decoder PATH</c>).</summary>
    public string LanguageModel { get; init; } = "runs/secap-lm/model";
    /// <summary>Storage of the frozen LM's matrices: f32, or bf16 (half the memory, for a large Hugging Face decoder).</summary>
    public LanguageModelPrecision LanguageModelPrecision { get; init; } = LanguageModelPrecision.F32;
    public CaptionDataRecipe Data { get; init; } = new();
    public SecapQFormerRecipe Qformer { get; init; } = new();
    public SecapStage1Recipe Stage1 { get; init; } = new();
    public SecapStage2Recipe Stage2 { get; init; } = new();

    public void Validate(string source) => RecipeErrors.Check(source, errors =>
    {
        errors.If(Qformer.NumQueryTokens <= 0 || Qformer.HiddenSize <= 0 || Qformer.Layers <= 0, "qformer sizes must be positive");
        errors.If(Qformer.Heads <= 0 || Qformer.HiddenSize % Qformer.Heads != 0, $"qformer.hidden_size {Qformer.HiddenSize} is not divisible by qformer.heads {Qformer.Heads}");
        errors.If(Stage1.Categories < 2 || Stage1.SamplesPerCategory < 1, $"stage1 needs categories >= 2 and samples_per_category >= 1 (got {Stage1.Categories}, {Stage1.SamplesPerCategory})");
        errors.If(Stage1.Epochs < 0, $"stage1.epochs must be >= 0 (0 skips stage 1), got {Stage1.Epochs}");
        errors.If(Stage1.StepsPerEpoch <= 0, $"stage1.steps_per_epoch must be positive, got {Stage1.StepsPerEpoch}");
        // 0 epochs skips stage 1, so its schedule is checked only when it runs
        if (Stage1.Epochs > 0) errors.Schedule("stage1", Stage1.Epochs, Stage1.StepsPerEpoch, Stage1.Warmup, Stage1.LearningRate, Stage1.MinLearningRateOrDefault);
        else errors.If(Stage1.LearningRate <= 0, $"stage1.learning_rate must be positive, got {Stage1.LearningRate}");
        errors.If(Stage2.BatchSize <= 0, $"stage2.batch_size must be positive, got {Stage2.BatchSize}");
        errors.Schedule("stage2", Stage2.Epochs, Stage2.StepsPerEpoch, Stage2.WarmupSteps, Stage2.LearningRate, Stage2.MinLearningRate);
    });
}

/// <summary>Q-Former sizes (paper: BERT-base, 12 layers of 768, 32 queries).</summary>
public sealed class SecapQFormerRecipe
{
    public int NumQueryTokens { get; init; } = 16;
    public int HiddenSize { get; init; } = 192;
    public int Heads { get; init; } = 4;
    public int Layers { get; init; } = 2;
    public int IntermediateSize { get; init; } = 768;
    public int CrossAttentionFrequency { get; init; } = 2;
    public float Dropout { get; init; } = 0.1f;
    /// <summary>Text-mode positions (longest caption or transcript in tokens).</summary>
    public int MaxTokens { get; init; } = 96;
    /// <summary>A BERT checkpoint folder (BLIP-2/SECap: BERT-base) or a Sentire emotion model (its text encoder) whose
    /// weights initialise a fresh Q-Former's text mode; empty: random (<see cref="QFormerInitialisation"/>).</summary>
    public string InitialiseFrom { get; init; } = "";
}

/// <summary>Stage 1, eq. 6: L_T1 = w_T1 U + w_T2 L_SCCL with the speech encoder frozen.</summary>
public sealed class SecapStage1Recipe
{
    /// <summary>0 epochs skips stage 1 (the "no stage 1" ablation).</summary>
    public int Epochs { get; init; } = 4;
    public int StepsPerEpoch { get; init; } = 60;
    /// <summary>N categories x K clips per SCCL batch.</summary>
    public int Categories { get; init; } = 4;
    public int SamplesPerCategory { get; init; } = 4;
    public double LearningRate { get; init; } = 3e-4;
    /// <summary>Floor of the cosine decay; null: learning_rate / 20.</summary>
    public double? MinLearningRate { get; init; }
    /// <summary>Linear warm-up steps; null: min(50, epochs x steps_per_epoch / 10).</summary>
    public int? WarmupSteps { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    public double GradClip { get; init; } = 1.0;
    /// <summary>w_T1 (STMIL) and w_T2 (SCCL); 0 turns a term off (the STMIL-only / SCCL-only ablations).</summary>
    public float StmilWeight { get; init; } = 0.1f;
    public float ScclWeight { get; init; } = 1f;
    /// <summary>Eq. 5's w1 (own caption), w2 (same-category captions), w3 (other categories) and margin m.</summary>
    public float ScclW1 { get; init; } = 1f;
    public float ScclW2 { get; init; } = 0.3f;
    public float ScclW3 { get; init; } = 0.3f;
    public float ScclMargin { get; init; } = 0.2f;
    /// <summary>Hidden width of vCLUB's mean and log-variance networks, and their own learning rate.</summary>
    public int ClubHiddenSize { get; init; } = 128;
    public double ClubLearningRate { get; init; } = 1e-3;

    public long TotalSteps => (long)Epochs * StepsPerEpoch;
    /// <summary>warmup_steps, or its default min(50, total / 10).</summary>
    public long Warmup => WarmupSteps ?? Math.Min(50, TotalSteps / 10);
    /// <summary>min_learning_rate, or its default learning_rate / 20.</summary>
    public double MinLearningRateOrDefault => MinLearningRate ?? LearningRate / 20;
}

/// <summary>Stage 2, eq. 7: teacher-forced cross-entropy on the caption tokens through the frozen LM.</summary>
public sealed class SecapStage2Recipe
{
    public int Epochs { get; init; } = 6;
    public int StepsPerEpoch { get; init; } = 80;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 5e-4;
    public double MinLearningRate { get; init; } = 2e-5;
    public int WarmupSteps { get; init; } = 40;
    public double WeightDecay { get; init; } = 0.01;
    public double GradClip { get; init; } = 1.0;
    /// <summary>Table 2 of the paper: q (Q-Embedding only, default), t (T-Embedding), transcript (raw transcript tokens),
    /// transcript+q, t+q.</summary>
    public SecapInputModality InputModality { get; init; } = SecapInputModality.Q;
    /// <summary>stage1: start from the stage-1 Q-Former; scratch: fresh weights (the "no stage 1" ablation).</summary>
    public Stage2Init Init { get; init; } = Stage2Init.Stage1;
    /// <summary>Train only the projection, keeping the stage-1 Q-Former frozen (an ablation).</summary>
    public bool FreezeQformer { get; init; }
    public int MaxCaptionTokens { get; init; } = 64;
    /// <summary>Validation clips decoded per language after each epoch for BLEU/CIDEr (greedy); 0 skips decoding.</summary>
    public int ValidDecodeClips { get; init; } = 30;
    public int MaxNewTokens { get; init; } = 48;
}

/// <summary>The small caption LM of SECap's decoder slot (the paper uses frozen LLaMA-7B): LLaMA architecture,
/// pre-trained here on caption text of both languages with its own BPE tokenizer, then frozen. recipes/secap-lm.yaml.</summary>
public sealed class SecapLmRecipe
{
    public string Name { get; init; } = "secap-lm";
    public ulong Seed { get; init; } = 1234;
    public CaptionDataRecipe Data { get; init; } = new();
    /// <summary>BPE vocabulary (byte fallback: any text encodes); must exceed 260 + the distinct characters of the captions.</summary>
    public int VocabSize { get; init; } = 1600;
    /// <summary>Probability that a pre-training row carries a text hint between BOS and the instruction (another
    /// paraphrase of the caption; for Chinese the caption itself), so the LM learns to read the slot that the
    /// L-Embedding fills in stage 2. Our addition: a 7B LLaMA reads soft prompts without it, a 3-layer LM does not.</summary>
    public double PrefixHintProbability { get; init; }
    /// <summary>What the hint is: <c>copy</c>, the row's own caption (the LM must read the slot to predict a caption
    /// drawn from several paraphrases, so it learns to copy from it; memorising the training captions does not help),
    /// or <c>paraphrase</c>, another caption of the same clip (only its facts carry over). A 3-layer LM trained with
    /// paraphrase hints for 500 steps ignored even a verbatim hint on held-out clips (valid hinted loss = plain loss).</summary>
    public CaptionHint PrefixHint { get; init; } = CaptionHint.Copy;
    public SecapLmModelRecipe Model { get; init; } = new();
    public SecapLmOptimRecipe Optim { get; init; } = new();

    public void Validate(string source) => RecipeErrors.Check(source, errors =>
    {
        errors.If(VocabSize <= 260, $"vocab_size must exceed the 260 byte and special tokens, got {VocabSize}");
        errors.If(PrefixHintProbability is < 0 or > 1, $"prefix_hint_probability must be in [0, 1], got {PrefixHintProbability}");
        var m = Model;
        errors.If(m.HiddenSize <= 0 || m.IntermediateSize <= 0 || m.NumHiddenLayers <= 0 || m.MaxPositionEmbeddings <= 0,
            $"model.hidden_size, intermediate_size, num_hidden_layers and max_position_embeddings must be positive, got {m.HiddenSize}, {m.IntermediateSize}, {m.NumHiddenLayers}, {m.MaxPositionEmbeddings}");
        errors.If(m.NumAttentionHeads <= 0 || m.NumKeyValueHeads <= 0 || m.HiddenSize % m.NumAttentionHeads != 0 || m.NumAttentionHeads % m.NumKeyValueHeads != 0,
            $"model.hidden_size {m.HiddenSize} must be divisible by model.num_attention_heads {m.NumAttentionHeads}, and that by model.num_key_value_heads {m.NumKeyValueHeads}");
        errors.If(Optim.BatchSize <= 0, $"optim.batch_size must be positive, got {Optim.BatchSize}");
        errors.Schedule("optim", Optim.Epochs, Optim.StepsPerEpoch, Optim.WarmupSteps, Optim.LearningRate, Optim.MinLearningRate);
    });
}

/// <summary>LlamaConfig sizes, Hugging Face names.</summary>
public sealed class SecapLmModelRecipe
{
    public int HiddenSize { get; init; } = 192;
    public int IntermediateSize { get; init; } = 512;
    public int NumHiddenLayers { get; init; } = 3;
    public int NumAttentionHeads { get; init; } = 4;
    public int NumKeyValueHeads { get; init; } = 2;
    public int MaxPositionEmbeddings { get; init; } = 160;
    public double RopeTheta { get; init; } = 10000;
    public double RmsNormEps { get; init; } = 1e-5;
}

public sealed class SecapLmOptimRecipe
{
    public int Epochs { get; init; } = 6;
    public int StepsPerEpoch { get; init; } = 100;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-3;
    public double MinLearningRate { get; init; } = 5e-5;
    public int WarmupSteps { get; init; } = 60;
    public double WeightDecay { get; init; } = 0.05;
    public double GradClip { get; init; } = 1.0;
}
