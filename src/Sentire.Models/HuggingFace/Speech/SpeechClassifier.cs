using System.Text.Json;
using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.HuggingFace.Speech;

// Utterance-level heads on a wav2vec 2.0-family encoder (Wav2Vec2.cs), as published emotion checkpoints carry them.
// 1) SUPERB's head (Yang et al., "SUPERB: Speech processing Universal PERformance Benchmark", Interspeech 2021, sec. 3),
//    Hugging Face's Wav2Vec2/Hubert/WavLM/Data2VecAudioForSequenceClassification:
//      h   = sum_l softmax(w)_l h_l  (use_weighted_layer_sum)   or   h_L        (B, T', D)
//      p   = W_p h + b_p                                   projector, per frame  (B, T', P)  P = classifier_proj_size
//      z   = sum_t m_t p_t / sum_t m_t                      masked mean           (B, P)
//      y   = W_c z + b_c                                   classifier            (B, K)    keys layer_weights, projector.*, classifier.*
// 2) The "dense + tanh + out_proj" head (RoBERTa's classification head on pooled speech states; the community
//    Wav2Vec2ForSpeechClassification, and audEERING's dimensional model, Wagner et al., "Dawn of the transformer era in
//    speech emotion recognition: closing the valence gap", IEEE TPAMI 2023):
//      z   = pool_t h_L,t   (pooling_mode mean | sum | max; mean when absent)     (B, D)
//      y   = W_o tanh(W_d z + b_d) + b_o                                          (B, K)    keys classifier.dense.*, classifier.out_proj.*
// A categorical head's y are logits (softmax gives probabilities); a dimensional head's y are arousal, dominance and
// valence directly, in the order of config.json's id2label. Dropout is inactive at inference and has no weights.
// Shapes: B batch, T' frames, D hidden size, P projector size, K outputs.

/// <summary>Which head a checkpoint carries, recognised by its keys.</summary>
public enum SpeechHeadKind
{
    /// <summary>*ForSequenceClassification: projector, masked mean, classifier (optionally over a weighted layer sum).</summary>
    SequenceClassification,
    /// <summary>classifier.dense + tanh + classifier.out_proj over pooled last hidden states.</summary>
    DenseTanh,
}

/// <summary>How frames are pooled before a <see cref="SpeechHeadKind.DenseTanh"/> head (config.json pooling_mode).</summary>
public enum SpeechHeadPooling { Mean, Sum, Max }

/// <summary>What a head's outputs mean.</summary>
public enum EmotionOutputKind
{
    /// <summary>Logits over emotion labels (softmax gives probabilities).</summary>
    Categorical,
    /// <summary>Arousal, dominance and valence (in the order the config names them), about 0..1, no softmax.</summary>
    Dimensional,
}

/// <summary>The head's fields of config.json, validated once.</summary>
public sealed record SpeechHeadConfig
{
    public required SpeechHeadKind Kind { get; init; }
    /// <summary>id2label in index order: emotion labels, or the dimension names of a dimensional head.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    public required EmotionOutputKind Output { get; init; }
    /// <summary>config.json architectures[0], for reports (null when absent).</summary>
    public string? Architecture { get; init; }
    public bool UseWeightedLayerSum { get; init; }
    /// <summary>classifier_proj_size (256 by default in transformers).</summary>
    public int ClassifierProjSize { get; init; } = 256;
    public SpeechHeadPooling Pooling { get; init; } = SpeechHeadPooling.Mean;

    /// <summary>The dimension names a dimensional head's labels must be (in any order).</summary>
    public static readonly IReadOnlyList<string> DimensionNames = ["arousal", "dominance", "valence"];

    /// <summary>Parameters of this head on <paramref name="encoder"/> (layer_weights, projector, classifier, or dense and out_proj).</summary>
    public long ParameterCount(SpeechEncoderConfig encoder)
    {
        long d = encoder.HiddenSize, k = Labels.Count, p = ClassifierProjSize;
        return Kind == SpeechHeadKind.DenseTanh
            ? d * d + d + d * k + k
            : (UseWeightedLayerSum ? encoder.NumHiddenLayers + 1 : 0) + d * p + p + p * k + k;
    }

    /// <summary>Reads the head's fields from <paramref name="hf"/>; <paramref name="kind"/> comes from the checkpoint's keys.</summary>
    public static SpeechHeadConfig From(HfConfig hf, SpeechHeadKind kind)
    {
        var labels = ReadLabels(hf);
        bool dimensional = labels.Count == DimensionNames.Count
            && labels.Select(l => l.ToLowerInvariant()).Order(StringComparer.Ordinal).SequenceEqual(DimensionNames);
        var problemType = hf.String("problem_type", "");
        if (problemType == "regression" && !dimensional)
            throw new InvalidDataException($"{hf.FilePath}: a regression head with outputs {string.Join(", ", labels)}: only arousal, dominance and valence are understood");
        string pooling = hf.String("pooling_mode", "mean");
        var config = new SpeechHeadConfig
        {
            Kind = kind,
            Labels = labels,
            Output = dimensional ? EmotionOutputKind.Dimensional : EmotionOutputKind.Categorical,
            Architecture = hf.Element("architectures") is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() > 0 && a[0].ValueKind == JsonValueKind.String
                ? a[0].GetString() : null,
            UseWeightedLayerSum = hf.Bool("use_weighted_layer_sum", false),
            ClassifierProjSize = hf.Int("classifier_proj_size", 256),
            Pooling = pooling switch
            {
                "mean" => SpeechHeadPooling.Mean,
                "sum" => SpeechHeadPooling.Sum,
                "max" => SpeechHeadPooling.Max,
                _ => throw new InvalidDataException($"{hf.FilePath}: pooling_mode is \"{pooling}\", but has to be one of [\"mean\", \"sum\", \"max\"]"),
            },
        };
        if (config.ClassifierProjSize <= 0) throw new InvalidDataException($"{hf.FilePath}: classifier_proj_size must be positive (got {config.ClassifierProjSize})");
        return config;
    }

    /// <summary>id2label as a list by index ("0".."K-1", every index present); LABEL_k for num_labels without names.</summary>
    static List<string> ReadLabels(HfConfig hf)
    {
        if (hf.Element("id2label") is not { } map)
        {
            int n = hf.Int("num_labels", 0);
            if (n <= 0) throw new InvalidDataException($"{hf.FilePath}: no id2label (nor num_labels): the head's outputs have no names");
            return Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToList();
        }
        if (map.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{hf.FilePath}: id2label is {map.ValueKind}, expected an object");
        var byIndex = new SortedDictionary<int, string>();
        foreach (var p in map.EnumerateObject())
        {
            if (!int.TryParse(p.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i) || p.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{hf.FilePath}: id2label entry \"{p.Name}\": {p.Value} is not index -> label");
            byIndex[i] = p.Value.GetString()!;
        }
        if (byIndex.Count == 0 || byIndex.Keys.Last() != byIndex.Count - 1)
            throw new InvalidDataException($"{hf.FilePath}: id2label indices are {string.Join(", ", byIndex.Keys)}, expected 0..{byIndex.Count - 1}");
        var labels = byIndex.Values.ToList();
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new InvalidDataException($"{hf.FilePath}: id2label repeats a label: {string.Join(", ", labels)}");
        return labels;
    }
}

/// <summary>The dense + tanh + out_proj head (keys dense.*, out_proj.*; registered as "classifier").</summary>
public sealed class DenseTanhHead : Module
{
    public Linear Dense { get; }
    public Linear OutProj { get; }

    public DenseTanhHead(int hiddenSize, int outputs, HalfFormat? half = null)
    {
        Dense = RegisterModule("dense", new Linear(hiddenSize, hiddenSize, null, halfWeight: half));
        OutProj = RegisterModule("out_proj", new Linear(hiddenSize, outputs, null, halfWeight: half));
    }

    /// <param name="pooled">(B, D)</param>
    /// <returns>(B, K)</returns>
    public Tensor Forward(Tensor pooled) => OutProj.Forward(Dense.Forward(pooled).Tanh());
}

/// <summary>
/// A speech encoder with its utterance head, under the checkpoint's names: the encoder at its base_model_prefix
/// ("wav2vec2.", "hubert.", "wavlm.", "data2vec_audio."), and layer_weights, projector.*, classifier.* (or
/// classifier.dense.*, classifier.out_proj.*) at the root. Load one with <see cref="Load"/>; it is in eval mode.
/// </summary>
public sealed class SpeechClassifier : Module
{
    public Wav2Vec2Model Encoder { get; }
    public SpeechHeadConfig Head { get; }
    public WeightedLayerSum? LayerSum { get; }
    public Linear? Projector { get; }
    /// <summary>The SUPERB head's classifier (null for a dense + tanh head).</summary>
    public Linear? Classifier { get; }
    /// <summary>The dense + tanh head (null for a SUPERB head).</summary>
    public DenseTanhHead? DenseTanh { get; }

    /// <summary>Tensors of the checkpoint that neither the encoder nor the head used (quantizer, masked_spec_embed, ...).</summary>
    public IReadOnlyList<string> UnusedKeys { get; private set; } = [];

    /// <summary>The checkpoint's stored dtypes with their share of its elements, e.g. "F16 100%" (<see cref="Module.ParameterElementsByType"/>
    /// says how they are held in memory).</summary>
    public string StoredPrecision { get; private set; } = "F32 100%";

    /// <param name="half">keep the head's linear weights in this 16-bit format (as the encoder's, for a 16-bit checkpoint)</param>
    public SpeechClassifier(Wav2Vec2Model encoder, SpeechHeadConfig head, HalfFormat? half = null)
    {
        Encoder = RegisterModule(PretrainedSpeechEncoder.BaseModelPrefix(encoder.Config.Family), encoder);
        Head = head;
        int d = encoder.Config.HiddenSize, k = head.Labels.Count;
        if (head.Kind == SpeechHeadKind.SequenceClassification)
        {
            if (head.UseWeightedLayerSum)
            {
                LayerSum = new WeightedLayerSum(encoder.LayerCount + 1);
                RegisterParameter("layer_weights", LayerSum.LayerWeights);   // the checkpoint keeps it at the root
            }
            Projector = RegisterModule("projector", new Linear(d, head.ClassifierProjSize, null, halfWeight: half));
            Classifier = RegisterModule("classifier", new Linear(head.ClassifierProjSize, k, null, halfWeight: half));
        }
        else DenseTanh = RegisterModule("classifier", new DenseTanhHead(d, k, half));
    }

    /// <param name="waveforms">(B, S) at the encoder's rate, already normalised as its preprocessor says (see <see cref="Predict"/>)</param>
    /// <param name="lengths">valid samples per item, or null when none is padded</param>
    /// <returns>(B, K) logits or dimensions</returns>
    public Tensor Forward(Tensor waveforms, int[]? lengths)
    {
        var output = Encoder.Encode(waveforms, lengths);
        var mask = output.FrameMask;                                                  // (B, T') or null
        if (DenseTanh is not null) return DenseTanh.Forward(Pool(output.LastHiddenState, mask, Head.Pooling));
        var h = LayerSum?.Forward(output.HiddenStates) ?? output.LastHiddenState;     // (B, T', D)
        var p = Projector!.Forward(h);                                                // (B, T', P)
        return Classifier!.Forward(Pooling.MaskedMean(p, mask));                      // (B, K)
    }

    /// <summary>The head's outputs for one clip of samples at the encoder's rate (normalised when do_normalize says so).</summary>
    public float[] Predict(ReadOnlySpan<float> samples)
    {
        using var _ = Autograd.NoGrad();
        return Forward(Tensor.FromArray(samples, 1, samples.Length), null).Data.ToArray();
    }

    /// <summary>Pools (B, T', D) over real frames to (B, D).</summary>
    static Tensor Pool(Tensor h, Tensor? mask, SpeechHeadPooling pooling)
    {
        int b = h.Dim(0), t = h.Dim(1);
        return pooling switch
        {
            SpeechHeadPooling.Mean => Pooling.MaskedMean(h, mask),
            SpeechHeadPooling.Sum => mask is null ? h.Sum(1) : (h * mask.Reshape(b, t, 1)).Sum(1),
            _ => (mask is null ? h : h.MaskedFill(1f - mask.Reshape(b, t, 1), float.NegativeInfinity)).Max(1),
        };
    }

    /// <summary>The head kind the keys of a checkpoint show, or null with the reason when there is none.</summary>
    public static (SpeechHeadKind? Kind, string? Problem) DetectHead(IEnumerable<string> keys)
    {
        var set = keys.ToHashSet(StringComparer.Ordinal);
        if (set.Contains("classifier.dense.weight") && set.Contains("classifier.out_proj.weight")) return (SpeechHeadKind.DenseTanh, null);
        if (set.Contains("projector.weight") && set.Contains("classifier.weight")) return (SpeechHeadKind.SequenceClassification, null);
        var head = set.Where(k => k.StartsWith("classifier.", StringComparison.Ordinal) || k.StartsWith("projector.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        return (null, head.Count == 0
            ? "no utterance head: none of projector.weight + classifier.weight (Hugging Face *ForSequenceClassification) or classifier.dense.weight + classifier.out_proj.weight (dense + tanh head) is in the checkpoint"
            : $"an unknown head layout ({string.Join(", ", head)}): expected projector.* + classifier.{{weight,bias}} or classifier.dense.* + classifier.out_proj.*");
    }

    /// <summary>
    /// Reads a checkpoint folder: config.json (an encoder of <see cref="PretrainedSpeechEncoder.ModelTypes"/> plus id2label
    /// and the head's fields), preprocessor_config.json, and the weights. The encoder is loaded by
    /// <see cref="PretrainedSpeechEncoder.Load"/>; the head's tensors must all be present with the sizes the config implies.
    /// A 16-bit checkpoint keeps its linear weights in 16 bits unless <paramref name="halfWeights"/> says to widen them.
    /// </summary>
    public static SpeechClassifier Load(string folder, HalfWeights halfWeights = HalfWeights.Keep)
    {
        var hf = HfConfig.Load(folder);
        SpeechHeadKind kind;
        HalfFormat? half;
        using (var store = PretrainedSpeechEncoder.OpenCheckpoint(folder))
        {
            var (detected, problem) = DetectHead(store.Keys);
            kind = detected ?? throw new InvalidDataException($"{PretrainedSpeechEncoder.CheckpointPath(store, folder)}: {problem}");
            half = halfWeights.FormatFor(store);
        }
        var head = SpeechHeadConfig.From(hf, kind);
        var encoder = PretrainedSpeechEncoder.Load(folder, halfWeights);
        var model = new SpeechClassifier(encoder, head, half);

        using (var store = PretrainedSpeechEncoder.OpenCheckpoint(folder))
        {
            string file = PretrainedSpeechEncoder.CheckpointPath(store, folder);
            var encoderPrefix = PretrainedSpeechEncoder.BaseModelPrefix(encoder.Config.Family) + ".";
            var headTensors = model.StateSlots().Where(s => !s.Key.StartsWith(encoderPrefix, StringComparison.Ordinal)).ToList();
            var missing = headTensors.Where(s => !store.ContainsKey(s.Key)).Select(s => s.Key).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"{file}: the {head.Architecture ?? kind.ToString()} head needs {string.Join(", ", missing)}, which the checkpoint lacks");
            var wrong = headTensors.Where(s => !store.ShapeOf(s.Key).AsSpan().SequenceEqual(s.Shape))
                .Select(s => $"{s.Key}: found [{string.Join(", ", store.ShapeOf(s.Key))}], expected [{string.Join(", ", s.Shape)}]").ToList();
            if (wrong.Count > 0)
                throw new InvalidDataException($"{file}: the head's tensors do not fit config.json ({head.Labels.Count} labels, hidden_size {encoder.Config.HiddenSize}" +
                    $"{(kind == SpeechHeadKind.SequenceClassification ? $", classifier_proj_size {head.ClassifierProjSize}" : "")}): {string.Join("; ", wrong)}");
            foreach (var slot in headTensors) slot.Load(store.Get(slot.Key));
            var used = headTensors.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
            model.UnusedKeys = encoder.IgnoredKeys.Where(k => !used.Contains(k)).ToList();
            model.StoredPrecision = store.Precision();
        }
        model.Eval();
        return model;
    }
}
