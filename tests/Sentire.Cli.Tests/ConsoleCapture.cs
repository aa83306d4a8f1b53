using Spectre.Console;

// Runs before any test (test parallelization is off for this assembly: see AnalyzeCommandTests.cs).

[assembly: AssemblyFixture(typeof(Sentire.Cli.Tests.ConsoleCapture))]

namespace Sentire.Cli.Tests;

/// <summary>
/// Spectre's AnsiConsole binds Console.Out when it is first used; the commands print progress and errors through it,
/// so before any test runs it is pointed at whatever Console.Out is at each write. Otherwise a test's output would
/// go to the writer of whichever test happened to touch AnsiConsole first.
/// </summary>
public sealed class ConsoleCapture
{
    public ConsoleCapture() => AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(new CurrentConsoleOut()),
    });

    sealed class CurrentConsoleOut : TextWriter
    {
        public override System.Text.Encoding Encoding => Console.Out.Encoding;
        public override void Write(char value) => Console.Out.Write(value);
        public override void Write(string? value) => Console.Out.Write(value);
    }
}
