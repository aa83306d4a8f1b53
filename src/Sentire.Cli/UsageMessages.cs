namespace Sentire.Cli;

/// <summary>Library errors in the words of the command line: a setting's property name becomes the option that sets
/// it, and .NET's "(Parameter 'X')" suffix goes.</summary>
public static class UsageMessages
{
    /// <summary><paramref name="e"/>'s message with each property name of <paramref name="optionNames"/> replaced by
    /// its option ("BeamSize must be >= 1, found 0" -> "--beam must be >= 1, found 0").</summary>
    public static string Of(ArgumentException e, IReadOnlyDictionary<string, string>? optionNames = null)
    {
        var message = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
        if (optionNames is not null)
            foreach (var (property, option) in optionNames.OrderByDescending(kv => kv.Key.Length))
                message = System.Text.RegularExpressions.Regex.Replace(message, $@"\b{property}\b", option);
        return message;
    }
}
