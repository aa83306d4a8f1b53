using System.Text;

namespace Sentire.Evaluation.Classification;

/// <summary>
/// Counts of (true label, predicted label) over a fixed label list, and the metrics of speech emotion
/// recognition papers derived from it:
///   WAR (weighted average recall) = accuracy = sum_c n_cc / N,
///   UAR (unweighted average recall) = mean over classes present in the truth of n_cc / n_c.,
///   macro-F1 = mean over those classes of 2 P_c R_c / (P_c + R_c).
/// Classes absent from the truth are left out of UAR and macro-F1 (their recall is undefined), as
/// scikit-learn's balanced_accuracy does.
/// </summary>
public sealed class ConfusionMatrix
{
    readonly long[,] counts;
    readonly Dictionary<string, int> index;

    public ConfusionMatrix(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) throw new ArgumentException("a confusion matrix needs at least one label");
        Labels = [.. labels];
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Labels.Count; i++)
            if (!index.TryAdd(Labels[i], i)) throw new ArgumentException($"label '{Labels[i]}' appears twice in the label list");
        counts = new long[Labels.Count, Labels.Count];
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Number of clips whose true label is <paramref name="truth"/> and predicted label <paramref name="predicted"/>.</summary>
    public long this[string truth, string predicted] => counts[IndexOf(truth), IndexOf(predicted)];

    public long Total { get; private set; }

    public void Add(string truth, string predicted)
    {
        counts[IndexOf(truth), IndexOf(predicted)]++;
        Total++;
    }

    public static ConfusionMatrix From(IReadOnlyList<string> labels, IEnumerable<(string Truth, string Predicted)> pairs)
    {
        var m = new ConfusionMatrix(labels);
        foreach (var (t, p) in pairs) m.Add(t, p);
        return m;
    }

    long RowSum(int i) { long s = 0; for (int j = 0; j < Labels.Count; j++) s += counts[i, j]; return s; }
    long ColumnSum(int j) { long s = 0; for (int i = 0; i < Labels.Count; i++) s += counts[i, j]; return s; }

    /// <summary>Recall of each label, NaN for a label that never occurs in the truth.</summary>
    public double Recall(string label) { int i = IndexOf(label); long n = RowSum(i); return n == 0 ? double.NaN : counts[i, i] / (double)n; }

    /// <summary>Precision of each label, 0 for a label that is never predicted (scikit-learn's zero_division=0).</summary>
    public double Precision(string label) { int i = IndexOf(label); long n = ColumnSum(i); return n == 0 ? 0 : counts[i, i] / (double)n; }

    public double F1(string label)
    {
        double p = Precision(label), r = Recall(label);
        return double.IsNaN(r) ? double.NaN : p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double War
    {
        get
        {
            if (Total == 0) return double.NaN;
            long correct = 0;
            for (int i = 0; i < Labels.Count; i++) correct += counts[i, i];
            return correct / (double)Total;
        }
    }

    public double Uar => MeanOverPresent(Recall);

    public double MacroF1 => MeanOverPresent(F1);

    double MeanOverPresent(Func<string, double> metric)
    {
        var values = Labels.Where(l => RowSum(IndexOf(l)) > 0).Select(metric).ToList();
        return values.Count == 0 ? double.NaN : values.Average();
    }

    int IndexOf(string label) => index.TryGetValue(label, out var i)
        ? i
        : throw new ArgumentException($"label '{label}' is not one of [{string.Join(", ", Labels)}]");

    /// <summary>Plain-text table: rows are true labels, columns predictions, with per-class recall.</summary>
    public string ToTable()
    {
        int w = Math.Max(8, Labels.Max(l => l.Length) + 1);
        var sb = new StringBuilder();
        sb.Append("true \\ pred".PadRight(w));
        foreach (var l in Labels) sb.Append(l.PadLeft(w));
        sb.Append("recall".PadLeft(w)).AppendLine();
        for (int i = 0; i < Labels.Count; i++)
        {
            sb.Append(Labels[i].PadRight(w));
            for (int j = 0; j < Labels.Count; j++) sb.Append(counts[i, j].ToString().PadLeft(w));
            double r = Recall(Labels[i]);
            sb.Append((double.IsNaN(r) ? "-" : r.ToString("P1")).PadLeft(w)).AppendLine();
        }
        sb.AppendLine($"WAR {War:P2}  UAR {Uar:P2}  macro-F1 {MacroF1:P2}  (N = {Total})");
        return sb.ToString();
    }

    /// <summary>Row-normalised matrix (each true label's predictions sum to 1; rows with no clip are 0).</summary>
    public double[,] RowNormalised()
    {
        var m = new double[Labels.Count, Labels.Count];
        for (int i = 0; i < Labels.Count; i++)
        {
            long n = RowSum(i);
            for (int j = 0; j < Labels.Count; j++) m[i, j] = n == 0 ? 0 : counts[i, j] / (double)n;
        }
        return m;
    }
}
