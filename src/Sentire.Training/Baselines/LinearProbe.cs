using Sentire.Evaluation.Classification;
using Sentire.Tensors;
using Sentire.Tensors.Optim;

namespace Sentire.Training.Baselines;

/// <summary>
/// A linear classifier on clip-level feature vectors, the model of the baselines: features standardised with the training
/// set's mean and deviation (missing values become the mean), then multinomial logistic regression
/// p(y | x) = softmax(W x + b) fitted by full-batch AdamW on cross-entropy with L2 weight decay.
/// </summary>
public sealed class LinearProbe
{
    readonly float[] mean, std;
    readonly Tensor weight, bias;

    LinearProbe(IReadOnlyList<string> labels, float[] mean, float[] std, Tensor weight, Tensor bias)
    {
        Labels = labels;
        this.mean = mean;
        this.std = std;
        this.weight = weight;
        this.bias = bias;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Fits the classifier on feature vectors with label indices into <paramref name="labels"/>.</summary>
    public static LinearProbe Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> targets, IReadOnlyList<string> labels,
        int steps = 500, double learningRate = 0.05, double weightDecay = 1e-3, ulong seed = 1)
    {
        if (features.Count == 0 || features.Count != targets.Count)
            throw new ArgumentException($"{features.Count} feature vectors for {targets.Count} labels");
        int d = features[0].Length, n = features.Count, c = labels.Count;
        var (columnMean, columnStd) = ColumnStatistics(features);
        var mean = columnMean.Select(m => (float)m).ToArray();
        var std = columnStd.Select(s => (float)s).ToArray();
        var x = Standardise(features, mean, std);
        var weight = Tensor.Normal(new Generator(seed), 0, 0.01f, d, c);
        weight.RequiresGrad = true;
        var bias = Tensor.Zeros(c);
        bias.RequiresGrad = true;
        var optimizer = new AdamW([new ParamGroup([new("weight", weight)], weightDecay: weightDecay), new ParamGroup([new("bias", bias)], weightDecay: 0)], learningRate);
        var y = targets.ToArray();
        for (int step = 0; step < steps; step++)
        {
            var loss = Loss.CrossEntropy(x.MatMul(weight) + bias, y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        weight.RequiresGrad = false;
        bias.RequiresGrad = false;
        return new LinearProbe(labels, mean, std, weight, bias);
    }

    /// <summary>Mean and deviation of each column over its finite values (missing values left out): a column with none
    /// has mean 0 and deviation 1, one with a single value deviation 1, and no deviation is below 1e-6.</summary>
    public static (double[] Mean, double[] Std) ColumnStatistics(IReadOnlyList<double[]> rows)
    {
        int d = rows[0].Length;
        var mean = new double[d];
        var std = new double[d];
        for (int j = 0; j < d; j++)
        {
            var column = rows.Select(f => f[j]).Where(double.IsFinite).ToList();
            double m = column.Count > 0 ? column.Average() : 0;
            double v = column.Count > 1 ? column.Sum(x => (x - m) * (x - m)) / column.Count : 1;
            mean[j] = m;
            std[j] = Math.Sqrt(Math.Max(v, 1e-12));
        }
        return (mean, std);
    }

    /// <summary>Most probable label index of each feature vector, among <paramref name="allowed"/> label indices when given
    /// (e.g. the labels a corpus has, as a zero-shot model is asked about only those).</summary>
    public int[] Predict(IReadOnlyList<double[]> features, IReadOnlySet<int>? allowed = null)
    {
        using var _ = Autograd.NoGrad();
        var logits = Standardise(features, mean, std).MatMul(weight) + bias;
        if (allowed is not null)
            for (int i = 0; i < features.Count; i++)
                for (int c = 0; c < Labels.Count; c++)
                    if (!allowed.Contains(c)) logits.Data[i * Labels.Count + c] = float.NegativeInfinity;
        return logits.ArgMax(-1);
    }

    public ConfusionMatrix Evaluate(IReadOnlyList<double[]> features, IReadOnlyList<int> targets)
    {
        var predicted = Predict(features);
        return ConfusionMatrix.From(Labels, targets.Select((t, i) => (Labels[t], Labels[predicted[i]])));
    }

    static Tensor Standardise(IReadOnlyList<double[]> features, float[] mean, float[] std)
    {
        int d = mean.Length;
        var x = Tensor.Zeros(features.Count, d);
        for (int i = 0; i < features.Count; i++)
            for (int j = 0; j < d; j++)
            {
                double v = features[i][j];
                x.Data[i * d + j] = double.IsFinite(v) ? (float)((v - mean[j]) / std[j]) : 0f;   // missing -> the mean
            }
        return x;
    }
}
