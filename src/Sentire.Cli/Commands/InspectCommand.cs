using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Sentire.Models;
using Sentire.Models.Analysis;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire inspect FOLDER</c>: what an emotion model folder holds before anything is analysed: its family, its
/// labels or dimensions, parameter count, stored precision, the precision its weights are held in memory and the checkpoint tensors it does not use; or the exact
/// reason the folder cannot be run (exit code 1). <c>--json</c> prints one object.
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "A model folder: a Sentire package or a published model (e.g. a Hugging Face checkpoint)." };
        var json = new Option<bool>("--json") { Description = "One JSON object." };
        var command = new Command("inspect", "Describe a model folder: family, labels or dimensions, size, precision, unused tensors, or why it is refused.") { folder, json };
        command.SetAction(parse =>
        {
            var i = EmotionModels.Inspect(parse.GetValue(folder)!);
            if (parse.GetValue(json)) Console.WriteLine(FileAnalysisJson.Serialize(ToJson(i)));
            else Print(i);
            return i.Refused is null ? 0 : 1;
        });
        return command;
    }

    static void Print(ModelInspection i)
    {
        if (i.Refused is not null)
        {
            Console.WriteLine($"{i.Folder}: refused: {i.Refused}");
            return;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{i.Folder}: {i.Family}");
        if (i.Labels.Count > 0) Console.WriteLine($"  labels ({i.Labels.Count}): {string.Join(", ", i.Labels)}");
        if (i.Dimensions.Count > 0) Console.WriteLine($"  dimensions: {string.Join(", ", i.Dimensions)}");
        if (i.Parameters is { } n) Console.WriteLine(string.Create(inv, $"  parameters: {n:N0} ({n / 1e6:0.0}M)"));
        if (i.Precision is not null) Console.WriteLine($"  stored precision: {i.Precision}");
        if (i.MemoryPrecision is not null)
            Console.WriteLine(string.Create(inv, $"  in memory: {i.MemoryPrecision}{(i.ParameterBytes is { } b ? $" ({b / 1048576.0:0.0} MiB of parameters)" : "")}"));
        Console.WriteLine(i.UnusedTensors.Count == 0 ? "  unused tensors: none" : $"  unused tensors ({i.UnusedTensors.Count}): {string.Join(", ", i.UnusedTensors)}");
    }

    static JsonObject ToJson(ModelInspection i) => new()
    {
        ["folder"] = i.Folder,
        ["family"] = i.Family,
        ["labels"] = new JsonArray([.. i.Labels.Select(l => (JsonNode?)JsonValue.Create(l))]),
        ["dimensions"] = new JsonArray([.. i.Dimensions.Select(l => (JsonNode?)JsonValue.Create(l))]),
        ["parameters"] = i.Parameters,
        ["precision"] = i.Precision,
        ["memory_precision"] = i.MemoryPrecision,
        ["parameter_bytes"] = i.ParameterBytes,
        ["unused_tensors"] = new JsonArray([.. i.UnusedTensors.Select(l => (JsonNode?)JsonValue.Create(l))]),
        ["refused"] = i.Refused,
    };
}
