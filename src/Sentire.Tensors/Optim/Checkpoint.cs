using Sentire.IO;
using System.Text.Json;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Serialization;

namespace Sentire.Tensors.Optim;

/// <summary>Where training stands, saved beside the weights: enough to resume and to know what produced them.</summary>
public sealed record TrainingState
{
    public int Epoch { get; init; }

    /// <summary>Optimiser steps taken (the input of <see cref="LrSchedule.LearningRate"/>).</summary>
    public long Step { get; init; }

    /// <summary>Seeds of the run's generators by purpose ("init", "data", "dropout").</summary>
    public IReadOnlyDictionary<string, ulong> RngSeeds { get; init; } = new Dictionary<string, ulong>();

    /// <summary>Latest metric values by name ("valid/uar", "train/loss").</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The training recipe as text (whatever format the trainer uses), so a checkpoint explains itself.</summary>
    public string? Recipe { get; init; }
}

/// <summary>Everything a checkpoint file holds.</summary>
public sealed record CheckpointContents(Dictionary<string, Tensor> Weights, Dictionary<string, Tensor> OptimizerState, TrainingState State);

/// <summary>
/// Training checkpoints as one safetensors file: model weights under "model.{state-dict key}", optimiser state
/// under "optimizer.{parameter}.{buffer}", and the <see cref="TrainingState"/> as JSON in the "__metadata__"
/// map with a format name and version. One file makes saving atomic with a single rename: the file is written
/// beside the target, fsynced, then renamed over it, so the previous checkpoint stays intact until the new one
/// is complete and a crash at any point leaves one loadable checkpoint. The weights remain readable by any
/// safetensors reader.
/// </summary>
public static class Checkpoint
{
    public const string FormatName = "sentire-checkpoint";
    public const int FormatVersion = 1;
    const string ModelPrefix = "model.", OptimizerPrefix = "optimizer.";
    const string FormatKey = "format", VersionKey = "format_version", StateKey = "training_state";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Save(string path, Module model, Optimizer? optimizer, TrainingState state) =>
        Save(path, model.StateDict(), optimizer?.StateDict(), state);

    public static void Save(string path, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyDictionary<string, Tensor>? optimizerState, TrainingState state) =>
        Save(path, weights, optimizerState, state, wrap: null);

    internal static void Save(string path, IReadOnlyDictionary<string, Tensor> weights, IReadOnlyDictionary<string, Tensor>? optimizerState,
        TrainingState state, Func<Stream, Stream>? wrap)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, t) in weights) tensors[ModelPrefix + key] = t;
        foreach (var (key, t) in optimizerState ?? new Dictionary<string, Tensor>()) tensors[OptimizerPrefix + key] = t;
        var metadata = new Dictionary<string, string>
        {
            [FormatKey] = FormatName,
            [VersionKey] = FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [StateKey] = JsonSerializer.Serialize(state, Json),
        };
        AtomicFile.Write(path, stream => SafeTensors.WriteTo(stream, tensors, metadata), wrap);
    }

    public static CheckpointContents Load(string path)
    {
        using var file = SafeTensors.Open(path);
        var state = ReadState(file);
        using var weights = new PrefixedTensorStore(file, ModelPrefix);
        using var optimizer = new PrefixedTensorStore(file, OptimizerPrefix);
        return new CheckpointContents(weights.LoadAll(), optimizer.LoadAll(), state);
    }

    /// <summary>Loads a checkpoint into <paramref name="model"/> (strictly) and <paramref name="optimizer"/>, and returns
    /// its training state. Weights are copied from the mapped file one tensor at a time, so the model is never held twice.</summary>
    public static TrainingState Restore(string path, Module model, Optimizer? optimizer)
    {
        using var file = SafeTensors.Open(path);
        var state = ReadState(file);
        using (var weights = new PrefixedTensorStore(file, ModelPrefix)) model.LoadStateDict(weights, strict: true);
        if (optimizer is not null)
            using (var optimizerState = new PrefixedTensorStore(file, OptimizerPrefix)) optimizer.LoadStateDict(optimizerState);
        return state;
    }

    /// <summary>Checks the format marker and every tensor name, and parses the training state.</summary>
    static TrainingState ReadState(SafeTensorsFile file)
    {
        var path = file.FilePath;
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != FormatName)
            throw new SafeTensorsFormatException(path, $"not a Sentire checkpoint (metadata \"{FormatKey}\" is {(format is null ? "absent" : $"\"{format}\"")}, expected \"{FormatName}\")");
        if (!file.Metadata.TryGetValue(VersionKey, out var version) || version != FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new SafeTensorsFormatException(path, $"checkpoint format version {version ?? "(absent)"}, expected {FormatVersion}");
        foreach (var name in file.Keys)
            if (!name.StartsWith(ModelPrefix, StringComparison.Ordinal) && !name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                throw new SafeTensorsFormatException(path, $"tensor \"{name}\" is neither \"{ModelPrefix}*\" nor \"{OptimizerPrefix}*\"");
        try { return JsonSerializer.Deserialize<TrainingState>(file.Metadata[StateKey], Json) ?? throw new JsonException("null training state"); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException)
        {
            throw new SafeTensorsFormatException(path, $"training state is missing or not valid JSON: {e.Message}", e);
        }
    }
}
