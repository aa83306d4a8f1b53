using System.Collections;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sentire.Audio.Prosody;

/// <summary>
/// Per-frame values of a long recording, appended in time order and stored in blocks of 64 Ki values. Only the block
/// being filled and two recently read blocks are held in memory: every full block is written to a temporary file
/// (deleted as it is created where the system allows, else when the values are disposed), so memory does not grow with
/// the recording (a 10-hour recording has 3.6 million 10 ms frames: 14 MB of floats on disk, 0.8 MB in memory). A
/// recording of at most one block (11 minutes at 10 ms) never touches the disk. Reads in time order (and a little
/// back) cost one block read per block.
/// </summary>
public sealed class FrameValues<T> : IReadOnlyList<T>, IDisposable where T : unmanaged
{
    public const int DefaultBlockSize = 1 << 16;
    readonly int blockSize;
    T[]? filling;
    readonly T[][] read = new T[2][];
    readonly int[] readBlock = [-1, -1];
    int nextRead;
    SafeFileHandle? file;
    bool disposed;

    /// <param name="blockSize">values per block (a power of two; small in tests, to cross many blocks)</param>
    public FrameValues(int blockSize = DefaultBlockSize)
    {
        if (blockSize < 2 || !int.IsPow2(blockSize)) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "a power of two of at least 2");
        this.blockSize = blockSize;
    }

    public int Count { get; private set; }

    /// <summary>Blocks written to the temporary file.</summary>
    int Spilled => Count / blockSize;

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{Count} values");
            var block = index / blockSize;
            return (block == Spilled ? filling! : Block(block))[index & (blockSize - 1)];
        }
    }

    public void Add(T value)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        filling ??= new T[blockSize];
        filling[Count & (blockSize - 1)] = value;
        Count++;
        if ((Count & (blockSize - 1)) == 0) Write(Spilled - 1);
    }

    void Write(int block)
    {
        file ??= TemporaryFile.Create("frames");
        RandomAccess.Write(file, MemoryMarshal.AsBytes(filling.AsSpan()), (long)block * blockSize * Marshal.SizeOf<T>());
    }

    /// <summary>A full block, read back from the file unless it is one of the two read last.</summary>
    T[] Block(int block)
    {
        for (var i = 0; i < read.Length; i++)
            if (readBlock[i] == block) return read[i];
        ObjectDisposedException.ThrowIf(disposed || file is null, this);
        var slot = nextRead;
        nextRead = (nextRead + 1) % read.Length;
        var values = read[slot] ??= new T[blockSize];
        TemporaryFile.Read(file, MemoryMarshal.AsBytes(values.AsSpan()), (long)block * blockSize * Marshal.SizeOf<T>());
        readBlock[slot] = block;
        return values;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The values in order, block by block (each block valid until the next is asked for).</summary>
    public IEnumerable<ReadOnlyMemory<T>> Blocks()
    {
        for (var b = 0; b * blockSize < Count; b++)
            yield return (b == Spilled ? filling! : Block(b)).AsMemory(0, Math.Min(blockSize, Count - b * blockSize));
    }

    /// <summary>Closes (and so deletes) the temporary file; the values can no longer be read.</summary>
    public void Dispose()
    {
        disposed = true;
        file?.Dispose();
        file = null;
        Array.Fill(readBlock, -1);
    }
}

/// <summary>Scratch files of a long analysis, deleted as they are created where the system allows (the open handle keeps
/// them: nothing is left behind if the process dies), else when their handle is closed.</summary>
static class TemporaryFile
{
    public static SafeFileHandle Create(string what)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sentire-{what}-{Guid.NewGuid():N}.tmp");
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows()) File.Delete(path);
        return handle;
    }

    /// <summary>Fills <paramref name="bytes"/> from <paramref name="offset"/>.</summary>
    public static void Read(SafeFileHandle file, Span<byte> bytes, long offset)
    {
        for (var done = 0; done < bytes.Length;)
        {
            var n = RandomAccess.Read(file, bytes[done..], offset + done);
            if (n == 0) throw new IOException($"temporary file ended at byte {offset + done}, {bytes.Length - done} more expected");
            done += n;
        }
    }
}

/// <summary>Order statistics without sorting a copy of the values.</summary>
public static class OrderStatistic
{
    /// <summary>The value at position <paramref name="k"/> (0-based) of <paramref name="values"/> sorted ascending, i.e.
    /// <c>sorted[k]</c> after <c>Array.Sort</c>: the values are counted into 4096 buckets between their minimum and
    /// maximum, and only the bucket holding position k is sorted. The values must be finite.</summary>
    public static T Select<T>(IReadOnlyList<T> values, int k) where T : unmanaged, System.Numerics.INumber<T>
    {
        var n = values.Count;
        if ((uint)k >= (uint)n) throw new ArgumentOutOfRangeException(nameof(k), k, $"{n} values");
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var i = 0; i < n; i++)
        {
            var v = double.CreateTruncating(values[i]);
            if (!double.IsFinite(v)) throw new ArgumentException($"value {i} is {v}: order statistics of finite values only");
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min == max) return values[0];
        const int Buckets = 4096;
        var scale = Buckets / (max - min);
        int Bucket(T v) => Math.Min(Buckets - 1, (int)((double.CreateTruncating(v) - min) * scale));
        var counts = new int[Buckets];
        for (var i = 0; i < n; i++) counts[Bucket(values[i])]++;
        int bucket = 0, before = 0;
        while (before + counts[bucket] <= k) before += counts[bucket++];
        var inBucket = new T[counts[bucket]];
        var m = 0;
        for (var i = 0; i < n; i++)
            if (Bucket(values[i]) == bucket) inBucket[m++] = values[i];
        Array.Sort(inBucket);
        return inBucket[k - before];
    }
}
