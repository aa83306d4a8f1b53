using System.Text.Json;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Models.HuggingFace.Speech;

/// <summary>
/// Loads a Hugging Face speech-encoder checkpoint folder as it lies on disk, without conversion:
/// config.json (model_type wav2vec2, hubert, data2vec-audio or wavlm), model.safetensors or sharded
/// model-0000N-of-0000M.safetensors with model.safetensors.index.json (F32, F16 or BF16), and optionally
/// preprocessor_config.json (do_normalize, sampling_rate). Checkpoints saved from a task model (*ForCTC,
/// *ForSequenceClassification, *ForPreTraining) carry a prefix ("wav2vec2.", "hubert.", "data2vec_audio.", "wavlm.");
/// it is found and stripped, and tensors the encoder does not use (heads, masked_spec_embed, quantizer, ...) are
/// listed in <see cref="Wav2Vec2Model.IgnoredKeys"/>. A needed tensor that is absent or of the wrong shape is an
/// error naming the file and the keys. A 16-bit checkpoint is widened to float32 parameters (trainable), or with
/// <see cref="HalfWeights.Keep"/> keeps its linear layers' matrices in F16/BF16 for inference. The model is returned in eval mode.
/// </summary>
public static class PretrainedSpeechEncoder
{
    public const string PreprocessorFileName = "preprocessor_config.json";
    const string ProbeKey = "feature_extractor.conv_layers.0.conv.weight";
    const string PosConv = "encoder.pos_conv_embed.conv.";

    /// <summary>The model_type values understood here and their families.</summary>
    public static IReadOnlyDictionary<string, SpeechEncoderFamily> ModelTypes { get; } = new Dictionary<string, SpeechEncoderFamily>
    {
        ["wav2vec2"] = SpeechEncoderFamily.Wav2Vec2,
        ["hubert"] = SpeechEncoderFamily.Hubert,
        ["data2vec-audio"] = SpeechEncoderFamily.Data2VecAudio,
        ["wavlm"] = SpeechEncoderFamily.WavLM,
    };

    /// <summary>Hugging Face's base_model_prefix of each family: the key prefix of task-model checkpoints.</summary>
    public static string BaseModelPrefix(SpeechEncoderFamily family) => family switch
    {
        SpeechEncoderFamily.Wav2Vec2 => "wav2vec2",
        SpeechEncoderFamily.Hubert => "hubert",
        SpeechEncoderFamily.Data2VecAudio => "data2vec_audio",
        _ => "wavlm",
    };

    /// <summary>Reads the checkpoint in <paramref name="folder"/>; see the class summary.</summary>
    public static Wav2Vec2Model Load(string folder, HalfWeights halfWeights = HalfWeights.Widen)
    {
        var hf = HfConfig.Load(folder);
        var modelType = hf.String("model_type", "");
        if (!ModelTypes.TryGetValue(modelType, out var family))
            throw new NotSupportedException($"{hf.FilePath}: model_type \"{modelType}\" is not a supported speech encoder (expected one of {string.Join(", ", ModelTypes.Keys)})");
        var config = SpeechEncoderConfig.From(hf, family);
        var (doNormalize, sampleRate) = ReadPreprocessor(folder);

        using var store = OpenCheckpoint(folder);
        var model = new Wav2Vec2Model(config, halfWeights.FormatFor(store)) { SampleRate = sampleRate, NormalizeInput = doNormalize };
        string file = CheckpointPath(store, folder);
        var prefix = FindPrefix(store, family, file);
        // parametrizations.weight.original0/1 are the names newer PyTorch gives weight-normalised convolutions
        var view = new PrefixedTensorStore(store, prefix, name => name
            .Replace(".parametrizations.weight.original0", ".weight_g", StringComparison.Ordinal)
            .Replace(".parametrizations.weight.original1", ".weight_v", StringComparison.Ordinal));
        var extraUsed = new List<string>();
        var report = model.LoadStateDict(view, strict: false);

        var missing = report.Missing.ToList();
        if (missing.Contains(PosConv + "weight_g") && missing.Contains(PosConv + "weight_v") && view.ContainsKey(PosConv + "weight")
            && model.Encoder.PositionalEmbedding is Wav2Vec2PositionalConvEmbedding pos)
        {
            // Weight norm removed before saving: v = w, g[k] = ||w[:, :, k]|| gives back the same w.
            LoadPlainPositionalWeight(pos.Conv, view.Get(PosConv + "weight"), file);
            missing.Remove(PosConv + "weight_g");
            missing.Remove(PosConv + "weight_v");
            extraUsed.Add(view.StoredName(PosConv + "weight"));
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"{file}: {missing.Count} tensor(s) that the {modelType} encoder needs are missing" +
                $"{(prefix.Length > 0 ? $" (under the key prefix \"{prefix}\")" : "")}: {List(missing)}");
        if (report.Mismatched.Count > 0)
            throw new InvalidDataException($"{file}: {report.Mismatched.Count} tensor(s) do not fit {Path.GetFileName(hf.FilePath)}'s sizes: {List(report.Mismatched.Select(m => prefix + m))}");

        var used = new HashSet<string>(model.StateSlots().Select(s => s.Key).Where(view.ContainsKey).Select(view.StoredName), StringComparer.Ordinal);
        used.UnionWith(extraUsed);
        model.IgnoredKeys = store.Keys.Where(k => !used.Contains(k)).Order(StringComparer.Ordinal).ToList();
        model.Eval();
        return model;
    }

    /// <summary>The weights of a checkpoint folder, read lazily (the one place that decides which files are read).</summary>
    public static ITensorStore OpenCheckpoint(string folder) => SafeTensors.OpenModel(folder);

    /// <summary>The file to name in errors about <paramref name="store"/>'s tensors.</summary>
    public static string CheckpointPath(ITensorStore store, string folder) => store switch
    {
        SafeTensorsFile f => f.FilePath,
        ShardedSafeTensors s => s.IndexPath,
        TorchCheckpointFile t => t.FilePath,
        _ => folder,
    };

    static string List<T>(IEnumerable<T> items, int max = 20)
    {
        var all = items.Select(i => i!.ToString()!).ToList();
        return all.Count <= max ? string.Join(", ", all) : $"{string.Join(", ", all.Take(max))} and {all.Count - max} more";
    }

    /// <summary>The prefix in front of the encoder's keys: "" (a *Model checkpoint), the family's base_model_prefix, or
    /// whatever single prefix the feature encoder's first weight carries.</summary>
    static string FindPrefix(ITensorStore store, SpeechEncoderFamily family, string file)
    {
        var candidates = store.Keys.Where(k => k.EndsWith(ProbeKey, StringComparison.Ordinal))
            .Select(k => k[..^ProbeKey.Length]).Where(p => p.Length == 0 || p.EndsWith('.')).Distinct().ToList();
        var preferred = BaseModelPrefix(family) + ".";
        if (candidates.Contains("")) return "";
        if (candidates.Contains(preferred)) return preferred;
        if (candidates.Count == 1) return candidates[0];
        throw new InvalidDataException(candidates.Count == 0
            ? $"{file}: no tensor '{ProbeKey}' (nor '{preferred}{ProbeKey}'): this is not a {family} speech-encoder checkpoint"
            : $"{file}: several encoders in one checkpoint (prefixes {string.Join(", ", candidates.Select(c => $"\"{c}\""))})");
    }

    static void LoadPlainPositionalWeight(WeightNormConv1d conv, Tensor weight, string file)
    {
        if (!weight.Shape.SequenceEqual(conv.WeightV.Shape))
            throw new InvalidDataException($"{file}: {PosConv}weight is {weight.ShapeString}, expected [{string.Join(", ", conv.WeightV.Shape.ToArray())}]");
        weight.Data.CopyTo(conv.WeightV.Data);
        int o = weight.Dim(0), i = weight.Dim(1), k = weight.Dim(2);
        var w = weight.Data;
        for (int tap = 0; tap < k; tap++)
        {
            double sq = 0;
            for (int r = 0; r < o * i; r++) sq += (double)w[r * k + tap] * w[r * k + tap];
            conv.WeightG.Data[tap] = (float)Math.Sqrt(sq);
        }
    }

    /// <summary>do_normalize and sampling_rate of preprocessor_config.json (Wav2Vec2FeatureExtractor's defaults, true and
    /// 16000, when a key is absent); without the file, no normalisation at 16 kHz.</summary>
    public static (bool DoNormalize, int SampleRate) ReadPreprocessor(string folder)
    {
        var path = Path.Combine(folder, PreprocessorFileName);
        if (!File.Exists(path)) return (false, 16000);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            bool doNormalize = true;
            int rate = 16000;
            if (root.TryGetProperty("do_normalize", out var n))
                doNormalize = n.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    var kind => throw new InvalidDataException($"{path}: 'do_normalize' is {kind}, expected true or false"),
                };
            if (root.TryGetProperty("sampling_rate", out var r))
                rate = r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out var v) && v > 0
                    ? v : throw new InvalidDataException($"{path}: 'sampling_rate' is {r}, expected a positive integer");
            if (root.TryGetProperty("feature_size", out var fs) && !(fs.ValueKind == JsonValueKind.Number && fs.GetDouble() == 1))
                throw new InvalidDataException($"{path}: 'feature_size' is {fs}, expected 1 (a raw waveform)");
            return (doNormalize, rate);
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
    }
}
