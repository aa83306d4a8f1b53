using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using Sentire.Cli.Commands;
using Spectre.Console;

namespace Sentire.Cli;

/// <summary>Entry point of the <c>sentire</c> command: each sub-command lives in its own file under Commands/.
/// Exit codes: 0 done, 1 a file or a run failed, 2 a usage error (unknown option, bad option value, missing argument).</summary>
public static class Program
{
    public const int UsageExit = 2;

    public static int Main(string[] args)
    {
        var root = new RootCommand("Sentire: understands how something is said (emotion, arousal/valence/dominance, emotion captions).");
        // One line per command family; each Commands/*.cs exposes Create().
        foreach (var command in new Command[]
                 {
                     AnalyzeCommand.Create(),
                     MergeCommand.Create(),
                     CaptionCommand.Create(),
                     EvalCaptionsCommand.Create(),
                     TrainCommand.Create(),
                     EvalCommand.Create(),
                     ReportCommand.Create(),
                     ResultsCommand.Create(),
                     AudioCommand.Create(),
                     FeaturesCommand.Create(),
                     EmbedCommand.Create(),
                     CorpusCommand.Create(),
                     VersionCommand.Create(),
                     ExportCommand.Create(),
                     InspectCommand.Create(),
                     ServeCommand.Create(),
                 })
            root.Subcommands.Add(command);
        // `sentire --version` prints what `sentire version` prints.
        foreach (var option in root.Options.OfType<VersionOption>()) option.Action = new PrintVersion();
        // Tables, progress and colour: codes only on a terminal without NO_COLOR, the width of COLUMNS or the terminal.
        AnsiConsole.Console = Terminal.ForStandardOutput();
        foreach (var option in root.Options.OfType<HelpOption>())
            if (option.Action is HelpAction help) help.MaxWidth = Math.Min(Terminal.Width(!Console.IsOutputRedirected, Environment.GetEnvironmentVariable), 200);
        try
        {
            var parse = root.Parse(args);
            if (UsageProblem(parse) is { } problem)
            {
                var name = CommandName(parse);
                Console.Error.WriteLine($"{name}: {problem}");
                Console.Error.WriteLine($"Run '{name} --help' for usage.");
                return UsageExit;
            }
            // Exceptions from a command reach the handler below (System.CommandLine would print them with a stack trace).
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("SENTIRE_DEBUG") is null)
        {
            // A failure the command did not handle itself: say what happened without a stack dump.
            // Parallel loops wrap the real failure (e.g. the unreadable file) in an AggregateException.
            var cause = e is AggregateException { InnerExceptions.Count: > 0 } a ? a.Flatten().InnerExceptions[0] : e;
            Console.Error.WriteLine($"sentire: error: {cause.Message} (set SENTIRE_DEBUG=1 for details)");
            return 1;
        }
    }

    /// <summary>Why the command line is not usable, or null: a parse error (unknown option, value of the wrong type,
    /// missing argument), or a word starting with '-' that named no option and was taken as an argument (a mistyped
    /// option such as --jsn; a file really named like that goes after <c>--</c>).</summary>
    static string? UsageProblem(ParseResult parse)
    {
        if (parse.Action is HelpAction or PrintVersion) return null;
        if (parse.Errors.Count > 0) return string.Join("; ", parse.Errors.Select(e => Plain(e.Message)));
        int doubleDash = -1;
        for (int i = 0; i < parse.Tokens.Count; i++)
            if (parse.Tokens[i].Type == TokenType.DoubleDash) { doubleDash = i; break; }
        foreach (var argument in parse.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens)
            {
                if (token.Value.Length < 2 || token.Value[0] != '-' || double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue;
                int at = -1;
                for (int i = 0; i < parse.Tokens.Count; i++)
                    if (ReferenceEquals(parse.Tokens[i], token)) { at = i; break; }
                if (doubleDash < 0 || at < doubleDash)
                    return $"unknown option '{token.Value}' (a file named '{token.Value}' goes after --, as in: -- {token.Value})";
            }
        return null;
    }

    /// <summary>A parser message without .NET type names: "Cannot parse argument 'x' for option '--top' as expected type
    /// 'System.Int32'." becomes "--top: 'x' is not a whole number".</summary>
    static string Plain(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*)' for (?:option|command|argument) '(.*)' as expected type '(?:System\.)?([\w.`\[\]]+)'\.?$");
        if (!m.Success) return message.TrimEnd('.');
        var expected = m.Groups[3].Value switch
        {
            "Int32" or "Int64" or "UInt32" or "UInt64" or "Int16" => "a whole number",
            "Single" or "Double" or "Decimal" => "a number",
            "Boolean" => "true or false",
            var other when other.Contains("IO.") => "a path",
            _ => "a valid value",
        };
        return $"{m.Groups[2].Value}: '{m.Groups[1].Value}' is not {expected}";
    }

    /// <summary>"sentire analyze", "sentire audio info": the command line's command words.</summary>
    static string CommandName(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as CommandResult)
            names.Insert(0, r.Parent is null ? "sentire" : r.Command.Name);
        return string.Join(' ', names);
    }

    sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult) => VersionCommand.Print();
    }
}
