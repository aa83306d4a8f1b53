using Sentire.Tensors;

namespace Sentire.Tensors.Tests;

public sealed class AutogradTests
{
    [Fact]
    public void ProductRuleWithBroadcastAndFanOut()
    {
        // y = a * b + a, with b broadcast over rows: dy/da = b + 1, dy/db = sum over rows of a.
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3); a.RequiresGrad = true;
        var b = Tensor.FromArray([10, 20, 30], 3); b.RequiresGrad = true;
        var y = a * b + a;
        y.Backward(Tensor.Ones(2, 3));
        Assert.Equal([11f, 21, 31, 11, 21, 31], a.Grad!.Data.ToArray());
        Assert.Equal([5f, 7, 9], b.Grad!.Data.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsAndNoGradRecordsNothing()
    {
        var a = Tensor.FromArray([2, 3], 2); a.RequiresGrad = true;
        (a * a).Backward(Tensor.Ones(2));
        (a * a).Backward(Tensor.Ones(2));
        Assert.Equal([8f, 12], a.Grad!.Data.ToArray());
        using (Autograd.NoGrad())
            Assert.False((a * a).RequiresGrad);
    }

    [Fact]
    public void DivisionGradient()
    {
        var a = Tensor.FromArray([3], 1); a.RequiresGrad = true;
        var b = Tensor.FromArray([2], 1); b.RequiresGrad = true;
        (a / b).Backward(Tensor.Ones(1));
        Assert.Equal(0.5f, a.Grad!.Item(), 6);
        Assert.Equal(-0.75f, b.Grad!.Item(), 6);
    }
}
