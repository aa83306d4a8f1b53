namespace Sentire.Audio.Dsp;

/// <summary>
/// A frames × features matrix of float32 (row-major: one row per frame), the output of the feature
/// extractors. torchaudio's transforms return (features, frames); <see cref="Transpose"/> gives that layout.
/// </summary>
public sealed class FeatureMatrix
{
    public FeatureMatrix(int rows, int columns) : this(rows, columns, new float[checked(rows * columns)]) { }

    public FeatureMatrix(int rows, int columns, float[] data)
    {
        if (rows < 0 || columns < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"Matrix shape ({rows}, {columns}) is negative.");
        if (data.Length != (long)rows * columns)
            throw new ArgumentException($"Matrix of shape ({rows}, {columns}) needs {rows * columns} values, got {data.Length}.", nameof(data));
        Rows = rows;
        Columns = columns;
        Data = data;
    }

    public int Rows { get; }
    public int Columns { get; }

    /// <summary>Row-major values, length Rows·Columns.</summary>
    public float[] Data { get; }

    public float this[int row, int column]
    {
        get => Data[row * Columns + column];
        set => Data[row * Columns + column] = value;
    }

    public Span<float> Row(int row) => Data.AsSpan(row * Columns, Columns);

    /// <summary>A copy of the first <paramref name="count"/> columns of every row (e.g. the mel bins of frames that carry more).</summary>
    public FeatureMatrix LeadingColumns(int count)
    {
        if (count <= 0 || count > Columns) throw new ArgumentOutOfRangeException(nameof(count), count, $"a matrix of {Columns} columns has no leading {count}");
        if (count == Columns) return this;
        var result = new FeatureMatrix(Rows, count);
        for (var r = 0; r < Rows; r++) Row(r)[..count].CopyTo(result.Row(r));
        return result;
    }

    public FeatureMatrix Transpose()
    {
        var result = new FeatureMatrix(Columns, Rows);
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Columns; c++)
                result.Data[c * Rows + r] = Data[r * Columns + c];
        return result;
    }

    /// <summary>Mean and standard deviation of each column over every row of every matrix (per-bin feature
    /// normalisation statistics); accumulated in double, the variance floored at 1e-8.</summary>
    public static (float[] Mean, float[] Std) ColumnStatistics(IEnumerable<FeatureMatrix> matrices)
    {
        double[]? sum = null, sumSq = null;
        long rows = 0;
        foreach (var matrix in matrices)
        {
            sum ??= new double[matrix.Columns];
            sumSq ??= new double[matrix.Columns];
            if (matrix.Columns != sum.Length) throw new ArgumentException($"matrices have {sum.Length} and {matrix.Columns} columns", nameof(matrices));
            for (int r = 0; r < matrix.Rows; r++)
            {
                var row = matrix.Row(r);
                for (int c = 0; c < row.Length; c++) { sum[c] += row[c]; sumSq![c] += (double)row[c] * row[c]; }
            }
            rows += matrix.Rows;
        }
        if (sum is null || rows == 0) throw new ArgumentException("no frames to take statistics of", nameof(matrices));
        var mean = new float[sum.Length];
        var std = new float[sum.Length];
        for (int c = 0; c < sum.Length; c++)
        {
            double m = sum[c] / rows;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(sumSq![c] / rows - m * m, 1e-8));
        }
        return (mean, std);
    }
}
