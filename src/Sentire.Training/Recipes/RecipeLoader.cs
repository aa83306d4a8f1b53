using System.Reflection;
using Sentire.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Sentire.Training.Recipes;

/// <summary>A recipe file that cannot be used: names the file and, where known, the line.</summary>
public sealed class RecipeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads YAML recipes (snake_case keys) into typed recipe classes, applying command-line overrides of the form
/// <c>section.key=value</c> first, so a run is fully described by the file plus its overrides. Unknown keys are
/// errors, never silently ignored. Enum fields are closed option sets spelled as <see cref="OptionNames"/> says
/// (variant: sl-gemo-clap); a value outside the set is an error that names the key and every allowed value.
/// </summary>
public static class RecipeLoader
{
    public static T Load<T>(string path, IEnumerable<string>? overrides = null) where T : new()
    {
        if (!File.Exists(path)) throw new RecipeException($"{path}: recipe file not found");
        return Parse<T>(File.ReadAllText(path), path, overrides);
    }

    public static T Parse<T>(string yaml, string source, IEnumerable<string>? overrides = null) where T : new()
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e) { throw new RecipeException($"{source}:{e.Start.Line}: not valid YAML ({e.Message})", e); }
        var root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new RecipeException($"{source}: the recipe must be a mapping of keys to values");
        foreach (var o in overrides ?? []) Apply(root, o, source);
        var badOptions = new List<string>();
        CheckOptions(root, typeof(T), "", badOptions);
        if (badOptions.Count > 0) throw new RecipeException($"{source}: " + string.Join("; ", badOptions));

        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).WithTypeConverter(OptionConverter.Instance).Build();
        try { return deserializer.Deserialize<T>(writer.ToString()) ?? new T(); }
        catch (YamlException e)
        {
            var detail = e.InnerException?.Message ?? e.Message;
            throw new RecipeException($"{source}: {detail}", e);
        }
    }

    /// <summary>Canonical YAML of a recipe object (what a checkpoint records).</summary>
    public static string ToYaml<T>(T recipe) =>
        new SerializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).WithTypeConverter(OptionConverter.Instance).Build().Serialize(recipe!);

    /// <summary>Every enum-typed key under <paramref name="node"/> (a mapping read into <paramref name="type"/>) whose
    /// value is not one of the enum's spellings, as "section.key 'value' is not one of a, b (line N)".</summary>
    static void CheckOptions(YamlMappingNode node, Type type, string prefix, List<string> problems)
    {
        foreach (var (keyNode, value) in node.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key }) continue;
            var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .FirstOrDefault(p => UnderscoredNamingConvention.Instance.Apply(p.Name) == key);
            if (property is null) continue;                                       // the typed load reports unknown keys
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsEnum && value is YamlScalarNode { Value: var text } && OptionNames.Parse(propertyType, text ?? "") is null)
                problems.Add($"{prefix}{key} '{text}' is not one of {OptionNames.Allowed(propertyType)} (line {value.Start.Line})");
            else if (value is YamlMappingNode section && propertyType.IsClass && propertyType != typeof(string))
                CheckOptions(section, propertyType, $"{prefix}{key}.", problems);
        }
    }

    /// <summary>Reads and writes enum fields in their <see cref="OptionNames"/> spelling.</summary>
    sealed class OptionConverter : IYamlTypeConverter
    {
        public static readonly OptionConverter Instance = new();

        public bool Accepts(Type type) => type.IsEnum;

        public object? ReadYaml(IParser parser, Type type, ObjectDeserializer rootDeserializer)
        {
            var scalar = parser.Consume<Scalar>();
            return OptionNames.Parse(type, scalar.Value)
                ?? throw new YamlException(scalar.Start, scalar.End, $"'{scalar.Value}' is not one of {OptionNames.Allowed(type)}");
        }

        public void WriteYaml(IEmitter emitter, object? value, Type type, ObjectSerializer serializer) =>
            emitter.Emit(new Scalar(OptionNames.Of(type, value!)));
    }

    static void Apply(YamlMappingNode root, string assignment, string source)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new RecipeException($"override '{assignment}' is not of the form key.path=value");
        var path = assignment[..eq].Trim().Split('.');
        var value = assignment[(eq + 1)..].Trim();
        var node = root;
        for (int i = 0; i < path.Length - 1; i++)
        {
            var key = new YamlScalarNode(path[i]);
            if (!node.Children.TryGetValue(key, out var child))
                node.Children[key] = child = new YamlMappingNode();
            node = child as YamlMappingNode ?? throw new RecipeException($"{source}: override '{assignment}': '{path[i]}' is a value, not a section");
        }
        // A value in [a, b] form becomes a list; anything else a scalar that the typed load will check.
        node.Children[new YamlScalarNode(path[^1])] = value.StartsWith('[') && value.EndsWith(']')
            ? new YamlSequenceNode(value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => new YamlScalarNode(v)))
            : new YamlScalarNode(value);
    }
}
