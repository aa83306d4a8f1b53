using System.Globalization;
using System.Text.Json.Nodes;
using Sentire.Audio.Decoding;
using Sentire.Models.Analysis;
using Sentire.Models.Generation;
using Sentire.Models.Secap;
using Sentire.Tensors.Serialization;

namespace Sentire.Server;

/// <summary>
/// <c>POST /v1/analyze</c>, <c>POST /v1/caption</c> and <c>GET /v1/models</c>. An analysis takes a place in the
/// <see cref="WorkerPool"/> before its body is read (503 at once when none is free), reads the upload under the size
/// limit, then decodes (duration limit), analyses and captions on a worker thread under the request timeout.
/// </summary>
public static class AnalysisRoutes
{
    static readonly string[] AnalyzeOptions = ["labels", "template", "top", "caption", "lang"];
    static readonly string[] CaptionQueryOptions = ["lang", "max_tokens", "beam", "temperature", "top_p", "top_k", "seed", "repetition_penalty"];

    /// <summary>The body is exactly <c>sentire analyze --json</c>'s object for the file (<see cref="FileAnalysisJson"/>).</summary>
    public static async Task Analyze(HttpContext context, ModelHost models, WorkerPool pool, ServiceMetrics metrics)
    {
        var query = Query(context.Request, AnalyzeOptions);
        if (AnalysisOptions.Parse(query.GetValueOrDefault("labels"), query.GetValueOrDefault("template"), query.GetValueOrDefault("lang"), out var problem, out _) is not { } options)
            throw ApiError.BadOption(problem!);
        int? top = query.TryGetValue("top", out var t) ? WholeNumber("top", t, 1) : null;
        bool caption = query.TryGetValue("caption", out var c) && Flag("caption", c);
        var (analyzer, captioner) = Ready(models);
        if (caption && captioner is null) throw ApiError.BadOption("this server has no captioning model (start it with --caption-model FOLDER)");
        if (analyzer.RequestProblem(options.Labels, options.PromptTemplate) is { } requestProblem) throw ApiError.BadOption(requestProblem);

        var result = await RunUpload(context, models.Options, pool, (bytes, name, arena) =>
        {
            var clip = AudioFile.Decode(bytes, name, models.Options.MaxDurationSeconds);
            var analysis = WorkerPool.Analyse(arena, clip.DurationSeconds, () => analyzer.AnalyzeClip(clip, options.Labels, options.PromptTemplate));
            // silent and too-short clips have nothing to caption (as in the command)
            var text = caption && analysis.Overall is not null ? captioner!.Caption(clip, options.Language, new CaptionOptions().HeldTo(analysis)) : null;
            metrics.AudioSeconds.WithLabels("upload").Inc(analysis.DurationSeconds);
            return FileAnalysisJson.ToJson(analysis, text);
        });
        if (top is { } n) Truncate(result, n);
        await WriteJson(context, result);
    }

    /// <summary>The caption alone: <c>{"file", "language", "caption"}</c>, as <c>sentire caption --json</c> prints it (an
    /// English caption names the emotion the server's analysis model finds, or none).</summary>
    public static async Task Caption(HttpContext context, ModelHost models, WorkerPool pool, ServiceMetrics metrics)
    {
        var query = Query(context.Request, CaptionQueryOptions);
        var language = query.GetValueOrDefault("lang") ?? "en";
        if (AnalysisOptions.LanguageProblem(language) is { } bad) throw ApiError.BadOption(bad);
        var decoding = new GenerationOptions
        {
            MaxNewTokens = query.TryGetValue("max_tokens", out var m) ? WholeNumber("max_tokens", m, 1) : 48,
            BeamSize = query.TryGetValue("beam", out var b) ? WholeNumber("beam", b, 1) : 1,
            Temperature = query.TryGetValue("temperature", out var temp) ? Float("temperature", temp) : 0f,
            TopP = query.TryGetValue("top_p", out var p) ? Float("top_p", p) : 1f,
            TopK = query.TryGetValue("top_k", out var k) ? WholeNumber("top_k", k, 0) : 0,
            Seed = query.TryGetValue("seed", out var s) ? (ulong.TryParse(s, CultureInfo.InvariantCulture, out var seed) ? seed : throw ApiError.BadOption($"seed must be a whole number, got '{s}'")) : 0UL,
            RepetitionPenalty = query.TryGetValue("repetition_penalty", out var r) ? Float("repetition_penalty", r) : 1.2f,
        };
        try { decoding.Validate(); }
        catch (ArgumentException e) { throw ApiError.BadOption(e.Message); }
        var (analyzer, captioner) = Ready(models);
        if (captioner is null) throw ApiError.BadOption("this server has no captioning model (start it with --caption-model FOLDER)");
        var result = await RunUpload(context, models.Options, pool, (bytes, name, arena) =>
        {
            var clip = AudioFile.Decode(bytes, name, models.Options.MaxDurationSeconds);
            var options = new CaptionOptions { Decoding = decoding };
            if (language == "en")   // named after the emotion /v1/analyze finds, as `sentire caption` and analyze's caption are
                options = options.HeldTo(WorkerPool.Analyse(arena, clip.DurationSeconds, () => analyzer.AnalyzeClip(clip)));
            // the gate of analyze and `sentire caption`: too-short or silent audio gets its status and no caption
            var c = captioner.CaptionClip(name, clip, language, options);
            metrics.AudioSeconds.WithLabels("upload").Inc(clip.DurationSeconds);
            var o = new JsonObject { ["file"] = name, ["language"] = language, ["status"] = FileAnalysisJson.StatusName(c.Status) };
            if (c.Caption is not null) o["caption"] = c.Caption;
            return o;
        });
        await WriteJson(context, result);
    }

    /// <summary>The loaded models: name, labels, dimensions, languages, parameter counts and the model card's summary.</summary>
    public static Task Models(HttpContext context, ModelHost models)
    {
        var (analyzer, captioner) = Ready(models);
        var emotion = new JsonObject
        {
            ["name"] = analyzer.Name,
            ["kind"] = analyzer is Sentire.Models.Clap.EmotionRecognizer ? "zero-shot" : "fixed-label",
            ["labels"] = new JsonArray([.. analyzer.Labels.Select(l => (JsonNode?)l)]),
            ["sample_rate"] = analyzer.SampleRate,
            ["dimensions"] = analyzer.HasDimensions ? new JsonArray("arousal", "valence", "dominance") : new JsonArray(),
            ["parameters"] = ParameterCount(models.Options.ModelFolder),
            ["card"] = CardSummary(models.Options.ModelFolder),
        };
        var body = new JsonObject { ["emotion"] = emotion, ["caption"] = null };
        if (captioner is not null && models.Options.CaptionModelFolder is { } folder)
            body["caption"] = new JsonObject
            {
                ["name"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
                ["languages"] = new JsonArray([.. AnalysisOptions.Languages.Select(l => (JsonNode?)l)]),
                ["parameters"] = ParameterCount(folder),
                ["card"] = CardSummary(folder),
            };
        return WriteJson(context, body);
    }

    static (Sentire.Models.IEmotionAnalyzer Analyzer, EmotionCaptioner? Captioner) Ready(ModelHost models) =>
        models.IsReady ? (models.Analyzer!, models.Captioner) : throw ApiError.NotReady(models.LoadError);

    /// <summary>Admission, the upload, then <paramref name="work"/> on a worker under the timeout; the failures of
    /// decoding and analysis become their HTTP errors.</summary>
    static async Task<JsonObject> RunUpload(HttpContext context, ServeOptions options, WorkerPool pool, Func<byte[], string, Sentire.Tensors.TensorArena, JsonObject> work)
    {
        using var admission = pool.TryAdmit() ?? throw ApiError.QueueFull(pool.Capacity);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            var (bytes, name) = await UploadReader.ReadAsync(context.Request, options.MaxUploadBytes, timeout.Token);
            return await pool.Run(arena =>
            {
                try { return work(bytes, name, arena); }
                catch (AudioTooLongException e) { throw ApiError.TooLong(e.Message); }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { throw ApiError.UnreadableAudio(e.Message); }
                catch (ArgumentException e) { throw ApiError.BadOption(e.Message); }
            }, timeout.Token).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            throw ApiError.Timeout(options.RequestTimeout);
        }
    }

    /// <summary>The query, each key at most once and every key one of <paramref name="known"/>.</summary>
    static Dictionary<string, string> Query(HttpRequest request, string[] known)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query)
        {
            if (!known.Contains(key, StringComparer.Ordinal)) throw ApiError.UnknownOption(key, known);
            if (value.Count != 1) throw ApiError.BadOption($"option '{key}' is given {value.Count} times");
            values[key] = value[0] ?? "";
        }
        return values;
    }

    static int WholeNumber(string name, string value, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
            : throw ApiError.BadOption($"{name} must be a whole number of at least {min}, got '{value}'");

    static float Float(string name, string value) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f) ? f
            : throw ApiError.BadOption($"{name} must be a number, got '{value}'");

    static bool Flag(string name, string value) => value switch
    {
        "" or "true" or "1" => true,
        "false" or "0" => false,
        _ => throw ApiError.BadOption($"{name} must be true or false, got '{value}'"),
    };

    /// <summary>Keeps the <paramref name="top"/> most probable emotions of the file and of each segment.</summary>
    static void Truncate(JsonObject analysis, int top)
    {
        static void Cut(JsonNode? emotions, int top)
        {
            if (emotions is JsonArray list) while (list.Count > top) list.RemoveAt(list.Count - 1);
        }
        Cut(analysis["emotions"], top);
        if (analysis["segments"] is JsonArray segments) foreach (var s in segments) Cut(s?["emotions"], top);
    }

    static Task WriteJson(HttpContext context, JsonObject body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(FileAnalysisJson.Serialize(body), context.RequestAborted);
    }

    /// <summary>Weights in every safetensors file of the folder (the language model's too).</summary>
    static long ParameterCount(string folder)
    {
        long total = 0;
        foreach (var path in Directory.EnumerateFiles(folder, "*.safetensors", SearchOption.AllDirectories))
        {
            using var file = SafeTensorsFile.Open(path);
            total += file.Entries.Values.Sum(e => e.ElementCount);
        }
        return total;
    }

    /// <summary>The first paragraph of the model card (README.md) after its title, or null.</summary>
    static string? CardSummary(string folder)
    {
        var card = Path.Combine(folder, "README.md");
        if (!File.Exists(card)) return null;
        var paragraph = File.ReadLines(card).SkipWhile(l => l.StartsWith('#') || l.Trim().Length == 0).TakeWhile(l => l.Trim().Length > 0);
        return string.Join(' ', paragraph.Select(l => l.Trim())).Replace("**", "", StringComparison.Ordinal);
    }
}
