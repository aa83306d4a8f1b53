using Sentire.Evaluation.Regression;
using Sentire.Tensors;
using Sentire.Training.Losses;

namespace Sentire.Training.Tests.Dimensions;

public sealed class CccLossTests
{
    // Column 0: x = [1, 2, 3], y = [2, 4, 6]: means 2 and 4, var 2/3 and 8/3, cov 4/3
    //   CCC = (8/3) / (2/3 + 8/3 + 4) = 8/22.
    // Column 1: x = [0, 1, 0], y = [1, 0, 1]: means 1/3 and 2/3, var 2/9 each, cov -2/9
    //   CCC = (-4/9) / (4/9 + 1/9) = -0.8.
    static Tensor Predicted() => Tensor.FromArray([1, 0, 2, 1, 3, 0], 3, 2);
    static Tensor Target() => Tensor.FromArray([2, 1, 4, 0, 6, 1], 3, 2);

    [Fact]
    public void Matches_hand_computed_ccc_per_dimension_and_the_mean_of_one_minus_ccc()
    {
        var ccc = CccLoss.Ccc(Predicted(), Target()).Data.ToArray();
        Assert.Equal(8.0 / 22, ccc[0], 6);
        Assert.Equal(-0.8, ccc[1], 6);
        Assert.Equal(((1 - 8.0 / 22) + (1 + 0.8)) / 2, CccLoss.Compute(Predicted(), Target()).Item(), 6);
    }

    [Fact]
    public void Perfect_agreement_gives_zero_and_agrees_with_the_evaluation_metric()
    {
        Assert.Equal(0, CccLoss.Compute(Target(), Target()).Item(), 6);
        var rng = new Generator(3);
        var x = Tensor.Uniform(rng, 0, 1, 50, 3);
        var y = Tensor.Uniform(rng, 0, 1, 50, 3);
        var ccc = CccLoss.Ccc(x, y).Data.ToArray();
        for (int d = 0; d < 3; d++)
        {
            var xs = Enumerable.Range(0, 50).Select(i => (double)x[i, d]).ToArray();
            var ys = Enumerable.Range(0, 50).Select(i => (double)y[i, d]).ToArray();
            Assert.Equal(DimensionalMetrics.Ccc(xs, ys), ccc[d], 5);
        }
    }

    [Fact]
    public void Gradient_matches_central_differences()
    {
        var rng = new Generator(11);
        var x = Tensor.Uniform(rng, 0, 1, 6, 3);
        var y = Tensor.Uniform(rng, 0, 1, 6, 3);
        x.RequiresGrad = true;
        CccLoss.Compute(x, y).Backward();
        var analytic = x.Grad!.Data.ToArray();
        const float h = 1e-3f;
        for (int i = 0; i < x.Length; i++)
        {
            float original = x.Data[i];
            double At(float v)
            {
                x.Data[i] = v;
                using var _ = Autograd.NoGrad();
                return CccLoss.Compute(x, y).Item();
            }
            double numeric = (At(original + h) - At(original - h)) / (2 * h);
            x.Data[i] = original;
            Assert.True(Math.Abs(numeric - analytic[i]) < 2e-3 + 2e-2 * Math.Abs(numeric), $"element {i}: analytic {analytic[i]} vs numeric {numeric}");
        }
    }

    [Fact]
    public void Mismatched_shapes_are_rejected_with_both_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() => CccLoss.Compute(Tensor.Zeros(4, 3), Tensor.Zeros(4, 2)));
        Assert.Contains("[4, 3] and [4, 2]", e.Message);
    }
}
