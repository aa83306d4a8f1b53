using Sentire.Tensors;
using Sentire.Training.Losses;

namespace Sentire.Training.Tests;

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

    [Fact]
    public void CorpusLabelMaskLeavesOutPromptsOfLabelsTheClipsCorpusLacks()
    {
        // Clip 0 (label 0) comes from a corpus with label 0 only; clip 1 (label 1) from one with labels 0 and 1.
        var mask = EmoClapLoss.CorpusLabelMask([0, 1], [new HashSet<int> { 0 }, new HashSet<int> { 0, 1 }]);
        Assert.False(mask[0, 1]);
        Assert.True(mask[0, 0] && mask[1, 0] && mask[1, 1]);
        // a = t = identity, scales exp(0) = 1: C^a = C^t = I. Unmasked, every row costs log(1 + e^-1) = 0.31326.
        var a = Tensor.FromArray([1, 0, 0, 1], 2, 2);
        var zero = Tensor.Scalar(0);
        var targets = EmoClapLoss.EqualityTargets([0, 1]);
        double row = Math.Log(1 + Math.Exp(-1));
        Assert.Equal(row, EmoClapLoss.Compute(a, a, zero, zero, targets).Item(), 5);
        // Masked: audio 0 meets prompt 0 only and text 1 meets audio 1 only, so those rows cost 0; the other two rows
        // keep their full softmax: 1/2 (row / 2 + row / 2).
        Assert.Equal(row / 2, EmoClapLoss.Compute(a, a, zero, zero, targets, mask).Item(), 5);
        // A label outside its own corpus's set is a data error, not a silent zero row.
        Assert.Throws<ArgumentException>(() => EmoClapLoss.CorpusLabelMask([1, 1], [new HashSet<int> { 0 }, new HashSet<int> { 1 }]));
    }

    [Fact]
    public void MaskedSoftLabelTargetsAreRenormalisedOverTheAllowedPrompts()
    {
        // SL-GEmo-CLAP puts gender mass on a different-emotion pair; when that pair is masked the row is renormalised,
        // so the loss stays finite and equals the loss of the renormalised target.
        var mask = EmoClapLoss.CorpusLabelMask([0, 1], [new HashSet<int> { 0 }, new HashSet<int> { 0, 1 }]);
        var soft = EmoClapLoss.SoftLabelTargets([0, 1], [0, 0], alpha: 0.9f);    // row 0: [1/1.1, 0.1/1.1]
        var a = Tensor.FromArray([1, 0, 0, 1], 2, 2);
        var zero = Tensor.Scalar(0);
        float masked = EmoClapLoss.Compute(a, a, zero, zero, soft, mask).Item();
        Assert.True(float.IsFinite(masked));
        // Rows: a2t row 0 -> [1] (0); a2t row 1 -> target [0.1/1.1, 1/1.1] over both prompts; t2a row 0 -> target [1/1.1, 0.1/1.1]
        // over both clips; t2a row 1 -> clip 1 only (0).
        double p1 = Math.Exp(1) / (Math.Exp(1) + 1), p0 = 1 - p1;
        double Kl(double t0, double t1, double q0, double q1) => (t0 > 0 ? t0 * Math.Log(t0 / q0) : 0) + (t1 > 0 ? t1 * Math.Log(t1 / q1) : 0);
        double expected = 0.5 * ((0 + Kl(0.1 / 1.1, 1 / 1.1, p0, p1)) / 2 + (Kl(1 / 1.1, 0.1 / 1.1, p1, p0) + 0) / 2);
        Assert.Equal(expected, masked, 5);
    }
}
