using System.Globalization;

namespace Sentire.Models.AudioTagging;

/// <summary>The AudioSet ontology's class names in logit order, from class_labels_indices.csv
/// (header "index,mid,display_name"; display names quoted, and may hold commas).</summary>
public static class AudioSetLabels
{
    public static IReadOnlyList<string> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != "index,mid,display_name")
            throw new FormatException($"{path}: expected the header 'index,mid,display_name', found '{(lines.Length == 0 ? "" : lines[0])}'");
        var names = new List<string>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            // index,mid,"display name" (the name is everything after the second comma, quotes removed)
            int first = lines[i].IndexOf(',');
            int second = first < 0 ? -1 : lines[i].IndexOf(',', first + 1);
            if (second < 0 || !int.TryParse(lines[i].AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index != names.Count)
                throw new FormatException($"{path}, line {i + 1}: expected '{names.Count},<mid>,<name>', found '{lines[i]}'");
            var name = lines[i][(second + 1)..];
            if (name.Length >= 2 && name[0] == '"' && name[^1] == '"') name = name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
            names.Add(name);
        }
        return names;
    }
}
