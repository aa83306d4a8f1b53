using System.Globalization;
using System.Text;
using Sentire.IO;

namespace Sentire.Training.Secap;

/// <summary>metrics.csv of a SECap run: one row per epoch, fixed columns, rewritten atomically; rows of epochs after a
/// resumed checkpoint are dropped on load.</summary>
public sealed class MetricsCsv(string path, IReadOnlyList<string> columns)
{
    readonly List<double[]> rows = [];

    /// <summary>Keeps the rows of epochs up to <paramref name="lastEpoch"/> (column 0 is the epoch).</summary>
    public void LoadUpTo(int lastEpoch)
    {
        rows.Clear();
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length != columns.Count) continue;
            var values = f.Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            if (values[0] <= lastEpoch) rows.Add(values);
        }
    }

    public void Add(params double[] values)
    {
        if (values.Length != columns.Count) throw new ArgumentException($"{values.Length} values for {columns.Count} metrics columns");
        rows.Add(values);
        var sb = new StringBuilder().AppendLine(string.Join(',', columns));
        foreach (var r in rows) sb.AppendLine(string.Join(',', r.Select(v => v.ToString("G6", CultureInfo.InvariantCulture))));
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
