using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Sentire.Audio.Decoding;
using Sentire.Audio.Segmentation;
using Sentire.Models;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Speech;

namespace Sentire.Server;

/// <summary>The settings a client chooses in the first message of a live stream.</summary>
/// <param name="Format">s16le (16-bit little-endian integers) or f32le (32-bit little-endian floats)</param>
public sealed record StreamSettings(string Format, IReadOnlyList<string>? Labels, string? PromptTemplate, double WindowSeconds, double HopSeconds)
{
    /// <summary>The rate of the audio a client sends (mono).</summary>
    public const int SampleRate = 16000;
    public const double DefaultWindowSeconds = 2, DefaultHopSeconds = 0.5;
    static readonly string[] Keys = ["type", "format", "sample_rate", "labels", "template", "window", "hop"];

    /// <summary>Parses <c>{"type": "start", "format": "s16le"|"f32le", "sample_rate": 16000, "labels": [..] or "a,b",
    /// "template": "..", "window": 2, "hop": 0.5}</c> (all but format optional); an invalid one is an <see cref="ApiError"/>.</summary>
    public static StreamSettings Parse(string text)
    {
        JsonObject start;
        try { start = JsonNode.Parse(text) as JsonObject ?? throw ApiError.BadOption("the first message must be a JSON object"); }
        catch (JsonException e) { throw ApiError.BadOption($"the first message is not valid JSON ({e.Message})"); }
        foreach (var (key, _) in start)
            if (!Keys.Contains(key, StringComparer.Ordinal)) throw ApiError.UnknownOption(key, Keys);
        try
        {
            if (start["type"] is { } type && type.GetValue<string>() != "start") throw ApiError.BadOption($"the first message's type must be 'start', got '{type}'");
            var format = start["format"]?.GetValue<string>() ?? throw ApiError.BadOption("the first message needs \"format\": \"s16le\" or \"f32le\"");
            if (format is not ("s16le" or "f32le")) throw ApiError.BadOption($"format must be s16le or f32le, got '{format}'");
            if (start["sample_rate"] is { } rate && rate.GetValue<double>() != SampleRate)
                throw ApiError.BadOption($"sample_rate must be {SampleRate} (resample before sending), got {rate.ToJsonString()}");
            string? labels = start["labels"] switch
            {
                null => null,
                JsonArray list => string.Join(',', list.Select(l => l?.GetValue<string>() ?? "")),
                var other => other.GetValue<string>(),
            };
            if (AnalysisOptions.Parse(labels, start["template"]?.GetValue<string>(), "en", out var problem, out _) is not { } options) throw ApiError.BadOption(problem!);
            double window = start["window"]?.GetValue<double>() ?? DefaultWindowSeconds, hop = start["hop"]?.GetValue<double>() ?? DefaultHopSeconds;
            if (!(window is >= 0.5 and <= 30)) throw ApiError.BadOption($"window must be 0.5..30 s, got {window}");
            if (!(hop >= 0.1 && hop <= window)) throw ApiError.BadOption($"hop must be 0.1 s..window ({window} s), got {hop}");
            return new StreamSettings(format, options.Labels, options.PromptTemplate, window, hop);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw ApiError.BadOption($"the first message has a value of the wrong type ({e.Message})");
        }
    }
}

/// <summary>
/// <c>WS /v1/stream</c>: a live session. The client sends a start message (<see cref="StreamSettings"/>), then 16 kHz
/// mono PCM in binary messages of any size, then <c>{"type": "end"}</c>. The server answers <c>{"type": "ready"}</c>,
/// one <c>{"type": "window"}</c> message per analysis window (index, start, end, voice, emotions, arousal, valence,
/// dominance) as soon as the window's last sample has arrived, and after the end a <c>{"type": "summary"}</c> holding
/// the file analysis of everything received (<see cref="FileAnalysisJson"/>, file "stream"). A stream holds one place
/// of the <see cref="WorkerPool"/> for its life and runs its windows there one at a time.
/// </summary>
public sealed class StreamSession
{
    const int MaxTextBytes = 64 * 1024;
    readonly WebSocket socket;
    readonly IEmotionAnalyzer analyzer;
    readonly WorkerPool pool;
    readonly ServiceMetrics metrics;
    readonly double maxSeconds;
    readonly SemaphoreSlim sending = new(1, 1);
    readonly Lock samplesLock = new();
    float[] samples = new float[StreamSettings.SampleRate * 8];
    int count;

    StreamSession(WebSocket socket, IEmotionAnalyzer analyzer, WorkerPool pool, ServiceMetrics metrics, double maxSeconds)
    {
        this.socket = socket;
        this.analyzer = analyzer;
        this.pool = pool;
        this.metrics = metrics;
        this.maxSeconds = maxSeconds;
    }

    public static async Task Run(HttpContext context, ModelHost models, WorkerPool pool, ServiceMetrics metrics)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            throw new ApiError(StatusCodes.Status400BadRequest, "not_websocket", "/v1/stream is a WebSocket: connect with ws:// (Upgrade: websocket)");
        if (!models.IsReady) throw ApiError.NotReady(models.LoadError);
        using var admission = pool.TryAdmit() ?? throw ApiError.QueueFull(pool.Capacity);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        metrics.StreamOpened();
        try { await new StreamSession(socket, models.Analyzer!, pool, metrics, models.Options.MaxDurationSeconds).Serve(context.RequestAborted); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }   // the client went away
        finally { metrics.StreamClosed(); }
    }

    async Task Serve(CancellationToken cancel)
    {
        StreamSettings settings;
        try
        {
            var first = await ReceiveText(cancel);
            if (first is null) return;
            settings = StreamSettings.Parse(first);
        }
        catch (ApiError e) { await Fail(e, WebSocketCloseStatus.PolicyViolation, cancel); return; }
        if (analyzer.RequestProblem(settings.Labels, settings.PromptTemplate) is { } problem)
        {
            await Fail(ApiError.BadOption(problem), WebSocketCloseStatus.PolicyViolation, cancel);
            return;
        }
        await Send(new JsonObject
        {
            ["type"] = "ready", ["format"] = settings.Format, ["sample_rate"] = StreamSettings.SampleRate,
            ["window"] = settings.WindowSeconds, ["hop"] = settings.HopSeconds,
            ["labels"] = new JsonArray([.. (settings.Labels ?? analyzer.Labels).Select(l => (JsonNode?)l)]),
        }, cancel);

        int window = (int)Math.Round(settings.WindowSeconds * StreamSettings.SampleRate), hop = (int)Math.Round(settings.HopSeconds * StreamSettings.SampleRate);
        var ready = Channel.CreateUnbounded<(int Index, long Received)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var windows = AnalyseWindows(ready.Reader, settings, window, hop, cancel);
        var ended = false;
        ApiError? failure = null;
        try
        {
            var buffer = new byte[64 * 1024];
            var pending = new byte[4];   // bytes of a sample split across messages
            int pendingCount = 0, nextWindow = 0, bytesPerSample = settings.Format == "s16le" ? 2 : 4;
            while (true)
            {
                var message = await socket.ReceiveAsync(buffer, cancel);
                if (message.MessageType == WebSocketMessageType.Close) break;
                if (message.MessageType == WebSocketMessageType.Text)
                {
                    var text = await ReadRestOfText(buffer, message, cancel);
                    if (text.Contains("\"end\"", StringComparison.Ordinal) && JsonNode.Parse(text)?["type"]?.GetValue<string>() == "end") { ended = true; break; }
                    throw ApiError.BadOption("after the start message the client sends binary PCM and then {\"type\": \"end\"}");
                }
                Append(buffer.AsSpan(0, message.Count), pending, ref pendingCount, bytesPerSample);
                if (count > maxSeconds * StreamSettings.SampleRate)
                    throw new ApiError(StatusCodes.Status413PayloadTooLarge, "too_long", $"the stream passed {maxSeconds:0.#} s, the most this server accepts");
                long now = Stopwatch.GetTimestamp();
                while ((long)nextWindow * hop + window <= count) ready.Writer.TryWrite((nextWindow++, now));
            }
        }
        catch (ApiError e) { failure = e; }
        catch (JsonException e) { failure = ApiError.BadOption($"a text message is not valid JSON ({e.Message})"); }
        ready.Writer.Complete();
        await windows;
        if (failure is not null) { await Fail(failure, failure.Status == 413 ? WebSocketCloseStatus.MessageTooBig : WebSocketCloseStatus.PolicyViolation, cancel); return; }
        if (ended)
        {
            var all = samples.AsSpan(0, count).ToArray();
            var summary = await pool.Run(arena => WorkerPool.Analyse(arena, (double)all.Length / StreamSettings.SampleRate,
                () => FileAnalysisJson.ToJson(analyzer.AnalyzeClip(AudioClip.FromMono(all, StreamSettings.SampleRate, "stream"), settings.Labels, settings.PromptTemplate))), cancel);
            var message = new JsonObject { ["type"] = "summary" };
            foreach (var (key, value) in summary) message[key] = value?.DeepClone();
            await Send(message, cancel);
            await Close(WebSocketCloseStatus.NormalClosure, "end of stream", cancel);
        }
        else if (socket.State == WebSocketState.CloseReceived) await Close(WebSocketCloseStatus.NormalClosure, "closed by the client", cancel);
    }

    /// <summary>Closes, waiting a few seconds at most for the client to answer the close.</summary>
    async Task Close(WebSocketCloseStatus status, string reason, CancellationToken cancel)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        wait.CancelAfter(TimeSpan.FromSeconds(5));
        try { await socket.CloseAsync(status, reason, wait.Token); }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { }
    }

    /// <summary>One message per window, in order, each analysed on a worker as soon as it is complete. A log-mel model
    /// gets each window's frames from a <see cref="StreamingLogMel"/>, which computes the frames that overlapping windows
    /// share once (the same numbers as analysing the window alone); other models analyse each window's samples.</summary>
    async Task AnalyseWindows(ChannelReader<(int Index, long Received)> ready, StreamSettings settings, int window, int hop, CancellationToken cancel)
    {
        var frontEnd = analyzer is EmotionRecognizer { SampleRate: StreamSettings.SampleRate } recognizer ? recognizer.StreamFrontEnd(window, hop) : null;
        await foreach (var (index, received) in ready.ReadAllAsync(cancel))
        {
            float[] slice;
            lock (samplesLock) slice = samples.AsSpan(index * hop, window).ToArray();
            var message = await pool.Run(() => WindowMessage(index, slice, (long)index * hop, settings, frontEnd), cancel, WorkerPool.Priority.Live);
            await Send(message, cancel);
            metrics.WindowLatency.Observe(Stopwatch.GetElapsedTime(received).TotalSeconds);
            metrics.AudioSeconds.WithLabels("stream").Inc((double)hop / StreamSettings.SampleRate);
        }
    }

    /// <summary>The window's voice activity (the file rules' silence level and a voice-activity detector) and, when
    /// there is voice, its emotions and dimensions.</summary>
    JsonObject WindowMessage(int index, float[] window, long start, StreamSettings settings, StreamingLogMel? frontEnd)
    {
        double meanSquare = 0;
        foreach (var v in window) meanSquare += (double)v * v;
        bool voice = 10 * Math.Log10(meanSquare / window.Length + 1e-20) >= FileSegmentation.SilenceDbfs
                     && new EnergyVad().Detect(window, StreamSettings.SampleRate).Any(s => s.DurationSeconds >= FileSegmentation.MinSeconds);
        double startSeconds = (double)start / StreamSettings.SampleRate, end = startSeconds + (double)window.Length / StreamSettings.SampleRate;
        var message = new JsonObject { ["type"] = "window", ["index"] = index, ["voice"] = voice };
        var prediction = !voice ? new EmotionPrediction(0, 0, [])
            : frontEnd is not null ? ((EmotionRecognizer)analyzer).AnalyzeFrames(frontEnd.Window(window, start), startSeconds, end, settings.Labels, settings.PromptTemplate)
            : analyzer.Analyze(AudioClip.FromMono(window, StreamSettings.SampleRate, "stream"), settings.Labels, settings.PromptTemplate);
        foreach (var (key, value) in FileAnalysisJson.Segment(prediction with { StartSeconds = startSeconds, EndSeconds = end }))
            message[key] = value?.DeepClone();
        return message;
    }

    void Append(ReadOnlySpan<byte> bytes, byte[] pending, ref int pendingCount, int bytesPerSample)
    {
        lock (samplesLock)
        {
            int total = pendingCount + bytes.Length, n = total / bytesPerSample;
            if (count + n > samples.Length) Array.Resize(ref samples, Math.Max(samples.Length * 2, count + n));
            Span<byte> sample = stackalloc byte[4];
            int used = 0;
            for (int i = 0; i < n; i++)
            {
                for (int b = 0; b < bytesPerSample; b++, used++)
                    sample[b] = used < pendingCount ? pending[used] : bytes[used - pendingCount];
                samples[count++] = bytesPerSample == 2
                    ? BinaryPrimitives.ReadInt16LittleEndian(sample) / 32768f
                    : Math.Clamp(BinaryPrimitives.ReadSingleLittleEndian(sample) is var f && float.IsFinite(f) ? f : 0f, -1f, 1f);
            }
            var rest = new byte[total - used];
            for (int i = 0; i < rest.Length; i++, used++) rest[i] = used < pendingCount ? pending[used] : bytes[used - pendingCount];
            rest.CopyTo(pending, 0);
            pendingCount = rest.Length;
        }
    }

    async Task<string?> ReceiveText(CancellationToken cancel)
    {
        var buffer = new byte[MaxTextBytes];
        var message = await socket.ReceiveAsync(buffer, cancel);
        if (message.MessageType == WebSocketMessageType.Close) return null;
        if (message.MessageType != WebSocketMessageType.Text)
            throw ApiError.BadOption("the first message must be a text (JSON) start message, e.g. {\"type\": \"start\", \"format\": \"s16le\"}");
        return await ReadRestOfText(buffer, message, cancel);
    }

    async Task<string> ReadRestOfText(byte[] buffer, WebSocketReceiveResult first, CancellationToken cancel)
    {
        using var text = new MemoryStream();
        text.Write(buffer, 0, first.Count);
        var message = first;
        while (!message.EndOfMessage)
        {
            message = await socket.ReceiveAsync(buffer, cancel);
            text.Write(buffer, 0, message.Count);
            if (text.Length > MaxTextBytes) throw ApiError.BadOption($"a text message is longer than {MaxTextBytes} bytes");
        }
        return Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    async Task Send(JsonObject message, CancellationToken cancel)
    {
        var bytes = Encoding.UTF8.GetBytes(FileAnalysisJson.Serialize(message));
        await sending.WaitAsync(cancel);
        try { await socket.SendAsync(bytes, WebSocketMessageType.Text, true, cancel); }
        finally { sending.Release(); }
    }

    async Task Fail(ApiError error, WebSocketCloseStatus status, CancellationToken cancel)
    {
        var message = new JsonObject { ["type"] = "error", ["error"] = error.Error, ["detail"] = error.Detail };
        await Send(message, cancel);
        await Close(status, error.Error, cancel);
    }
}
