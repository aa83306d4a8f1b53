using System.Collections;

namespace Sentire.Audio.Prosody;

/// <summary>
/// Per-frame values of a long recording, appended in time order and stored in blocks of 64 Ki values: no doubling
/// slack and no copy as it grows (a 10-hour recording has 3.6 million 10 ms frames: 14 MB of floats, not up to 32).
/// </summary>
public sealed class FrameValues<T> : IReadOnlyList<T> where T : unmanaged
{
    const int BlockBits = 16, BlockSize = 1 << BlockBits;
    readonly List<T[]> blocks = [];

    public int Count { get; private set; }

    public T this[int index] =>
        (uint)index < (uint)Count ? blocks[index >> BlockBits][index & (BlockSize - 1)] : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Count} values");

    public void Add(T value)
    {
        if ((Count & (BlockSize - 1)) == 0) blocks.Add(new T[BlockSize]);
        blocks[^1][Count & (BlockSize - 1)] = value;
        Count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return blocks[i >> BlockBits][i & (BlockSize - 1)];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The values in order, block by block.</summary>
    public IEnumerable<ReadOnlyMemory<T>> Blocks()
    {
        for (var b = 0; b < blocks.Count; b++) yield return blocks[b].AsMemory(0, Math.Min(BlockSize, Count - b * BlockSize));
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
