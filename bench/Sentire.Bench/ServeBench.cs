using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models;
using Sentire.Server;

namespace Sentire.Bench;

/// <summary>
/// Load test of <c>sentire serve</c> on loopback (bounded in requests and time; stops by itself): the server runs in
/// this process on Kestrel at 127.0.0.1 and a free port. Phases, each reported as it ends:
/// 1. reference: the command line's batch loop (<c>IEmotionAnalyzer.AnalyzeFile</c> one file after another, as
///    <c>sentire analyze</c> does) over the sample clips for <c>--seconds-ref</c>;
/// 2. load: <c>--clients</c> clients posting the sample clips to /v1/analyze for <c>--seconds</c> (req/s, audio s/s,
///    p50/p95/p99, errors, 503s), at or below the pool's capacity;
/// 3. overload: <c>--over-clients</c> clients, more than workers + queue: the excess must be 503s, not timeouts;
/// 4. streams: <c>--streams</c> live streams sending 16-bit PCM paced at real time in 100 ms chunks; latency from
///    sending a window's last sample to receiving its message;
/// 5. memory: <c>--memory-requests</c> analyses of one clip, the process RSS every tenth of the way.
/// <code>dotnet run -c Release --project bench/Sentire.Bench -- serve [--clients 2] [--seconds 60] [--streams 2] [--memory-requests 10000]</code>
/// </summary>
public sealed class ServeBench : IBenchmark
{
    public string Name => "serve";
    public string Description => "load test of sentire serve on loopback: throughput vs the CLI's batch loop, 503s past capacity, stream latency, RSS over N analyses";

    public int Run(string[] args)
    {
        int clients = Environment.ProcessorCount, overClients = 8 * Environment.ProcessorCount, streams = 2, memoryRequests = 10_000;
        int seconds = 60, secondsRef = 30, secondsOver = 15, secondsStream = 20;
        string? model = null;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--clients": clients = BenchKit.IntAfter(args, ref i); break;
                case "--over-clients": overClients = BenchKit.IntAfter(args, ref i); break;
                case "--streams": streams = BenchKit.IntAfter(args, ref i); break;
                case "--memory-requests": memoryRequests = BenchKit.IntAfter(args, ref i); break;
                case "--seconds": seconds = BenchKit.IntAfter(args, ref i); break;
                case "--seconds-ref": secondsRef = BenchKit.IntAfter(args, ref i); break;
                case "--seconds-over": secondsOver = BenchKit.IntAfter(args, ref i); break;
                case "--seconds-stream": secondsStream = BenchKit.IntAfter(args, ref i); break;
                case "--model": model = BenchKit.ValueAfter(args, ref i); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        var root = FindRoot();
        model ??= Path.Combine(root, "models", "emotion-clap-small");
        var clips = Directory.GetFiles(Path.Combine(root, "samples"), "*.flac").Order(StringComparer.Ordinal).ToArray();
        var bodies = clips.Select(File.ReadAllBytes).ToArray();
        double clipSeconds = clips.Average(c => AudioFile.Read(c).DurationSeconds);
        Console.WriteLine($"serve bench: {Environment.ProcessorCount} cores, model {Path.GetFileName(model)}, {clips.Length} clips of {clipSeconds:F2} s, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");

        // 1. the command line's batch loop
        var analyzer = EmotionModels.Load(model);
        analyzer.AnalyzeFile(clips[0]);
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (sw.Elapsed.TotalSeconds < secondsRef) analyzer.AnalyzeFile(clips[n++ % clips.Length]);
        double refRate = n * clipSeconds / sw.Elapsed.TotalSeconds;
        Console.WriteLine(Inv($"reference (CLI batch loop): {n} files in {sw.Elapsed.TotalSeconds:F1} s = {n / sw.Elapsed.TotalSeconds:F1} files/s, {refRate:F1} audio s/s ({refRate:F0}x real time)"));

        var options = new ServeOptions { ModelFolder = model, Host = "127.0.0.1", Port = 0 };
        var app = SentireService.Build(options);
        app.StartAsync().GetAwaiter().GetResult();
        app.Services.GetRequiredService<ModelHost>().Loaded.GetAwaiter().GetResult();
        var address = SentireService.Address(app);
        Console.WriteLine($"server: {address}, {options.Workers} workers, queue {options.QueueLength}, capacity {options.Workers + options.QueueLength}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(120) };
        try
        {
            // 2. load at or below capacity, 3. past it
            var load = Post(http, bodies, clients, TimeSpan.FromSeconds(seconds), int.MaxValue);
            Report($"load, {clients} clients, {seconds} s", load, clipSeconds, refRate);
            var over = Post(http, bodies, overClients, TimeSpan.FromSeconds(secondsOver), int.MaxValue);
            Report($"overload, {overClients} clients, {secondsOver} s", over, clipSeconds, refRate);

            // 4. live streams
            var speech = new Conditioner(new ConditioningOptions { SampleRate = 16000 }).Apply(AudioFile.Read(clips[3]));
            var latencies = Task.WhenAll(Enumerable.Range(0, streams).Select(_ => Stream(address, speech, TimeSpan.FromSeconds(secondsStream)))).GetAwaiter().GetResult();
            var all = latencies.SelectMany(l => l).Order().ToArray();
            Console.WriteLine(Inv($"streams, {streams} at real time, {secondsStream} s: {all.Length} windows, window end -> message p50 {P(all, 50):F1} ms, p95 {P(all, 95):F1} ms, p99 {P(all, 99):F1} ms, max {all.LastOrDefault():F1} ms"));

            // 5. memory over many analyses of one clip
            Console.WriteLine($"memory: {memoryRequests} analyses of {Path.GetFileName(clips[0])}, {clients} clients");
            Console.WriteLine("| analyses | RSS MB | GC heap MB |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine(Inv($"| 0 | {Rss("VmRSS") / 1e6:F0} | {GC.GetTotalMemory(false) / 1e6:F0} |"));
            int step = Math.Max(1, memoryRequests / 10), done = 0;
            var memorySw = Stopwatch.StartNew();
            while (done < memoryRequests)
            {
                int batch = Math.Min(step, memoryRequests - done);
                var r = Post(http, [bodies[0]], clients, TimeSpan.FromHours(1), batch);
                if (r.Errors > 0 || r.Rejected > 0) Console.WriteLine($"  {r.Errors} errors, {r.Rejected} 503s in this step");
                done += batch;
                Console.WriteLine(Inv($"| {done} | {Rss("VmRSS") / 1e6:F0} | {GC.GetTotalMemory(false) / 1e6:F0} |"));
            }
            Console.WriteLine(Inv($"memory phase: {memoryRequests / memorySw.Elapsed.TotalSeconds:F1} req/s; peak RSS of the process (server + load client) {Rss("VmHWM") / 1e6:F0} MB"));
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IDisposable)app).Dispose();
        }
        return 0;
    }

    sealed record PostResult(double Seconds, double[] LatenciesMs, int Ok, int Errors, int Rejected, int Timeouts);

    /// <summary><paramref name="clients"/> loops posting clips until <paramref name="duration"/> or <paramref name="limit"/> requests.</summary>
    static PostResult Post(HttpClient http, byte[][] bodies, int clients, TimeSpan duration, int limit)
    {
        var latencies = new List<double>[clients];
        int ok = 0, errors = 0, rejected = 0, timeouts = 0, started = 0;
        var sw = Stopwatch.StartNew();
        Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = [];
            while (sw.Elapsed < duration && Interlocked.Increment(ref started) <= limit)
            {
                var content = new ByteArrayContent(bodies[(c + latencies[c].Count) % bodies.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("audio/flac");
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync("/v1/analyze", content);
                    await response.Content.ReadAsByteArrayAsync();
                    switch (response.StatusCode)
                    {
                        case HttpStatusCode.OK: Interlocked.Increment(ref ok); latencies[c].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds); break;
                        case HttpStatusCode.ServiceUnavailable: Interlocked.Increment(ref rejected); await Task.Delay(50); break;
                        case HttpStatusCode.GatewayTimeout: Interlocked.Increment(ref timeouts); break;
                        default: Interlocked.Increment(ref errors); break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref errors); }
            }
        })).GetAwaiter().GetResult();
        return new PostResult(sw.Elapsed.TotalSeconds, latencies.SelectMany(l => l).Order().ToArray(), ok, errors, rejected, timeouts);
    }

    static void Report(string name, PostResult r, double clipSeconds, double refRate)
    {
        double audioRate = r.Ok * clipSeconds / r.Seconds;
        Console.WriteLine(Inv($"{name}: {r.Ok / r.Seconds:F1} req/s, {audioRate:F1} audio s/s ({audioRate / refRate:P0} of the CLI loop), latency p50 {P(r.LatenciesMs, 50):F0} ms, p95 {P(r.LatenciesMs, 95):F0} ms, p99 {P(r.LatenciesMs, 99):F0} ms; {r.Ok} ok, {r.Rejected} 503, {r.Timeouts} 504, {r.Errors} errors; peak RSS so far {Rss("VmHWM") / 1e6:F0} MB"));
    }

    /// <summary>One live stream paced at real time; the latency of each window message from the moment its last sample was sent.</summary>
    static async Task<List<double>> Stream(string address, float[] speech, TimeSpan duration)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/v1/stream"), CancellationToken.None);
        await socket.SendAsync("""{"type": "start", "format": "s16le", "sample_rate": 16000}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        const int chunk = 1600, window = 32000, hop = 8000;   // 100 ms chunks; the default 2 s window and 0.5 s hop
        var sentAt = new Dictionary<int, long>();              // window index -> when its last sample left
        var latencies = new List<double>();
        var receiver = Task.Run(async () =>
        {
            var buffer = new byte[1 << 16];
            while (true)
            {
                var m = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (m.MessageType == WebSocketMessageType.Close) return;
                var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, m.Count))!;
                if (message["type"]!.GetValue<string>() == "window")
                {
                    long now = Stopwatch.GetTimestamp();
                    int index = message["index"]!.GetValue<int>();
                    lock (sentAt) latencies.Add(Stopwatch.GetElapsedTime(sentAt[index], now).TotalMilliseconds);
                }
                if (message["type"]!.GetValue<string>() == "summary") { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); return; }
            }
        });
        var pcm = new byte[chunk * 2];
        var clock = Stopwatch.StartNew();
        long sent = 0;
        for (int k = 0; clock.Elapsed < duration; k++)
        {
            for (int i = 0; i < chunk; i++)
                BitConverter.TryWriteBytes(pcm.AsSpan(2 * i), (short)Math.Clamp(Math.Round(speech[(sent + i) % speech.Length] * 32767), short.MinValue, short.MaxValue));
            long now = Stopwatch.GetTimestamp();
            lock (sentAt)
                for (int w = (int)Math.Max(0, (sent - window) / hop); (long)w * hop + window <= sent + chunk; w++)
                    if ((long)w * hop + window > sent) sentAt[w] = now;
            await socket.SendAsync(pcm, WebSocketMessageType.Binary, true, CancellationToken.None);
            sent += chunk;
            var due = TimeSpan.FromSeconds((double)sent / 16000) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
        }
        await socket.SendAsync("""{"type": "end"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await receiver.WaitAsync(TimeSpan.FromSeconds(60));
        return latencies;
    }

    static double P(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];

    /// <summary>A field of /proc/self/status in bytes (VmRSS now, VmHWM the peak).</summary>
    static double Rss(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Sentire.slnx not found above the bench binary");
    }
}
