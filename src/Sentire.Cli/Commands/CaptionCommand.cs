using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Sentire.Models;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Evaluation.Captioning;
using ScoringTokenizer = Sentire.Evaluation.Captioning.CaptionTokenizer;   // Sentire.Models.Secap has a CaptionTokenizer too
using Sentire.Models.Generation;
using Sentire.Models.Secap;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire caption FILE|FOLDER|GLOB... [--lang zh|en] [--json] [decoding options]</c>: one sentence describing the
/// emotion in each file's voice (SECap). Greedy by default; --beam N, or --temperature/--top-p/--top-k with --seed to
/// sample, --consensus N for SECap's sample-and-vote (--consensus-by cider: minimum Bayes risk under CIDEr-D instead).
/// A file that cannot be read is reported and the batch goes on; a too-short or silent file gets its status, never an
/// invented speaker (the gate of <c>analyze</c>). English captions agree with the prosody levels <c>analyze</c> shows and
/// name the emotion it finds (its default model, or --emotion-model; --emotion-model none = the captioner's own guess):
/// the caption of a file is the one <c>analyze --caption</c> prints.
/// </summary>
public static class CaptionCommand
{
    public const string DefaultModel = "secap-small";

    public static Command Create()
    {
        var inputs = new Argument<string[]>("inputs") { Description = "Audio files, folders (searched recursively) or globs.", Arity = ArgumentArity.OneOrMore };
        var model = new Option<string?>("--model") { Description = "Captioning model folder (default: the shipped secap-small, or SENTIRE_CAPTION_MODEL)." };
        var lang = new Option<string>("--lang") { Description = "Caption language: en or zh.", DefaultValueFactory = _ => "en" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line per file: file, language, status (ok, too_short, silent) and caption, or error." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most new tokens per caption.", DefaultValueFactory = _ => 48 };
        var beam = new Option<int>("--beam") { Description = "Beam size (1 = greedy).", DefaultValueFactory = _ => 1 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0 = greedy/beam).", DefaultValueFactory = _ => 0f };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass.", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Sample among the K most probable tokens (0 = off).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0UL };
        var repetition = new Option<float>("--repetition-penalty") { Description = "CTRL repetition penalty (1 = off).", DefaultValueFactory = _ => 1.2f };
        var consensus = new Option<int>("--consensus") { Description = "SECap consensus: sample N captions and keep the one most similar to the others (0 = off; the paper uses 8).", DefaultValueFactory = _ => 0 };
        var consensusBy = new Option<string>("--consensus-by")
        {
            Description = "How --consensus picks: 'embedding' (SECap: summed cosine of sentence embeddings) or 'cider' (minimum Bayes risk: "
                + "the sample with the highest mean CIDEr-D against the others).",
            DefaultValueFactory = _ => "embedding",
        };
        var transcript = new Option<string?>("--transcript") { Description = "Transcript, for models trained with a transcript input modality." };
        var emotionModel = new Option<string?>("--emotion-model")
        {
            Description = "Emotion model whose top label an English caption names, as analyze --caption does (default: analyze's default model; "
                + "'none' = the captioner's own guess).",
        };
        var command = new Command("caption", "Describe the emotion in speech with one sentence (SECap).")
            { inputs, model, lang, json, maxTokens, beam, temperature, topP, topK, seed, repetition, consensus, consensusBy, transcript, emotionModel };
        command.SetAction(parse =>
        {
            var language = parse.GetValue(lang)!;
            if (Models.Analysis.AnalysisOptions.LanguageProblem(language) is { } badLanguage) return Usage(badLanguage);
            var options = new CaptionOptions
            {
                Decoding = new GenerationOptions
                {
                    MaxNewTokens = parse.GetValue(maxTokens), BeamSize = parse.GetValue(beam), Temperature = parse.GetValue(temperature),
                    TopP = parse.GetValue(topP), TopK = parse.GetValue(topK), Seed = parse.GetValue(seed), RepetitionPenalty = parse.GetValue(repetition),
                },
                ConsensusSamples = parse.GetValue(consensus),
                Transcript = parse.GetValue(transcript),
            };
            if (ConsensusChooser(parse.GetValue(consensusBy)!, language, out var chooser) is { } bad) return Usage(bad);
            options = options with { ConsensusChooser = chooser };
            try { options.Decoding.Validate(); }
            catch (ArgumentException e) { return Usage(UsageMessages.Of(e, DecodingOptionNames)); }
            var expansion = InputExpansion.Expand(parse.GetValue(inputs)!);
            EmotionCaptioner captioner;
            try { captioner = EmotionCaptioner.Load(ResolveModel(parse.GetValue(model))); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return Usage(e.Message); }
            // English captions name the emotion analyze finds (Chinese ones are not held to it: no analysis needed)
            IEmotionAnalyzer? analyzer = null;
            if (language == "en" && parse.GetValue(emotionModel) is var emotionFolder && emotionFolder != "none")
            {
                try { analyzer = EmotionModels.Load(ModelLocator.Resolve(emotionFolder)); }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException) { return Usage($"--emotion-model: {e.Message}"); }
            }
            bool asJson = parse.GetValue(json);
            int failed = 0;
            foreach (var (input, problem) in expansion.Problems) { failed++; PrintError(asJson, input, language, problem); }
            foreach (var file in expansion.Files)
            {
                try { Print(asJson, captioner.CaptionFile(file, language, HeldTo(analyzer, file, options)), language); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or Audio.Decoding.AudioFormatException or InvalidDataException)
                {
                    failed++;
                    PrintError(asJson, file, language, e.Message);
                }
                catch (ArgumentException e) { return Usage(e.Message); }
            }
            return failed > 0 ? 1 : 0;
        });
        return command;
    }

    /// <summary><paramref name="options"/> held to the top emotion and the prosody levels <paramref name="analyzer"/> finds
    /// in <paramref name="file"/>, as <c>analyze --caption</c> holds its caption; unchanged without an analyzer or when the
    /// analysis has no emotion (too short, silent: the captioner's gate then gives the same status).</summary>
    public static CaptionOptions HeldTo(IEmotionAnalyzer? analyzer, string file, CaptionOptions options) =>
        analyzer is null ? options : options.HeldTo(analyzer.AnalyzeFile(file));

    /// <summary>The option that sets each <see cref="GenerationOptions"/> property, for its errors.</summary>
    public static readonly IReadOnlyDictionary<string, string> DecodingOptionNames = new Dictionary<string, string>
    {
        ["MaxNewTokens"] = "--max-tokens", ["BeamSize"] = "--beam", ["Temperature"] = "--temperature", ["TopP"] = "--top-p",
        ["TopK"] = "--top-k", ["RepetitionPenalty"] = "--repetition-penalty",
    };

    /// <summary>The --consensus-by choice as a <see cref="CaptionOptions.ConsensusChooser"/> (null for SECap's embedding vote);
    /// returns an error message for an unknown name.</summary>
    public static string? ConsensusChooser(string name, string language, out Func<IReadOnlyList<string>, string>? chooser)
    {
        var scoring = ScoringTokenizer.LanguageOf(language);
        chooser = name == "cider" ? samples => CentralCaption.Select(samples, scoring).Caption : null;
        return name is "embedding" or "cider" ? null : $"--consensus-by must be embedding or cider, got '{name}'";
    }

    /// <summary>An explicit folder, else SENTIRE_CAPTION_MODEL, else models/secap-small beside the binary.</summary>
    public static string ResolveModel(string? explicitPath)
    {
        var candidate = explicitPath ?? Environment.GetEnvironmentVariable("SENTIRE_CAPTION_MODEL") ?? Path.Combine(AppContext.BaseDirectory, "models", DefaultModel);
        if (!Directory.Exists(candidate)) throw new DirectoryNotFoundException($"captioning model folder {candidate} not found (--model FOLDER)");
        return candidate;
    }

    /// <summary>A caption, or the status that stopped it: the gate of <c>analyze</c> (too_short, silent), said in
    /// words in text output and as <c>status</c> in JSON (no <c>caption</c> field then).</summary>
    static void Print(bool asJson, FileCaption c, string language)
    {
        string status = FileAnalysisJson.StatusName(c.Status);
        if (asJson)
        {
            var o = new JsonObject { ["file"] = c.File, ["language"] = language, ["status"] = status };
            if (c.Caption is not null) o["caption"] = c.Caption;
            Console.WriteLine(FileAnalysisJson.Serialize(o));
        }
        else if (c.Caption is not null) Console.WriteLine($"{c.File}: {c.Caption}");
        else
        {
            var why = c.Status == AnalysisStatus.TooShort
                ? string.Create(CultureInfo.InvariantCulture, $"too short to caption (< {FileSegmentation.MinSeconds} s)") : "silent, nothing to caption";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.File} ({c.DurationSeconds:F2} s): {why}"));
        }
    }

    static void PrintError(bool asJson, string file, string language, string error)
    {
        if (asJson) Console.WriteLine(FileAnalysisJson.Serialize(new JsonObject { ["file"] = file, ["language"] = language, ["error"] = error }));
        else Console.Error.WriteLine($"{file}: error: {error}");
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire caption: {message}");
        return 2;
    }
}
