using System.Diagnostics;

namespace Sentire.Bench;

/// <summary>What the benchmarks share: option values, medians, per-iteration wall and process CPU time, and the
/// reference scripts under tools/bench.</summary>
static class BenchKit
{
    /// <summary>The integer after the option at <c>args[i]</c>; <paramref name="i"/> moves onto it.</summary>
    public static int IntAfter(string[] args, ref int i) =>
        i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? (++i, v).v : throw new ArgumentException($"{args[i]} needs an integer");

    /// <summary>The value after the option at <c>args[i]</c>; <paramref name="i"/> moves onto it.</summary>
    public static string ValueAfter(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");

    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Wall and process CPU milliseconds of each of <paramref name="iters"/> runs of <paramref name="body"/>;
    /// CPU time counts all threads and is less disturbed than wall time on a shared machine.</summary>
    public static (double[] WallMs, double[] CpuMs) Time(int iters, Action body)
    {
        var ms = new double[iters];
        var cpu = new double[iters];
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < iters; i++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            body();
            ms[i] = sw.Elapsed.TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
        }
        return (ms, cpu);
    }

    /// <summary>This process's resident set now, in MB, from /proc/self/statm (as the reference scripts read it).</summary>
    public static double RssMb() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize / (1024.0 * 1024.0);

    /// <summary>Samples <see cref="RssMb"/> every 5 ms on a background thread until disposed: the peak resident set
    /// while some work runs, which a process-lifetime peak would mix with loading (a mapped checkpoint's pages).</summary>
    public sealed class RssSampler : IDisposable
    {
        readonly Thread thread;
        volatile bool stop;
        double max;

        public RssSampler()
        {
            max = RssMb();
            thread = new Thread(() => { while (!stop) { max = Math.Max(max, RssMb()); Thread.Sleep(5); } }) { IsBackground = true };
            thread.Start();
        }

        public double MaxMb { get { stop = true; thread.Join(); return Math.Max(max, RssMb()); } }

        public void Dispose()
        {
            stop = true;
            thread.Join();
        }
    }

    /// <summary>tools/bench/<paramref name="name"/> in the first folder above the bench's binaries that has it, or null.</summary>
    public static string? FindScript(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tools", "bench", name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
