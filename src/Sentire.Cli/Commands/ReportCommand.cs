using System.CommandLine;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Perturbations;
using Sentire.Evaluation.Reports;
using Sentire.Models;
using Sentire.Training.Clap;
using Sentire.Training.Dimensions;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire report --model M [--corpora ROOT] [--corpus ravdess] [--split ravdess-17-20|fold:K/N] [--out DIR]</c>:
/// robustness (clean and perturbed UAR/CCC) and fairness (per gender, corpus and speaker) of an emotion model on the
/// test speakers of a split, written as report.md + report.html + SVG charts. Dimension targets are derived targets.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var model = CommonOptions.EmotionModel();
        var corpora = CommonOptions.Corpora();
        var corpus = new Option<string>("--corpus") { Description = "Comma-separated corpus folders the test set comes from.", DefaultValueFactory = _ => "ravdess" };
        var split = new Option<string>("--split") { Description = "Test speakers: ravdess-17-20 or fold:K/N (speaker-disjoint).", DefaultValueFactory = _ => "ravdess-17-20" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the perturbations and of the fold assignment.", DefaultValueFactory = _ => 1234UL };
        var perturbations = new Option<string?>("--perturbations") { Description = $"Comma-separated perturbations (default: all of {string.Join(", ", PerturbationCatalogue.Names)})." };
        var talkers = new Option<int>("--babble-talkers") { Description = "Talkers summed into babble noise (clips of speakers outside the test set).", DefaultValueFactory = _ => 6 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Output folder. Default: reports/<model name>." };
        var command = new Command("report", "Robustness and fairness report of an emotion model (Markdown + HTML with SVG charts).")
            { model, corpora, corpus, split, seed, perturbations, talkers, output };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(corpora)!.FullName;
            var names = parse.GetValue(corpus)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var missing = names.Where(n => !File.Exists(Path.Combine(root, n, ManifestReader.FileName))).ToList();
            if (names.Length == 0 || missing.Count > 0) return Usage($"no {ManifestReader.FileName} in {string.Join(", ", missing.Select(n => Path.Combine(root, n)))} (--corpora, --corpus)");
            if (parse.GetValue(talkers) < 2) return Usage($"--babble-talkers must be at least 2, got {parse.GetValue(talkers)}");
            var perturbationNames = parse.GetValue(perturbations) is { } p ? p.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : PerturbationCatalogue.Names.ToArray();
            var unknown = perturbationNames.Where(n => !PerturbationCatalogue.Names.Contains(n)).ToList();
            if (unknown.Count > 0) return Usage($"unknown perturbation(s) {string.Join(", ", unknown)} (known: {string.Join(", ", PerturbationCatalogue.Names)})");

            IEmotionAnalyzer recognizer;
            try { recognizer = EmotionModels.Load(ModelLocator.Resolve(parse.GetValue(model))); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return Usage(e.Message); }
            if (!recognizer.HasDimensions) Console.Error.WriteLine($"sentire report: no arousal/valence/dominance: {recognizer.DimensionsProblem}");

            var utterances = CorpusSet.Load(names.Select(n => Path.Combine(root, n))).Utterances;
            var splitName = parse.GetValue(split)!;
            DataSplit data;
            try { data = ClapTrainer.Split(utterances, splitName, parse.GetValue(seed)); }
            catch (Exception e) when (e is RecipeException or ArgumentException) { return Usage($"--split {splitName}: {e.Message}"); }

            var babble = BabbleTalkers(data.Train, parse.GetValue(talkers), recognizer.SampleRate);
            var list = perturbationNames.Select(n => PerturbationCatalogue.Create(n, babble)).ToList();
            var outFolder = parse.GetValue(output)?.FullName ?? Path.Combine("reports", recognizer.Name);
            ModelReport report = null!;
            // Progress goes to stderr through a console made per run (stdout keeps the results).
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn()).Start(ctx =>
            {
                var task = ctx.AddTask("clean", maxValue: (double)data.Test.Count * (list.Count + 1));
                report = ModelReport.Run(recognizer, $"{data.Name} ({string.Join("+", names)})", data.Test, recognizer.Labels, list, u => DerivedDimensions.For(u), parse.GetValue(seed),
                    new Training.SynchronousProgress<ModelReport.Progress>(r =>
                    {
                        task.Description = $"{r.Condition} ({r.ConditionIndex + 1}/{r.Conditions})";
                        task.Value = (double)r.ConditionIndex * data.Test.Count + r.Done;
                    }));
            });
            var page = new ReportPage(report, "Arousal, valence and dominance are scored against derived targets (category placements of " +
                "Russell & Mehrabian 1977 scaled by intensity, docs/dimensions.md), not human ratings: CCC measures agreement with that placement.");
            page.WriteTo(outFolder);
            var clean = report.Conditions[0].Scores;
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"clean UAR {clean.Uar:P1}{(report.HasDimensions ? $", CCC (derived targets) arousal {clean.Dimensions[0].Ccc:F3} valence {clean.Dimensions[1].Ccc:F3} dominance {clean.Dimensions[2].Ccc:F3}" : "")}"));
            Console.WriteLine($"wrote {Path.Combine(outFolder, ReportPage.MarkdownFile)}, {ReportPage.HtmlFile} and {page.Charts.Count} SVG charts");
            return 0;
        });
        return command;
    }

    /// <summary>One clip of each of the first <paramref name="count"/> speakers outside the test set (ordinal order, neutral
    /// clips first), mono at the model rate: deterministic babble that never contains a test speaker.</summary>
    static List<float[]> BabbleTalkers(IReadOnlyList<Utterance> pool, int count, int sampleRate)
    {
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = sampleRate });
        return pool.Where(u => u.Speaker is not null)
            .GroupBy(u => u.Speaker!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Take(count)
            .Select(g => g.OrderBy(u => u.Emotion == "neutral" ? 0 : 1).ThenBy(u => u.Id, StringComparer.Ordinal).First())
            .Select(u => conditioner.Apply(AudioFile.Read(u.AudioPath))).ToList();
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire report: {message}");
        return 2;
    }
}
