using System.Text;
using System.Text.Json;

namespace Sentire.Cli.Batch;

/// <summary>
/// The audio paths listed by <c>--inputs FILE</c>, by the file's extension: <c>.jsonl</c> one JSON object per line
/// with a <c>path</c> (or <c>file</c>, so a results file lists its own inputs) string; <c>.csv</c> a header row with a
/// <c>path</c> (or <c>file</c>) column; anything else (<c>list.txt</c>) one path per line. Blank lines and, in text
/// lists, lines starting with <c>#</c> are skipped. A relative path is relative to the manifest's folder (as corpus
/// manifests are); a manifest in the current folder therefore lists paths exactly as they are typed.
/// </summary>
public static class InputManifest
{
    /// <exception cref="InvalidDataException">A line without a path, named by file and line.</exception>
    /// <exception cref="FileNotFoundException">No such manifest.</exception>
    public static List<string> Read(string manifest)
    {
        if (!File.Exists(manifest)) throw new FileNotFoundException($"--inputs {manifest}: no such file", manifest);
        var folder = Path.GetDirectoryName(manifest) ?? "";
        var extension = Path.GetExtension(manifest).ToLowerInvariant();
        var paths = new List<string>();
        int lineNumber = 0, column = -1;
        foreach (var raw in File.ReadLines(manifest))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? path;
            switch (extension)
            {
                case ".jsonl":
                    path = JsonPath(line, manifest, lineNumber);
                    break;
                case ".csv":
                    var fields = CsvFields(line);
                    if (column < 0)
                    {
                        column = fields.IndexOf("path") is >= 0 and var p ? p : fields.IndexOf("file");
                        if (column < 0) throw new InvalidDataException($"{manifest}:{lineNumber}: the header has no 'path' or 'file' column (found {string.Join(",", fields)})");
                        continue;
                    }
                    path = column < fields.Count ? fields[column] : null;
                    break;
                default:
                    if (line.TrimStart().StartsWith('#')) continue;
                    path = line.Trim();
                    break;
            }
            if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException($"{manifest}:{lineNumber}: no path on this line");
            paths.Add(Path.IsPathRooted(path) || folder.Length == 0 ? path : Path.Join(folder, path));
        }
        return paths;
    }

    static string? JsonPath(string line, string manifest, int lineNumber)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{manifest}:{lineNumber}: expected a JSON object, found {root.ValueKind}");
            foreach (var key in new[] { "path", "file" })
                if (root.TryGetProperty(key, out var v))
                    return v.ValueKind == JsonValueKind.String ? v.GetString()
                        : throw new InvalidDataException($"{manifest}:{lineNumber}: '{key}' is {v.ValueKind}, expected a string");
            throw new InvalidDataException($"{manifest}:{lineNumber}: no 'path' or 'file' key");
        }
        catch (JsonException e) { throw new InvalidDataException($"{manifest}:{lineNumber}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>The fields of one CSV line (RFC 4180 quoting: "a,b" and "" inside quotes; no line breaks inside fields).</summary>
    internal static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
