using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Hosting;

namespace Sentire.Server;

/// <summary>
/// <c>sentire serve</c>: the HTTP and WebSocket service (ASP.NET Core on Kestrel) and its web page.
/// <code>
/// var app = SentireService.Build(new ServeOptions { ModelFolder = "models/emotion-clap-mobilenet" });
/// await app.RunAsync();                                  // http://127.0.0.1:8080/
/// </code>
/// The service holds no state between requests: replicas behind a load balancer need nothing shared.
/// </summary>
public static class SentireService
{
    /// <summary>Routes that answer without the API key (a load balancer's checks, and the page, which holds no data and
    /// asks for the key itself).</summary>
    static readonly string[] OpenPaths = ["/healthz", "/readyz", "/", "/index.html", "/static"];

    /// <param name="configure">a last word on the host before it is built (the tests put it on an in-memory server)</param>
    public static WebApplication Build(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        if (options.Problems() is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(System.Net.IPAddress.Parse(options.Host), options.Port);
            // the upload reader enforces the exact limit; Kestrel's is a backstop with room for multipart framing
            kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes + 64 * 1024;
            kestrel.AddServerHeader = false;
        });
        var pool = new WorkerPool(options.Workers, options.QueueLength);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(pool);
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton<StaticFiles>();
        builder.Services.AddSingleton(_ => new ModelHost(options));
        if (options.CorsOrigins.Count > 0)
            builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
                policy.WithOrigins([.. options.CorsOrigins]).WithMethods("GET", "POST").WithHeaders("Authorization", "Content-Type")));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(pool.Dispose);
        app.Services.GetRequiredService<ModelHost>();   // start loading the models now, not at the first request
        app.Use(CountAndCatch);
        if (options.CorsOrigins.Count > 0) app.UseCors();
        if (options.ApiKey is { } key) app.Use(RequireKey(key));
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseStatusCodePages(async context =>
        {
            var status = context.HttpContext.Response.StatusCode;
            await new ApiError(status, status switch { 404 => "not_found", 405 => "method_not_allowed", _ => "http_" + status },
                status switch
                {
                    404 => $"no route {context.HttpContext.Request.Path}; GET /openapi.json lists the routes",
                    405 => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}",
                    _ => $"HTTP status {status}",
                }).WriteAsync(context.HttpContext);
        });

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (ModelHost models) => models.IsReady ? Results.Text("ready\n")
            : Results.Json(ApiError.NotReady(models.LoadError).Body(), statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/metrics", (ServiceMetrics metrics) => Results.Text(metrics.Text(), "text/plain; version=0.0.4; charset=utf-8"));
        app.MapGet("/openapi.json", (HttpContext context, StaticFiles files) => files.Write(context, "openapi.json"));
        app.MapPost("/v1/analyze", AnalysisRoutes.Analyze);
        app.MapPost("/v1/caption", AnalysisRoutes.Caption);
        app.MapGet("/v1/models", AnalysisRoutes.Models);
        app.Map("/v1/stream", StreamSession.Run);
        app.MapGet("/", (HttpContext context, StaticFiles files) => files.Write(context, "wwwroot/index.html"));
        app.MapGet("/static/{name}", (HttpContext context, StaticFiles files, string name) => files.Write(context, "wwwroot/" + name));
        return app;
    }

    /// <summary>The address a started server listens on (the port it was given, or the one it picked for port 0).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? throw new InvalidOperationException("the server has not started");

    /// <summary>Counts every request by route and status, times it, and turns any failure into its JSON error: an
    /// <see cref="ApiError"/> as itself, Kestrel's body-size refusal as 413, anything else as a 500 that names no
    /// internals (the exception goes to the server's log, never to the client).</summary>
    static async Task CountAndCatch(HttpContext context, RequestDelegate next)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try { await next(context); }
        catch (Exception e) when (!context.Response.HasStarted && !(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
        {
            var error = e switch
            {
                ApiError api => api,
                BadHttpRequestException { StatusCode: 413 } => ApiError.TooLarge(context.RequestServices.GetRequiredService<ServeOptions>().MaxUploadBytes),
                BadHttpRequestException bad => new ApiError(bad.StatusCode, "bad_request", bad.Message),
                _ => new ApiError(StatusCodes.Status500InternalServerError, "internal", "the server failed on this request; the error is in its log"),
            };
            if (error.Status == 500)
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Sentire.Server").LogError(e, "request {Path} failed", context.Request.Path);
            context.Response.Clear();
            await error.WriteAsync(context);
        }
        finally
        {
            var metrics = context.RequestServices.GetRequiredService<ServiceMetrics>();
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            if (context.Response.StatusCode == StatusCodes.Status503ServiceUnavailable && context.Response.Headers.RetryAfter.Count > 0 && route != "/readyz")
                metrics.Rejected.Inc();
            metrics.Requests.WithLabels(route, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            metrics.Latency.WithLabels(route).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>Every route but <see cref="OpenPaths"/> needs <c>Authorization: Bearer KEY</c> (a browser's WebSocket,
    /// which cannot set headers, may send <c>?access_token=KEY</c>); keys are compared in constant time.</summary>
    static Func<HttpContext, RequestDelegate, Task> RequireKey(string key)
    {
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (OpenPaths.Any(p => path == p || (p == "/static" && path.StartsWith("/static/", StringComparison.Ordinal)))) { await next(context); return; }
            string? given = null;
            if (context.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer ", StringComparison.Ordinal)) given = header["Bearer ".Length..].Trim();
            else if (context.WebSockets.IsWebSocketRequest && context.Request.Query.TryGetValue("access_token", out var token)) given = token.ToString();
            // hashes of equal length, compared without an early exit: the time says nothing about the key
            if (given is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), expected))
            {
                await ApiError.Unauthorized().WriteAsync(context);
                return;
            }
            await next(context);
        };
    }
}
