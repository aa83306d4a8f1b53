using System.CommandLine;
using System.Globalization;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Prosody;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire corpus stats|norms ROOT</c>: what the corpora under ROOT hold, and the prosody reference levels.</summary>
public static class CorpusCommand
{
    public static Command Create()
    {
        var command = new Command("corpus", "Inspect emotional-speech corpora (folders holding manifest.jsonl).");
        command.Subcommands.Add(Stats());
        command.Subcommands.Add(Norms());
        return command;
    }

    static Argument<string> RootArgument() =>
        new("root") { Description = "A corpora folder (e.g. ../shared/corpora) or a single corpus folder." };

    static Command Stats()
    {
        var root = RootArgument();
        var command = new Command("stats", "Clips, speakers, hours and emotions per corpus.") { root };
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(root)!) is not { } set) return 1;
            var stats = set.Stats();
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("corpus").AddColumn("language")
                .AddColumn(new TableColumn("clips").RightAligned())
                .AddColumn(new TableColumn("speakers").RightAligned())
                .AddColumn(new TableColumn("hours").RightAligned())
                .AddColumn("emotions (clips)");
            foreach (var s in stats)
                table.AddRow(
                    Markup.Escape(s.Corpus),
                    Markup.Escape(string.Join(", ", s.Languages)),
                    s.Clips.ToString(CultureInfo.InvariantCulture),
                    s.Speakers == 0 ? "-" : s.Speakers.ToString(CultureInfo.InvariantCulture),
                    s.Hours.ToString("F2", CultureInfo.InvariantCulture),
                    s.Emotions.Count == 0 ? "-" : Markup.Escape(string.Join(" ", s.Emotions.Select(e => $"{e.Emotion} {e.Clips}"))));
            table.AddRow(
                "[bold]total[/]", "",
                stats.Sum(s => s.Clips).ToString(CultureInfo.InvariantCulture),
                stats.Sum(s => s.Speakers).ToString(CultureInfo.InvariantCulture),
                stats.Sum(s => s.Hours).ToString("F2", CultureInfo.InvariantCulture),
                "");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    static Command Norms()
    {
        var root = RootArgument();
        var command = new Command("norms",
            "Measure prosody on every clip and print the tercile boundaries behind the plain-language levels (ProsodyNorms).") { root };
        command.SetAction(parse =>
        {
            if (Load(parse.GetValue(root)!) is not { } set) return 1;
            var results = new (ProsodySummary Summary, Gender? Gender)[set.Count];
            var done = 0;
            Parallel.For(0, set.Count, i =>
            {
                var utterance = set.Utterances[i];
                var clip = AudioFile.Read(utterance.AudioPath).ToMono();
                results[i] = (ProsodyAnalyzer.Summarize(clip.Samples, clip.SampleRate), utterance.Gender);
                if (Interlocked.Increment(ref done) % 500 == 0) Console.Error.WriteLine($"{done}/{set.Count} clips");
            });
            var norms = ProsodyNorms.Fit(results);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("measure")
                .AddColumn(new TableColumn("lower tercile").RightAligned()).AddColumn(new TableColumn("upper tercile").RightAligned());
            foreach (var (name, terciles) in new (string, Terciles)[]
                     {
                         ("pitch, female (median Hz)", norms.PitchFemaleHz), ("pitch, male (median Hz)", norms.PitchMaleHz),
                         ("pitch, any (median Hz)", norms.PitchAnyHz), ("pitch variation (st std)", norms.PitchVariationSemitones),
                         ("loudness (P80 dBFS)", norms.LoudnessDb), ("articulation rate (syllables/s)", norms.ArticulationRate),
                         ("HNR (mean dB)", norms.HnrDb),
                     })
                table.AddRow(name, terciles.Lower.ToString("F3", CultureInfo.InvariantCulture), terciles.Upper.ToString("F3", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            Console.WriteLine($"{set.Count} clips of {string.Join(", ", set.CorpusNames)}");
            return 0;
        });
        return command;
    }

    /// <summary>The corpora under <paramref name="root"/>, or null after printing why they could not be read.</summary>
    static CorpusSet? Load(string root)
    {
        try
        {
            return CorpusSet.LoadRoot(root);
        }
        catch (Exception e) when (e is IOException or ManifestFormatException or ArgumentException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return null;
        }
    }
}
