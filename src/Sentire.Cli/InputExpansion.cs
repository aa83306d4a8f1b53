using System.Text;
using System.Text.RegularExpressions;

namespace Sentire.Cli;

/// <summary>
/// The audio files named by a command's inputs, as <c>analyze</c>, <c>caption</c>, <c>audio info</c> and batch runs
/// read them: a file is taken as it is; a folder gives the audio files under it (recursively, by extension); a glob
/// may have wildcards in any path component (<c>*</c>, <c>?</c>, <c>[abc]</c>) and <c>**</c> for any number of
/// folders, and gives the files it matches (a folder it matches is searched as a folder). Files are sorted within each
/// input, and a file reached twice (by a folder and a glob, or two spellings of one path) is kept once, where it was
/// first reached. Inputs that name nothing are in <see cref="Missing"/>; folders and globs with no audio in
/// <see cref="Empty"/>.
/// <code>
/// var inputs = InputExpansion.Expand(["clips", "more/**/*.wav"]);
/// foreach (var file in inputs.Files) ...
/// foreach (var (input, problem) in inputs.Problems) Console.Error.WriteLine($"{input}: {problem}");
/// </code>
/// </summary>
public sealed record InputExpansion(IReadOnlyList<string> Files, IReadOnlyList<string> Missing, IReadOnlyList<string> Empty)
{
    /// <summary>Extensions (lower case) of the files a folder contributes.</summary>
    public static readonly IReadOnlyList<string> AudioExtensions = [".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".webm", ".aac", ".wma"];

    public const string MissingProblem = "no such file, folder or matching glob";
    public const string EmptyProblem = "no audio files (" + ".wav, .flac, .mp3, .ogg, .opus, .m4a, .webm, .aac, .wma" + ")";

    /// <summary>Every input that gave no file, with what was wrong, in the order given.</summary>
    public IEnumerable<(string Input, string Problem)> Problems =>
        Missing.Select(m => (m, MissingProblem)).Concat(Empty.Select(e => (e, EmptyProblem)));

    public static bool IsAudioFile(string path) => AudioExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static bool IsGlob(string input) => input.IndexOfAny(['*', '?', '[']) >= 0;

    public static InputExpansion Expand(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        List<string> missing = [], empty = [];
        foreach (var input in inputs)
        {
            IEnumerable<string> found;
            if (File.Exists(input)) found = [input];
            else if (Directory.Exists(input)) found = AudioUnder(input);
            else if (IsGlob(input))
            {
                var matches = Glob(input).ToList();
                if (matches.Count == 0) { missing.Add(input); continue; }
                found = matches.SelectMany(m => Directory.Exists(m) ? AudioUnder(m) : [m]);
            }
            else { missing.Add(input); continue; }

            bool any = false;
            foreach (var file in found)
            {
                any = true;
                if (seen.Add(Path.GetFullPath(file))) files.Add(file);
            }
            if (!any) empty.Add(input);
        }
        return new InputExpansion(files, missing, empty);
    }

    static IEnumerable<string> AudioUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(IsAudioFile).Order(StringComparer.Ordinal);

    /// <summary>Paths matching <paramref name="pattern"/>, sorted; each path is spelled as the pattern's literal prefix
    /// followed by the matched names (a relative pattern gives relative paths).</summary>
    public static IEnumerable<string> Glob(string pattern)
    {
        var separators = new[] { '/', Path.DirectorySeparatorChar };
        var root = Path.GetPathRoot(pattern) ?? "";
        var parts = pattern[root.Length..].Split(separators, StringSplitOptions.RemoveEmptyEntries);
        var matches = new SortedSet<string>(StringComparer.Ordinal);
        Walk(root, parts, 0, matches);
        return matches;
    }

    /// <summary>Matches <paramref name="parts"/>[i..] below <paramref name="prefix"/> (a folder spelled as typed, "" for
    /// the current one).</summary>
    static void Walk(string prefix, string[] parts, int i, SortedSet<string> matches)
    {
        string folder = prefix.Length == 0 ? "." : prefix;
        if (i == parts.Length)
        {
            if (prefix.Length > 0 && (File.Exists(prefix) || Directory.Exists(prefix))) matches.Add(prefix);
            return;
        }
        if (!Directory.Exists(folder)) return;
        var part = parts[i];
        string Join(string name) => prefix.Length == 0 ? name : Path.Join(prefix, name);
        if (part == "**")
        {
            Walk(prefix, parts, i + 1, matches);   // zero folders
            foreach (var sub in Children(folder, directories: true))
                if (!sub.StartsWith('.')) Walk(Join(sub), parts, i, matches);
            return;
        }
        if (!IsGlob(part)) { Walk(Join(part), parts, i + 1, matches); return; }
        var regex = ComponentRegex(part);
        bool last = i == parts.Length - 1;
        foreach (var name in Children(folder, directories: true).Concat(last ? Children(folder, directories: false) : []))
            if (regex.IsMatch(name) && (!name.StartsWith('.') || part.StartsWith('.'))) Walk(Join(name), parts, i + 1, matches);
    }

    static IEnumerable<string> Children(string folder, bool directories)
    {
        try
        {
            var entries = directories ? Directory.EnumerateDirectories(folder) : Directory.EnumerateFiles(folder);
            return entries.Select(e => Path.GetFileName(e)).ToList();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return []; }
    }

    /// <summary>One path component's wildcards as an anchored regular expression: * any run of characters, ? one
    /// character, [abc] / [a-z] / [!abc] a character class.</summary>
    static Regex ComponentRegex(string part)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < part.Length; i++)
        {
            char c = part[i];
            if (c == '*') sb.Append(".*");
            else if (c == '?') sb.Append('.');
            else if (c == '[' && part.IndexOf(']', i + 2) is var close and > 0)
            {
                var body = part[(i + 1)..close];
                bool negate = body.StartsWith('!') || body.StartsWith('^');
                if (negate) body = body[1..];
                sb.Append(negate ? "[^" : "[").Append(body.Replace(@"\", @"\\").Replace("[", @"\[")).Append(']');
                i = close;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None));
    }
}
