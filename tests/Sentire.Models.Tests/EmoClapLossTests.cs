using Sentire.Models.Clap;
using Sentire.Tensors;

namespace Sentire.Models.Tests;

public sealed class EmoClapLossTests
{
    static Tensor Identity2() => Tensor.FromArray([1, 0, 0, 1], 2, 2);
    static Tensor Zero() => Tensor.Scalar(0f);   // exp(0) = 1: logits are the cosine similarities

    // With A = T = I and unit scale, each logit row is [1, 0] (or [0, 1]); log-softmax gives
    // log p_same = 1 - L and log p_other = -L with L = log(1 + e).
    static readonly double L = Math.Log(1 + Math.E);

    [Fact]
    public void DistinctLabelsReduceToClipTargets()
    {
        var loss = EmoClapLoss.Compute(Identity2(), Identity2(), Zero(), Zero(), EmoClapLoss.EqualityTargets([0, 1]));
        // KL(I || p) per row = -(1 - L); both directions equal.
        Assert.Equal(L - 1, loss.Item(), 5);
    }

    [Fact]
    public void SharedLabelsMakeBothPairsPositive()
    {
        var targets = EmoClapLoss.EqualityTargets([3, 3]);
        Assert.Equal([0.5f, 0.5f, 0.5f, 0.5f], targets.Data.ToArray());
        var loss = EmoClapLoss.Compute(Identity2(), Identity2(), Zero(), Zero(), targets);
        // per row: sum_j 0.5 (log 0.5 - log p_j) = log 0.5 - 0.5 (1 - 2L)
        Assert.Equal(Math.Log(0.5) - 0.5 * (1 - 2 * L), loss.Item(), 5);
    }

    [Fact]
    public void SoftLabelTargetMixesGenderEquality()
    {
        // emotions differ, genders equal: raw row [1, 1 - alpha] -> normalised by 2 - alpha
        var t = EmoClapLoss.SoftLabelTargets([0, 1], [5, 5], alpha: 0.9f);
        Assert.Equal(1 / 1.1f, t[0, 0], 6);
        Assert.Equal(0.1f / 1.1f, t[0, 1], 6);
        // emotions equal too: uniform
        var u = EmoClapLoss.SoftLabelTargets([2, 2], [5, 5], alpha: 0.9f);
        Assert.Equal(0.5f, u[1, 0], 6);
    }

    [Fact]
    public void MultiTaskLossIsTheAlphaWeightedSum()
    {
        var emo = EmoClapLoss.Compute(Identity2(), Identity2(), Zero(), Zero(), EmoClapLoss.EqualityTargets([0, 1])).Item();
        var gen = EmoClapLoss.Compute(Identity2(), Identity2(), Zero(), Zero(), EmoClapLoss.EqualityTargets([1, 1])).Item();
        var ml = EmoClapLoss.MultiTask(Identity2(), Identity2(), Identity2(), Zero(), Zero(), [0, 1], [1, 1], alpha: 0.7f).Item();
        Assert.Equal(0.7 * emo + 0.3 * gen, ml, 5);
    }

    [Fact]
    public void TemperatureGradientMatchesFiniteDifferenceAndColderIsSharper()
    {
        // Correctly ranked in both directions: audio i is closest to text i and vice versa.
        var audio = Tensor.FromArray([0.8f, 0.6f, 0, 1], 2, 2); audio.RequiresGrad = true;
        var text = Tensor.FromArray([1, 0, 0, 1], 2, 2); text.RequiresGrad = true;
        var targets = EmoClapLoss.EqualityTargets([0, 1]);
        float LossAt(float s) => EmoClapLoss.Compute(audio.Detach(), text.Detach(), Tensor.Scalar(s), Tensor.Scalar(s), targets).Item();

        var scale = Tensor.Scalar(MathF.Log(10)); scale.RequiresGrad = true;
        var loss = EmoClapLoss.Compute(audio, text, scale, scale, targets);
        loss.Backward();
        float h = 1e-2f, s0 = MathF.Log(10);
        Assert.Equal((LossAt(s0 + h) - LossAt(s0 - h)) / (2 * h), scale.Grad!.Item(), 3);
        Assert.NotNull(audio.Grad);
        Assert.NotNull(text.Grad);
        Assert.True(LossAt(MathF.Log(20)) < loss.Item());
    }
}
