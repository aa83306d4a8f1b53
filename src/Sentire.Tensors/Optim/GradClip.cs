using System.Numerics.Tensors;

namespace Sentire.Tensors.Optim;

/// <summary>Gradient clipping by global norm (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_.</summary>
public static class GradClip
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (norm + 1e-6)), where norm is the L2 norm of all gradients
    /// concatenated, and returns that norm (before clipping). Parameters without a gradient are ignored.
    /// A non-finite norm is returned and the gradients are left as they are, so the caller can skip the step
    /// (torch would multiply them by NaN).
    /// </summary>
    public static float ClipGlobalNorm(IEnumerable<Tensor> parameters, float maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"maxNorm must be positive, got {maxNorm}");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        double sumOfSquares = 0;
        foreach (var g in grads)
        {
            double n = TensorPrimitives.Norm(g.Data);   // per-tensor norm first, as torch: norm of the norms
            sumOfSquares += n * n;
        }
        float norm = (float)Math.Sqrt(sumOfSquares);
        if (!float.IsFinite(norm)) return norm;
        float coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient < 1f)
            foreach (var g in grads) TensorPrimitives.Multiply(g.Data, coefficient, g.Data);
        return norm;
    }
}
