using System.Globalization;
using System.Text;

namespace Sentire.Cli.Batch;

/// <summary>
/// Share <see cref="Index"/> of <see cref="Count"/> equal shares of a batch's inputs. A file belongs to the shard
/// <c>FNV-1a-64(UTF-8 path) mod Count</c>: the choice depends on the path alone (never on the input order, the machine
/// or the process), so N independent processes given the same inputs cover every file exactly once.
/// <code>
/// var shard = Shard.Resolve("--shard value or null", Environment.GetEnvironmentVariable);
/// var mine = files.Where(shard.Contains);
/// </code>
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>Everything: one shard.</summary>
    public static readonly Shard All = new(0, 1);

    /// <summary>Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX but publish no completion count: the Job passes it in this variable.</summary>
    public const string ShardCountVariable = "SENTIRE_SHARD_COUNT";

    public bool Contains(string path) => Count == 1 || (int)(StableHash(path) % (ulong)Count) == Index;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>FNV-1a (64-bit) of the path's UTF-8 bytes: fixed by its definition, unlike string.GetHashCode, which is seeded per process.</summary>
    public static ulong StableHash(string path)
    {
        const ulong offsetBasis = 14695981039346656037, prime = 1099511628211;
        ulong hash = offsetBasis;
        foreach (var b in Encoding.UTF8.GetBytes(path)) hash = (hash ^ b) * prime;
        return hash;
    }

    /// <summary><c>K/N</c> with 0 &lt;= K &lt; N.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var k)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"--shard '{text}' is not K/N (e.g. 0/4: the first of 4 shares)");
        return Checked(k, n, $"--shard {text}");
    }

    /// <summary>
    /// The shard named by <paramref name="option"/> (<c>--shard K/N</c>) or, when it is null, by the scheduler's
    /// environment: a Slurm array task (SLURM_ARRAY_TASK_ID, with SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN/MAX;
    /// K counts from the array's first index), or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX with
    /// <see cref="ShardCountVariable"/>). <see cref="All"/> when none is set.
    /// </summary>
    /// <exception cref="FormatException">A malformed option or variable, named with its value.</exception>
    public static Shard Resolve(string? option, Func<string, string?> environment)
    {
        if (option is not null) return Parse(option);
        if (environment("SLURM_ARRAY_TASK_ID") is { } slurmId)
        {
            int id = Integer("SLURM_ARRAY_TASK_ID", slurmId);
            int min = environment("SLURM_ARRAY_TASK_MIN") is { } m ? Integer("SLURM_ARRAY_TASK_MIN", m) : 0;
            int count;
            if (environment("SLURM_ARRAY_TASK_COUNT") is { } c) count = Integer("SLURM_ARRAY_TASK_COUNT", c);
            else if (environment("SLURM_ARRAY_TASK_MAX") is { } max) count = Integer("SLURM_ARRAY_TASK_MAX", max) - min + 1;
            else throw new FormatException("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is: pass --shard K/N");
            return Checked(id - min, count, string.Create(CultureInfo.InvariantCulture,
                $"Slurm array task {id} of {count} starting at {min} (a stepped --array such as 0-15:2 needs --shard)"));
        }
        if (environment("JOB_COMPLETION_INDEX") is { } podIndex)
        {
            if (environment(ShardCountVariable) is not { } count)
                throw new FormatException($"JOB_COMPLETION_INDEX is set but {ShardCountVariable} is not: set it to the Job's spec.completions, or pass --shard K/N");
            return Checked(Integer("JOB_COMPLETION_INDEX", podIndex), Integer(ShardCountVariable, count), $"JOB_COMPLETION_INDEX {podIndex} of {ShardCountVariable} {count}");
        }
        return All;
    }

    static int Integer(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v
            : throw new FormatException($"{name} is '{value}', expected a whole number");

    static Shard Checked(int k, int n, string source)
    {
        if (n < 1) throw new FormatException($"{source}: the shard count must be at least 1, got {n}");
        if (k < 0 || k >= n) throw new FormatException($"{source}: shard index {k} is outside 0..{n - 1}");
        return new Shard(k, n);
    }
}
