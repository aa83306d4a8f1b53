using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sentire.IO;

/// <summary>
/// How a closed option set (an enum) is spelled in files and on the command line: a member's
/// <see cref="JsonStringEnumMemberNameAttribute"/> where it has one ("ravdess-17-20", "t+q"), else its name in
/// kebab case (SlGemoClap: "sl-gemo-clap", Stage1: "stage1"). One spelling for reading, writing and error messages.
/// </summary>
public static class OptionNames
{
    /// <summary>The file spelling of <paramref name="value"/>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Of(typeof(T), value);

    public static string Of(Type enumType, object value)
    {
        var name = Enum.GetName(enumType, value) ?? throw new ArgumentException($"{value} is not a member of {enumType.Name}");
        return Spelling(enumType.GetField(name)!);
    }

    /// <summary>Every accepted spelling, in declaration order.</summary>
    public static IReadOnlyList<string> All(Type enumType) =>
        [.. enumType.GetFields(BindingFlags.Public | BindingFlags.Static).Select(Spelling)];

    /// <summary>"a, b, c": the accepted spellings, for an error message.</summary>
    public static string Allowed(Type enumType) => string.Join(", ", All(enumType));

    /// <summary>The member spelled <paramref name="text"/> (exactly), or null.</summary>
    public static object? Parse(Type enumType, string text) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(f => Spelling(f) == text)?.GetValue(null);

    /// <summary>The member spelled <paramref name="text"/>; otherwise an <see cref="ArgumentException"/> that names
    /// <paramref name="what"/>, the text and every accepted spelling.</summary>
    public static T Parse<T>(string text, string what) where T : struct, Enum =>
        Parse(typeof(T), text) is T value ? value : throw new ArgumentException($"{what} '{text}' is not one of {Allowed(typeof(T))}");

    static string Spelling(FieldInfo field) =>
        field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.KebabCaseLower.ConvertName(field.Name);
}

/// <summary>
/// JSON (model configs) reads and writes an enum marked <c>[JsonConverter(typeof(OptionNamesJsonConverter))]</c> in its
/// <see cref="OptionNames"/> spelling, the one recipes and the command line use; a value outside the set is a
/// <see cref="JsonException"/> that names it and every allowed value.
/// </summary>
public sealed class OptionNamesJsonConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Spelled<>).MakeGenericType(typeToConvert))!;

    sealed class Spelled<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw new JsonException($"expected one of {OptionNames.Allowed(typeof(T))} as a string, found {reader.TokenType}");
            var text = reader.GetString()!;
            return OptionNames.Parse(typeof(T), text) is T value ? value : throw new JsonException($"'{text}' is not one of {OptionNames.Allowed(typeof(T))}");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(OptionNames.Of(value));
    }
}
