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
}
