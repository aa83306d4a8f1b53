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
