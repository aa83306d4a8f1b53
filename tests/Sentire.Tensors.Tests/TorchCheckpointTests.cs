using System.Text;
using System.Text.Json;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests;

/// <summary>
/// The torch.save reader against checkpoints written by Debian's torch 1.13 (tools/golden/torch_checkpoint_fixtures.py):
/// every tensor must equal, bit for bit, what torch's own .float() of it gives (expected.safetensors), and every
/// malicious pickle must be refused with the global it names.
/// </summary>
public sealed class TorchCheckpointTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sentire-pt-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static string Fixture(string name) => RepoPaths.Fixture("torch/" + name);

    /// <summary>Each tensor of <paramref name="store"/> against "<paramref name="group"/>/name" of expected.safetensors.</summary>
    static void AssertMatchesTorch(ITensorStore store, string group, int expectedCount)
    {
        using var expected = SafeTensors.Open(Fixture("expected.safetensors"));
        var names = expected.Keys.Where(k => k.StartsWith(group + "/", StringComparison.Ordinal)).ToList();
        Assert.Equal(expectedCount, names.Count);
        Assert.Equal(names.Select(n => n[(group.Length + 1)..]).Order(StringComparer.Ordinal), store.Keys.Order(StringComparer.Ordinal));
        foreach (var name in names)
        {
            var want = expected.Get(name);
            var got = store.Get(name[(group.Length + 1)..]);
            Assert.Equal(want.ShapeArray(), got.ShapeArray());
            Assert.Equal(want.ShapeArray(), store.ShapeOf(name[(group.Length + 1)..]));
            for (int i = 0; i < want.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(want.Data[i]) == BitConverter.SingleToInt32Bits(got.Data[i]),
                    $"{group}/{name}[{i}] = {got.Data[i]}, torch gives {want.Data[i]}");
        }
    }

    [Theory]
    [InlineData("tiny-f32.pt", SafeTensorsDType.F32)]
    [InlineData("tiny-f16.pt", SafeTensorsDType.F16)]
    [InlineData("tiny-bf16.pt", SafeTensorsDType.BF16)]
    [InlineData("tiny-protocol4.pt", SafeTensorsDType.F32)]
    [InlineData("tiny-protocol5.pt", SafeTensorsDType.F32)]
    public void StateDictsReadAsTorchConvertsThem(string file, SafeTensorsDType dtype)
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixture(file));
        // Linear(3,4), BatchNorm1d(4) (weight, bias, running mean/var, num_batches_tracked), Linear(4,2)
        AssertMatchesTorch(checkpoint, file, 9);
        Assert.Equal(dtype, checkpoint.Entries["0.weight"].DType);
        Assert.Equal(SafeTensorsDType.I64, checkpoint.Entries["1.num_batches_tracked"].DType);
        Assert.Equal(3f, checkpoint.Get("1.num_batches_tracked").Item()); // three training batches
        Assert.Equal([], checkpoint.ShapeOf("1.num_batches_tracked"));
        Assert.Empty(checkpoint.Metadata);
    }

    [Fact]
    public void ViewsAreMaterialisedContiguous()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixture("views.pt"));
        AssertMatchesTorch(checkpoint, "views.pt", 9);
        var e = checkpoint.Entries;
        Assert.False(e["transposed"].IsContiguous);
        Assert.Equal([1L, 6L], e["transposed"].Stride);
        Assert.Equal(3, e["offset"].StorageOffset);
        Assert.True(e["offset"].IsContiguous);
        Assert.Equal([6L, 2L], e["column_stride"].Stride);
        // one storage behind the whole matrix, its transpose, its column view and its third row
        Assert.Single(new[] { "transposed", "column_stride", "shared_whole", "shared_row" }.Select(n => e[n].StorageKey).Distinct());
        Assert.Equal(12, e["shared_row"].StorageOffset);
        Assert.Equal(SafeTensorsDType.F16, e["half_view"].DType);
        Assert.False(e["half_view"].IsContiguous);
        Assert.Equal(12345f, checkpoint.Get("count").Item());
        Assert.Equal([0, 3], checkpoint.Get("empty").ShapeArray());
    }

    [Fact]
    public void NestedContainersFlattenWithDotsAndScalarsBecomeMetadata()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixture("nested.pt"));
        AssertMatchesTorch(checkpoint, "nested.pt", 11);
        Assert.Equal("3", checkpoint.Metadata["epoch"]);
        Assert.Equal("adamw", checkpoint.Metadata["optimizer_name"]);
        Assert.Equal("0.001", checkpoint.Metadata["lr"]);
        Assert.Equal("True", checkpoint.Metadata["flags.0"]);
        Assert.False(checkpoint.Metadata.ContainsKey("flags.1")); // None
        using var model = new PrefixedTensorStore(checkpoint, "model.");
        Assert.Equal(9, model.Count);
    }

    [Fact]
    public void ParametersReadAsTheirData()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixture("parameters.pt"));
        AssertMatchesTorch(checkpoint, "parameters.pt", 2);
    }

    [Fact]
    public void ModelFoldersOfPytorchModelBinOpenLikeSafetensorsFolders()
    {
        using (var single = SafeTensors.OpenModel(Fixture("single-bin")))
        {
            Assert.IsType<TorchCheckpointFile>(single);
            AssertMatchesTorch(single, "tiny-f32.pt", 9);
        }
        using var sharded = SafeTensors.OpenModel(Fixture("sharded-bin"));
        var index = Assert.IsType<ShardedSafeTensors>(sharded);
        Assert.Equal(2, index.Shards.Count);
        Assert.All(index.Shards, s => Assert.IsType<TorchCheckpointFile>(s));
        Assert.Equal("total_size", Assert.Single(index.Metadata.Keys));
        AssertMatchesTorch(sharded, "sharded-bin", 9);
        Assert.Equal(SafeTensorsDType.I64, sharded.DTypeOf("1.num_batches_tracked"));
        Assert.Equal(SafeTensorsDType.F32, new PrefixedTensorStore(sharded, "2.").DTypeOf("weight"));
    }

    [Fact]
    public void LoadStateDictTakesTheCheckpointDirectly()
    {
        using var checkpoint = TorchCheckpointFile.Open(Fixture("tiny-f32.pt"));
        var linear = new Nn.Linear(3, 4, rng: null);
        linear.LoadStateDict(new PrefixedTensorStore(checkpoint, "0."), strict: true);
        Assert.Equal(checkpoint.Get("0.weight").Data.ToArray(), linear.Weight.Data.ToArray());
        Assert.Equal(checkpoint.Get("0.bias").Data.ToArray(), linear.Bias!.Data.ToArray());
    }

    [Theory]
    [InlineData("os-system.pt", "posix.system")]
    [InlineData("builtins-eval.pt", "__builtin__.eval")]       // protocol 2 writes Python 2 module names
    [InlineData("subprocess-popen.pt", "subprocess.Popen")]
    [InlineData("whole-module.pt", "torch.nn.modules.linear.Linear")]
    [InlineData("tensor-subclass.pt", "__main__.HookedTensor")]
    public void MaliciousPicklesAreRefusedNamingTheGlobal(string file, string global)
    {
        var path = Fixture("malicious/" + file);
        var error = Assert.Throws<TorchCheckpointFormatException>(() => TorchCheckpointFile.Open(path));
        Assert.Equal(global, error.RefusedGlobal);
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains($"refused global {global}", error.Message);
        if (file == "os-system.pt") Assert.Equal("data.pkl byte 180: refused global posix.system: loading it could run code, and only tensors, storages and containers of them are allowed", error.Problem);
        // The same through the folder-level API.
        Assert.Equal(global, Assert.Throws<TorchCheckpointFormatException>(() => SafeTensors.OpenModel(path)).RefusedGlobal);
    }

    /// <summary>A torch.save archive holding <paramref name="pickle"/> as data.pkl (and no storages), written with
    /// System.IO.Compression in stored mode: a second, independent zip writer.</summary>
    string Archive(string name, byte[] pickle, params (string Name, byte[] Bytes)[] records)
    {
        var path = Path.Combine(dir, name);
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            foreach (var (entryName, bytes) in records.Prepend(("archive/data.pkl", pickle)))
            {
                var entry = zip.CreateEntry(entryName, System.IO.Compression.CompressionLevel.NoCompression);
                using var stream = entry.Open();
                stream.Write(bytes);
            }
        }
        return path;
    }

    static byte[] Pickle(string ops) => Encoding.Latin1.GetBytes(ops);

    [Fact]
    public void HandBuiltPicklesReadOrFailWithTheReason()
    {
        // {"w": tensor([1.5, -2]) of a FloatStorage "0"} written opcode by opcode (protocol 2), via ZipArchive.
        var storage = new byte[8];
        BitConverter.TryWriteBytes(storage.AsSpan(0, 4), 1.5f);
        BitConverter.TryWriteBytes(storage.AsSpan(4, 4), -2f);
        const string tensor = "ctorch._utils\n_rebuild_tensor_v2\n((X\u0007\0\0\0storagectorch\nFloatStorage\nX\u0001\0\0\00X\u0003\0\0\0cpuK\u0002tQK\0K\u0002\u0085K\u0001\u0085\u0089ccollections\nOrderedDict\n)RtR";
        var ok = Archive("ok.pt", Pickle("\u0080\u0002}X\u0001\0\0\0w" + tensor + "s."), ("archive/data/0", storage));
        using (var checkpoint = TorchCheckpointFile.Open(ok))
            Assert.Equal([1.5f, -2f], checkpoint.Get("w").Data.ToArray());

        string Refusal(string ops, params (string, byte[])[] records) =>
            Assert.Throws<TorchCheckpointFormatException>(() => TorchCheckpointFile.Open(Archive("bad.pt", Pickle(ops), records))).Problem;

        Assert.Contains("no record archive/data/0", Refusal("\u0080\u0002}X\u0001\0\0\0w" + tensor + "s."));
        Assert.Contains("needs 8 bytes but archive/data/0 holds 4", Refusal("\u0080\u0002}X\u0001\0\0\0w" + tensor + "s.", ("archive/data/0", storage[..4])));
        Assert.Contains("opcode 'i'", Refusal("\u0080\u0002(iposix\nsystem\n."));                 // INST: a class call by name
        Assert.Contains("refused global nt.system", Refusal("\u0080\u0002cnt\nsystem\n."));
        Assert.Contains("a single tensor", Refusal("\u0080\u0002" + tensor + ".", ("archive/data/0", storage)));     // torch.save(tensor) is not a state dict
        Assert.Contains("protocol 1", Refusal("\u0080\u0001}."));
        Assert.Contains("without a STOP", Refusal("\u0080\u0002}"));
        Assert.Contains("pops an empty stack", Refusal("\u0080\u0002s."));
        Assert.Contains("memo key 7", Refusal("\u0080\u0002h\u0007."));
        Assert.Contains("runs past the end of the pickle", Refusal("\u0080\u0002X\u00ff\u00ff\u00ff\u007f."));
        // A list that holds itself twice, walked as a tree: refused by the walk budget, not by running out of memory.
        Assert.Contains("repeat shared references", Refusal("\u0080\u0002}X\u0001\0\0\0a]q\u0000(h\u0000h\u0000es."));
        Assert.Contains("stores entries uncompressed", CompressedArchiveRefusal());
        Assert.Contains("legacy torch.save format", Assert.Throws<TorchCheckpointFormatException>(() =>
            TorchCheckpointFile.FromBytes([0x80, 0x02, 0x8a, 0x0a], "legacy.pt")).Problem);
    }

    string CompressedArchiveRefusal()
    {
        var path = Path.Combine(dir, "deflated.pt");
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        using (var stream = zip.CreateEntry("archive/data.pkl", System.IO.Compression.CompressionLevel.Optimal).Open())
            stream.Write(new byte[1000]);
        return Assert.Throws<TorchCheckpointFormatException>(() => TorchCheckpointFile.Open(path)).Problem;
    }

    [Fact]
    public void TheEfficientAtTeacherCheckpointReads()
    {
        if (RepoPaths.Shared is null) Assert.Skip("../shared not found (set SENTIRE_SHARED)");
        var path = Path.Combine(RepoPaths.Shared, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt");
        if (!File.Exists(path)) Assert.Skip($"{path} not found");
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixture("teacher-golden.json")));
        using var checkpoint = TorchCheckpointFile.Open(path);
        Assert.Equal(golden.RootElement.GetProperty("count").GetInt32(), checkpoint.Count);
        Assert.Equal(312, checkpoint.Count);
        Assert.Equal(993_485L, checkpoint.Entries.Values.Sum(e => e.ElementCount));
        foreach (var tensor in golden.RootElement.GetProperty("tensors").EnumerateObject())
        {
            var got = checkpoint.Get(tensor.Name);
            Assert.Equal(tensor.Value.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()), got.ShapeArray());
            var first = tensor.Value.GetProperty("first").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int i = 0; i < first.Length; i++) Assert.Equal((float)first[i], got.Data[i]); // float32 values, exact
            double sum = 0;
            foreach (var v in got.Data) sum += v;
            Assert.Equal(tensor.Value.GetProperty("sum").GetDouble(), sum, 1e-9 * Math.Max(1, Math.Abs(sum)));
        }
    }
}
