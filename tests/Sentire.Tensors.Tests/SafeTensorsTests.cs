using Sentire.IO;
using System.Buffers.Binary;
using System.Text;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests;

public sealed class SafeTensorsTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sentire-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static void AssertSameBits(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]) || (float.IsNaN(expected[i]) && float.IsNaN(actual[i])),
                $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
    }

    [Fact]
    public void FileWrittenByPythonReadsEveryDTypeAsTorchConvertsIt()
    {
        // The fixture stores each tensor X in its own dtype and "X.as_f32" = torch's X.float().
        using var file = SafeTensors.Open(RepoPaths.Fixture("engine/pytorch_written.safetensors"));
        Assert.Equal("pt", file.Metadata["format"]);
        var dtypes = new HashSet<SafeTensorsDType>();
        foreach (var name in file.Keys.Where(k => !k.EndsWith(".as_f32")))
        {
            var info = file.Entries[name];
            dtypes.Add(info.DType);
            var got = file.Get(name);
            var expected = file.Get(name + ".as_f32");
            Assert.Equal(expected.ShapeArray(), got.ShapeArray());
            AssertSameBits(expected.Data, got.Data, name);
        }
        Assert.Equal(Enum.GetValues<SafeTensorsDType>().ToHashSet(), dtypes);
        // Spot values known by hand: bf16 pi, int32 2^24+1 rounds to 2^24 in float32, f16 max.
        Assert.Equal(3.140625f, file.Get("bf16").Data[1]);
        Assert.Equal(16777216f, file.Get("i32")[0, 1]);
        Assert.Equal(65504f, file.Get("f16").Data[2]);
        Assert.Equal([], file.Get("scalar").ShapeArray());
        Assert.Equal(7.25f, file.Get("scalar").Item());
        Assert.Equal([0, 3], file.Get("empty").ShapeArray());
    }

    [Theory]
    [InlineData((ushort)0x3C00, 1f)]
    [InlineData((ushort)0xC000, -2f)]
    [InlineData((ushort)0x7BFF, 65504f)]
    [InlineData((ushort)0x0001, 5.9604645e-08f)]   // smallest subnormal, 2^-24
    [InlineData((ushort)0x7C00, float.PositiveInfinity)]
    [InlineData((ushort)0x3555, 0.33325195f)]
    public void Float16BitPatterns(ushort bits, float value)
    {
        Span<byte> raw = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(raw, bits);
        Span<float> decoded = stackalloc float[1];
        SafeTensorsDTypes.ToSingle(SafeTensorsDType.F16, raw, decoded);
        Assert.Equal(value, decoded[0]);
        SafeTensorsDTypes.FromSingle(SafeTensorsDType.F16, decoded, raw);
        Assert.Equal(bits, BinaryPrimitives.ReadUInt16LittleEndian(raw));
    }

    [Theory]
    [InlineData((ushort)0x3F80, 1f)]
    [InlineData((ushort)0x4049, 3.140625f)]
    [InlineData((ushort)0xFF80, float.NegativeInfinity)]
    [InlineData((ushort)0x0001, 9.18355e-41f)]     // smallest subnormal, 2^-133
    [InlineData((ushort)0xC2F7, -123.5f)]
    public void BFloat16BitPatterns(ushort bits, float value)
    {
        Assert.Equal(value, SafeTensorsDTypes.BFloat16ToSingle(bits));
        Assert.Equal(bits, SafeTensorsDTypes.SingleToBFloat16(value));
    }

    [Theory]
    [InlineData(0x3EAAAAABu, (ushort)0x3EAB)]   // 1/3 rounds up
    [InlineData(0x3F808000u, (ushort)0x3F80)]   // exact tie rounds to even (down)
    [InlineData(0x3F818000u, (ushort)0x3F82)]   // exact tie rounds to even (up)
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)]   // float max overflows to +inf
    public void BFloat16RoundsToNearestEven(uint floatBits, ushort expected) =>
        Assert.Equal(expected, SafeTensorsDTypes.SingleToBFloat16(BitConverter.UInt32BitsToSingle(floatBits)));

    [Theory]
    [InlineData(SafeTensorsDType.F32)]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    public void WriteThenReadRoundTripsThroughTheStoredPrecision(SafeTensorsDType dtype)
    {
        var values = new float[] { 0.1f, -1.5f, 1f / 3, 1000.25f, 0f, -0f, float.PositiveInfinity, 6e-5f };
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = Tensor.FromArray(values, 2, 4),
            ["a"] = Tensor.FromArray([1f, 2, 3], 3),
            ["scalar"] = Tensor.Scalar(2.5f),
            ["long"] = Tensor.FromArray(Enumerable.Range(0, 101).Select(i => i * 0.37f - 20f).ToArray(), 101),
        };
        var path = Path.Combine(dir, $"rt-{dtype}.safetensors");
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["note"] = "quote \" and + stay" }, dtype);

        using var file = SafeTensors.Open(path);
        Assert.Equal("quote \" and + stay", file.Metadata["note"]);
        Assert.Equal(["a", "b.weight", "long", "scalar"], file.Keys.ToArray());         // sorted keys, data in that order
        Assert.Equal([2, 4], file.Entries["b.weight"].Shape);
        Assert.Equal(dtype, file.Entries["b.weight"].DType);
        float Stored(float v) => dtype switch
        {
            SafeTensorsDType.F16 => (float)(Half)v,
            SafeTensorsDType.BF16 => SafeTensorsDTypes.BFloat16ToSingle(SafeTensorsDTypes.SingleToBFloat16(v)),
            _ => v,
        };
        var expected = values.Select(Stored).ToArray();
        AssertSameBits(expected, file.Get("b.weight").Data, "b.weight");
        Assert.Equal(2.5f, file.Get("scalar").Item());
        // Long enough for the vectorised conversions, with an odd tail.
        var longValues = file.Get("long").Data.ToArray();
        for (int i = 0; i < longValues.Length; i++)
            Assert.Equal(Stored(i * 0.37f - 20f), longValues[i]);

        // Header padded so that the data section starts 8-byte aligned, as the spec recommends.
        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        Assert.StartsWith("{\"__metadata__\"", Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
    }

    [Fact]
    public void TruncatedFileIsRejectedNamingTheFile()
    {
        var path = Path.Combine(dir, "truncated.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(4, 4) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("run past the data section (54 bytes)", e.Message);

        File.WriteAllBytes(path, bytes[..20]);   // cut inside the header
        e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("runs past the end of the file (20 bytes", e.Message);

        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("shorter than the 8-byte header length", Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Read(path)).Message);
    }

    static void WriteRaw(string path, string headerJson, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        using var f = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        f.Write(length);
        f.Write(header);
        f.Write(new byte[dataBytes]);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", 12, "tensor \"a\": data_offsets [0, 12] hold 12 bytes but F32 [2] needs 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "tensor \"b\" [4, 8] overlaps tensor \"a\" [0, 8]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 16, "bytes [0, 8) of the data section belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "tensors cover 8 bytes but the data section holds 12")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", 8, "header is not valid JSON")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "dtype \"Q4\" is not supported")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "shape entry -2 is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "data_offsets [8, 0] end before they begin")]
    [InlineData("""{"__metadata__":{"n":3}}""", 0, "metadata value \"n\" is a JSON Number, expected a string")]
    public void BrokenHeadersAreRejectedWithTheProblemAndTheFile(string header, int dataBytes, string problem)
    {
        var path = Path.Combine(dir, "bad.safetensors");
        WriteRaw(path, header, dataBytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensors.Open(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Problem);
    }

    [Fact]
    public void ShardedIndexPresentsAllShardsAsOneDictionary()
    {
        var model = Path.Combine(dir, "sharded");
        SafeTensors.Write(Path.Combine(model, "model-00001-of-00002.safetensors"),
            new Dictionary<string, Tensor> { ["embed.weight"] = Tensor.FromArray([1f, 2, 3, 4], 2, 2), ["layers.0.w"] = Tensor.Full(5f, 3) });
        SafeTensors.Write(Path.Combine(model, "model-00002-of-00002.safetensors"),
            new Dictionary<string, Tensor> { ["head.weight"] = Tensor.FromArray([7f, 8], 1, 2) });
        File.WriteAllText(Path.Combine(model, ShardedSafeTensors.DefaultIndexName), """
            {"metadata": {"total_size": 36},
             "weight_map": {"embed.weight": "model-00001-of-00002.safetensors",
                            "head.weight": "model-00002-of-00002.safetensors",
                            "layers.0.w": "model-00001-of-00002.safetensors"}}
            """);

        using (var store = SafeTensors.OpenModel(model))
        {
            Assert.IsType<ShardedSafeTensors>(store);
            Assert.Equal("36", store.Metadata["total_size"]);
            Assert.Equal(["embed.weight", "head.weight", "layers.0.w"], store.Keys.Order().ToArray());
            Assert.Equal([7f, 8], store["head.weight"].Data.ToArray());
            Assert.Equal([5f, 5, 5], store.LoadAll()["layers.0.w"].Data.ToArray());
            Assert.Contains("no tensor named \"missing\"", Assert.Throws<KeyNotFoundException>(() => store.Get("missing")).Message);
        }

        var index = Path.Combine(model, ShardedSafeTensors.DefaultIndexName);
        File.WriteAllText(index, """{"weight_map": {"head.weight": "model-00001-of-00002.safetensors"}}""");
        var e = Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(index));
        Assert.Contains("puts \"head.weight\" in \"model-00001-of-00002.safetensors\", which does not hold it", e.Message);
        File.WriteAllText(index, """{"weight_map": {"head.weight": "model-00003-of-00003.safetensors"}}""");
        Assert.Contains("shard \"model-00003-of-00003.safetensors\"", Assert.Throws<SafeTensorsFormatException>(() => ShardedSafeTensors.Open(index)).Message);
    }

    [Fact]
    public void AtomicWriteLeavesTheOldFileWhenTheWriterFails()
    {
        var path = Path.Combine(dir, "atomic.safetensors");
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Full(1f, 2) });
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100]);
            throw new IOException("simulated failure mid-write");
        }));
        Assert.Equal([1f, 1], SafeTensors.Read(path)["w"].Data.ToArray());
        Assert.Single(Directory.GetFiles(dir));   // the temporary file was removed
    }
}
