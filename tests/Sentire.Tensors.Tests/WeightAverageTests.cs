using Sentire.Tensors.Optim;

namespace Sentire.Tensors.Tests;

public sealed class WeightAverageTests
{
    [Fact]
    public void AveragesWithWarmedUpDecayAndSwapsInPlace()
    {
        var w = Tensor.FromArray([0f, 10f], 2);
        var average = new WeightAverage([w], decay: 0.5f);
        // update 1: d = min(0.5, 2/11); the average starts at the initial weights (0, 10)
        w.Data[0] = 1; w.Data[1] = 10;
        average.Update();
        double d1 = 2.0 / 11, a1 = d1 * 0 + (1 - d1) * 1;
        // update 2: d = min(0.5, 3/12) = 0.25
        w.Data[0] = 2;
        average.Update();
        double a2 = 0.25 * a1 + 0.75 * 2;
        average.Swap();
        Assert.Equal(a2, w.Data[0], 5);
        Assert.Equal(10f, w.Data[1], 5);                   // a weight that never moved keeps its value
        average.Swap();
        Assert.Equal(2f, w.Data[0]);                        // the training weights are back
        // many updates at a fixed weight: d reaches the decay cap and the average converges on the weight
        for (int i = 0; i < 200; i++) average.Update();
        average.Swap();
        Assert.Equal(2f, w.Data[0], 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightAverage([w], decay: 1f));
    }
}
