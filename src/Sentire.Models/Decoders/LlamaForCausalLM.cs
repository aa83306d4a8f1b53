using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.Decoders;

/// <summary>
/// A LLaMA-family causal language model (LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM): the decoder stack
/// "model" and the output layer "lm_head" (absent with tied embeddings, where the embedding table scores the
/// vocabulary). Input is by embeddings, so callers can put anything in front of text (SECap: projected speech
/// queries). Autograd runs through it: with frozen parameters, gradients still reach the input embeddings.
/// </summary>
public sealed class LlamaForCausalLM : Module
{
    /// <summary>transformers' initializer_range default: weights N(0, 0.02) when built from a generator.</summary>
    const float InitStd = 0.02f;

    readonly Linear? lmHead;

    public LlamaConfig Config { get; }
    public LlamaModel Model { get; }
    /// <summary>Storage of the large matrices.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>A float32 model; weights N(0, 0.02) from <paramref name="rngForInit"/>, or zero (to be loaded) when null.</summary>
    public LlamaForCausalLM(LlamaConfig config, Generator? rngForInit) : this(config, rngForInit, WeightPrecision.Float32) { }

    /// <summary>A model keeping its matrices in <paramref name="precision"/>; half-precision weights without a
    /// generator are empty until loaded.</summary>
    public LlamaForCausalLM(LlamaConfig config, Generator? rngForInit, WeightPrecision precision)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Precision = precision;
        var half = LoadOptions.HalfFormatOf(precision);
        Model = RegisterModule("model", new LlamaModel(config, half, rngForInit, InitStd));
        if (!config.TieWordEmbeddings)
            lmHead = RegisterModule("lm_head", DecoderLinear.Create(config.HiddenSize, config.VocabSize, false, half, rngForInit, InitStd));
    }

    /// <summary>Loads a Hugging Face checkpoint folder (config.json and model.safetensors or its sharded index) in float32.</summary>
    public static LlamaForCausalLM Load(string folder) => Load(folder, new LoadOptions());

    /// <summary>Loads a Hugging Face checkpoint folder; every expected tensor must be present with the expected shape.</summary>
    public static LlamaForCausalLM Load(string folder, LoadOptions options)
    {
        var config = LlamaConfig.Load(folder);
        using var store = SafeTensors.OpenModel(folder);
        var model = new LlamaForCausalLM(config, null, options.Precision);
        model.LoadWeights(store, folder);
        return model;
    }

    /// <summary>
    /// Copies the checkpoint's tensors in, one at a time (a half-precision model never holds more than one float32
    /// tensor). Keys are the transformers names ("model.layers.0.self_attn.q_proj.weight"); a checkpoint of the bare
    /// LlamaModel (no "model." prefix) is accepted when the embeddings are tied. Rotary inv_freq buffers that old
    /// checkpoints carry are ignored; any other unknown key, a missing key or a wrong shape is an error naming the folder.
    /// </summary>
    void LoadWeights(ITensorStore store, string folder)
    {
        bool prefixed = store.ContainsKey("model.embed_tokens.weight");
        if (!prefixed && !store.ContainsKey("embed_tokens.weight"))
            throw new InvalidDataException($"{folder}: not a LLaMA-family checkpoint: no model.embed_tokens.weight among its {store.Count} tensors (e.g. {string.Join(", ", store.Keys.Take(3))})");
        string StoreKey(string key) => prefixed || !key.StartsWith("model.", StringComparison.Ordinal) ? key : key["model.".Length..];

        var slots = StateSlots().ToList();   // float32 parameters and 16-bit weights alike
        var missing = slots.Where(s => !store.ContainsKey(StoreKey(s.Key))).Select(s => StoreKey(s.Key)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{folder}: the checkpoint lacks {missing.Count} tensors of a {Config.ModelType} model with this config, e.g. {string.Join(", ", missing.Take(5))}"
                + (missing.Contains("lm_head.weight") ? " (lm_head.weight is absent: set tie_word_embeddings = true if the head shares the embeddings)" : ""));
        var expected = slots.Select(s => StoreKey(s.Key)).ToHashSet(StringComparer.Ordinal);
        var unexpected = store.Keys.Where(k => !expected.Contains(k) && !k.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
            && !(Config.TieWordEmbeddings && k == "lm_head.weight")).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{folder}: {unexpected.Count} tensors do not belong to a {Config.ModelType} model with this config, e.g. {string.Join(", ", unexpected.Take(5))}");
        foreach (var slot in slots)
        {
            var key = StoreKey(slot.Key);
            var shape = store.ShapeOf(key);
            if (!shape.AsSpan().SequenceEqual(slot.Shape))
                throw new InvalidDataException($"{folder}: tensor {key} is [{string.Join(", ", shape)}], expected [{string.Join(", ", slot.Shape)}] from config.json");
        }
        foreach (var slot in slots) slot.Load(store.Get(StoreKey(slot.Key)));
    }

    /// <summary>Embeddings (B, T, D) of token ids; every row must have the same length (pad them yourself).</summary>
    public Tensor EmbedTokens(int[][] ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Length == 0) throw new ArgumentException("EmbedTokens needs at least one row");
        int t = ids[0].Length;
        for (int b = 1; b < ids.Length; b++)
            if (ids[b].Length != t) throw new ArgumentException($"EmbedTokens rows must have equal lengths: row 0 has {t} ids, row {b} has {ids[b].Length}");
        var flat = ids.SelectMany(row => row).ToArray();
        return Model.EmbedTokens.Forward(flat, ids.Length, t);
    }

    /// <summary>
    /// Logits (B, T, V) for <paramref name="inputsEmbeds"/> (B, T, D). <paramref name="attentionMask"/> (B, T) marks real
    /// tokens with 1 and left padding with 0; position ids count real tokens only. With <paramref name="cache"/> the
    /// new positions attend to everything cached and are appended to it.
    /// </summary>
    public Tensor Forward(Tensor inputsEmbeds, Tensor? attentionMask = null, KvCache? cache = null) =>
        Logits(Hidden(inputsEmbeds, attentionMask, cache));

    /// <summary>The decoder's final-normalised hidden states (B, T, D), before the LM head (see <see cref="Forward"/>).</summary>
    public Tensor Hidden(Tensor inputsEmbeds, Tensor? attentionMask = null, KvCache? cache = null) =>
        Model.Forward(inputsEmbeds, attentionMask, cache);

    /// <summary>Vocabulary scores (..., V) of hidden states (..., D).</summary>
    public Tensor Logits(Tensor hidden) => lmHead is not null ? lmHead.Forward(hidden) : Model.EmbedTokens.Project(hidden);

    /// <summary>An empty cache for <paramref name="batch"/> rows and up to <paramref name="maxTokens"/> positions (prefix and new tokens).</summary>
    public KvCache NewCache(int batch, int maxTokens) => new(Config.NumHiddenLayers, batch, maxTokens);
}
