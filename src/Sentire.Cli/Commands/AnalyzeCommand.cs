using System.CommandLine;
using System.Globalization;
using Sentire.Models;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire analyze FILE|FOLDER|GLOB...</c>: the emotions heard in each file, with probabilities. Text by default,
/// <c>--json</c> (one object per line per file) or <c>--csv</c>. A file that cannot be read is reported and the batch
/// goes on; the exit code is 1 when any file failed. <c>--caption</c> adds a one-sentence emotion caption per file from
/// the captioning model (<c>sentire caption</c>'s default greedy decoding); it is opt-in because it runs a language
/// model per file, several times slower than the recognition itself.
/// </summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Audio files, folders (searched recursively) or globs such as clips/*.wav or data/**/*.flac (a file named like an option goes after --).", Arity = ArgumentArity.ZeroOrMore };
        var manifest = new Option<string?>("--inputs") { Description = "A list of inputs: list.txt (one path per line), manifest.jsonl or .csv (a path column)." };
        var batch = Batch.BatchOptionSet.Create();
        var model = new Option<string?>("--model") { Description = "Model folder: a Sentire package or a published model such as a Hugging Face *ForSequenceClassification checkpoint (default: the embedded model, or SENTIRE_MODEL)." };
        var labels = new Option<string?>("--labels") { Description = "Comma-separated labels for zero-shot analysis, e.g. happy,sad,bored (default: the model's labels)." };
        var template = new Option<string?>("--template") { Description = "Prompt template with {label} (default: the model's, \"The emotion is {label}.\")." };
        var top = new Option<int>("--top") { Description = "Emotions to print per file in text output.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "One JSON object per line per file." };
        var csv = new Option<bool>("--csv") { Description = "CSV with a header: " + FileAnalysisCsv.Header + " (one row per label; status ok, too_short, silent or error)." };
        var caption = new Option<bool>("--caption") { Description = "Add a one-sentence caption per file that names the emotion found (or none) and the measured prosody (text and --json output)." };
        var captionModel = new Option<string?>("--caption-model") { Description = "Captioning model folder for --caption (default: the shipped secap-small, or SENTIRE_CAPTION_MODEL)." };
        var lang = new Option<string>("--lang") { Description = "Caption language for --caption: en or zh.", DefaultValueFactory = _ => "en" };
        var command = new Command("analyze", "Recognise the emotion in speech.") { inputs, model, labels, template, top, json, csv, caption, captionModel, lang, manifest };
        batch.AddTo(command);
        command.SetAction(parse =>
        {
            if (AnalysisOptions.Parse(parse.GetValue(labels), parse.GetValue(template), parse.GetValue(lang), out var problem, out var repeated) is not { } options)
                return Usage(problem!);
            var (labelList, promptTemplate, language) = (options.Labels, options.PromptTemplate, options.Language);
            if (repeated.Count > 0)
                Console.Error.WriteLine($"sentire analyze: warning: --labels repeats {string.Join(", ", repeated)} (labels are compared ignoring case); using {string.Join(",", labelList!)}");
            int topCount = parse.GetValue(top);
            if (topCount < 1) return Usage($"--top must be at least 1, got {topCount}");
            if (parse.GetValue(json) && parse.GetValue(csv)) return Usage("choose one of --json and --csv");
            if (parse.GetValue(caption) && parse.GetValue(csv)) return Usage("--caption works with text and --json output, not --csv");

            List<string> named = [.. parse.GetValue(inputs) ?? []];
            if (parse.GetValue(manifest) is { } list)
            {
                try { named.AddRange(Batch.InputManifest.Read(list)); }
                catch (Exception e) when (e is IOException or InvalidDataException) { return Usage(e.Message); }
            }
            if (named.Count == 0) return Usage("no inputs: name audio files, folders or globs, or --inputs LIST");
            if (batch.Parse(parse, Usage) is not { } plan) return 2;
            var expansion = InputExpansion.Expand(named);
            var files = expansion.Files.Where(plan.Shard.Contains).ToList();
            var problems = expansion.Problems.Where(p => plan.Shard.Contains(p.Input)).ToList();
            IEmotionAnalyzer recognizer;
            try { recognizer = EmotionModels.Load(ModelLocator.Resolve(parse.GetValue(model))); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException) { return Usage(e.Message); }
            bool published = recognizer is Models.Published.PublishedEmotionAnalyzer;
            if (published && (labelList is not null || promptTemplate is not null))
                return Usage($"{recognizer.Name} is a closed-set model with its own {(recognizer.HasDimensions ? "outputs (arousal, valence, dominance)" : $"labels ({string.Join(", ", recognizer.Labels)})")}: " +
                    $"--labels and --template are zero-shot options of CLAP models");
            if (recognizer.RequestProblem(labelList, promptTemplate) is { } requestProblem) return Usage(requestProblem);

            Models.Secap.EmotionCaptioner? captioner = null;
            if (parse.GetValue(caption))
            {
                try { captioner = Models.Secap.EmotionCaptioner.Load(CaptionCommand.ResolveModel(parse.GetValue(captionModel))); }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return Usage(e.Message); }
            }

            var output = parse.GetValue(json) ? Format.Json : parse.GetValue(csv) ? Format.Csv : Format.Text;
            if (recognizer.DimensionsWarning is { } dimensionsWarning)
                Console.Error.WriteLine($"sentire analyze: warning: no arousal/valence/dominance: {dimensionsWarning}");
            // Files are analysed one after another on this thread: the model's tensors reuse one arena's storage
            // (BENCHMARKS.md: the default MobileNet 1.23x faster over RAVDESS than on the ordinary heap), trimmed as a server worker's is.
            var arena = new Sentire.Tensors.TensorArena();
            FileAnalysis Analyze(string file)
            {
                try { return recognizer.AnalyzeFile(file, labelList, promptTemplate, arena); }
                finally { if (arena.FloatsHeld > Server.WorkerPool.ArenaLimitFloats) arena.Trim(); }
            }
            if (plan.Options is { } batchOptions)
            {
                return Batch.BatchRun.Run([.. Batch.BatchInputs.Expand(named).Where(plan.Shard.Contains)], file =>
                {
                    if (!File.Exists(file)) return Batch.BatchRecord.Error(file, Batch.BatchInputs.Problem(file));
                    try
                    {
                        var result = Analyze(file);
                        var text = CaptionOf(captioner, result, language);
                        return Batch.BatchRecord.Of(result, text);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        // One file never stops a batch: whatever went wrong with it is its record's error.
                        return Batch.BatchRecord.Error(file, e.Message);
                    }
                }, batchOptions, Console.Error, live: !Console.IsErrorRedirected) > 0 ? 1 : 0;
            }
            if (output == Format.Csv) Console.WriteLine(FileAnalysisCsv.Header);
            int failed = 0;
            foreach (var (input, inputProblem) in problems) { failed++; Report(output, input, inputProblem); }
            foreach (var file in files)
            {
                FileAnalysis result;
                string? text = null;
                try
                {
                    result = Analyze(file);
                    text = CaptionOf(captioner, result, language);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // One file never stops a batch: whatever went wrong with it is its record's error.
                    failed++;
                    Report(output, file, e.Message);
                    continue;
                }
                Print(output, result, topCount, text, derivedDimensions: !published);
            }
            return failed > 0 ? 1 : 0;
        });
        return command;
    }

    /// <summary>The --caption of an analysed file: none for silent and too-short files (the gate the analysis applied), and
    /// agreeing with the prosody levels and the top emotion printed beside it (they are passed to the captioner).</summary>
    static string? CaptionOf(Models.Secap.EmotionCaptioner? captioner, FileAnalysis result, string language) =>
        captioner is not null && result.Status == AnalysisStatus.Ok && result.Overall is not null
            ? captioner.CaptionFile(result.File, language, new Models.Secap.CaptionOptions().HeldTo(result)).Caption
            : null;

    enum Format { Text, Json, Csv }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire analyze: {message}");
        return 2;
    }

    static void Report(Format format, string file, string error)
    {
        switch (format)
        {
            case Format.Json: Console.WriteLine(FileAnalysisJson.Serialize(FileAnalysisJson.Error(file, error))); break;
            case Format.Csv: Console.WriteLine(FileAnalysisCsv.ErrorRow(file, error)); break;
            default: Console.Error.WriteLine($"{file}: error: {error}"); break;
        }
    }

    /// <param name="derivedDimensions">whether the dimensions come from a head trained on derived targets (Sentire's own models)</param>
    static void Print(Format format, FileAnalysis a, int top, string? caption, bool derivedDimensions)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (format)
        {
            case Format.Json:
                // to Console.Out segment by segment (flushed every 16 KB): no tree or string of a long file's timeline
                using (var stdout = new TextWriterStream(Console.Out))
                using (var w = new System.Text.Json.Utf8JsonWriter(stdout, FileAnalysisJson.WriterOptions))
                    FileAnalysisJson.Write(w, a, caption);
                Console.WriteLine();
                break;
            case Format.Csv:
                foreach (var row in FileAnalysisCsv.Rows(a)) Console.WriteLine(row);
                break;
            default:
                if (a.Warning is { } warning) Console.Error.WriteLine($"{a.File}: warning: {warning}");
                if (a.Overall is null)
                {
                    Console.WriteLine(string.Create(inv, $"{a.File} ({a.DurationSeconds:F2} s): {(a.Status == AnalysisStatus.TooShort ? $"too short to judge (< {FileSegmentation.MinSeconds} s)" : "silent (no speech)")}"));
                    break;
                }
                Console.WriteLine(string.Create(inv, $"{a.File} ({a.DurationSeconds:F2} s): {Top(a.Overall, top)}"));
                if (a.Dimensions is { } dt)
                    Console.WriteLine(string.Create(inv, $"  arousal {dt.Arousal:F2}, valence {dt.Valence:F2}, dominance {dt.Dominance:F2} (0-1{(derivedDimensions ? "; model trained on derived targets" : "")})"));
                if (caption is not null) Console.WriteLine($"  caption: {caption}");
                if (a.Prosody is { } pt && a.ProsodyLevels is { } lt)
                    Console.WriteLine($"  pitch {Measure(pt.F0Hz.P50, "F0", "Hz", lt.Pitch, "none (no voiced frames)")}, " +
                        $"loudness {Measure(pt.EnergyDb.P80, "F1", "dBFS", lt.Loudness, "none")}, " +
                        $"articulation rate {Measure(pt.ArticulationRate, "F1", "syllables/s", lt.Rate, "none")}");
                foreach (var s in a.Segments) Console.WriteLine(string.Create(inv, $"  {s.StartSeconds,7:F1}-{s.EndSeconds,7:F1} s  {Top(s, top)}"));
                break;
        }
    }

    /// <summary>"121 Hz (low)", or what to say when the measure has no value (never "NaN Hz").</summary>
    static string Measure(double value, string format, string unit, Audio.Prosody.ProsodyLevel? level, string none) =>
        double.IsFinite(value) ? $"{value.ToString(format, CultureInfo.InvariantCulture)} {unit}{(FileAnalysisJson.Level(level) is { } word ? $" ({word})" : "")}" : none;

    static string Top(EmotionPrediction p, int n) =>
        string.Join("  ", p.Emotions.Take(n).Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Label} {e.Probability:F2}")));
}
