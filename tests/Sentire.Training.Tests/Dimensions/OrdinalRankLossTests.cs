using Sentire.Tensors;
using Sentire.Training.Losses;

namespace Sentire.Training.Tests.Dimensions;

public sealed class OrdinalRankLossTests
{
    [Fact]
    public void Matches_torch_softplus_over_ordered_pairs_with_its_gradient()
    {
        // Oracle (Debian torch 1.13): s = [0.2, 0.5, 0.3], levels [0, 2, 1], pairs (0,1) (0,2) (2,1);
        // L = mean softplus(-(s_j - s_i) / 0.1) = 0.16292567551136017, dL/ds = [1.0545577, -0.5554293, -0.4991283].
        var s = Tensor.FromArray([0.2f, 0.5f, 0.3f], [3, 1]);
        s.RequiresGrad = true;
        var loss = OrdinalRankLoss.Compute(s, [0, 2, 1], 0.1f);
        Assert.Equal(0.16292567551136017, loss.Item(), 5);
        loss.Backward();
        Assert.Equal([1.0545577f, -0.5554293f, -0.4991283f], s.Grad!.Data.ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Right_order_costs_less_than_wrong_order_and_equal_levels_cost_nothing()
    {
        int[] levels = [0, 1, 2];
        var right = OrdinalRankLoss.Compute(Tensor.FromArray([0.1f, 0.5f, 0.9f], [3]), levels, 0.1f).Item();
        var wrong = OrdinalRankLoss.Compute(Tensor.FromArray([0.9f, 0.5f, 0.1f], [3]), levels, 0.1f).Item();
        Assert.True(right < 0.02 && wrong > 4, $"right {right}, wrong {wrong}");
        Assert.Equal(0, OrdinalRankLoss.Compute(Tensor.FromArray([0.1f, 0.9f], [2]), [1, 1], 0.1f).Item());
        Assert.Throws<ArgumentException>(() => OrdinalRankLoss.Compute(Tensor.Zeros(3, 2), levels, 0.1f));
    }
}
