using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;

namespace Sentire.Bench;

/// <summary>
/// Load test of <c>sentire serve</c> against <c>sentire analyze</c>, both as the built command line's own processes
/// (loopback only, bounded in requests and time, stops by itself). The server is started once (<c>sentire serve
/// --no-caption</c> on 127.0.0.1 and a free port, default workers and queue) and this process is its clients. Phases,
/// each reported as it ends:
/// 1. throughput, <c>--rounds</c> rounds alternating: <c>sentire analyze CORPUS --json</c> (one process, start-up and
///    model load included), then <c>--clients</c> clients posting the same files to /v1/analyze; audio seconds per
///    second of each, from the durations the answers report, and their ratio;
/// 2. overload: <c>--over-clients</c> clients (more than workers + queue) posting the sample clips for
///    <c>--seconds-over</c>: the excess must be 503s, not timeouts or errors;
/// 3. streams: <c>--streams</c> live streams at real time (100 ms chunks of 16-bit PCM, default 2 s window and 0.5 s
///    hop) for <c>--seconds-stream</c>, alone and again beside <c>--clients</c> clients posting clips; latency from
///    sending a window's last sample to receiving its message;
/// 4. memory: <c>--memory-requests</c> analyses of one sample clip by <c>--clients</c> clients, the server's RSS
///    every tenth of the way.
/// Run it under <c>nice -n -10</c> on a shared machine: the server and the CLI runs are its children and inherit it.
/// <code>dotnet bench/Sentire.Bench/bin/Release/net10.0/Sentire.Bench.dll serve [--corpus DIR] [--rounds 3] [--clients 4] [--streams 2] [--memory-requests 10000]</code>
/// </summary>
public sealed class ServeBench : IBenchmark
{
    public string Name => "serve";
    public string Description => "load test of sentire serve vs sentire analyze (own processes, loopback): throughput, 503s past capacity, stream latency, RSS over N analyses";

    public int Run(string[] args)
    {
        var root = FindRoot();
        int rounds = 3, clients = 2 * Environment.ProcessorCount, overClients = 8 * Environment.ProcessorCount, streams = 2, memoryRequests = 10_000;
        int secondsOver = 15, secondsStream = 20;
        string corpus = Path.Combine(root, "..", "shared", "corpora", "ravdess", "audio");
        string model = Path.Combine(root, "models", "emotion-clap-small");
        string cli = Path.Combine(root, "src", "Sentire.Cli", "bin", "Release", "net10.0", "sentire.dll");
        var phases = new HashSet<string>(["throughput", "overload", "streams", "memory"]);
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--corpus": corpus = BenchKit.ValueAfter(args, ref i); break;
                case "--model": model = BenchKit.ValueAfter(args, ref i); break;
                case "--cli": cli = BenchKit.ValueAfter(args, ref i); break;
                case "--rounds": rounds = BenchKit.IntAfter(args, ref i); break;
                case "--clients": clients = BenchKit.IntAfter(args, ref i); break;
                case "--over-clients": overClients = BenchKit.IntAfter(args, ref i); break;
                case "--streams": streams = BenchKit.IntAfter(args, ref i); break;
                case "--memory-requests": memoryRequests = BenchKit.IntAfter(args, ref i); break;
                case "--seconds-over": secondsOver = BenchKit.IntAfter(args, ref i); break;
                case "--seconds-stream": secondsStream = BenchKit.IntAfter(args, ref i); break;
                case "--phases": phases = [.. BenchKit.ValueAfter(args, ref i).Split(',')]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        if (!File.Exists(cli)) { Console.Error.WriteLine($"{cli}: build the command line first (dotnet build src/Sentire.Cli -c Release)"); return 2; }
        var samples = Directory.GetFiles(Path.Combine(root, "samples"), "*.flac").Order(StringComparer.Ordinal).ToArray();
        var sampleBodies = samples.Select(File.ReadAllBytes).ToArray();
        Console.WriteLine(Inv($"serve bench: {Environment.ProcessorCount} cores, model {Path.GetFileName(model)}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}"));

        using var server = Server.Start(cli, model);
        Console.WriteLine($"server: {server.Address}, pid {server.Process.Id}, ready in {server.ReadySeconds:F1} s; {server.Banner}");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = new Uri(server.Address), Timeout = TimeSpan.FromSeconds(120) };

        if (phases.Contains("throughput"))
        {
            var files = Directory.GetFiles(corpus, "*.flac").Order(StringComparer.Ordinal).ToArray();
            Console.WriteLine(Inv($"throughput: {files.Length} files of {Path.GetFullPath(corpus)}, {rounds} rounds, CLI then {clients} clients, load average {LoadAverage()}"));
            Console.WriteLine("| round | sentire analyze | audio s/s | serve, clients | audio s/s | serve / analyze |");
            Console.WriteLine("|---|---|---|---|---|---|");
            var ratios = new List<double>();
            var (cliRates, serveRates) = (new List<double>(), new List<double>());
            for (int r = 1; r <= rounds; r++)
            {
                var (cliSeconds, cliAudio, cliFiles) = AnalyzeCommand(cli, model, corpus);
                if (cliFiles != files.Length) Console.WriteLine($"  sentire analyze read {cliFiles} files, the clients post {files.Length}");
                var posted = Post(http, files.Select(f => (Func<byte[]>)(() => File.ReadAllBytes(f))).ToArray(), clients, TimeSpan.FromHours(1), files.Length, sequential: true);
                if (posted.Ok != files.Length) Console.WriteLine($"  {posted.Ok} of {files.Length} ok: {posted.Rejected} 503, {posted.Timeouts} 504, {posted.Errors} errors");
                double cliRate = cliAudio / cliSeconds, serveRate = posted.AudioSeconds / posted.Seconds;
                cliRates.Add(cliRate);
                serveRates.Add(serveRate);
                ratios.Add(serveRate / cliRate);
                Console.WriteLine(Inv($"| {r} | {cliSeconds:F1} s | {cliRate:F1} ({cliRate:F0}x) | {posted.Seconds:F1} s | {serveRate:F1} ({serveRate:F0}x) | {serveRate / cliRate:F2} |"));
            }
            Console.WriteLine(Inv($"| median | | {BenchKit.Median(cliRates):F1} | | {BenchKit.Median(serveRates):F1} | {BenchKit.Median(ratios):F2} |"));
            Console.WriteLine(Inv($"load average after: {LoadAverage()}; server RSS {server.Rss("VmRSS"):F0} MB, peak {server.Rss("VmHWM"):F0} MB"));
        }

        var sampleSources = sampleBodies.Select(b => (Func<byte[]>)(() => b)).ToArray();
        if (phases.Contains("overload"))
        {
            var over = Post(http, sampleSources, overClients, TimeSpan.FromSeconds(secondsOver), int.MaxValue);
            Report($"overload, {overClients} clients, {secondsOver} s", over, server);
        }

        if (phases.Contains("streams"))
        {
            var speech = new Conditioner(new ConditioningOptions { SampleRate = 16000 }).Apply(AudioFile.Read(samples[3]));
            foreach (var withClients in new[] { 0, clients })
            {
                var background = withClients == 0 ? Task.FromResult<PostResult?>(null)
                    : Task.Run(() => (PostResult?)Post(http, sampleSources, withClients, TimeSpan.FromSeconds(secondsStream + 5), int.MaxValue));
                var latencies = Task.WhenAll(Enumerable.Range(0, streams).Select(_ => Stream(server.Address, speech, TimeSpan.FromSeconds(secondsStream)))).GetAwaiter().GetResult();
                var all = latencies.SelectMany(l => l).Order().ToArray();
                var posted = background.GetAwaiter().GetResult();
                Console.WriteLine(Inv($"streams, {streams} at real time{(withClients == 0 ? "" : $" beside {withClients} clients posting clips")}, {secondsStream} s: {all.Length} windows (expected {streams * ((secondsStream * 16000 - 32000) / 8000 + 1)}), window end -> message p50 {P(all, 50):F1} ms, p95 {P(all, 95):F1} ms, p99 {P(all, 99):F1} ms, max {all.LastOrDefault():F1} ms; server RSS {server.Rss("VmRSS"):F0} MB, peak {server.Rss("VmHWM"):F0} MB, arenas {ArenaMb(http):F0} MB; load average {LoadAverage()}"));
                if (posted is not null) Report($"  the clients beside them", posted, server);
            }
        }

        if (phases.Contains("memory"))
        {
            Console.WriteLine($"memory: {memoryRequests} analyses of {Path.GetFileName(samples[0])}, {clients} clients; the server process's RSS");
            Console.WriteLine("| analyses | RSS MB | arenas MB |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine(Inv($"| 0 | {server.Rss("VmRSS"):F0} | {ArenaMb(http):F0} |"));
            int step = Math.Max(1, memoryRequests / 10), done = 0, failed = 0;
            var memorySw = Stopwatch.StartNew();
            while (done < memoryRequests)
            {
                int batch = Math.Min(step, memoryRequests - done);
                var r = Post(http, [sampleSources[0]], clients, TimeSpan.FromHours(1), batch);
                failed += r.Errors + r.Rejected + r.Timeouts;
                done += batch;
                Console.WriteLine(Inv($"| {done} | {server.Rss("VmRSS"):F0} | {ArenaMb(http):F0} |"));
            }
            Console.WriteLine(Inv($"memory phase: {memoryRequests / memorySw.Elapsed.TotalSeconds:F1} req/s, {failed} not ok; server peak RSS {server.Rss("VmHWM"):F0} MB; load average {LoadAverage()}"));
        }

        var metrics = http.GetStringAsync("/metrics").GetAwaiter().GetResult();
        Console.WriteLine("server /metrics, requests: " + string.Join("; ", metrics.Split('\n').Where(l => l.StartsWith("sentire_http_requests_total{", StringComparison.Ordinal) || l.StartsWith("sentire_rejected_total", StringComparison.Ordinal))));
        return 0;
    }

    /// <summary><c>sentire analyze CORPUS --json</c> as its own process: wall seconds and the audio seconds it reports.</summary>
    static (double Seconds, double AudioSeconds, int Files) AnalyzeCommand(string cli, string model, string corpus)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "analyze", corpus, "--model", model, "--json" }) start.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        double audio = 0;
        int files = 0;
        while (process.StandardOutput.ReadLine() is { } line)
            if (line.StartsWith('{')) (audio, files) = (audio + JsonNode.Parse(line)!["duration"]!.GetValue<double>(), files + 1);
        process.WaitForExit();
        double seconds = sw.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"sentire analyze exited with {process.ExitCode}: {errors.Result}");
        return (seconds, audio, files);
    }

    sealed record PostResult(double Seconds, double[] LatenciesMs, int Ok, int Errors, int Rejected, int Timeouts, double AudioSeconds);

    /// <summary><paramref name="clients"/> loops posting bodies until <paramref name="duration"/> or <paramref name="limit"/>
    /// requests; <paramref name="sequential"/>: request k posts body k (each once), else each client cycles through them.</summary>
    static PostResult Post(HttpClient http, Func<byte[]>[] bodies, int clients, TimeSpan duration, int limit, bool sequential = false)
    {
        var latencies = new ConcurrentBag<double>();
        int ok = 0, errors = 0, rejected = 0, timeouts = 0, started = -1;
        long audioMicroseconds = 0;
        var sw = Stopwatch.StartNew();
        Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            int mine = 0;
            while (sw.Elapsed < duration && Interlocked.Increment(ref started) is var k && k < limit)
            {
                var content = new ByteArrayContent(bodies[sequential ? k % bodies.Length : (c + mine++) % bodies.Length]());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync("/v1/analyze", content);
                    var body = await response.Content.ReadAsStringAsync();
                    switch (response.StatusCode)
                    {
                        case HttpStatusCode.OK:
                            Interlocked.Increment(ref ok);
                            latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                            Interlocked.Add(ref audioMicroseconds, (long)(JsonNode.Parse(body)!["duration"]!.GetValue<double>() * 1e6));
                            break;
                        case HttpStatusCode.ServiceUnavailable: Interlocked.Increment(ref rejected); await Task.Delay(50); break;
                        case HttpStatusCode.GatewayTimeout: Interlocked.Increment(ref timeouts); break;
                        default: Interlocked.Increment(ref errors); Console.WriteLine($"  {(int)response.StatusCode}: {body}"); break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref errors); }
            }
        })).GetAwaiter().GetResult();
        return new PostResult(sw.Elapsed.TotalSeconds, latencies.Order().ToArray(), ok, errors, rejected, timeouts, audioMicroseconds / 1e6);
    }

    static void Report(string name, PostResult r, Server server) =>
        Console.WriteLine(Inv($"{name}: {r.Ok / r.Seconds:F1} req/s, {r.AudioSeconds / r.Seconds:F1} audio s/s, latency p50 {P(r.LatenciesMs, 50):F0} ms, p95 {P(r.LatenciesMs, 95):F0} ms, p99 {P(r.LatenciesMs, 99):F0} ms; {r.Ok} ok, {r.Rejected} 503, {r.Timeouts} 504, {r.Errors} errors; server RSS {server.Rss("VmRSS"):F0} MB, peak {server.Rss("VmHWM"):F0} MB; load average {LoadAverage()}"));

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
                if (message["type"]!.GetValue<string>() is "summary" or "error") { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None); return; }
            }
        });
        var pcm = new byte[chunk * 2];
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (sent + chunk <= (long)(duration.TotalSeconds * 16000))
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

    /// <summary>The server's <c>sentire_arena_bytes</c> in MB.</summary>
    static double ArenaMb(HttpClient http) =>
        double.Parse(http.GetStringAsync("/metrics").GetAwaiter().GetResult().Split('\n').First(l => l.StartsWith("sentire_arena_bytes ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture) / 1e6;

    static double P(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];

    static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Sentire.slnx not found above the bench binary");
    }

    /// <summary><c>sentire serve</c> as a child process on 127.0.0.1 and a free port, ready; killed on dispose.</summary>
    sealed class Server : IDisposable
    {
        Server(Process process, string address) => (Process, Address) = (process, address);

        public Process Process { get; }
        public string Address { get; }
        public double ReadySeconds { get; private set; }
        public string Banner { get; private set; } = "";

        public static Server Start(string cli, string model)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { cli, "serve", "--model", model, "--no-caption", "--port", port.ToString(CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
            start.Environment.Remove("SENTIRE_API_KEY");
            var sw = Stopwatch.StartNew();
            var server = new Server(Process.Start(start)!, $"http://127.0.0.1:{port}");
            var banner = new StringBuilder();
            server.Process.ErrorDataReceived += (_, e) => { lock (banner) banner.Append(e.Data); };
            server.Process.BeginErrorReadLine();
            server.Process.BeginOutputReadLine();
            using var http = new HttpClient { BaseAddress = new Uri(server.Address), Timeout = TimeSpan.FromSeconds(10) };
            while (true)
            {
                if (server.Process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(120))
                {
                    server.Dispose();
                    throw new InvalidOperationException($"sentire serve did not get ready: {banner}");
                }
                try { if (http.GetAsync("/readyz").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK) break; }
                catch (HttpRequestException) { }
                Thread.Sleep(100);
            }
            server.ReadySeconds = sw.Elapsed.TotalSeconds;
            lock (banner) server.Banner = banner.ToString();
            return server;
        }

        /// <summary>A field of the server's /proc/PID/status in MB (VmRSS now, VmHWM the peak).</summary>
        public double Rss(string field)
        {
            var line = File.ReadLines($"/proc/{Process.Id}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            Process.Dispose();
        }
    }
}
