using System.Text.Json.Nodes;

namespace Sentire.Server;

/// <summary>
/// An error answer: HTTP status and the body <c>{"error": CODE, "detail": SENTENCE}</c>. Codes are stable words a
/// client can switch on; details are for people (for unreadable audio, the command line's own message).
/// </summary>
public sealed class ApiError(int status, string error, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Error { get; } = error;
    public string Detail { get; } = detail;
    /// <summary>Seconds for a Retry-After header (503s), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiError BadOption(string detail) => new(StatusCodes.Status400BadRequest, "invalid_option", detail);
    public static ApiError UnknownOption(string name, IEnumerable<string> known) =>
        new(StatusCodes.Status400BadRequest, "unknown_option", $"unknown option '{name}'; the options are {string.Join(", ", known)}");
    public static ApiError UnreadableAudio(string detail) => new(StatusCodes.Status400BadRequest, "unreadable_audio", detail);
    public static ApiError TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "too_large", $"the upload is larger than {limit} bytes, the most this server accepts");
    public static ApiError TooLong(string detail) => new(StatusCodes.Status413PayloadTooLarge, "too_long", detail);
    public static ApiError UnsupportedMedia(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
            $"content type '{contentType ?? "(none)"}': send the audio file as the raw body (audio/*, application/octet-stream) or as the multipart/form-data field 'file'");
    public static ApiError QueueFull(int capacity) =>
        new(StatusCodes.Status503ServiceUnavailable, "queue_full", $"all {capacity} places of the worker pool and its queue are taken; retry shortly") { RetryAfterSeconds = 1 };
    public static ApiError NotReady(string? loadError) =>
        new(StatusCodes.Status503ServiceUnavailable, "not_ready", loadError is null ? "the models are still loading" : $"the models failed to load: {loadError}") { RetryAfterSeconds = loadError is null ? 2 : null };
    public static ApiError Timeout(TimeSpan limit) =>
        new(StatusCodes.Status504GatewayTimeout, "timeout", $"the analysis took longer than the {limit.TotalSeconds:0.#} s request timeout");
    public static ApiError Unauthorized() =>
        new(StatusCodes.Status401Unauthorized, "unauthorized", "this server needs an API key: send Authorization: Bearer KEY");

    public JsonObject Body() => new() { ["error"] = Error, ["detail"] = Detail };

    /// <summary>Writes this error as the response (status, Retry-After, JSON body).</summary>
    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        if (RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsJsonAsync(Body(), context.RequestAborted);
    }
}
