using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Sentire.Server;

/// <summary>
/// Reads the audio file of a request: the raw body (any audio/* type or application/octet-stream), or the
/// <c>file</c> field of a multipart/form-data body. The size limit is enforced while reading: a declared
/// Content-Length over it is refused before a byte is read, and an undeclared (chunked) body is refused as soon as it
/// passes the limit, so an oversized upload is never buffered whole.
/// </summary>
public static class UploadReader
{
    /// <summary>The uploaded bytes and the name they go by in the answer and in errors (the multipart file name,
    /// else <c>upload</c>).</summary>
    public static async Task<(byte[] Bytes, string Name)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancel)
    {
        if (request.ContentLength is > 0 and var declared && declared > maxBytes + MultipartOverhead(request)) throw ApiError.TooLarge(maxBytes);
        var type = request.ContentType;
        if (type is not null && MediaTypeHeaderValue.TryParse(type, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
            if (string.IsNullOrEmpty(boundary)) throw ApiError.UnsupportedMedia(type);
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(cancel) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !HeaderUtilities.RemoveQuotes(disposition.Name).Equals("file", StringComparison.Ordinal)) continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.FileName).Value is { Length: > 0 } f ? Path.GetFileName(f) : "upload";
                return (await ReadLimitedAsync(section.Body, maxBytes, null, cancel), name);
            }
            throw ApiError.BadOption("the multipart body has no 'file' field");
        }
        if (type is null || type.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("video/", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase))
            return (await ReadLimitedAsync(request.Body, maxBytes, request.ContentLength, cancel), "upload");
        throw ApiError.UnsupportedMedia(type);
    }

    /// <summary>Room for multipart headers and boundaries beside the file itself.</summary>
    static long MultipartOverhead(HttpRequest request) =>
        request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true ? 64 * 1024 : 0;

    static async Task<byte[]> ReadLimitedAsync(Stream body, long maxBytes, long? declared, CancellationToken cancel)
    {
        using var buffer = new MemoryStream(declared is > 0 and var d && d <= maxBytes ? (int)d : 64 * 1024);
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + n > maxBytes) throw ApiError.TooLarge(maxBytes);
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}
