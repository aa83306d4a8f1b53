namespace Sentire.Server;

/// <summary>Everything <c>sentire serve</c> can be told; validated once by <see cref="Problems"/>.</summary>
public sealed record ServeOptions
{
    /// <summary>Emotion model folder (resolved by the caller: <c>--model</c>, SENTIRE_MODEL or the shipped default).</summary>
    public required string ModelFolder { get; init; }
    /// <summary>Captioning model folder, or null to serve without captions.</summary>
    public string? CaptionModelFolder { get; init; }
    /// <summary>Address to bind: loopback unless 0.0.0.0 (or another address) is asked for.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = 8080;
    /// <summary>Largest upload accepted (50 MB).</summary>
    public long MaxUploadBytes { get; init; } = 50_000_000;
    /// <summary>Longest audio accepted, an upload or a live stream (30 min).</summary>
    public double MaxDurationSeconds { get; init; } = 30 * 60;
    /// <summary>Analyses that run at once: one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;
    /// <summary>Requests that may wait for a worker; past workers + queue, 503 at once.</summary>
    public int QueueLength { get; init; } = 2 * Environment.ProcessorCount;
    /// <summary>A request (waiting and running) that takes longer is answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>When set, every route but the health checks and the page needs <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Origins allowed by CORS; none: CORS stays off.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>Every invalid setting, each naming the option and the value found.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535) problems.Add($"--port must be 0..65535, got {Port}");
        if (MaxUploadBytes <= 0) problems.Add($"--max-upload-mb must be positive, got {MaxUploadBytes} bytes");
        if (!(MaxDurationSeconds > 0)) problems.Add($"--max-duration must be positive, got {MaxDurationSeconds} s");
        if (Workers < 1) problems.Add($"--workers must be at least 1, got {Workers}");
        if (QueueLength < 0) problems.Add($"--queue must be 0 or more, got {QueueLength}");
        if (RequestTimeout <= TimeSpan.Zero) problems.Add($"--timeout must be positive, got {RequestTimeout.TotalSeconds} s");
        if (ApiKey is { Length: 0 }) problems.Add("the API key is empty");
        foreach (var origin in CorsOrigins)
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"--cors-origin must be an http(s) origin such as https://example.org, got '{origin}'");
        return problems;
    }
}
