using System.Globalization;
using Spectre.Console;

namespace Sentire.Cli;

/// <summary>
/// How the CLI writes tables, progress and coloured messages (Spectre.Console): colour and cursor codes only when
/// standard output is a terminal and <c>NO_COLOR</c> (https://no-color.org) is unset or empty; the width is
/// <c>COLUMNS</c> when set, else the terminal's; output that goes to a file or a pipe is never wrapped (tables keep
/// their numbers on one line, messages are not broken mid-phrase).
/// </summary>
public static class Terminal
{
    /// <summary>Width of redirected output without COLUMNS: wide enough that nothing the CLI prints wraps.</summary>
    public const int UnwrappedWidth = 1000;

    /// <summary>The console for <paramref name="output"/>, which is a terminal when <paramref name="isTerminal"/>;
    /// <paramref name="environment"/> reads environment variables (NO_COLOR, COLUMNS, TERM).</summary>
    public static IAnsiConsole Create(TextWriter output, bool isTerminal, Func<string, string?> environment)
    {
        bool color = isTerminal && string.IsNullOrEmpty(environment("NO_COLOR")) && environment("TERM") != "dumb";
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = Width(isTerminal, environment);
        return console;
    }

    /// <summary>"error: <paramref name="message"/>" in red on the console, as the training and results commands report a
    /// problem before exiting with 2.</summary>
    public static void Error(string message) => AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {message}");

    /// <summary>The console of this process's standard output.</summary>
    public static IAnsiConsole ForStandardOutput() =>
        Create(Console.Out, !Console.IsOutputRedirected, Environment.GetEnvironmentVariable);

    /// <summary>COLUMNS when it is a positive number, else the terminal's width, else (redirected) <see cref="UnwrappedWidth"/>.</summary>
    public static int Width(bool isTerminal, Func<string, string?> environment)
    {
        if (int.TryParse(environment("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns > 0) return columns;
        if (isTerminal)
        {
            try { if (Console.WindowWidth > 0) return Console.WindowWidth; }
            catch (IOException) { }
        }
        return UnwrappedWidth;
    }
}
