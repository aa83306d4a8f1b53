namespace Sentire.Tensors.Kernels;

/// <summary>
/// How many threads the engine's kernels may use: <c>SENTIRE_THREADS=N</c> caps it, otherwise
/// <see cref="Environment.ProcessorCount"/>. Read once at first use; kernels split work with <see cref="For"/>,
/// which stays on the calling thread when the work is too small to pay for a hand-off.
/// </summary>
public static class Parallelism
{
    /// <summary>Environment variable that caps the thread count.</summary>
    public const string ThreadsVariable = "SENTIRE_THREADS";

    /// <summary>Work (in multiply-adds or element operations) below which splitting costs more than it gains.</summary>
    public const long MinWorkPerThread = 1 << 15;

    /// <summary>Maximum threads a kernel uses (at least 1).</summary>
    public static int MaxThreads { get; } = ReadMaxThreads();

    static readonly ParallelOptions options = new() { MaxDegreeOfParallelism = MaxThreads };

    static int ReadMaxThreads()
    {
        var text = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (string.IsNullOrWhiteSpace(text)) return Math.Max(1, Environment.ProcessorCount);
        if (!int.TryParse(text, out int n) || n < 1)
            throw new ArgumentException($"{ThreadsVariable} must be a positive integer, found \"{text}\"");
        return n;
    }

    /// <summary>How many chunks to cut <paramref name="count"/> items of <paramref name="workPerItem"/> each into.</summary>
    public static int Chunks(int count, long workPerItem, int maxThreads = int.MaxValue)
    {
        int threads = Math.Min(MaxThreads, maxThreads);
        if (threads <= 1 || count <= 1) return Math.Max(0, Math.Min(count, 1));
        long total = count * Math.Max(1, workPerItem);
        long byWork = total / MinWorkPerThread;
        return (int)Math.Clamp(Math.Min(byWork, count), 1, threads);
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) on disjoint ranges covering [0, <paramref name="count"/>),
    /// one range per thread (up to <see cref="MaxThreads"/> and <paramref name="maxThreads"/>), or once on
    /// this thread when the work is small.
    /// </summary>
    public static void For(int count, long workPerItem, Action<int, int> body, int maxThreads = int.MaxValue)
    {
        int chunks = Chunks(count, workPerItem, maxThreads);
        if (chunks == 0) return;
        if (chunks == 1) { body(0, count); return; }
        Parallel.For(0, chunks, options, c =>
        {
            int start = (int)((long)count * c / chunks), end = (int)((long)count * (c + 1) / chunks);
            if (start < end) body(start, end);
        });
    }

    /// <summary>
    /// Calls <paramref name="body"/>(i) for every i in [0, <paramref name="count"/>), handing items out one at a
    /// time to up to <paramref name="maxThreads"/> threads (for a handful of large, equal-cost tasks where a
    /// stalled core should not hold the rest up). One thread runs them in order on the caller.
    /// </summary>
    public static void ForEach(int count, Action<int> body, int maxThreads = int.MaxValue)
    {
        int threads = Math.Min(Math.Min(MaxThreads, maxThreads), count);
        if (threads <= 1) { for (int i = 0; i < count; i++) body(i); return; }
        Parallel.For(0, count, threads == MaxThreads ? options : new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
