using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sentire.Tensors;

// Elementwise ops of one tensor (and a float). Each forward is followed by its backward, with the
// derivative it applies as the comment; backwards reuse the forward's output y where the derivative
// is cheaper in terms of y (exp, sqrt, rsqrt, s/x).
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, float s) => a.Add(s);
    public static Tensor operator +(float s, Tensor a) => a.Add(s);
    public static Tensor operator -(Tensor a, float s) => a.Sub(s);
    public static Tensor operator -(float s, Tensor a) => a.RSub(s);
    public static Tensor operator *(Tensor a, float s) => a.Mul(s);
    public static Tensor operator *(float s, Tensor a) => a.Mul(s);
    public static Tensor operator /(Tensor a, float s) => a.Div(s);
    public static Tensor operator /(float s, Tensor a) => a.RDiv(s);
    public static Tensor operator -(Tensor a) => a.Neg();

    // ---- scalar arithmetic ----------------------------------------------------------------------

    /// <summary>x + s.</summary>
    public Tensor Add(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Add(src, s, dst));
        // d(x+s)/dx = 1
        return y.Record("add_scalar", [x], g => x.AccumulateGrad(g));
    }

    /// <summary>x - s.</summary>
    public Tensor Sub(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Subtract(src, s, dst));
        // d(x-s)/dx = 1
        return y.Record("sub_scalar", [x], g => x.AccumulateGrad(g));
    }

    /// <summary>s - x.</summary>
    public Tensor RSub(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Subtract(s, src, dst));
        // d(s-x)/dx = -1
        return y.Record("rsub_scalar", [x], g => x.AccumulateGrad(g.MapNew(TensorPrimitives.Negate)));
    }

    /// <summary>x * s.</summary>
    public Tensor Mul(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Multiply(src, s, dst));
        // d(x*s)/dx = s
        return y.Record("mul_scalar", [x], g => x.AccumulateGrad(g.MapNew((gs, dst) => TensorPrimitives.Multiply(gs, s, dst))));
    }

    /// <summary>x / s (a true division, so results match PyTorch bit for bit rather than x * (1/s)).</summary>
    public Tensor Div(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Divide(src, s, dst));
        // d(x/s)/dx = 1/s
        return y.Record("div_scalar", [x], g => x.AccumulateGrad(g.MapNew((gs, dst) => TensorPrimitives.Divide(gs, s, dst))));
    }

    /// <summary>s / x.</summary>
    public Tensor RDiv(float s)
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Divide(s, src, dst));
        return y.Record("rdiv_scalar", [x], g =>
        {
            // d(s/x)/dx = -s/x^2 = -y/x
            var dx = Empty(x.shape);
            TensorPrimitives.Divide(y.Data, x.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, g.Data, dx.Data);
            TensorPrimitives.Negate(dx.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>-x.</summary>
    public Tensor Neg()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.Negate);
        // d(-x)/dx = -1
        return y.Record("neg", [x], g => x.AccumulateGrad(g.MapNew(TensorPrimitives.Negate)));
    }

    // ---- powers, exponentials, roots --------------------------------------------------------------

    /// <summary>x^p. Negative bases give NaN unless p is an integer, as in PyTorch.</summary>
    public Tensor Pow(float p)
    {
        if (p == 2f) return Square();
        var x = this;
        var y = MapNew((src, dst) => PowInto(src, p, dst));
        return y.Record("pow", [x], g =>
        {
            // d(x^p)/dx = p * x^(p-1); exactly 0 when p = 0 (even where x^-1 is infinite)
            var dx = Empty(x.shape);
            if (p == 0f) dx.Data.Clear();
            else
            {
                PowInto(x.Data, p - 1f, dx.Data);
                TensorPrimitives.Multiply(dx.Data, p, dx.Data);
                TensorPrimitives.Multiply(dx.Data, g.Data, dx.Data);
            }
            x.AccumulateGrad(dx);
        });
    }

    // Small exponents as products (exact and vectorised); the rest through TensorPrimitives.Pow, which
    // follows MathF.Pow (so integer powers of negative bases keep their sign).
    static void PowInto(ReadOnlySpan<float> x, float p, Span<float> dst)
    {
        switch (p)
        {
            case 1f: x.CopyTo(dst); return;
            case 2f: TensorPrimitives.Multiply(x, x, dst); return;
            case 3f: TensorPrimitives.Multiply(x, x, dst); TensorPrimitives.Multiply(dst, x, dst); return;
            case -1f: TensorPrimitives.Divide(1f, x, dst); return;
            case 0.5f: TensorPrimitives.Sqrt(x, dst); return;
            default: TensorPrimitives.Pow(x, p, dst); return;
        }
    }

    /// <summary>x^2.</summary>
    public Tensor Square()
    {
        var x = this;
        var y = MapNew((src, dst) => TensorPrimitives.Multiply(src, src, dst));
        return y.Record("square", [x], g =>
        {
            // d(x^2)/dx = 2x
            var dx = Empty(x.shape);
            TensorPrimitives.Multiply(x.Data, g.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, 2f, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>e^x.</summary>
    public Tensor Exp()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.Exp);
        return y.Record("exp", [x], g =>
        {
            // d(e^x)/dx = e^x = y
            var dx = Empty(x.shape);
            TensorPrimitives.Multiply(g.Data, y.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.Log);
        return y.Record("log", [x], g =>
        {
            // d(ln x)/dx = 1/x
            var dx = Empty(x.shape);
            TensorPrimitives.Divide(g.Data, x.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>Square root.</summary>
    public Tensor Sqrt()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.Sqrt);
        return y.Record("sqrt", [x], g =>
        {
            // d(sqrt x)/dx = 1 / (2 sqrt x) = 0.5 / y
            var dx = Empty(x.shape);
            TensorPrimitives.Divide(g.Data, y.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, 0.5f, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>1 / sqrt(x).</summary>
    public Tensor Rsqrt()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.ReciprocalSqrt);
        return y.Record("rsqrt", [x], g =>
        {
            // d(x^-1/2)/dx = -0.5 x^-3/2 = -0.5 y^3
            var dx = Empty(x.shape);
            TensorPrimitives.Multiply(y.Data, y.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, y.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, g.Data, dx.Data);
            TensorPrimitives.Multiply(dx.Data, -0.5f, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    // ---- piecewise ----------------------------------------------------------------------------------

    /// <summary>|x|.</summary>
    public Tensor Abs()
    {
        var x = this;
        var y = MapNew(TensorPrimitives.Abs);
        return y.Record("abs", [x], g =>
        {
            // d|x|/dx = sign(x), taken as 0 at x = 0 (PyTorch's subgradient)
            var dx = Empty(x.shape);
            var xs = x.Data; var gs = g.Data; var d = dx.Data;
            for (int i = 0; i < d.Length; i++) d[i] = xs[i] > 0f ? gs[i] : xs[i] < 0f ? -gs[i] : 0f;
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>min(max(x, min), max); a null bound is not applied. With min &gt; max every element becomes max, as in PyTorch.</summary>
    public Tensor Clamp(float? min, float? max)
    {
        if (min is null && max is null) throw new ArgumentException("Clamp needs at least one of min and max");
        var x = this;
        var y = MapNew((src, dst) => ClampInto(src, min ?? float.NegativeInfinity, max ?? float.PositiveInfinity, dst));
        return y.Record("clamp", [x], g =>
        {
            // d clamp/dx = 1 where min <= x <= max (bounds included, as PyTorch), else 0
            float lo = min ?? float.NegativeInfinity, hi = max ?? float.PositiveInfinity;
            var dx = Empty(x.shape);
            var xs = x.Data; var gs = g.Data; var d = dx.Data;
            for (int i = 0; i < d.Length; i++) d[i] = xs[i] >= lo && xs[i] <= hi ? gs[i] : 0f;
            x.AccumulateGrad(dx);
        });
    }

    // One pass instead of TensorPrimitives.Max then Min (half the memory traffic). x86 maxps/minps return their
    // second operand when either is NaN, so x goes second and a NaN passes through, as in PyTorch.
    static void ClampInto(ReadOnlySpan<float> x, float lo, float hi, Span<float> dst)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            var vlo = Vector256.Create(lo);
            var vhi = Vector256.Create(hi);
            ref float xs = ref MemoryMarshal.GetReference(x);
            ref float ds = ref MemoryMarshal.GetReference(dst);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                Avx.Min(vhi, Avx.Max(vlo, Vector256.LoadUnsafe(ref xs, (nuint)i))).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < x.Length; i++) dst[i] = float.IsNaN(x[i]) ? x[i] : MathF.Min(MathF.Max(x[i], lo), hi);
    }
}
