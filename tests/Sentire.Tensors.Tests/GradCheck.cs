using Sentire.Tensors;

namespace Sentire.Tensors.Tests;

/// <summary>
/// Finite-difference gradient check. The scalar probed is L = sum(f(inputs) * w) for a fixed random w,
/// so every output element contributes; analytic gradients come from <c>f(...).Backward(w)</c>, numeric
/// ones from central differences computed in float32 (hence the loose default tolerances).
/// </summary>
internal static class GradCheck
{
    public static void Assert(Func<Tensor[], Tensor> f, Tensor[] inputs, float eps = 1e-2f, float rtol = 2e-2f, float atol = 2e-3f, ulong seed = 7)
    {
        foreach (var x in inputs) { x.RequiresGrad = true; x.ZeroGrad(); }
        var y = f(inputs);
        var w = Tensor.Normal(new Generator(seed), 0, 1, y.ShapeArray());
        y.Backward(w);

        double Probe()
        {
            using var _ = Autograd.NoGrad();
            var out1 = f(inputs).Data;
            double s = 0;
            for (int i = 0; i < out1.Length; i++) s += (double)out1[i] * w.Data[i];
            return s;
        }

        for (int n = 0; n < inputs.Length; n++)
        {
            var x = inputs[n];
            var analytic = x.Grad?.Data.ToArray() ?? new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                float orig = x.Data[i];
                x.Data[i] = orig + eps; double plus = Probe();
                x.Data[i] = orig - eps; double minus = Probe();
                x.Data[i] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double tol = atol + rtol * Math.Abs(numeric);
                if (Math.Abs(numeric - analytic[i]) > tol)
                    throw new Xunit.Sdk.XunitException($"input {n}, element {i}: analytic gradient {analytic[i]} vs numeric {numeric:G6} (tolerance {tol:G3})");
            }
        }
    }
}
