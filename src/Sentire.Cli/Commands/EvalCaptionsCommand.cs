using System.CommandLine;
using System.Text.Json;
using Sentire.Evaluation.Captioning;
using Sentire.IO;
using ScoringTokenizer = Sentire.Evaluation.Captioning.CaptionTokenizer;   // Sentire.Models.Secap has a CaptionTokenizer too
using Sentire.Models.Secap;
using Sentire.Training.Captions;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire eval-captions --candidates X --references Y</c>: BLEU-1..4, METEOR, ROUGE-L, CIDEr-D (COCO definitions,
/// corpus level), SIM (cosine of sentence embeddings from --sim-encoder, by default the shipped secap-small's caption
/// LM, which is independent of the Q-Former being scored) and distinct captions; for references with an emotion
/// <c>category</c> (the derived English captions) also gender and emotion accuracy with the derived-caption grammar's
/// own word lists. Chinese on characters, English on lower-cased words; SPICE reported as unavailable.
/// Candidates: JSON lines with <c>caption</c> and <c>id</c> or <c>file</c> (what <c>sentire caption --json</c> writes).
/// References: JSON lines with <c>id</c> and/or <c>file</c>/<c>audio_path</c>, and <c>references</c> (list) or
/// <c>reference</c>/<c>caption</c>, and a <c>transcript</c> for captioners trained with a transcript input (Table 2 rows); a
/// SECap caption data file (runs/secap-lm/captions-*.jsonl) works with --split.
/// With --model the candidates are first generated for the references' clips (and written to --candidates).
/// </summary>
public static class EvalCaptionsCommand
{
    public static Command Create()
    {
        var candidates = new Option<FileInfo>("--candidates") { Description = "Candidate captions (JSON lines); written first when --model is given.", Required = true };
        var references = new Option<FileInfo>("--references") { Description = "Reference captions (JSON lines).", Required = true };
        var lang = new Option<string?>("--lang") { Description = "en or zh; only references of that language are scored (a 'language' field), and it sets the tokenisation." };
        var split = new Option<string?>("--split") { Description = "Only references whose 'split' field has this value (train, valid, test)." };
        var model = new Option<string?>("--model") { Description = "Captioning model folder: caption the references' audio first (greedy, or --consensus)." };
        var consensus = new Option<int>("--consensus") { Description = "With --model: sample N captions per clip and keep the consensus (0 = greedy).", DefaultValueFactory = _ => 0 };
        var consensusBy = new Option<string>("--consensus-by") { Description = "With --consensus: 'embedding' (SECap) or 'cider' (minimum Bayes risk under CIDEr-D).", DefaultValueFactory = _ => "embedding" };
        var simEncoder = new Option<string?>("--sim-encoder")
        {
            Description = "SIM sentence encoder folder: a Hugging Face BERT/RoBERTa checkpoint (mean-pooled last hidden states), a caption LM "
                + "(mean-pooled final hidden states) or a SECap captioner (its Q-Former text mode). Default: the shipped secap-small's caption LM.",
        };
        var markdown = new Option<string?>("--markdown") { Description = "Print one Markdown table row with this label instead of the text report." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var central = new Option<bool>("--central-caption")
        {
            Description = "Score a blind baseline instead of a model: every clip gets the one training-split caption of this language in --references "
                + "that is most like the other training captions (highest mean CIDEr-D); written to --candidates.",
        };
        var command = new Command("eval-captions", "Score captions against references (BLEU, METEOR, ROUGE-L, CIDEr-D, SIM).") { candidates, references, lang, split, model, consensus, consensusBy, simEncoder, markdown, json, central };
        command.SetAction(parse =>
        {
            var language = parse.GetValue(lang);
            if (language is not (null or "en" or "zh")) return Usage($"--lang must be en or zh, got '{language}'");
            var refFile = parse.GetValue(references)!.FullName;
            if (!File.Exists(refFile)) return Usage($"references file {refFile} not found");
            List<Reference> refs;
            try { refs = ReadReferences(refFile).Where(r => (language is null || r.Language is null || r.Language == language) && (parse.GetValue(split) is not { } s || r.Split == s)).ToList(); }
            catch (Exception e) when (e is JsonException or InvalidDataException) { return Usage(e.Message); }
            if (refs.Count == 0) return Usage($"{refFile}: no references left after the --lang/--split filters");
            language ??= refs.Select(r => r.Language).FirstOrDefault(l => l is not null) ?? (refs[0].Texts[0].Any(ch => ch >= 0x4E00 && ch <= 0x9FFF) ? "zh" : "en");

            // the SIM encoder before any captioning, so a wrong --sim-encoder fails at once
            ISentenceEncoder? encoder = null;
            if (parse.GetValue(simEncoder) is { } simFolder)
            {
                try { encoder = SentenceEncoders.Load(simFolder); }
                catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException) { return Usage($"--sim-encoder: {e.Message}"); }
            }
            else
            {
                try { encoder = DefaultSimEncoder(); }
                catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or UnauthorizedAccessException) { Console.Error.WriteLine($"sentire eval-captions: SIM skipped ({e.Message})"); }
            }

            var candFile = parse.GetValue(candidates)!.FullName;
            void WriteCandidates(IEnumerable<string> captions) => Sentire.IO.AtomicFile.Write(candFile, s => s.Write(System.Text.Encoding.UTF8.GetBytes(string.Concat(
                refs.Zip(captions, (r, caption) => JsonSerializer.Serialize(new Dictionary<string, string?> { ["id"] = r.Id, ["file"] = r.File, ["language"] = language, ["caption"] = caption }, JsonOut) + "\n")))));
            if (parse.GetValue(central))
            {
                if (parse.GetValue(model) is not null) return Usage("--central-caption and --model are two different candidate sources: give one");
                var pool = ReadReferences(refFile).Where(r => r.Split == "train" && (r.Language ?? language) == language).Select(r => r.Texts[0]).ToList();
                if (pool.Count < 2) return Usage($"{refFile}: --central-caption needs at least 2 '{language}' references with split 'train', found {pool.Count}");
                var (caption, _) = CentralCaption.Select(pool, ScoringTokenizer.LanguageOf(language));
                WriteCandidates(refs.Select(_ => caption));
            }
            else if (parse.GetValue(model) is { } modelFolder)
            {
                if (CaptionCommand.ConsensusChooser(parse.GetValue(consensusBy)!, language, out var chooser) is { } bad) return Usage(bad);
                EmotionCaptioner captioner;
                try { captioner = EmotionCaptioner.Load(modelFolder); }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { return Usage($"--model: {e.Message}"); }
                var captions = new List<string>();
                foreach (var r in refs)
                {
                    if (r.File is null) return Usage($"{refFile}: reference {r.Id} has no audio file to caption");
                    // Table 2 models read the transcript too: it comes from the reference line.
                    if (SecapModel.NeedsTranscript(captioner.Modality) && string.IsNullOrWhiteSpace(r.Transcript))
                        return Usage($"{refFile}: reference {r.Id ?? r.File} has no 'transcript', which this captioner ('{OptionNames.Of(captioner.Config.InputModality)}' input) needs");
                    captions.Add(captioner.CaptionFile(r.File, language, new CaptionOptions { Transcript = r.Transcript, ConsensusSamples = parse.GetValue(consensus), ConsensusChooser = chooser }).Caption ?? "");
                }
                WriteCandidates(captions);
            }
            if (!File.Exists(candFile)) return Usage($"candidates file {candFile} not found");
            var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, caption) in ReadCandidates(candFile)) byKey[key] = caption;
            var set = new List<(string, IReadOnlyList<string>)>();
            var factSet = new List<(string, string, string?)>();
            var unmatched = new List<string>();
            foreach (var r in refs)
            {
                var caption = (r.Id is not null && byKey.TryGetValue(r.Id, out var a)) ? a : (r.File is not null && byKey.TryGetValue(Path.GetFullPath(r.File), out var b)) ? b : null;
                if (caption is null) unmatched.Add(r.Id ?? r.File ?? "?");
                else
                {
                    set.Add((caption, r.Texts));
                    if (r.Category is not null) factSet.Add((caption, r.Texts[0], r.Category));
                }
            }
            if (unmatched.Count > 0) return Usage($"{unmatched.Count} of {refs.Count} references have no candidate in {candFile}, e.g. {unmatched[0]}");

            // fact accuracy reads English words with the derived-caption grammar's lists; Chinese captions have no such lists
            var facts = language == "en" && factSet.Count > 0 ? CaptionFactAccuracy.Score(factSet, DerivedCaptionGrammar.FactLexicon) : null;
            var report = CaptionReport.Score(set, ScoringTokenizer.LanguageOf(language), encoder, facts);
            if (parse.GetValue(markdown) is { } label) Console.WriteLine(report.ToMarkdownRow(label));
            else if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new
            {
                captions = report.Captions, language, bleu1 = report.Coco.Bleu1, bleu2 = report.Coco.Bleu2, bleu3 = report.Coco.Bleu3, bleu4 = report.Coco.Bleu4,
                meteor = report.Meteor, meteor_modules = report.MeteorModules, rouge_l = report.Coco.RougeL, cider_d = report.Coco.CiderD,
                sim = report.Sim, sim_encoder = report.SimEncoder, distinct_captions = report.DistinctCaptions,
                gender_accuracy = report.Facts?.GenderAccuracy, gender_clips = report.Facts?.GenderClips,
                emotion_accuracy = report.Facts?.EmotionAccuracy, emotion_clips = report.Facts?.EmotionClips,
                spice = (double?)null, spice_note = CaptionReport.Spice,
            }, JsonOut));
            else Console.Write(report.ToText());
            return 0;
        });
        return command;
    }

    static readonly JsonSerializerOptions JsonOut = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    sealed record Reference(string? Id, string? File, string? Language, string? Split, string? Category, IReadOnlyList<string> Texts, string? Transcript = null);

    /// <summary>The caption LM of the default captioner (models/secap-small beside the binary, or SENTIRE_CAPTION_MODEL):
    /// ours, and not the Q-Former whose captions are scored. Named relative to the binary's folder when it lies there.</summary>
    static ISentenceEncoder DefaultSimEncoder()
    {
        var package = CaptionCommand.ResolveModel(null);
        var folder = SecapPackage.LanguageModelPath(package, SecapPackage.ReadConfig(package));
        var relative = Path.GetRelativePath(AppContext.BaseDirectory, folder);
        return SentenceEncoders.Load(folder, relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? folder : relative);
    }

    static IEnumerable<JsonElement> Lines(string path)
    {
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement e;
            try { e = JsonDocument.Parse(line).RootElement.Clone(); }
            catch (JsonException ex) { throw new InvalidDataException($"{path}:{n}: not JSON ({ex.Message})", ex); }
            if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}:{n}: expected a JSON object, found {e.ValueKind}");
            yield return e;
        }
    }

    static string? Str(JsonElement e, string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    static IEnumerable<Reference> ReadReferences(string path)
    {
        foreach (var e in Lines(path))
        {
            var file = Str(e, "file") ?? Str(e, "audio_path");
            IReadOnlyList<string> texts = e.TryGetProperty("references", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
                : (Str(e, "reference") ?? Str(e, "caption")) is { } one ? [one] : throw new InvalidDataException($"{path}: a line has no 'references', 'reference' or 'caption'");
            yield return new Reference(Str(e, "id"), file is null ? null : Path.GetFullPath(file), Str(e, "language"), Str(e, "split"), Str(e, "category"), texts, Str(e, "transcript"));
        }
    }

    static IEnumerable<(string Key, string Caption)> ReadCandidates(string path)
    {
        foreach (var e in Lines(path))
        {
            var caption = Str(e, "caption");
            if (caption is null) continue;                   // failed files carry an error instead
            if (Str(e, "id") is { } id) yield return (id, caption);
            if (Str(e, "file") is { } file) yield return (Path.GetFullPath(file), caption);
        }
    }

    static int Usage(string message)
    {
        Console.Error.WriteLine($"sentire eval-captions: {message}");
        return 2;
    }
}
