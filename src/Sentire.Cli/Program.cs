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
                     VersionCommand.Create(),
                     CorpusCommand.Create(),
                 })
            root.Subcommands.Add(command);
        return root.Parse(args).Invoke();
    }
}
