using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Sentire.IO;

namespace Sentire.Tensors.Serialization;

/// <summary>One tensor of a torch.save checkpoint: its element type, its view (shape, strides in elements, offset into
/// the storage) and the storage it views; several tensors may share a storage.</summary>
public sealed record TorchTensorInfo(string Name, SafeTensorsDType DType, int[] Shape, long[] Stride, long StorageOffset, string StorageKey)
{
    public long ElementCount => Shape.Aggregate(1L, (n, size) => n * size);

    /// <summary>Row-major with no gaps (dimensions of size 1 may have any stride), so the elements are read in one run.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int d = Shape.Length - 1; d >= 0; d--)
            {
                if (Shape[d] == 0) return true;
                if (Shape[d] != 1 && Stride[d] != expected) return false;
                expected *= Shape[d];
            }
            return true;
        }
    }
}

/// <summary>
/// A PyTorch checkpoint written by torch.save (PyTorch >= 1.6, the zip format: pytorch_model.bin, *.pt, *.pth) read
/// without running code. The archive holds "{archive}/data.pkl", a pickle of the saved object in which every storage is
/// a persistent id, and "{archive}/data/{key}", the raw little-endian bytes of each storage, stored uncompressed. The
/// file is memory-mapped and the pickle is read by a restricted unpickler (<see cref="TorchUnpickler"/>) that builds
/// only tensors, storages and containers and refuses every other global, the guarantee of torch.load(weights_only=True).
/// The saved object must be a dict (a state dict, or a dict holding one): nested dicts and lists are flattened with
/// "." ({"model": {"fc.weight": t}} gives "model.fc.weight", a list's items "name.0", "name.1"), and the scalars beside the
/// tensors (ints, floats, strings, bools) become <see cref="Metadata"/>. A tensor is converted to float32 when asked for,
/// views (storage offsets, strides, shared storages) materialised contiguous; F32, F16, BF16, F64 and integer storages
/// (e.g. BatchNorm's int64 num_batches_tracked) are read.
/// </summary>
public sealed unsafe class TorchCheckpointFile : ITensorStore
{
    /// <summary>A state dict's pickle is a few bytes per tensor; one above this is not a checkpoint.</summary>
    const long MaxPickleBytes = 256L << 20;
    const int MaxDepth = 64;

    readonly Action release;      // unmaps the file, or unpins the array of FromBytes
    byte* mapped;                 // start of the archive; null once disposed
    readonly Dictionary<string, (TorchTensorInfo Info, long DataOffset)> entries;

    /// <summary>The file's path as given.</summary>
    public string FilePath { get; }

    /// <summary>The scalars saved beside the tensors ("epoch" -> "3"), as text; empty for a bare state dict.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor descriptions, in the order the pickle holds them.</summary>
    public IReadOnlyDictionary<string, TorchTensorInfo> Entries { get; }

    TorchCheckpointFile(string path, Action release, byte* mapped,
        Dictionary<string, (TorchTensorInfo, long)> entries, Dictionary<string, string> metadata)
    {
        FilePath = path;
        this.release = release;
        this.mapped = mapped;
        this.entries = entries;
        Entries = entries.ToDictionary(e => e.Key, e => e.Value.Item1, StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>Maps <paramref name="path"/> and reads its pickle; throws <see cref="TorchCheckpointFormatException"/>
    /// when the file is broken or names a global that is not allowed.</summary>
    public static TorchCheckpointFile Open(string path)
    {
        SafeTensorsDTypes.EnsureLittleEndianHost();
        long length = new FileInfo(path).Length; // FileNotFoundException names the path
        if (length < 4) throw new TorchCheckpointFormatException(path, $"the file is {length} bytes, too short for a torch.save archive");
        var file = MappedFile.Open(path);
        try
        {
            var (entries, metadata) = Parse(path, file.Pointer, length);
            return new TorchCheckpointFile(path, file.Dispose, file.Pointer, entries, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads a checkpoint held in memory (<paramref name="name"/> names it in errors); the array is pinned until disposal.</summary>
    public static TorchCheckpointFile FromBytes(byte[] bytes, string name)
    {
        SafeTensorsDTypes.EnsureLittleEndianHost();
        if (bytes.Length < 4) throw new TorchCheckpointFormatException(name, $"the file is {bytes.Length} bytes, too short for a torch.save archive");
        var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        try
        {
            var pointer = (byte*)pin.AddrOfPinnedObject();
            var (entries, metadata) = Parse(name, pointer, bytes.Length);
            return new TorchCheckpointFile(name, pin.Free, pointer, entries, metadata);
        }
        catch
        {
            pin.Free();
            throw;
        }
    }

    static (Dictionary<string, (TorchTensorInfo, long)>, Dictionary<string, string>) Parse(string path, byte* archive, long length)
    {
        TorchCheckpointFormatException Bad(string problem) => new(path, problem);
        // 1) a zip archive, not the legacy format of torch < 1.6 (a bare pickle stream, or a tar)
        if (archive[0] != 'P' || archive[1] != 'K' || archive[2] != 3 || archive[3] != 4)
            throw Bad(archive[0] == 0x80
                ? "this is the legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False), which is not read: re-save it with a current PyTorch"
                : "not a torch.save zip archive (it does not start with a zip local header)");
        var zip = StoredZip.ReadEntries(path, archive, length);

        // 2) the one "{archive}/data.pkl"; its folder name is the archive name (torch writes the file's stem or "archive")
        var pickles = zip.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - "/data.pkl".Length).ToList();
        if (pickles.Count != 1)
            throw Bad(pickles.Count == 0 ? "the zip archive holds no {archive}/data.pkl: not a torch.save checkpoint"
                : $"the zip archive holds {pickles.Count} data.pkl records ({string.Join(", ", pickles)})");
        var prefix = pickles[0][..^"data.pkl".Length];
        if (zip.TryGetValue(prefix + "byteorder", out var order))
        {
            var text = Encoding.ASCII.GetString(new ReadOnlySpan<byte>(archive + order.DataOffset, (int)Math.Min(order.Length, 16)));
            if (text != "little") throw Bad($"{prefix}byteorder is \"{text}\"; only little-endian checkpoints are read");
        }
        var pickle = zip[pickles[0]];
        if (pickle.Length > MaxPickleBytes) throw Bad($"{pickles[0]} is {pickle.Length} bytes (more than {MaxPickleBytes}): not a state dict");

        // 3) the restricted unpickler; then every storage it names must exist with exactly its size
        var (root, storages) = TorchUnpickler.Load(path, new ReadOnlySpan<byte>(archive + pickle.DataOffset, (int)pickle.Length).ToArray());
        var storageData = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var storage in storages.Values)
        {
            var entryName = $"{prefix}data/{storage.Key}";
            if (!zip.TryGetValue(entryName, out var entry)) throw Bad($"storage \"{storage.Key}\" has no record {entryName}");
            long bytes;
            try { bytes = checked(storage.ElementCount * storage.DType.ElementSize()); }
            catch (OverflowException) { throw Bad($"storage \"{storage.Key}\" claims {storage.ElementCount} elements"); }
            if (entry.Length != bytes)
                throw Bad($"storage \"{storage.Key}\" ({storage.TypeName} of {storage.ElementCount}) needs {bytes} bytes but {entryName} holds {entry.Length}");
            storageData[storage.Key] = entry.DataOffset;
        }

        // 4) flatten the saved object into tensor names and metadata
        if (root is not TorchUnpickler.Dict dict)
            throw Bad($"the checkpoint holds {Describe(root)}, expected a dict of tensors (a state dict)");
        var entries = new Dictionary<string, (TorchTensorInfo, long)>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        // Shared containers are walked once per reference; the budget keeps a pickle that repeats references to
        // references (or a list that holds itself) from walking more nodes than its size allows.
        long budget = pickle.Length + 16;
        void Walk(object? node, string name, int depth)
        {
            if (--budget < 0) throw Bad("the pickle's containers repeat shared references more often than a checkpoint of its size can");
            if (depth > MaxDepth) throw Bad($"containers nested deeper than {MaxDepth} levels at \"{name}\"");
            switch (node)
            {
                case TorchTensorView view:
                    if (entries.ContainsKey(name)) throw Bad($"two tensors flatten to the name \"{name}\"");
                    var info = new TorchTensorInfo(name, view.Storage.DType, view.Shape, view.Stride, view.StorageOffset, view.Storage.Key);
                    entries[name] = (info, storageData[view.Storage.Key]);
                    break;
                case TorchUnpickler.Dict d:
                    foreach (var (key, value) in d.Items) Walk(value, Join(name, key switch
                    {
                        string s => s,
                        long i => i.ToString(CultureInfo.InvariantCulture),
                        _ => throw Bad($"a dict key at \"{name}\" is {Describe(key)}, expected a string or an int"),
                    }), depth + 1);
                    break;
                case List<object?> list:
                    for (int i = 0; i < list.Count; i++) Walk(list[i], Join(name, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                case TorchUnpickler.Tuple tuple:
                    for (int i = 0; i < tuple.Items.Length; i++) Walk(tuple.Items[i], Join(name, i.ToString(CultureInfo.InvariantCulture)), depth + 1);
                    break;
                case string s: metadata[name] = s; break;
                case long i: metadata[name] = i.ToString(CultureInfo.InvariantCulture); break;
                case double x: metadata[name] = x.ToString("R", CultureInfo.InvariantCulture); break;
                case bool b: metadata[name] = b ? "True" : "False"; break;
                default: break; // None, bytes and bare storages carry no tensor
            }
        }
        Walk(dict, "", 0);
        return (entries, metadata);
    }

    static string Join(string prefix, string key) => prefix.Length == 0 ? key : $"{prefix}.{key}";

    static string Describe(object? o) => o switch
    {
        null => "None",
        TorchTensorView => "a single tensor",
        List<object?> => "a list",
        TorchUnpickler.Tuple => "a tuple",
        _ => $"a {o.GetType().Name}",
    };

    /// <summary>Loads one tensor as float32, contiguous (a new tensor each call).</summary>
    public Tensor Get(string name)
    {
        if (!entries.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the checkpoint)");
        return Load(entry.Info, entry.DataOffset);
    }

    public int[] ShapeOf(string name) => entries.TryGetValue(name, out var entry) ? (int[])entry.Info.Shape.Clone()
        : throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the checkpoint)");

    public SafeTensorsDType DTypeOf(string name) => entries.TryGetValue(name, out var entry) ? entry.Info.DType
        : throw new KeyNotFoundException($"{FilePath}: no tensor named \"{name}\" ({entries.Count} tensors in the checkpoint)");

    Tensor Load(TorchTensorInfo info, long dataOffset)
    {
        ObjectDisposedException.ThrowIf(mapped == null, this);
        long count = info.ElementCount;
        if (count > Array.MaxLength)
            throw new NotSupportedException($"{FilePath}: tensor \"{info.Name}\" has {count} elements, more than one float array holds");
        var tensor = Tensor.Empty(info.Shape);
        if (count == 0) return tensor;
        var destination = tensor.Data;
        int size = info.DType.ElementSize();
        byte* storage = mapped + dataOffset;
        if (info.IsContiguous)
        {
            // Convert in chunks so a byte span never exceeds int.MaxValue even for 8-byte dtypes.
            const int chunk = 1 << 24;
            for (int start = 0; start < destination.Length; start += chunk)
            {
                int n = Math.Min(chunk, destination.Length - start);
                var source = new ReadOnlySpan<byte>(storage + (info.StorageOffset + start) * size, n * size);
                SafeTensorsDTypes.ToSingle(info.DType, source, destination.Slice(start, n));
            }
            return tensor;
        }
        // A strided view: walk the leading dimensions as an odometer and copy one row of the last dimension at a time.
        int rank = info.Shape.Length;
        int rowLength = info.Shape[^1];
        long rowStride = info.Stride[^1];
        var index = new int[rank - 1];
        for (int row = 0, rows = destination.Length / rowLength; row < rows; row++)
        {
            long start = info.StorageOffset;
            for (int d = 0; d < rank - 1; d++) start += index[d] * info.Stride[d];
            var target = destination.Slice(row * rowLength, rowLength);
            if (rowStride == 1)
                SafeTensorsDTypes.ToSingle(info.DType, new ReadOnlySpan<byte>(storage + start * size, rowLength * size), target);
            else
                for (int j = 0; j < rowLength; j++)
                    SafeTensorsDTypes.ToSingle(info.DType, new ReadOnlySpan<byte>(storage + (start + j * rowStride) * size, size), target.Slice(j, 1));
            for (int d = rank - 2; d >= 0 && ++index[d] == info.Shape[d]; d--) index[d] = 0;
        }
        return tensor;
    }

    /// <summary>Loads every tensor (pickle order).</summary>
    public Dictionary<string, Tensor> LoadAll()
    {
        var all = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in entries) all[name] = Load(entry.Info, entry.DataOffset);
        return all;
    }

    public void Dispose()
    {
        if (mapped == null) return;
        mapped = null;
        release();
    }

    // ---- IReadOnlyDictionary: lazy, each access converts anew ----------------------------------

    public Tensor this[string key] => Get(key);
    public IEnumerable<string> Keys => entries.Keys;
    public IEnumerable<Tensor> Values => entries.Values.Select(e => Load(e.Info, e.DataOffset));
    public int Count => entries.Count;
    public bool ContainsKey(string key) => entries.ContainsKey(key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
    {
        value = entries.TryGetValue(key, out var e) ? Load(e.Info, e.DataOffset) : null;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
    {
        foreach (var (name, e) in entries) yield return new(name, Load(e.Info, e.DataOffset));
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
