using System.CommandLine;
using Sentire.Cli.Commands;

namespace Sentire.Cli;

/// <summary>Entry point of the <c>sentire</c> command: each sub-command lives in its own file under Commands/.</summary>
public static class Program
{
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
                 })
            root.Subcommands.Add(command);
        try
        {
            return root.Parse(args).Invoke();
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
}
