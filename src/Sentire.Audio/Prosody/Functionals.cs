using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sentire.Audio.Prosody;

/// <summary>Clip-level statistics of one low-level descriptor, as eGeMAPS summarises its contours (Eyben et al. 2016, §3.2):
/// arithmetic mean, standard deviation (population), 20th/50th/80th percentiles and the 20-80 percentile range
/// (openSMILE's pctlrange0-2). NaN everywhere when there were no values.</summary>
public sealed record Functionals(int Count, double Mean, double StandardDeviation, double P20, double P50, double P80)
{
    public static Functionals Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>P80 - P20.</summary>
    public double Range20To80 => P80 - P20;

    /// <summary>Coefficient of variation, std / mean (openSMILE's stddevNorm).</summary>
    public double StandardDeviationNorm => StandardDeviation / Mean;

    /// <summary>Statistics of the finite values in <paramref name="values"/> (NaN and infinities are skipped).</summary>
    public static Functionals Of(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).ToArray();
        Array.Sort(sorted);
        return OfAscending(() => sorted, sorted.Length);
    }

    public static Functionals Of(IEnumerable<float> values) => Of(values.Select(v => (double)v));

    /// <summary>Statistics of the finite values of <paramref name="map"/> over <paramref name="values"/> (the frames of a
    /// long recording), equal to <see cref="Of(IEnumerable{double})"/> of the mapped values: each block of values is
    /// mapped and sorted (not LINQ's Order, which holds keys and a map beside the values), and more than one block are
    /// sorted runs in a temporary file merged in order, so memory does not grow with the number of values.</summary>
    internal static Functionals Of<T>(FrameValues<T> values, Func<T, double> map) where T : unmanaged
    {
        using var runs = new SortedRuns();
        double[]? buffer = null;
        foreach (var block in values.Blocks())
        {
            buffer ??= new double[block.Length];
            var n = 0;
            foreach (var v in block.Span)
                if (map(v) is var m && double.IsFinite(m)) buffer[n++] = m;
            Array.Sort(buffer, 0, n);
            runs.Add(buffer.AsSpan(0, n));
        }
        return OfAscending(runs.Ascending, runs.Count);
    }

    /// <summary>The statistics of <paramref name="count"/> finite values given twice in ascending order (by
    /// <paramref name="ascending"/>): mean and standard deviation summed in that order, as <c>Average</c> and <c>Sum</c>
    /// sum a sorted array, and the percentiles read at <see cref="Percentile"/>'s positions.</summary>
    static Functionals OfAscending(Func<IEnumerable<double>> ascending, int count)
    {
        if (count == 0) return Empty;
        double[] quantiles = [0.2, 0.5, 0.8];
        var at = new int[2 * quantiles.Length];   // lower and upper rank of each quantile
        for (var j = 0; j < quantiles.Length; j++)
        {
            var position = quantiles[j] * (count - 1);
            at[2 * j] = (int)Math.Floor(position);
            at[2 * j + 1] = Math.Min(at[2 * j] + 1, count - 1);
        }
        var ranked = new double[at.Length];
        double sum = 0;
        var i = 0;
        foreach (var v in ascending())
        {
            sum += v;
            for (var j = 0; j < at.Length; j++)
                if (at[j] == i) ranked[j] = v;
            i++;
        }
        if (i != count) throw new InvalidOperationException($"{i} sorted values, {count} expected");
        var mean = sum / count;
        double squares = 0;
        foreach (var v in ascending()) squares += (v - mean) * (v - mean);
        double Quantile(int j) => ranked[2 * j] + (quantiles[j] * (count - 1) - at[2 * j]) * (ranked[2 * j + 1] - ranked[2 * j]);
        return new Functionals(count, mean, Math.Sqrt(squares / count), Quantile(0), Quantile(1), Quantile(2));
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default): position q (n - 1) in the sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    /// <summary>Sorted runs of doubles, the first held in memory and any further ones in a temporary file, read back
    /// merged into one ascending sequence (a k-way merge reading each run through a 32 KB buffer).</summary>
    sealed class SortedRuns : IDisposable
    {
        const int ReadBuffer = 4096;
        double[]? first;
        readonly List<(long Offset, int Length)> spilled = [];
        SafeFileHandle? file;
        long end;

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<double> run)
        {
            Count += run.Length;
            if (first is null) { first = run.ToArray(); return; }
            file ??= TemporaryFile.Create("sorted");
            RandomAccess.Write(file, MemoryMarshal.AsBytes(run), end);
            spilled.Add((end, run.Length));
            end += (long)run.Length * sizeof(double);
        }

        public IEnumerable<double> Ascending()
        {
            if (first is null) yield break;
            if (spilled.Count == 0)
            {
                foreach (var v in first) yield return v;
                yield break;
            }
            var runs = new List<Run> { new(first) };
            runs.AddRange(spilled.Select(s => new Run(file!, s.Offset, s.Length)));
            var heads = new PriorityQueue<Run, double>();
            foreach (var run in runs)
                if (run.TryNext(out var v)) heads.Enqueue(run, v);
            while (heads.TryDequeue(out var run, out var v))
            {
                yield return v;
                if (run.TryNext(out var next)) heads.Enqueue(run, next);
            }
        }

        public void Dispose() => file?.Dispose();

        /// <summary>One run, read in order.</summary>
        sealed class Run
        {
            readonly SafeFileHandle? file;
            readonly double[] buffer;
            long offset;
            int left, position, buffered;

            public Run(double[] held) { buffer = held; buffered = left = held.Length; }

            public Run(SafeFileHandle file, long offset, int length)
            {
                this.file = file;
                this.offset = offset;
                left = length;
                buffer = new double[Math.Min(ReadBuffer, length)];
            }

            public bool TryNext(out double value)
            {
                if (position == buffered)
                {
                    if (file is null || left == 0) { value = 0; return false; }
                    buffered = Math.Min(buffer.Length, left);
                    TemporaryFile.Read(file, MemoryMarshal.AsBytes(buffer.AsSpan(0, buffered)), offset);
                    offset += (long)buffered * sizeof(double);
                    left -= buffered;
                    position = 0;
                }
                value = buffer[position++];
                return true;
            }
        }
    }
}
