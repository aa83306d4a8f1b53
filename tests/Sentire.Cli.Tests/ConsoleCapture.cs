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

/// <summary>Runs <c>sentire</c> in-process through <see cref="Program.Main"/> with the console captured.</summary>
public static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int exit = Capture(stdout, stderr, args);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Standard output and error as one text, in the order written, for checks that don't care which stream
    /// said it.</summary>
    public static (int Exit, string Text) RunCombined(params string[] args)
    {
        var output = new StringWriter();
        int exit = Capture(output, output, args);
        return (exit, output.ToString());
    }

    static int Capture(TextWriter stdout, TextWriter stderr, string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try { return Program.Main(args); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }
}
