using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Text;

namespace Sentire.Models.Clap;

/// <summary>Sizes and temperature settings of the CLAP heads.</summary>
/// <param name="ProjectionSize">width of the joint audio-text space</param>
/// <param name="InitialTemperature">tau at initialisation; logits are cos / tau (CLIP's 0.07)</param>
/// <param name="LearnableTemperature">whether tau_a and tau_t are trained (GEmo-CLAP) or fixed</param>
/// <param name="ProsodyStatistics">whether P_a also reads each window's <see cref="Speech.ProsodyStatistics"/> (the input frames
/// then carry the <see cref="ProsodyChannels"/>)</param>
public sealed record ClapHeadConfig(int ProjectionSize = 128, float InitialTemperature = 0.07f, bool LearnableTemperature = true, bool ProsodyStatistics = false);

/// <summary>
/// Emo-CLAP (Pan et al., 2023): a speech encoder and a text encoder mapped into one space.
///   a = normalize(P_a(meanpool_valid(SpeechEncoder(x)))),  t = normalize(P_t(firsttoken(TextEncoder(w)))),
/// P_a, P_t two-layer projections (Linear-GELU-Linear). With prosody statistics on (our addition, not the paper's),
/// P_a reads [meanpool_valid(SpeechEncoder(x)); ProsodyStatistics(x)], the window's standardised pitch and energy
/// functionals. The audio->text and text->audio logits carry their own inverse temperatures exp(logit_scale_a),
/// exp(logit_scale_t). Zero-shot recognition scores a clip against
/// prompts such as "The emotion is angry." by softmax(exp(logit_scale_a) cos(a, t_label)).
/// </summary>
public sealed class ClapModel : Module
{
    public ISpeechEncoder AudioEncoder { get; }
    /// <summary>Our <see cref="Clap.TextEncoder"/> or a frozen <see cref="PretrainedTextTower"/>.</summary>
    public IClapTextTower TextEncoder { get; }
    public Sequential AudioProjection { get; }
    public Sequential TextProjection { get; }
    public Tensor LogitScaleAudio { get; }
    public Tensor LogitScaleText { get; }
    public ClapHeadConfig HeadConfig { get; }
    /// <summary>The window prosody functionals P_a reads beside the pooled encoder output; null when off.</summary>
    public ProsodyStatistics? ProsodyStatistics { get; }

    public ClapModel(Module audioEncoder, Module textEncoder, ClapHeadConfig head, Generator? rngForInit)
    {
        AudioEncoder = audioEncoder as ISpeechEncoder ?? throw new ArgumentException($"{audioEncoder.GetType().Name} is not a speech encoder");
        HeadConfig = head;
        RegisterModule("audio_encoder", audioEncoder);
        TextEncoder = textEncoder as IClapTextTower ?? throw new ArgumentException($"{textEncoder.GetType().Name} is not a CLAP text tower");
        RegisterModule("text_encoder", textEncoder);
        if (head.ProsodyStatistics) ProsodyStatistics = RegisterModule("prosody_statistics", new ProsodyStatistics());
        AudioProjection = RegisterModule("audio_projection", Projection(AudioEncoder.HiddenSize + (head.ProsodyStatistics ? Speech.ProsodyStatistics.Count : 0), head.ProjectionSize, rngForInit));
        TextProjection = RegisterModule("text_projection", Projection(TextEncoder.HiddenSize, head.ProjectionSize, rngForInit));
        float init = MathF.Log(1f / head.InitialTemperature);
        LogitScaleAudio = RegisterParameter("logit_scale_a", Tensor.Scalar(init));
        LogitScaleText = RegisterParameter("logit_scale_t", Tensor.Scalar(init));
        if (!head.LearnableTemperature) { LogitScaleAudio.RequiresGrad = false; LogitScaleText.RequiresGrad = false; }
    }

    static Sequential Projection(int input, int output, Generator? rng) =>
        new(new Linear(input, output, rng), new GeluModule(), new Linear(output, output, rng));

    /// <summary>L2-normalised clip embeddings (B, P).</summary>
    public Tensor EmbedAudio(Tensor input, int[]? lengths)
    {
        if (lengths is not null && ProsodyStatistics is not null)
            throw new ArgumentException("prosody statistics are taken over whole windows: pass windows of one length (lengths null)");
        var encoded = AudioEncoder.Encode(input, lengths);
        return ProjectAudio(input, Pooling.MaskedMean(encoded.LastHiddenState, encoded.FrameMask));
    }

    /// <summary>The one audio-embedding path (training, inference and cached-feature training all call it):
    /// normalize(P_a(pooled)), or normalize(P_a([pooled; ProsodyStatistics(input)])) with prosody statistics on:
    /// the audio embeddings (B, P) of windows <paramref name="input"/> whose pooled encoder output is <paramref name="pooled"/> (B, D).
    /// <paramref name="input"/> may be null only where the model has no prosody statistics (cached pretrained-encoder layers).</summary>
    public Tensor ProjectAudio(Tensor? input, Tensor pooled)
    {
        if (ProsodyStatistics is not null)
        {
            if (input is null) throw new ArgumentException("this model appends prosody statistics of its input windows to the pooled encoder output: pass the windows, found none");
            pooled = Tensor.Concat([pooled, ProsodyStatistics.Forward(input)], -1);
        }
        return AudioProjection.Forward(pooled).Normalize(dim: -1);
    }

    /// <summary>A clip's embedding (1, P) from its windows' embeddings (W, P): normalize(mean_w a_w).</summary>
    public static Tensor ClipEmbedding(Tensor windowEmbeddings) => windowEmbeddings.Mean(0, keepDim: true).Normalize(dim: -1);

    /// <summary>L2-normalised text embeddings (B, P) of tokenised prompts (each row starting with BOS).</summary>
    public Tensor EmbedText(int[][] ids) => TextProjection.Forward(TextEncoder.Pooled(ids)).Normalize(dim: -1);

    /// <summary>Token ids of a prompt for <see cref="EmbedText"/>: a pretrained text tower reads its checkpoint's own tokenizer,
    /// our text encoder the package's <paramref name="tokenizer"/> (with BOS and EOS).</summary>
    public int[] PromptIds(string prompt, BpeTokenizer tokenizer) =>
        TextEncoder is PretrainedTextTower pretrained ? pretrained.Tokenize(prompt) : tokenizer.Encode(prompt, addBos: true, addEos: true);

    /// <summary>Zero-shot probabilities (B, L) of each clip over label prompts: softmax over labels of exp(s_a) cos(a, t).</summary>
    public Tensor ZeroShot(Tensor audioEmbeddings, Tensor labelEmbeddings) =>
        (audioEmbeddings.MatMul(labelEmbeddings, transB: true) * LogitScaleAudio.Exp()).Softmax(-1);

    /// <summary>GELU as a module, so projections are plain Sequentials with checkpoint-style indices (0, 2).</summary>
    sealed class GeluModule : Module<Tensor, Tensor>
    {
        public override Tensor Forward(Tensor input) => input.Gelu();
    }
}
