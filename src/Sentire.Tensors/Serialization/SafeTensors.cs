using Sentire.IO;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sentire.Tensors.Serialization;

/// <summary>
/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors, "Format" section).
/// Reading maps the file and converts every supported dtype to float32; writing produces F32 (or F16/BF16)
/// with keys sorted, "__metadata__" first, the header padded with spaces so the data section starts 8-byte
/// aligned, and the file replaced atomically.
/// </summary>
public static class SafeTensors
{
    /// <summary>Opens a file for lazy, per-tensor reading (dispose it to unmap).</summary>
    public static SafeTensorsFile Open(string path) => SafeTensorsFile.Open(path);

    /// <summary>Loads every tensor of a file as float32.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        return file.LoadAll();
    }

    /// <summary>The checkpoint files of a Hugging Face model folder, in the order <see cref="OpenModel"/> prefers them.</summary>
    public static IReadOnlyList<string> ModelFileNames { get; } =
        ["model.safetensors", ShardedSafeTensors.DefaultIndexName, "pytorch_model.bin", ShardedSafeTensors.TorchIndexName];

    /// <summary>
    /// Opens a Hugging Face checkpoint lazily: a .safetensors file, a torch.save archive (.bin, .pt, .pth, read by the
    /// restricted <see cref="TorchCheckpointFile"/>), a "*.index.json" of shards of either, or a folder holding one of
    /// <see cref="ModelFileNames"/> (the first present wins: safetensors before pytorch_model.bin, a single file before shards).
    /// </summary>
    public static ITensorStore OpenModel(string path)
    {
        if (Directory.Exists(path))
        {
            foreach (var name in ModelFileNames)
                if (File.Exists(Path.Combine(path, name))) return OpenModel(Path.Combine(path, name));
            throw new FileNotFoundException($"{path}: none of {string.Join(", ", ModelFileNames)} is in this folder");
        }
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ShardedSafeTensors.Open(path) : OpenFile(path);
    }

    /// <summary>Opens one checkpoint file: a torch.save archive when its name ends in .bin, .pt or .pth or it starts
    /// like a zip archive, otherwise a safetensors file.</summary>
    public static ITensorStore OpenFile(string path) =>
        IsTorchCheckpoint(path) ? TorchCheckpointFile.Open(path) : SafeTensorsFile.Open(path);

    static bool IsTorchCheckpoint(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".bin" or ".pt" or ".pth") return true;
        if (extension == ".safetensors") return false;
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path); // FileNotFoundException names the path
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic.SequenceEqual("PK\x03\x04"u8);
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType dtype = SafeTensorsDType.F32) =>
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata, dtype));

    /// <summary>Writes the format to a stream (no atomicity; <see cref="Write"/> adds it).</summary>
    public static void WriteTo(Stream stream, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, SafeTensorsDType dtype = SafeTensorsDType.F32)
    {
        SafeTensorsDTypes.EnsureLittleEndianHost();
        if (dtype is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16))
            throw new NotSupportedException($"writing {dtype} is not supported (F32, F16 and BF16 are)");
        var names = tensors.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var name in names)
            if (name.Length == 0 || name == "__metadata__")
                throw new ArgumentException($"\"{name}\" cannot name a tensor in safetensors");

        var header = BuildHeader(names, tensors, metadata, dtype);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);

        int elementSize = dtype.ElementSize();
        var buffer = dtype == SafeTensorsDType.F32 ? null : new byte[(1 << 16) * elementSize];
        foreach (var name in names)
        {
            var data = tensors[name].Data;
            if (buffer is null) { stream.Write(MemoryMarshal.AsBytes(data)); continue; }
            for (int start = 0; start < data.Length; start += 1 << 16)
            {
                int n = Math.Min(1 << 16, data.Length - start);
                var bytes = buffer.AsSpan(0, n * elementSize);
                SafeTensorsDTypes.FromSingle(dtype, data.Slice(start, n), bytes);
                stream.Write(bytes);
            }
        }
    }

    static byte[] BuildHeader(string[] names, IReadOnlyDictionary<string, Tensor> tensors,
        IReadOnlyDictionary<string, string>? metadata, SafeTensorsDType dtype)
    {
        using var json = new MemoryStream();
        // Relaxed escaping: the header is not HTML, and metadata often carries JSON text that should stay readable.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var key in metadata.Keys.Order(StringComparer.Ordinal)) writer.WriteString(key, metadata[key]);
                writer.WriteEndObject();
            }
            long offset = 0;
            var dtypeName = dtype.ToString();
            foreach (var name in names)
            {
                var t = tensors[name];
                long bytes = (long)t.Length * dtype.ElementSize();
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtypeName);
                writer.WriteStartArray("shape");
                foreach (int s in t.Shape) writer.WriteNumberValue(s);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }
            writer.WriteEndObject();
        }
        // Pad with spaces so that 8 + header length is a multiple of 8: the data section starts aligned.
        int unpadded = (int)json.Length;
        var header = new byte[(unpadded + 7) / 8 * 8];
        json.GetBuffer().AsSpan(0, unpadded).CopyTo(header);
        header.AsSpan(unpadded).Fill((byte)' ');
        return header;
    }
}
