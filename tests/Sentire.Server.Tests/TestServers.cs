using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Sentire.Tests.Common;

namespace Sentire.Server.Tests;

/// <summary>Servers for the tests: in memory (TestHost) or on a real loopback port, on the shipped models.</summary>
public static class TestServers
{
    public static string Samples => Path.Combine(RepoPaths.Root, "samples");
    public static string[] SampleClips => Directory.GetFiles(Samples, "*.flac").Order(StringComparer.Ordinal).ToArray();
    public static string TeacherModel => Path.Combine(RepoPaths.Root, "models", Cli.ModelLocator.DefaultModel);
    public static string StudentModel => Path.Combine(RepoPaths.Root, "models", "emotion-student-tiny");
    public static string CaptionModel => Path.Combine(RepoPaths.Root, "models", "secap-small");

    /// <summary>An in-memory server with its models loaded (or failed to load).</summary>
    public static async Task<WebApplication> StartInMemory(ServeOptions options)
    {
        var app = SentireService.Build(options, builder => builder.WebHost.UseTestServer());
        await app.StartAsync(TestContext.Current.CancellationToken);
        await app.Services.GetRequiredService<ModelHost>().Loaded;
        return app;
    }

    /// <summary>A Kestrel server on 127.0.0.1 and a free port, its models loaded; <see cref="SentireService.Address"/> names it.</summary>
    public static async Task<WebApplication> StartOnLoopback(ServeOptions options)
    {
        var app = SentireService.Build(options with { Host = "127.0.0.1", Port = 0 });
        await app.StartAsync(TestContext.Current.CancellationToken);
        await app.Services.GetRequiredService<ModelHost>().Loaded;
        return app;
    }

    public static HttpClient Client(this WebApplication app) => app.GetTestClient();

    public static ByteArrayContent Audio(string path, string type = "audio/flac")
    {
        var content = new ByteArrayContent(File.ReadAllBytes(path));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        return content;
    }

    public static async Task<JsonObject> Json(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
}

/// <summary>One server on the shipped teacher and captioner, shared by the tests that only read from it.</summary>
public sealed class TeacherServer : IAsyncLifetime
{
    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await TestServers.StartInMemory(new ServeOptions
        {
            ModelFolder = TestServers.TeacherModel, CaptionModelFolder = TestServers.CaptionModel, Workers = 4, QueueLength = 64,
        });
        Client = App.Client();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}
