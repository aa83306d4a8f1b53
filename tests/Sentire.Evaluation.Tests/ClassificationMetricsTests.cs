using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Regression;

namespace Sentire.Evaluation.Tests;

public sealed class ClassificationMetricsTests
{
    // truth:     a a a a b b c c c c   (4 a, 2 b, 4 c)
    // predicted: a a a b b c c c a c
    static ConfusionMatrix Example() => ConfusionMatrix.From(["a", "b", "c"],
        new[] { ("a", "a"), ("a", "a"), ("a", "a"), ("a", "b"), ("b", "b"), ("b", "c"), ("c", "c"), ("c", "c"), ("c", "a"), ("c", "c") });

    [Fact]
    public void WarUarAndMacroF1MatchHandComputedValues()
    {
        var m = Example();
        Assert.Equal(7 / 10.0, m.War, 12);                          // 3 + 1 + 3 correct
        Assert.Equal((3 / 4.0 + 1 / 2.0 + 3 / 4.0) / 3, m.Uar, 12);  // recalls .75, .5, .75
        // precision: a 3/4, b 1/2, c 3/4 -> F1 equal to recall here
        Assert.Equal((0.75 + 0.5 + 0.75) / 3, m.MacroF1, 12);
        Assert.Equal(1, m["a", "b"]);
    }

    [Fact]
    public void AbsentClassesAreLeftOutOfUar()
    {
        var m = ConfusionMatrix.From(["a", "b", "z"], new[] { ("a", "a"), ("b", "a") });
        Assert.Equal(0.5, m.Uar, 12);
        Assert.True(double.IsNaN(m.Recall("z")));
    }

    [Fact]
    public void UnknownLabelIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => Example().Add("angry", "a"));
        Assert.Contains("'angry'", e.Message);
    }

    [Fact]
    public void CccOfKnownSeries()
    {
        double[] x = [1, 2, 3, 4], y = [2, 3, 4, 5];
        // means 2.5/3.5, var 1.25 each, cov 1.25: CCC = 2.5 / (2.5 + 1) = 0.714285...
        Assert.Equal(2.5 / 3.5, DimensionalMetrics.Ccc(x, y), 12);
        Assert.Equal(1.0, DimensionalMetrics.Pearson(x, y), 12);
        Assert.Equal(1.0, DimensionalMetrics.MeanAbsoluteError(x, y), 12);
        Assert.Equal(1.0, DimensionalMetrics.Ccc(x, x), 12);
    }

    [Fact]
    public void Spearman_ranks_ties_by_their_mean_rank()
    {
        // Ranks [1, 3, 2, 4] against the ordinal levels [0, 1, 1, 2] -> [1, 2.5, 2.5, 4]: numpy corrcoef gives 0.9486832980505139.
        Assert.Equal(0.9486832980505139, DimensionalMetrics.Spearman([0.1, 0.4, 0.35, 0.8], [0, 1, 1, 2]), 12);
        Assert.Equal(-1.0, DimensionalMetrics.Spearman([3, 2, 1], [10, 20, 300]), 12);
        Assert.True(double.IsNaN(DimensionalMetrics.Spearman([1, 2, 3], [1, 1, 1])));
    }
}
