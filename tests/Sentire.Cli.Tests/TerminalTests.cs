using Spectre.Console;

namespace Sentire.Cli.Tests;

/// <summary>Colour and width of what the CLI prints (issue 15, item 11).</summary>
public sealed class TerminalTests
{
    static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    /// <summary>A table like corpus stats': a bold total row and a long cell.</summary>
    static string Render(bool isTerminal, Func<string, string?> environment)
    {
        var output = new StringWriter();
        var console = Terminal.Create(output, isTerminal, environment);
        var table = new Table().AddColumn("corpus").AddColumn("emotions (clips)").AddColumn(new TableColumn("hours").RightAligned());
        table.AddRow("ravdess", string.Join(" ", Enumerable.Range(0, 12).Select(i => $"emotion{i} {100 + i}")), "1.48");
        table.AddRow("[bold]total[/]", "", "12.34");
        console.Write(table);
        console.MarkupLine("[red]error:[/] " + string.Join(" ", Enumerable.Repeat("a long message that should stay on one line", 4)));
        return output.ToString();
    }

    [Fact]
    public void ColourCodesOnlyOnATerminalWithoutNoColor()
    {
        Assert.Contains("\u001b[", Render(isTerminal: true, Env(("COLUMNS", "300"))));   // a terminal gets colour...
        Assert.DoesNotContain("\u001b", Render(isTerminal: false, Env()));             // ...a file or a pipe never
        Assert.DoesNotContain("\u001b", Render(isTerminal: true, Env(("NO_COLOR", "1"), ("COLUMNS", "300"))));
        Assert.DoesNotContain("\u001b", Render(isTerminal: true, Env(("TERM", "dumb"), ("COLUMNS", "300"))));
    }

    [Fact]
    public void WidthIsColumnsOrUnwrappedWhenRedirected()
    {
        Assert.Equal(200, Terminal.Width(isTerminal: false, Env(("COLUMNS", "200"))));
        Assert.Equal(Terminal.UnwrappedWidth, Terminal.Width(isTerminal: false, Env()));
        Assert.Equal(Terminal.UnwrappedWidth, Terminal.Width(isTerminal: false, Env(("COLUMNS", "zero"))));

        foreach (var text in new[] { Render(false, Env(("COLUMNS", "200"))), Render(false, Env()) })
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines, l => l.Contains("emotion11 111"));                   // the long row on one line
            Assert.Contains(lines, l => l.Contains("emotion0 100") && l.Contains("1.48"));
            Assert.Single(lines, l => l.Contains("should stay on one line"));         // the message whole
        }
        var narrow = Render(false, Env(("COLUMNS", "60"))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(narrow, l => Assert.True(l.TrimEnd('\r').Length <= 60, l));        // COLUMNS is respected
    }
}
