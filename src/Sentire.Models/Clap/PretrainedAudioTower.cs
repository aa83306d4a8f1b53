using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Models.Layers;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Clap;

/// <summary>The <c>audio_encoder</c> section of a package's config.json: a frozen Hugging Face speech encoder read from
/// <paramref name="Pretrained"/> (a folder, stored as the user gave it; relative paths are relative to the working
/// directory) and which of its hidden states feed the CLAP projection: "all" (a learnt SUPERB-style weighted sum) or
/// one index N in [0, L].</summary>
public sealed record PretrainedAudioEncoderConfig(string Pretrained, string Layer = "all")
{
    /// <summary>The fixed hidden-state index, or null for the learnt weighted sum over all of them.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int? LayerIndex => Layer == "all" ? null
        : int.TryParse(Layer, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new InvalidDataException($"audio_encoder.layer '{Layer}' is not 'all' or a hidden-state index");
}

/// <summary>The speech or text encoder checkpoint folder a package or recipe names is not there.</summary>
public sealed class PretrainedEncoderMissingException(string folder, string role, string files = "config.json, model.safetensors, preprocessor_config.json")
    : DirectoryNotFoundException($"the {role} checkpoint folder '{folder}' ({Path.GetFullPath(folder)}) is missing: put the Hugging Face checkpoint " +
        $"({files}) there, or retrain with the path where it lies")
{
    public string Folder { get; } = folder;
}

/// <summary>
/// A frozen pretrained speech encoder (wav2vec 2.0, HuBERT, data2vec-audio, WavLM) as the audio tower of Emo-CLAP.
/// GEmo-CLAP mean-pools the encoder's frames; with a frozen encoder each hidden state is pooled on its own,
///   p_l = meanpool_valid(h_l),  l = 0..L,
/// and the tower's output is the SUPERB-style (Yang et al., 2021) weighted sum sum_l softmax(w)_l p_l, equal to pooling
/// the weighted sum of the frames because both are linear. Pooled layers (L + 1, D) per window are what training caches.
/// Only the layer weights are parameters of this module ("layer_sum.layer_weights"); the encoder stays in its folder and
/// is not part of the package's state dict.
/// </summary>
public sealed class PretrainedAudioTower : Module, ISpeechEncoder
{
    readonly Wav2Vec2Model encoder;

    PretrainedAudioTower(PretrainedAudioEncoderConfig config, Wav2Vec2Model encoder)
    {
        Config = config;
        this.encoder = encoder;
        encoder.Freeze();
        encoder.Eval();
        int states = encoder.LayerCount + 1;
        if (config.LayerIndex is { } n && (n < 0 || n >= states))
            throw new InvalidDataException($"audio_encoder.layer {n} is outside [0, {states - 1}] for the encoder in '{config.Pretrained}'");
        if (config.LayerIndex is null) LayerSum = RegisterModule("layer_sum", new WeightedLayerSum(states));
    }

    public PretrainedAudioEncoderConfig Config { get; }

    /// <summary>The learnt layer weights, or null when one fixed layer is used.</summary>
    public WeightedLayerSum? LayerSum { get; }

    public Wav2Vec2Model Encoder => encoder;
    public SpeechInput Input => SpeechInput.Waveform;
    public int HiddenSize => encoder.HiddenSize;
    public int LayerCount => encoder.LayerCount;
    public int SampleRate => encoder.SampleRate;

    /// <summary>Loads the encoder folder of <paramref name="config"/>; a missing folder is a <see cref="PretrainedEncoderMissingException"/>.</summary>
    public static PretrainedAudioTower Load(PretrainedAudioEncoderConfig config)
    {
        if (!Directory.Exists(config.Pretrained)) throw new PretrainedEncoderMissingException(config.Pretrained, "speech encoder");
        return new PretrainedAudioTower(config, PretrainedSpeechEncoder.Load(config.Pretrained));
    }

    /// <summary>Every hidden state mean-pooled over valid frames, without gradients: (B, L + 1, D).</summary>
    /// <param name="waveforms">(B, S) samples at <see cref="SampleRate"/></param>
    public Tensor PooledLayers(Tensor waveforms, int[]? lengths)
    {
        using var _ = Autograd.NoGrad();
        var output = encoder.Encode(waveforms, lengths);
        return Tensor.Stack(output.HiddenStates.Select(h => Pooling.MaskedMean(h, output.FrameMask)).ToList(), 1);
    }

    /// <summary>The tower's output (B, D) from pooled layers (B, L + 1, D): the weighted sum, or the fixed layer.</summary>
    public Tensor Combine(Tensor pooled)
    {
        if (pooled.Rank != 3 || pooled.Dim(1) != LayerCount + 1 || pooled.Dim(2) != HiddenSize)
            throw new ArgumentException($"pooled layers are {pooled.ShapeString}, expected (B, {LayerCount + 1}, {HiddenSize})");
        if (LayerSum is null) return pooled.IndexSelect(1, [Config.LayerIndex!.Value]).Reshape(pooled.Dim(0), HiddenSize);
        return (pooled * LayerSum.NormalizedWeights().Reshape(1, LayerCount + 1, 1)).Sum(1);
    }

    /// <summary>(B, 1, D): one pooled frame per input, so the CLAP head's mean pooling passes it through.</summary>
    public SpeechEncoderOutput Encode(Tensor input, int[]? lengths)
    {
        var combined = Combine(PooledLayers(input, lengths)).Unsqueeze(1);
        return new SpeechEncoderOutput(combined, [combined], null);
    }

    /// <summary>Identifies a checkpoint folder for caches: SHA-256 over config.json and preprocessor_config.json and the name,
    /// size and modification time of each weights file (hashing gigabytes of weights on every run would cost minutes).</summary>
    public static string CheckpointIdentity(string folder)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        foreach (var name in new[] { "config.json", PretrainedSpeechEncoder.PreprocessorFileName })
        {
            var path = Path.Combine(folder, name);
            hash.AppendData(Encoding.UTF8.GetBytes(name + "\n"));
            if (File.Exists(path)) hash.AppendData(File.ReadAllBytes(path));
        }
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles().Where(f => f.Name.EndsWith(".safetensors", StringComparison.Ordinal)
                     || f.Name.EndsWith(".safetensors.index.json", StringComparison.Ordinal)).OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(file.Name + "\n"));
            BinaryPrimitives.WriteInt64LittleEndian(number, file.Length);
            hash.AppendData(number);
            BinaryPrimitives.WriteInt64LittleEndian(number, file.LastWriteTimeUtc.Ticks);
            hash.AppendData(number);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
