using Sentire.Cli.Batch;

namespace Sentire.Cli.Tests.Batch;

public sealed class ShardTests
{
    static readonly string[] Paths = [.. Enumerable.Range(0, 300).Select(i => $"/data/podcasts/{i % 7}/episode-{i:D4}.flac"), "clip.wav", "ünïcode/é.wav"];

    [Fact]
    public void EveryInputIsInExactlyOneShardForOneToSixteenShardsInAnyOrder()
    {
        var random = new Random(20);
        for (int n = 1; n <= 16; n++)
        {
            var shuffled = Paths.OrderBy(_ => random.Next()).ToArray();
            var taken = Enumerable.Range(0, n).SelectMany(k => Paths.Where(new Shard(k, n).Contains)).ToList();
            var takenShuffled = Enumerable.Range(0, n).SelectMany(k => shuffled.Where(new Shard(k, n).Contains)).ToList();
            Assert.Equal(Paths.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal));
            // the same share whatever the input order
            for (int k = 0; k < n; k++)
                Assert.Equal(Paths.Where(new Shard(k, n).Contains).Order(StringComparer.Ordinal), shuffled.Where(new Shard(k, n).Contains).Order(StringComparer.Ordinal));
            Assert.Equal(taken.Count, takenShuffled.Count);
            // 302 paths over at most 16 shards: every share has work, none more than twice its due
            for (int k = 0; k < n; k++) Assert.InRange(Paths.Count(new Shard(k, n).Contains), 1, 2 * Paths.Length / n);
        }
    }

    [Fact]
    public void TheHashIsFnv1a64OfTheUtf8Path()
    {
        // published FNV-1a 64-bit test vectors
        Assert.Equal(0xcbf29ce484222325UL, Shard.StableHash(""));
        Assert.Equal(0xaf63dc4c8601ec8cUL, Shard.StableHash("a"));
        Assert.Equal(0x85944171f73967e8UL, Shard.StableHash("foobar"));
    }

    [Fact]
    public void ShardComesFromTheOptionOrTheSchedulersEnvironment()
    {
        static Func<string, string?> Env(params (string Name, string Value)[] vars) => name => vars.FirstOrDefault(v => v.Name == name).Value;
        Assert.Equal(new Shard(2, 5), Shard.Resolve("2/5", Env(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        Assert.Equal(Shard.All, Shard.Resolve(null, Env()));
        Assert.Equal(new Shard(3, 4), Shard.Resolve(null, Env(("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        // --array=1-8: the first task is shard 0
        Assert.Equal(new Shard(0, 8), Shard.Resolve(null, Env(("SLURM_ARRAY_TASK_ID", "1"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_MAX", "8"))));
        Assert.Equal(new Shard(5, 6), Shard.Resolve(null, Env(("JOB_COMPLETION_INDEX", "5"), (Shard.ShardCountVariable, "6"))));

        Assert.Contains("SENTIRE_SHARD_COUNT", Assert.Throws<FormatException>(() => Shard.Resolve(null, Env(("JOB_COMPLETION_INDEX", "1")))).Message);
        Assert.Contains("outside 0..3", Assert.Throws<FormatException>(() => Shard.Resolve(null, Env(("SLURM_ARRAY_TASK_ID", "4"), ("SLURM_ARRAY_TASK_COUNT", "4")))).Message);
        Assert.Contains("not K/N", Assert.Throws<FormatException>(() => Shard.Parse("1-4")).Message);
        Assert.Contains("outside 0..3", Assert.Throws<FormatException>(() => Shard.Parse("4/4")).Message);
        Assert.Contains("at least 1", Assert.Throws<FormatException>(() => Shard.Parse("0/0")).Message);
    }
}
