using System.Buffers.Binary;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests;

/// <summary>
/// Robustness of the torch.save reader, as the audio decoders' fuzz tests: thousands of seeded mutations (bit flips,
/// truncations, size fields overwritten with extreme values, insertions, deletions, and the same aimed at the pickle)
/// of valid checkpoints must each end in tensors or a <see cref="TorchCheckpointFormatException"/> naming the file:
/// never another exception, a hang or a large allocation. A failure names the seed, so it replays.
/// </summary>
public sealed class TorchCheckpointFuzzTests
{
    const int MutationsPerFile = 700;
    const long MaxAllocationPerLoad = 16L << 20;

    static readonly string[] Seeds = ["tiny-f32.pt", "views.pt", "nested.pt", "tiny-protocol4.pt"];

    /// <summary>Where data.pkl's bytes lie: the first record torch writes, right after its local header.</summary>
    static (int Start, int Length) PickleRange(byte[] archive)
    {
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(archive.AsSpan(26));
        int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(archive.AsSpan(28));
        return (30 + nameLength + extraLength, (int)BinaryPrimitives.ReadUInt32LittleEndian(archive.AsSpan(18)));
    }

    static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToArray();
        var (pickleStart, pickleLength) = PickleRange(original);
        // Half of the mutations land in the pickle, the rest anywhere (zip records, storages).
        int Anywhere(int width) => random.Next(2) == 0
            ? pickleStart + random.Next(Math.Max(1, pickleLength - width))
            : random.Next(Math.Max(1, bytes.Length - width));
        switch (random.Next(7))
        {
            case 0: // flip a few bits
                for (int i = random.Next(1, 9); i > 0; i--) bytes[Anywhere(1)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // truncate
                return bytes[..random.Next(bytes.Length)];
            case 2: // a size-like field overwritten with an extreme value
            {
                uint[] extremes = [0xFFFFFFFF, 0x7FFFFFFF, 0, 0x80000000, 0xFFFF, (uint)random.Next()];
                int at = Anywhere(4);
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), extremes[random.Next(extremes.Length)]);
                return bytes;
            }
            case 3: // insert random bytes
            {
                int at = Anywhere(0);
                var extra = new byte[random.Next(1, 16)];
                random.NextBytes(extra);
                return [.. bytes[..at], .. extra, .. bytes[at..]];
            }
            case 4: // delete a range
            {
                int at = Anywhere(0);
                return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + random.Next(1, 64))..]];
            }
            case 5: // one pickle byte replaced by a random opcode
                bytes[pickleStart + random.Next(pickleLength)] = (byte)random.Next(256);
                return bytes;
            default: // a small integer argument (BININT1 sizes, strides, offsets, memo keys) set to an extreme
            {
                int at = pickleStart + random.Next(pickleLength);
                bytes[at] = random.Next(2) == 0 ? (byte)0xFF : (byte)0;
                return bytes;
            }
        }
    }

    [Fact]
    public async Task MutatedCheckpointsLoadOrFailTyped()
    {
        var failures = new List<string>();
        int loaded = 0, refused = 0;
        var work = Task.Run(() =>
        {
            for (int fileIndex = 0; fileIndex < Seeds.Length; fileIndex++)
            {
                var original = File.ReadAllBytes(RepoPaths.Fixture("torch/" + Seeds[fileIndex]));
                using (var valid = TorchCheckpointFile.FromBytes(original, "seed")) Assert.NotEmpty(valid.LoadAll()); // seeds are valid
                for (int seed = 0; seed < MutationsPerFile; seed++)
                {
                    var name = $"fuzz-{fileIndex}-{seed}.pt";
                    var bytes = Mutate(original, new Random(fileIndex * 100_000 + seed));
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        using var checkpoint = TorchCheckpointFile.FromBytes(bytes, name);
                        foreach (var (key, tensor) in checkpoint.LoadAll())
                            if (tensor.Length != checkpoint.Entries[key].ElementCount) failures.Add($"{name}: {key} has {tensor.Length} elements, its entry {checkpoint.Entries[key].ElementCount}");
                        loaded++;
                    }
                    catch (TorchCheckpointFormatException error)
                    {
                        if (error.FilePath != name || !error.Message.StartsWith(name + ": ")) failures.Add($"{name}: error does not name the file: {error.Message}");
                        refused++;
                    }
                    catch (Exception error)
                    {
                        failures.Add($"{name}: {error.GetType().Name}: {error.Message}");
                    }
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (allocated > MaxAllocationPerLoad) failures.Add($"{name}: allocated {allocated} bytes for a {bytes.Length}-byte file");
                }
            }
        }, TestContext.Current.CancellationToken);
        // A guard against hangs, not a speed test: the whole run takes about a second.
        await work.WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(refused > 0 && loaded > 0, $"mutations should both load and fail: {loaded} loaded, {refused} refused");
    }
}
