using System.Buffers.Binary;
using System.Collections;
using System.Text.Json;
using Sentire.IO;

namespace Sentire.Tensors.Serialization;

/// <summary>Where one tensor lives in a safetensors file: dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, int[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (n, size) => n * size);
}

/// <summary>
/// A safetensors file opened for reading (format: https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {..}},
/// then the data section that the offsets index. The file is memory-mapped; a tensor is converted to float32
/// only when asked for (indexer, <see cref="Get"/>), so opening a multi-gigabyte checkpoint costs only its header.
/// Every access returns a fresh copy. The header is validated completely on open: offsets inside the data
/// section, sizes equal to dtype size times shape, no overlaps and no holes (as the reference implementation).
/// </summary>
public sealed unsafe class SafeTensorsFile : ITensorStore
{
    /// <summary>The reference implementation refuses headers above 100 MB; so do we.</summary>
    const long MaxHeaderBytes = 100_000_000;
    const string MetadataKey = "__metadata__";

    readonly MappedFile file;
    readonly Dictionary<string, SafeTensorInfo> entries;
    byte* mapped;   // start of the file; null once disposed
    readonly long dataStart;

    /// <summary>The file's path as given.</summary>
    public string FilePath { get; }

    /// <summary>The header's "__metadata__" string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Header entries, in the order of the header.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Entries => entries;

    SafeTensorsFile(string path, MappedFile file, long dataStart, Dictionary<string, SafeTensorInfo> entries, Dictionary<string, string> metadata)
    {
        FilePath = path;
        this.file = file;
        mapped = file.Pointer;
        this.dataStart = dataStart;
        this.entries = entries;
        Metadata = metadata;
    }

    /// <summary>Maps <paramref name="path"/> and validates its header; throws <see cref="SafeTensorsFormatException"/> when it is broken.</summary>
    public static SafeTensorsFile Open(string path)
    {
        SafeTensorsDTypes.EnsureLittleEndianHost();
        long fileLength = new FileInfo(path).Length; // FileNotFoundException names the path
        if (fileLength < 8)
            throw new SafeTensorsFormatException(path, $"file is {fileLength} bytes, shorter than the 8-byte header length");

        var file = MappedFile.Open(path);
        try
        {
            byte* mapped = file.Pointer;
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(mapped, 8));
            if (headerLength > (ulong)(fileLength - 8))
                throw new SafeTensorsFormatException(path, $"header length {headerLength} runs past the end of the file ({fileLength} bytes, so at most {fileLength - 8})");
            if ((long)headerLength > MaxHeaderBytes)
                throw new SafeTensorsFormatException(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
            var header = new ReadOnlySpan<byte>(mapped + 8, (int)headerLength);
            long dataStart = 8 + (long)headerLength;
            var (entries, metadata) = ParseHeader(path, header, fileLength - dataStart);
            return new SafeTensorsFile(path, file, dataStart, entries, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new SafeTensorsFormatException(path, "header does not start with '{'");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw new SafeTensorsFormatException(path, $"header is not valid JSON: {e.Message}", e); }

        using (doc)
        {
            var entries = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(path, $"header is a JSON {doc.RootElement.ValueKind}, expected an object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SafeTensorsFormatException(path, $"\"{MetadataKey}\" is a JSON {property.Value.ValueKind}, expected an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                            : throw new SafeTensorsFormatException(path, $"metadata value \"{m.Name}\" is a JSON {m.Value.ValueKind}, expected a string");
                    continue;
                }
                if (entries.ContainsKey(property.Name))
                    throw new SafeTensorsFormatException(path, $"tensor \"{property.Name}\" appears twice in the header");
                entries[property.Name] = ParseEntry(path, property.Name, property.Value, dataLength);
            }
            CheckCoverage(path, entries.Values, dataLength);
            return (entries, metadata);
        }
    }

    static SafeTensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        SafeTensorsFormatException Bad(string problem) => new(path, $"tensor \"{name}\": {problem}");
        if (e.ValueKind != JsonValueKind.Object) throw Bad($"entry is a JSON {e.ValueKind}, expected an object");
        if (!e.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String)
            throw Bad("missing string \"dtype\"");
        var dtypeName = dtypeJson.GetString()!;
        var dtype = SafeTensorsDTypes.Parse(dtypeName)
            ?? throw Bad($"dtype \"{dtypeName}\" is not supported (expected one of {string.Join(", ", Enum.GetNames<SafeTensorsDType>())})");

        if (!e.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array)
            throw Bad("missing array \"shape\"");
        var shape = new int[shapeJson.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (var s in shapeJson.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out long size) || size < 0)
                throw Bad($"shape entry {s} is not a non-negative integer");
            if (size > int.MaxValue) throw Bad($"dimension {size} exceeds the engine's limit of {int.MaxValue}");
            shape[d++] = (int)size;
            try { count = checked(count * size); }
            catch (OverflowException) { throw Bad($"shape [{string.Join(", ", shape[..d])}...] has more elements than a 64-bit count holds"); }
        }

        if (!e.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array || offsetsJson.GetArrayLength() != 2)
            throw Bad("missing \"data_offsets\" [begin, end]");
        long[] offsets = new long[2];
        for (int i = 0; i < 2; i++)
        {
            var o = offsetsJson[i];
            if (o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out offsets[i]) || offsets[i] < 0)
                throw Bad($"data offset {o} is not a non-negative integer");
        }
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw Bad($"data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength) throw Bad($"data_offsets [{begin}, {end}] run past the data section ({dataLength} bytes)");
        long expectedBytes;
        try { expectedBytes = checked(count * dtype.ElementSize()); }
        catch (OverflowException) { throw Bad("byte size overflows"); }
        if (end - begin != expectedBytes)
            throw Bad($"data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtype} [{string.Join(", ", shape)}] needs {expectedBytes}");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>Tensors must tile the data section exactly: the spec forbids holes (no room for a polyglot payload).</summary>
    static void CheckCoverage(string path, IEnumerable<SafeTensorInfo> entries, long dataLength)
    {
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in entries.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin < covered)
                throw new SafeTensorsFormatException(path, $"tensor \"{t.Name}\" [{t.Begin}, {t.End}] overlaps tensor \"{previous!.Name}\" [{previous.Begin}, {previous.End}]");
            if (t.Begin > covered)
                throw new SafeTensorsFormatException(path, $"bytes [{covered}, {t.Begin}) of the data section belong to no tensor (before \"{t.Name}\")");
            covered = t.End;
            previous = t;
        }
        if (covered != dataLength)
            throw new SafeTensorsFormatException(path, $"tensors cover {covered} bytes but the data section holds {dataLength}");
    }

    /// <summary>Loads one tensor as float32 (a new tensor each call).</summary>
    public Tensor Get(string name)
    {
        if (!entries.TryGetValue(name, out var info))
            throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the file)");
        return Load(info);
    }

    public int[] ShapeOf(string name) => entries.TryGetValue(name, out var info) ? (int[])info.Shape.Clone()
        : throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the file)");

    public SafeTensorsDType DTypeOf(string name) => entries.TryGetValue(name, out var info) ? info.DType
        : throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the file)");

    Tensor Load(SafeTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(mapped == null, this);
        if (info.ElementCount > Array.MaxLength)
            throw new NotSupportedException($"{FilePath}: tensor \"{info.Name}\" has {info.ElementCount} elements, more than one float array holds");
        var tensor = Tensor.Empty(info.Shape);
        var destination = tensor.Data;
        int elementSize = info.DType.ElementSize();
        // Convert in chunks so a byte span never exceeds int.MaxValue even for 8-byte dtypes.
        const int chunk = 1 << 24;
        for (int start = 0; start < destination.Length; start += chunk)
        {
            int n = Math.Min(chunk, destination.Length - start);
            var source = new ReadOnlySpan<byte>(mapped + dataStart + info.Begin + (long)start * elementSize, n * elementSize);
            SafeTensorsDTypes.ToSingle(info.DType, source, destination.Slice(start, n));
        }
        return tensor;
    }

    /// <summary>Loads every tensor (header order).</summary>
    public Dictionary<string, Tensor> LoadAll()
    {
        var all = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var info in entries.Values) all[info.Name] = Load(info);
        return all;
    }

    public void Dispose()
    {
        if (mapped == null) return;
        mapped = null;
        file.Dispose();
    }

    // ---- IReadOnlyDictionary: lazy, each access converts anew ----------------------------------

    public Tensor this[string key] => Get(key);
    public IEnumerable<string> Keys => entries.Keys;
    public IEnumerable<Tensor> Values => entries.Values.Select(Load);
    public int Count => entries.Count;
    public bool ContainsKey(string key) => entries.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
    {
        value = entries.TryGetValue(key, out var info) ? Load(info) : null;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        foreach (var info in entries.Values) yield return new(info.Name, Load(info));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
