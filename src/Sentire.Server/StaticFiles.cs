using System.Collections.Concurrent;

namespace Sentire.Server;

/// <summary>The web page and the OpenAPI document, served from the resources embedded in this assembly (no folder to
/// deploy, works offline); each with its content type and an ETag so a browser revalidates instead of refetching.
/// Each file is read from the assembly once.</summary>
public sealed class StaticFiles
{
    readonly ConcurrentDictionary<string, (byte[] Bytes, string ETag)?> cache = new(StringComparer.Ordinal);

    public async Task Write(HttpContext context, string resource)
    {
        var file = cache.GetOrAdd(resource, Load);
        if (file is not { } f) throw new ApiError(StatusCodes.Status404NotFound, "not_found", $"no file {context.Request.Path}");
        context.Response.Headers.ETag = f.ETag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch == f.ETag) { context.Response.StatusCode = StatusCodes.Status304NotModified; return; }
        context.Response.ContentType = ContentType(resource);
        await context.Response.Body.WriteAsync(f.Bytes, context.RequestAborted);
    }

    static (byte[], string)? Load(string resource)
    {
        using var stream = typeof(StaticFiles).Assembly.GetManifestResourceStream(resource);
        if (stream is null) return null;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        return (bytes, $"\"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}\"");
    }

    static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
