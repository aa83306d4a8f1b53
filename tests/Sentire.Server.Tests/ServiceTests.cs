using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Sentire.Audio.Decoding;

namespace Sentire.Server.Tests;

/// <summary>Health, readiness, metrics, the OpenAPI document, the API key, CORS and the limits, each on a server of
/// its own (the fast student model where the model does not matter).</summary>
public sealed class ServiceTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static ServeOptions Student => new() { ModelFolder = TestServers.StudentModel, Workers = 2, QueueLength = 2 };

    /// <summary>A body that sends a few bytes, then waits for <see cref="Release"/>, and counts what the server pulled.</summary>
    sealed class HeldBody(byte[] rest) : HttpContent
    {
        readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Release() => release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(rest.AsMemory(0, 16));
            await stream.FlushAsync();
            await release.Task;
            await stream.WriteAsync(rest.AsMemory(16));
        }

        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }

    /// <summary>An endless chunked body that counts the bytes the server read.</summary>
    sealed class EndlessStream : Stream
    {
        public long Served;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Served > 200_000_000) return 0;
            Served += count;
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Served; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task HealthAndReadinessFollowTheModels()
    {
        await using var app = await TestServers.StartInMemory(Student);
        using var client = app.Client();
        Assert.Equal("ok\n", await client.GetStringAsync("/healthz", Cancel));
        Assert.Equal("ready\n", await client.GetStringAsync("/readyz", Cancel));

        await using var broken = await TestServers.StartInMemory(Student with { ModelFolder = "/no/such/model" });
        using var brokenClient = broken.Client();
        Assert.Equal(HttpStatusCode.OK, (await brokenClient.GetAsync("/healthz", Cancel)).StatusCode);
        using var ready = await brokenClient.GetAsync("/readyz", Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("/no/such/model", (await ready.Json())["detail"]!.GetValue<string>());
        using var analyze = await brokenClient.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[0]), Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, analyze.StatusCode);
        Assert.Equal("not_ready", (await analyze.Json())["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task OversizedBodiesAreRefusedWithoutBeingReadWhole()
    {
        await using var app = await TestServers.StartInMemory(Student with { MaxUploadBytes = 1_000_000 });
        using var client = app.Client();
        // declared too large: refused before a byte is read
        var declared = new StreamContent(new EndlessStream());
        declared.Headers.ContentLength = 5_000_000;
        declared.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using (var r = await client.PostAsync("/v1/analyze", declared, Cancel))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Equal("too_large", (await r.Json())["error"]!.GetValue<string>());
        }
        // chunked, no length: refused once past the limit, long before the 200 MB end
        var endless = new EndlessStream();
        var chunked = new StreamContent(endless, 64 * 1024);
        chunked.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using (var r = await client.PostAsync("/v1/analyze", chunked, Cancel))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
            Assert.Equal("too_large", (await r.Json())["error"]!.GetValue<string>());
        }
        Assert.InRange(endless.Served, 1_000_000, 8_000_000);
    }

    [Fact]
    public async Task AudioLongerThanTheLimitIsRefusedWith413()
    {
        await using var app = await TestServers.StartInMemory(Student with { MaxDurationSeconds = 1 });
        using var client = app.Client();
        using var flac = await client.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[0]), Cancel);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, flac.StatusCode);
        var body = await flac.Json();
        Assert.Equal("too_long", body["error"]!.GetValue<string>());
        Assert.Equal("upload: 2.4 s long; at most 1 s is accepted", body["detail"]!.GetValue<string>());
        // through ffmpeg, which stops decoding just past the limit
        if (FfmpegDecoder.Default.IsAvailable)
        {
            var folder = Directory.CreateTempSubdirectory("sentire-serve-test-");
            try
            {
                var ogg = Path.Combine(folder.FullName, "clip.ogg");
                Assert.Equal(0, ExternalProcess.Run(FfmpegDecoder.Default.Executable!, ["-nostdin", "-loglevel", "error", "-i", TestServers.SampleClips[0], ogg]).ExitCode);
                using var r = await client.PostAsync("/v1/analyze", TestServers.Audio(ogg, "audio/ogg"), Cancel);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
                Assert.Equal("upload: longer than 1 s; at most 1 s is accepted", (await r.Json())["detail"]!.GetValue<string>());
            }
            finally { folder.Delete(recursive: true); }
        }
    }

    [Fact]
    public async Task AFullPoolAnswers503AtOnceWithRetryAfter()
    {
        await using var app = await TestServers.StartInMemory(Student with { Workers = 1, QueueLength = 0 });
        using var client = app.Client();
        var held = new HeldBody(File.ReadAllBytes(TestServers.SampleClips[0]));
        held.Headers.ContentType = new MediaTypeHeaderValue("audio/flac");
        var first = client.PostAsync("/v1/analyze", held, Cancel);
        await WaitUntil(() => app.Services.GetRequiredService<WorkerPool>().Admitted == 1);
        using (var second = await client.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[1]), Cancel))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal("1", second.Headers.RetryAfter!.ToString());
            Assert.Equal("queue_full", (await second.Json())["error"]!.GetValue<string>());
        }
        held.Release();
        using (var r = await first) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var third = await client.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[1]), Cancel))
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        var metrics = await client.GetStringAsync("/metrics", Cancel);
        Assert.Equal(1, Metric(metrics, "sentire_rejected_total"));
        Assert.Equal(2, Metric(metrics, "sentire_http_requests_total{route=\"/v1/analyze\",status=\"200\"}"));
        Assert.Equal(1, Metric(metrics, "sentire_http_requests_total{route=\"/v1/analyze\",status=\"503\"}"));
        Assert.Equal(2 * 2.389, Metric(metrics, "sentire_audio_seconds_total{source=\"upload\"}"), 2);
        Assert.Equal(0, Metric(metrics, "sentire_queue_depth"));
        Assert.Equal(0, Metric(metrics, "sentire_active_streams"));
    }

    [Fact]
    public async Task AStreamHoldsAPlaceOfTheBudgetAndEndsAtTheDurationLimit()
    {
        await using var app = await TestServers.StartInMemory(Student with { Workers = 1, QueueLength = 0, MaxDurationSeconds = 1 });
        using var client = app.Client();
        using var socket = await app.GetTestServer().CreateWebSocketClient().ConnectAsync(new Uri("ws://localhost/v1/stream"), Cancel);
        async Task<(WebSocketMessageType Type, string Text)> Receive()
        {
            var buffer = new byte[1 << 16];
            var r = await socket.ReceiveAsync(buffer, Cancel);
            return (r.MessageType, System.Text.Encoding.UTF8.GetString(buffer, 0, r.Count));
        }
        await socket.SendAsync("""{"type": "start", "format": "s16le"}"""u8.ToArray(), WebSocketMessageType.Text, true, Cancel);
        Assert.Contains("\"ready\"", (await Receive()).Text);

        // the open stream holds the only place: an upload is refused at once
        using (var refused = await client.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[0]), Cancel))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("queue_full", (await refused.Json())["error"]!.GetValue<string>());
        }
        Assert.Equal(1, Metric(await client.GetStringAsync("/metrics", Cancel), "sentire_active_streams"));

        // 1.5 s of audio against a 1 s limit: an error message, then a 1009 close
        await socket.SendAsync(new byte[24000 * 2], WebSocketMessageType.Binary, true, Cancel);
        var error = JsonNode.Parse((await Receive()).Text)!;
        Assert.Equal(("error", "too_long"), (error["type"]!.GetValue<string>(), error["error"]!.GetValue<string>()));
        Assert.Equal("the stream passed 1 s, the most this server accepts", error["detail"]!.GetValue<string>());
        Assert.Equal(WebSocketMessageType.Close, (await Receive()).Type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);

        // the place is free again: the 2.4 s upload is admitted, and refused for its length (the 1 s limit), not the budget
        await WaitUntil(() => app.Services.GetRequiredService<WorkerPool>().Admitted == 0);
        using var admitted = await client.PostAsync("/v1/analyze", TestServers.Audio(TestServers.SampleClips[0]), Cancel);
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "too_long"), (admitted.StatusCode, (await admitted.Json())["error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ARequestPastTheTimeoutIsAnswered504()
    {
        await using var app = await TestServers.StartInMemory(Student with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = app.Client();
        var held = new HeldBody(File.ReadAllBytes(TestServers.SampleClips[0]));
        held.Headers.ContentType = new MediaTypeHeaderValue("audio/flac");
        using var r = await client.PostAsync("/v1/analyze", held, Cancel);
        held.Release();
        Assert.Equal(HttpStatusCode.GatewayTimeout, r.StatusCode);
        Assert.Equal("timeout", (await r.Json())["error"]!.GetValue<string>());
        await WaitUntil(() => app.Services.GetRequiredService<WorkerPool>().Admitted == 0);
    }

    [Fact]
    public async Task TheApiKeyGuardsEveryRouteButHealthAndThePage()
    {
        await using var app = await TestServers.StartInMemory(Student with { ApiKey = "s3cret-key" });
        using var client = app.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/", Cancel)).StatusCode);
        foreach (var (key, expected) in new[] { ((string?)null, HttpStatusCode.Unauthorized), ("s3cret-kez", HttpStatusCode.Unauthorized), ("s3cret-key", HttpStatusCode.OK) })
            foreach (var path in new[] { "/v1/models", "/metrics", "/openapi.json" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                using var r = await client.SendAsync(request, Cancel);
                Assert.Equal(expected, r.StatusCode);
                if (expected == HttpStatusCode.Unauthorized) Assert.Equal("unauthorized", (await r.Json())["error"]!.GetValue<string>());
            }
    }

    [Fact]
    public async Task CorsIsOffUnlessAnOriginIsGiven()
    {
        static HttpRequestMessage Preflight()
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/v1/analyze");
            request.Headers.Add("Origin", "https://example.org");
            request.Headers.Add("Access-Control-Request-Method", "POST");
            return request;
        }
        await using (var off = await TestServers.StartInMemory(Student))
        {
            using var r = await off.Client().SendAsync(Preflight(), Cancel);
            Assert.False(r.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await using var on = await TestServers.StartInMemory(Student with { CorsOrigins = ["https://example.org"] });
        using var allowed = await on.Client().SendAsync(Preflight(), Cancel);
        Assert.Equal("https://example.org", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task OpenApiDescribesEveryRoute()
    {
        await using var app = await TestServers.StartInMemory(Student);
        var document = (await (await app.Client().GetAsync("/openapi.json", Cancel)).Json());
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>());
        var paths = document["paths"]!.AsObject();
        var routes = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Equal(10, routes.Count);
        foreach (var route in routes)
        {
            var path = route.RoutePattern.RawText!;
            Assert.Contains(path, paths.Select(p => p.Key));
            foreach (var method in route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                Assert.True(paths[path]!.AsObject().ContainsKey(method.ToLowerInvariant()), $"openapi.json lacks {method} {path}");
        }
        Assert.Equal(routes.Select(r => r.RoutePattern.RawText).Distinct().Count(), paths.Count);
    }

    [Fact]
    public async Task ThePageAndItsFilesAreServedFromTheAssembly()
    {
        await using var app = await TestServers.StartInMemory(Student);
        using var client = app.Client();
        using var page = await client.GetAsync("/", Cancel);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync(Cancel);
        Assert.Contains("/static/app.js", html);
        Assert.DoesNotContain("https://", html);   // no CDN: works offline
        foreach (var file in new[] { "app.js", "app.css", "pcm-worklet.js" })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/static/" + file, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/static/nothing.js", Cancel)).StatusCode);
        var etag = page.Headers.ETag!;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/");
        again.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again, Cancel)).StatusCode);
    }

    /// <summary>The value of the sample named exactly <paramref name="sample"/> in Prometheus text.</summary>
    static double Metric(string text, string sample) =>
        double.Parse(text.Split('\n').Single(l => l.StartsWith(sample + " ", StringComparison.Ordinal))[(sample.Length + 1)..], CultureInfo.InvariantCulture);

    static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10, Cancel);
        Assert.True(condition());
    }
}
