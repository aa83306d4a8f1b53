namespace Sentire.IO;

/// <summary>
/// Replaces a file so that readers (and a crash at any moment) see either the old content or the complete new
/// content, never a partial write: write a temporary file in the same directory, flush it to disk (fsync),
/// then rename it over the target (rename is atomic within one file system). A crash leaves at worst an
/// orphaned ".tmp-*" file beside an intact target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Part of every temporary file name ("." + target name + marker + random suffix), so leftovers can be recognised.</summary>
    public const string TempMarker = ".tmp-";

    public static void Write(string path, Action<Stream> write) => Write(path, write, wrap: null);

    /// <summary><paramref name="wrap"/> lets tests interpose on the stream (e.g. fail after n bytes, as a crash would).</summary>
    internal static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap)
    {
        var target = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(target) + TempMarker + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                if (wrap is null) write(stream);
                else using (var wrapped = wrap(stream)) write(wrapped);
                stream.Flush(flushToDisk: true);
            }
            // The rename is atomic; .NET cannot fsync the directory entry itself, so after power loss (not a
            // process crash) the old file may reappear, but never a torn one.
            File.Move(temp, target, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
