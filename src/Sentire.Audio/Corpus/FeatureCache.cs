using Sentire.IO;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sentire.Audio.Dsp;

namespace Sentire.Audio.Corpus;

/// <summary>A cache file that cannot be used: wrong magic, version or a truncated/inconsistent layout.</summary>
public sealed class FeatureCacheFormatException(string filePath, string problem) : IOException($"{filePath}: {problem}")
{
    public string FilePath { get; } = filePath;
}

/// <summary>Features of one corpus under one configuration, computed once and kept on disk so that training epochs read
/// them instead of decoding and transforming audio again. One file per (corpus, configuration):
/// <c>&lt;corpus&gt;.&lt;first 16 hex digits of SHA-256(config key)&gt;.features</c> in the cache folder.
/// The file is rebuilt when the configuration key, the list of utterances or the content of any audio file changes,
/// detected through two SHA-256 digests in its header. The source digest reads the audio bytes, not paths or file times,
/// so a copy of the corpora elsewhere (or the same files touched) keeps its caches; hashing all our corpora (about 250 MB)
/// takes a few seconds (sha256sum over them: 2.8 s on a busy 2-core machine). Files are written to a temporary name beside the target,
/// flushed and renamed over it, so readers and crashes never see a partial file.
///
/// Layout (little-endian): magic "SNTRFEAT", int32 version, 32-byte config digest, 32-byte source digest, int32 count,
/// int64 index offset; float32 data from byte 128 on (64-byte aligned); the index at the end: per utterance a UTF-8 id
/// (int32 length + bytes), int32 rows, int32 columns, int64 offset of its first value (in floats from the data start).</summary>
public sealed class FeatureCache(string folder)
{
    internal static ReadOnlySpan<byte> Magic => "SNTRFEAT"u8;
    internal const int Version = 1;
    internal const int DataStart = 128;

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Where the features of <paramref name="corpus"/> under <paramref name="configKey"/> are kept.</summary>
    public string PathFor(string corpus, string configKey) =>
        Path.Combine(Folder, $"{corpus}.{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configKey)))[..16]}.features");

    /// <summary>Opens the cached features of <paramref name="utterances"/> (all of one corpus), computing and writing them with
    /// <paramref name="extract"/> first when the file is missing, stale or unreadable. <paramref name="configKey"/> must
    /// describe everything that changes the features (extractor name and version, sample rate, window, mel bins...).</summary>
    public CachedFeatures Open(string corpus, IReadOnlyList<Utterance> utterances, string configKey, Func<Utterance, FeatureMatrix> extract)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("feature cache files are little-endian float32");
        var stray = utterances.FirstOrDefault(u => u.Corpus != corpus);
        if (stray is not null)
            throw new ArgumentException($"utterance {stray.Id} belongs to corpus '{stray.Corpus}', not '{corpus}'", nameof(utterances));
        var path = PathFor(corpus, configKey);
        var configDigest = SHA256.HashData(Encoding.UTF8.GetBytes(configKey));
        var sourceDigest = SourceDigest(utterances);
        if (File.Exists(path))
        {
            try
            {
                var cached = CachedFeatures.Map(path);
                if (cached.ConfigDigest.SequenceEqual(configDigest) && cached.SourceDigest.SequenceEqual(sourceDigest))
                    return cached;
                cached.Dispose();
            }
            catch (FeatureCacheFormatException)
            {
                // Unreadable (e.g. written by another version): rebuilt below.
            }
        }
        Directory.CreateDirectory(Folder);
        AtomicFile.Write(path, stream => Write(stream, utterances, configDigest, sourceDigest, extract));
        var rebuilt = CachedFeatures.Map(path);
        rebuilt.WasRebuilt = true;
        return rebuilt;
    }

    /// <summary>Opens the features of <paramref name="recipe"/> for one corpus (see the other overload).</summary>
    public CachedFeatures Open(string corpus, IReadOnlyList<Utterance> utterances, FeatureRecipe recipe) =>
        Open(corpus, utterances, recipe.ConfigKey, recipe.Extract);

    /// <summary>SHA-256 over each utterance's id, audio file size and SHA-256 of the audio bytes, in the given order.</summary>
    static byte[] SourceDigest(IReadOnlyList<Utterance> utterances)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        Span<byte> content = stackalloc byte[SHA256.HashSizeInBytes];
        foreach (var u in utterances)
        {
            FileStream file;
            try { file = File.OpenRead(u.AudioPath); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new FileNotFoundException($"Audio file of {u.Id} not found: {u.AudioPath}", u.AudioPath);
            }
            using (file)
            {
                BinaryPrimitives.WriteInt64LittleEndian(number, file.Length);
                SHA256.HashData(file, content);
            }
            hash.AppendData(Encoding.UTF8.GetBytes(u.Id + "\n"));
            hash.AppendData(number);
            hash.AppendData(content);
        }
        return hash.GetHashAndReset();
    }

    static void Write(Stream stream, IReadOnlyList<Utterance> utterances, byte[] configDigest, byte[] sourceDigest,
        Func<Utterance, FeatureMatrix> extract)
    {
        stream.Write(new byte[DataStart]); // header, filled in last
        var index = new List<(string Id, int Rows, int Columns, long Offset)>(utterances.Count);
        long offset = 0;
        foreach (var u in utterances)
        {
            var features = extract(u);
            stream.Write(MemoryMarshal.AsBytes(features.Data.AsSpan()));
            index.Add((u.Id, features.Rows, features.Columns, offset));
            offset += features.Data.Length;
        }
        var indexOffset = stream.Position;
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            foreach (var (id, rows, columns, start) in index)
            {
                var bytes = Encoding.UTF8.GetBytes(id);
                writer.Write(bytes.Length);
                writer.Write(bytes);
                writer.Write(rows);
                writer.Write(columns);
                writer.Write(start);
            }
        }
        var header = new byte[DataStart];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        configDigest.CopyTo(header, 12);
        sourceDigest.CopyTo(header, 44);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(76), index.Count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(80), indexOffset);
        stream.Position = 0;
        stream.Write(header);
    }
}

/// <summary>A memory-mapped features file of <see cref="FeatureCache"/>: each utterance's matrix is read in place.</summary>
public sealed unsafe class CachedFeatures : IDisposable
{
    readonly MappedFile _file;
    readonly byte* _base;
    readonly long _length;
    readonly Dictionary<string, (int Rows, int Columns, long Offset)> _index;

    CachedFeatures(string path, MappedFile file)
    {
        FilePath = path;
        _file = file;
        _base = file.Pointer;
        long length = _length = file.Length;
        var header = new ReadOnlySpan<byte>(_base, (int)Math.Min(length, FeatureCache.DataStart));
        if (length < FeatureCache.DataStart || !header[..8].SequenceEqual(FeatureCache.Magic))
            throw new FeatureCacheFormatException(path, "not a Sentire features file (magic SNTRFEAT missing)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != FeatureCache.Version)
            throw new FeatureCacheFormatException(path, $"version {version}, expected {FeatureCache.Version}");
        ConfigDigest = header.Slice(12, 32).ToArray();
        SourceDigest = header.Slice(44, 32).ToArray();
        var count = BinaryPrimitives.ReadInt32LittleEndian(header[76..]);
        var indexOffset = BinaryPrimitives.ReadInt64LittleEndian(header[80..]);
        if (count < 0 || indexOffset < FeatureCache.DataStart || indexOffset > length)
            throw new FeatureCacheFormatException(path, $"header gives {count} entries and index at byte {indexOffset} of {length}");
        var floats = (indexOffset - FeatureCache.DataStart) / sizeof(float);
        _index = new Dictionary<string, (int, int, long)>(count, StringComparer.Ordinal);
        var position = indexOffset;
        for (var i = 0; i < count; i++)
        {
            var idLength = ReadInt32(ref position);
            if (idLength < 0 || position + idLength > length)
                throw new FeatureCacheFormatException(path, $"index entry {i} is truncated");
            var id = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(_base + position, idLength));
            position += idLength;
            var rows = ReadInt32(ref position);
            var columns = ReadInt32(ref position);
            var offset = ReadInt64(ref position);
            if (rows < 0 || columns < 0 || offset < 0 || offset + (long)rows * columns > floats)
                throw new FeatureCacheFormatException(path, $"entry {id} ({rows} x {columns} at {offset}) lies outside the {floats} stored values");
            _index[id] = (rows, columns, offset);
        }
    }

    internal static CachedFeatures Map(string path)
    {
        var length = new FileInfo(path).Length;
        if (length < FeatureCache.DataStart)
            throw new FeatureCacheFormatException(path, $"{length} bytes, shorter than the {FeatureCache.DataStart}-byte header");
        var file = MappedFile.Open(path);
        try
        {
            return new CachedFeatures(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public string FilePath { get; }

    /// <summary>True when <see cref="FeatureCache.Open"/> had to compute the features (missing or stale file).</summary>
    public bool WasRebuilt { get; internal set; }

    internal byte[] ConfigDigest { get; }
    internal byte[] SourceDigest { get; }

    public int Count => _index.Count;

    public bool Contains(string id) => _index.ContainsKey(id);

    /// <summary>The utterance ids held, in no particular order.</summary>
    public IEnumerable<string> Ids => _index.Keys;

    /// <summary>Shape of an utterance's features.</summary>
    public (int Rows, int Columns) Shape(string id)
    {
        var (rows, columns, _) = Entry(id);
        return (rows, columns);
    }

    /// <summary>The stored values of <paramref name="id"/>, row-major, read in place (valid until disposal).</summary>
    public ReadOnlySpan<float> Values(string id)
    {
        var (rows, columns, offset) = Entry(id);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ReadOnlySpan<float>(_base + FeatureCache.DataStart + offset * sizeof(float), rows * columns);
    }

    /// <summary>A copy of the features of <paramref name="id"/>.</summary>
    public FeatureMatrix Read(string id)
    {
        var (rows, columns) = Shape(id);
        return new FeatureMatrix(rows, columns, Values(id).ToArray());
    }

    (int Rows, int Columns, long Offset) Entry(string id) =>
        _index.TryGetValue(id, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{FilePath} holds no features for utterance '{id}'");

    int ReadInt32(ref long position)
    {
        if (position + 4 > _length) throw new FeatureCacheFormatException(FilePath, "index is truncated");
        var value = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(_base + position, 4));
        position += 4;
        return value;
    }

    long ReadInt64(ref long position)
    {
        if (position + 8 > _length) throw new FeatureCacheFormatException(FilePath, "index is truncated");
        var value = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(_base + position, 8));
        position += 8;
        return value;
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file.Dispose();
    }
}
