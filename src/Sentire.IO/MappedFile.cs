using System.IO.MemoryMappedFiles;

namespace Sentire.IO;

/// <summary>
/// A whole file mapped read-only into memory (checkpoints, feature caches): <see cref="Pointer"/> to its first byte and
/// <see cref="Length"/> bytes behind it, valid until disposal, which unmaps it. Mapping, pinning and releasing live here
/// once, so a reader that fails half-way through its header unmaps what it mapped.
/// </summary>
public sealed unsafe class MappedFile : IDisposable
{
    readonly MemoryMappedFile map;
    readonly MemoryMappedViewAccessor view;
    byte* pointer;   // null once disposed

    MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* pointer)
    {
        FilePath = path;
        Length = length;
        this.map = map;
        this.view = view;
        this.pointer = pointer;
    }

    /// <summary>The file's path as given.</summary>
    public string FilePath { get; }

    /// <summary>Bytes in the file when it was mapped.</summary>
    public long Length { get; }

    /// <summary>The file's first byte.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(pointer == null, this);
            return pointer;
        }
    }

    /// <summary>Maps <paramref name="path"/>, which must not be empty (callers check a format's minimum length first, so
    /// that a short file is reported as such).</summary>
    public static MappedFile Open(string path)
    {
        long length = new FileInfo(path).Length; // FileNotFoundException names the path
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            return new MappedFile(path, length, map, view, start + view.PointerOffset);
        }
        catch
        {
            if (start != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (pointer == null) return;
        pointer = null;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }
}
