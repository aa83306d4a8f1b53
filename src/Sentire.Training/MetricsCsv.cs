using System.Globalization;
using System.Text;
using Sentire.IO;

namespace Sentire.Training;

/// <summary>metrics.csv of a training run: one row per epoch, fixed columns (column 0 the epoch), rewritten atomically
/// after every epoch; rows of epochs after a resumed checkpoint are dropped on load. Whole numbers (epoch, step) are
/// written as integers, the rest with 6 significant digits.</summary>
public sealed class MetricsCsv(string path, IReadOnlyList<string> columns)
{
    readonly List<double[]> rows = [];

    /// <summary>The rows loaded and added so far, oldest first.</summary>
    public IReadOnlyList<double[]> Rows => rows;

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
        foreach (var r in rows) sb.AppendLine(string.Join(',', r.Select(Format)));
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    static string Format(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("G6", CultureInfo.InvariantCulture);
}
