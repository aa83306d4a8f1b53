using Sentire.Tensors;

namespace Sentire.Training.Distillation;

/// <summary>The student's training signal: the teacher's outputs only.</summary>
public static class DistillationLoss
{
    /// <summary>
    /// Knowledge distillation (Hinton et al., 2015): L = T^2 KL(q_T || p_T), p_T = softmax(z / T) of the student's
    /// logits z and q_T = softmax(log q / T) of the teacher's probabilities q (the teacher's logits up to a constant).
    /// The T^2 keeps gradient magnitudes comparable across temperatures. Batch mean.
    /// </summary>
    public static Tensor Category(Tensor studentLogits, Tensor teacherProbabilities, float temperature) =>
        Loss.KlDiv((studentLogits / temperature).LogSoftmax(-1), SoftenedTargets(teacherProbabilities, temperature)) * (temperature * temperature);

    /// <summary>q_T = softmax(log q / T) row by row, computed without the tape (targets carry no gradient).</summary>
    public static Tensor SoftenedTargets(Tensor probabilities, float temperature)
    {
        using var _ = Autograd.NoGrad();
        return (probabilities.Clamp(1e-8f, null).Log() / temperature).Softmax(-1);
    }

    /// <summary>1 - CCC per column, averaged: CCC = 2 s_xy / (s_x^2 + s_y^2 + (mu_x - mu_y)^2) (Lin, 1989), the
    /// dimensional loss of the audEERING study, over the batch (B, D).</summary>
    public static Tensor ConcordanceLoss(Tensor predicted, Tensor target)
    {
        if (!predicted.Shape.SequenceEqual(target.Shape) || predicted.Rank != 2)
            throw new ArgumentException($"CCC loss needs two (B, D) tensors of one shape, got {predicted.ShapeString} and {target.ShapeString}");
        var mx = predicted.Mean(0, keepDim: true);
        var my = target.Mean(0, keepDim: true);
        var dx = predicted - mx;
        var dy = target - my;
        var covariance = (dx * dy).Mean(0);
        var denominator = dx.Square().Mean(0) + dy.Square().Mean(0) + (mx - my).Square().Reshape(-1);
        var ccc = covariance * 2f / (denominator + 1e-8f);
        return ccc.RSub(1f).Mean();
    }
}
