using Sentire.Tensors;
using static Sentire.Tensors.Tests.TestValues;

namespace Sentire.Tensors.Tests;

public sealed class LossTests
{
    [Fact]
    public void CrossEntropyWithLabelSmoothingAndIgnoredRows()
    {
        // logits [1,2,3]: lse = 3.4076059644, -log p = [2.4076, 1.4076, 0.4076]
        var logits = Tensor.FromArray([1, 2, 3, 1, 1, 1], 2, 3);
        logits.RequiresGrad = true;
        Assert.Equal(0.4076059644f, Loss.CrossEntropy(logits, [2, -100]).Item(), 6);
        // 0.9 * 0.4076059644 + 0.1 * (2.4076 + 1.4076 + 0.4076) / 3 = 0.5076059644; the ignored row counts nowhere
        var loss = Loss.CrossEntropy(logits, [2, -100], labelSmoothing: 0.1f);
        Assert.Equal(0.5076059644f, loss.Item(), 6);
        loss.Backward();
        // d/dx = softmax - 0.9 onehot - 0.1/3, over one counted row
        float[] p = [0.0900305732f, 0.2447284711f, 0.6652409558f];
        float[] expected = [p[0] - 0.1f / 3, p[1] - 0.1f / 3, p[2] - 0.9f - 0.1f / 3, 0, 0, 0];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], logits.Grad!.Data[i], 6);
        // mean over the rows that count: row 1 alone gives log 3
        Assert.Equal(MathF.Log(3), Loss.CrossEntropy(logits, [-1, 0], ignoreIndex: -1).Item(), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(logits, [3, 0]));
    }

    [Fact]
    public void KlDivergenceTreatsZeroTargetsAsZero()
    {
        // target [0.5, 0.5, 0] vs input log [0.25, 0.25, 0.5]: 2 * 0.5 * log 2 = log 2
        var logInput = Tensor.FromArray([MathF.Log(0.25f), MathF.Log(0.25f), MathF.Log(0.5f)], 1, 3);
        var target = Tensor.FromArray([0.5f, 0.5f, 0], 1, 3);
        Assert.Equal(MathF.Log(2), Loss.KlDiv(logInput, target).Item(), 6);
        Assert.Equal(MathF.Log(2), Loss.KlDiv(logInput, target, "sum").Item(), 6);
        Assert.Equal(MathF.Log(2) / 3, Loss.KlDiv(logInput, target, "mean").Item(), 6);
        var none = Loss.KlDiv(logInput, target, "none");
        Assert.Equal([1, 3], none.ShapeArray());
        Assert.Equal([MathF.Log(2) / 2, MathF.Log(2) / 2, 0f], none.Data.ToArray());
        Assert.Throws<ArgumentException>(() => Loss.KlDiv(logInput, target, "average"));
        // batchmean divides by the batch size only
        var two = Tensor.FromArray([.. logInput.Data, .. logInput.Data], 2, 3);
        var twoTargets = Tensor.FromArray([.. target.Data, .. target.Data], 2, 3);
        Assert.Equal(MathF.Log(2), Loss.KlDiv(two, twoTargets).Item(), 6);
    }

    [Fact]
    public void MeanSquaredError()
    {
        var a = Tensor.FromArray([1, 2], 2); a.RequiresGrad = true;
        var b = Tensor.FromArray([3, 5], 2); b.RequiresGrad = true;
        var loss = Loss.Mse(a, b);
        Assert.Equal(6.5f, loss.Item());
        loss.Backward();
        Assert.Equal([-2f, -3], a.Grad!.Data.ToArray());
        Assert.Equal([2f, 3], b.Grad!.Data.ToArray());
    }

    [Fact]
    public void GradientsOfLosses()
    {
        GradCheck.Assert(t => Loss.CrossEntropy(t[0], [1, 4, 0]), [Random(1, 3, 5)]);
        GradCheck.Assert(t => Loss.CrossEntropy(t[0], [2, -100, 0, -100], labelSmoothing: 0.2f), [Random(2, 4, 3)]);
        GradCheck.Assert(t => Loss.CrossEntropy(t[0], [7, 1], ignoreIndex: 7, labelSmoothing: 1f), [Random(3, 2, 4)]);
        var probs = Random(4, 3, 4).Softmax(-1).Detach();
        GradCheck.Assert(t => Loss.KlDiv(t[0], probs), [Random(5, 3, 4)]);
        GradCheck.Assert(t => Loss.KlDiv(t[0], probs, "none"), [Random(6, 3, 4)]);
        GradCheck.Assert(t => Loss.KlDiv(t[0], t[1], "mean"), [Random(7, 3, 4), Random(8, 3, 4).Sigmoid().Detach()]);
        GradCheck.Assert(t => Loss.Mse(t[0], t[1]), [Random(9, 2, 3), Random(10, 2, 3)]);
    }
}
