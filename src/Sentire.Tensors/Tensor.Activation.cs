using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Sentire.Tensors;

// Activations and softmax, PyTorch semantics, each forward followed by its backward.
//   relu' = [x > 0];  sigmoid' = y (1 - y);  tanh' = 1 - y^2;  silu' = s (1 + x (1 - s)), s = sigmoid(x)
//   gelu(x) = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, gelu' = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi)
//   gelu_tanh(x) = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3) (Hendrycks & Gimpel 2016, eq. for the approximation)
//   hardsigmoid(x) = clamp(x + 3, 0, 6) / 6, ' = 1/6 on (-3, 3) else 0;  hardswish(x) = x hardsigmoid(x), ' = 0 below -3,
//   x/3 + 1/2 on [-3, 3), 1 from 3 up (Howard et al. 2019, "Searching for MobileNetV3"; PyTorch's one-sided choices at +-3)
//   softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold; softplus' = sigmoid(beta x)
//   softmax: y = exp(x - max) / sum, dx = y (g - sum(g y));  log_softmax: y = x - max - log sum exp(x - max), dx = g - exp(y) sum(g)
// Elementwise kernels run in blocks of ElementwiseBlock elements, so that multi-pass chains stay in L1 and big tensors
// split across threads; GELU, softmax rows and the backward formulas are single vector passes (ExpVector, NormalCdf).
public sealed partial class Tensor
{
    const int ElementwiseBlock = 1024;
    const float Sqrt1Over2 = 0.70710678118654752f;
    const float InvSqrt2Pi = 0.39894228040143268f;
    const float Sqrt2OverPi = 0.79788456080286536f;
    const float GeluTanhCubic = 0.044715f;

    public Tensor Relu()
    {
        var y = Elementwise(this, null, static (x, _, y) => TensorPrimitives.Max(x, 0f, y));
        var x = this;
        return y.Record("relu", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
                    Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x.Slice(i)), Vector<float>.Zero), new Vector<float>(g.Slice(i)), Vector<float>.Zero).CopyTo(dx.Slice(i));
            for (; i < dx.Length; i++) dx[i] = x[i] > 0 ? g[i] : 0f;
        })));
    }

    public Tensor Sigmoid()
    {
        var y = Elementwise(this, null, static (x, _, y) => TensorPrimitives.Sigmoid(x, y));
        var x = this;
        return y.Record("sigmoid", [x], g => x.AccumulateGrad(Elementwise(g, y, static (g, y, dx) =>
        {
            TensorPrimitives.Subtract(1f, y, dx);
            TensorPrimitives.Multiply(dx, y, dx);
            TensorPrimitives.Multiply(dx, g, dx);
        })));
    }

    public Tensor Tanh()
    {
        var y = Elementwise(this, null, static (x, _, y) => TensorPrimitives.Tanh(x, y));
        var x = this;
        return y.Record("tanh", [x], g => x.AccumulateGrad(Elementwise(g, y, static (g, y, dx) =>
        {
            // g * (1 - y^2) = g - g * y^2
            TensorPrimitives.Multiply(y, y, dx);
            TensorPrimitives.Multiply(dx, g, dx);
            TensorPrimitives.Subtract(g, dx, dx);
        })));
    }

    public Tensor HardSigmoid()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            TensorPrimitives.Add(x, 3f, y);
            TensorPrimitives.Max(y, 0f, y);
            TensorPrimitives.Min(y, 6f, y);
            TensorPrimitives.Multiply(y, 1f / 6f, y);
        });
        var x = this;
        return y.Record("hardsigmoid", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > -3f && x[i] < 3f ? g[i] * (1f / 6f) : 0f;
        })));
    }

    public Tensor HardSwish()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                Vector<float> three = new(3f), six = new(6f);
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var xv = new Vector<float>(x.Slice(i));
                    (xv * Vector.Min(Vector.Max(xv + three, Vector<float>.Zero), six) / six).CopyTo(y.Slice(i));
                }
            }
            for (; i < x.Length; i++) y[i] = x[i] * Math.Clamp(x[i] + 3f, 0f, 6f) / 6f;
        });
        var x = this;
        return y.Record("hardswish", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            for (int i = 0; i < dx.Length; i++)
            {
                float xi = x[i];
                dx[i] = xi < -3f ? 0f : xi < 3f ? g[i] * (xi / 3f + 0.5f) : g[i];
            }
        })));
    }

    public Tensor Silu()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            TensorPrimitives.Sigmoid(x, y);
            TensorPrimitives.Multiply(y, x, y);
        });
        var x = this;
        return y.Record("silu", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            TensorPrimitives.Sigmoid(x, dx);                   // dx holds s until overwritten element by element
            // s (1 + x (1 - s)) = s + x s (1 - s)
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var sv = new Vector<float>(dx.Slice(i));
                    (new Vector<float>(g.Slice(i)) * (sv + new Vector<float>(x.Slice(i)) * sv * (Vector<float>.One - sv))).CopyTo(dx.Slice(i));
                }
            for (; i < dx.Length; i++)
            {
                float si = dx[i];
                dx[i] = g[i] * (si + x[i] * si * (1f - si));
            }
        })));
    }

    /// <summary>GELU with the exact normal CDF (PyTorch's default, approximate='none').</summary>
    public Tensor Gelu()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var xv = new Vector<float>(x.Slice(i));
                    (xv * NormalCdf(xv)).CopyTo(y.Slice(i));
                }
            for (; i < x.Length; i++) y[i] = x[i] * NormalCdf(x[i]);
        });
        var x = this;
        return y.Record("gelu", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            // Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi)
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var xv = new Vector<float>(x.Slice(i));
                    var pdf = ExpVector(xv * xv * -0.5f) * InvSqrt2Pi;
                    ((NormalCdf(xv) + xv * pdf) * new Vector<float>(g.Slice(i))).CopyTo(dx.Slice(i));
                }
            for (; i < x.Length; i++)
            {
                float xi = x[i];
                dx[i] = g[i] * (NormalCdf(xi) + xi * MathF.Exp(-0.5f * xi * xi) * InvSqrt2Pi);
            }
        })));
    }

    /// <summary>GELU, tanh approximation (PyTorch approximate='tanh', GPT-2's "gelu_new").</summary>
    public Tensor GeluTanh()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            GeluTanhInner(x, y);
            TensorPrimitives.Tanh(y, y);
            TensorPrimitives.Add(y, 1f, y);
            TensorPrimitives.Multiply(y, x, y);
            TensorPrimitives.Multiply(y, 0.5f, y);
        });
        var x = this;
        return y.Record("gelu_tanh", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            GeluTanhInner(x, dx);
            TensorPrimitives.Tanh(dx, dx);                     // dx holds tanh(u) until overwritten element by element
            // d/dx = (1 + t)/2 + x (1 - t^2) u'/2, u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var xv = new Vector<float>(x.Slice(i));
                    var tv = new Vector<float>(dx.Slice(i));
                    var du = (Vector<float>.One + xv * xv * (3f * GeluTanhCubic)) * Sqrt2OverPi;
                    var d = ((Vector<float>.One + tv) + xv * (Vector<float>.One - tv * tv) * du) * 0.5f;
                    (new Vector<float>(g.Slice(i)) * d).CopyTo(dx.Slice(i));
                }
            for (; i < dx.Length; i++)
            {
                float xi = x[i], ti = dx[i];
                float du = Sqrt2OverPi * (1f + 3f * GeluTanhCubic * xi * xi);
                dx[i] = g[i] * (0.5f * (1f + ti) + 0.5f * xi * (1f - ti * ti) * du);
            }
        })));
    }

    /// <summary>log(1 + exp(beta x)) / beta, reverting to x where beta x &gt; threshold (PyTorch's Softplus).</summary>
    public Tensor Softplus(float beta = 1f, float threshold = 20f)
    {
        var y = Empty(shape);
        var xs = Data;
        var ys = y.Data;
        for (int i = 0; i < ys.Length; i++)
        {
            float bx = beta * xs[i];
            ys[i] = bx > threshold ? xs[i] : (float)(Log1PExp(bx) / beta);
        }
        var x = this;
        return y.Record("softplus", [x], g =>
        {
            var dx = Empty(x.shape);
            var gs = g.Data;
            var xv = x.Data;
            var d = dx.Data;
            for (int i = 0; i < d.Length; i++)
            {
                float bx = beta * xv[i];
                d[i] = bx > threshold ? gs[i] : gs[i] / (1f + MathF.Exp(-bx));
            }
            x.AccumulateGrad(dx);
        });
    }

    static double Log1PExp(float z)
    {
        double u = Math.Exp(z);
        // log1p(u) without the rounding of 1 + u for tiny u
        return u < 1e-5 ? u * (1 - u * (0.5 - u / 3)) : Math.Log(1 + u);
    }

    public Tensor Softmax(int dim)
    {
        int d = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, d);
        Tensor y;
        if (along.Inner == 1) y = MapRows(this, null, along.N, static (x, _, y) => SoftmaxRow(x, y));
        else
        {
            y = Empty(shape);
            along.Subtract(data, along.Max(data, null), y.data);
            TensorPrimitives.Exp(y.Data, y.Data);
            along.Divide(y.data, along.Sum(y.data), y.data);
        }
        var x = this;
        return y.Record("softmax", [x], g =>
        {
            if (along.Inner == 1) { x.AccumulateGrad(MapRows(g, y, along.N, SoftmaxBackwardRow)); return; }
            var dx = Empty(x.shape);
            TensorPrimitives.Multiply(g.Data, y.Data, dx.Data);
            along.Subtract(g.data, along.Sum(dx.data), dx.data);
            TensorPrimitives.Multiply(dx.Data, y.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    public Tensor LogSoftmax(int dim)
    {
        int d = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, d);
        Tensor y;
        if (along.Inner == 1) y = MapRows(this, null, along.N, static (x, _, y) => LogSoftmaxRow(x, y));
        else
        {
            y = Empty(shape);
            along.Subtract(data, along.Max(data, null), y.data);
            var e = GC.AllocateUninitializedArray<float>(Length);
            TensorPrimitives.Exp(y.Data, e.AsSpan(0, Length));
            var logSum = along.Sum(e);
            TensorPrimitives.Log(logSum, logSum);
            along.Subtract(y.data, logSum, y.data);
        }
        var x = this;
        return y.Record("log_softmax", [x], g =>
        {
            if (along.Inner == 1)
            {
                x.AccumulateGrad(MapRows(g, y, along.N, static (g, y, dx) =>
                {
                    float sum = TensorPrimitives.Sum(g);
                    TensorPrimitives.Exp(y, dx);
                    TensorPrimitives.MultiplyAdd(dx, -sum, g, dx);
                }));
                return;
            }
            var dx = Empty(x.shape);
            TensorPrimitives.Exp(y.Data, dx.Data);
            along.Multiply(dx.data, along.Sum(g.data), dx.data);
            TensorPrimitives.Subtract(g.Data, dx.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>y = exp(x - max) / sum: one pass for the maximum, one that writes exp and sums it, one that scales.</summary>
    internal static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        float sum = ExpShiftedSum(x, max, y);
        TensorPrimitives.Multiply(y, 1f / sum, y);
    }

    /// <summary>y = (x - max) - log sum exp(x - max).</summary>
    internal static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        float logSum = MathF.Log(ExpShiftedSum(x, max, default));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> m = new(max), l = new(logSum);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(x.Slice(i)) - m - l).CopyTo(y.Slice(i));
        }
        for (; i < x.Length; i++) y[i] = x[i] - max - logSum;
    }

    /// <summary>sum of exp(x - shift), also stored in <paramref name="expOut"/> unless it is empty.</summary>
    internal static float ExpShiftedSum(ReadOnlySpan<float> x, float shift, Span<float> expOut)
    {
        bool store = !expOut.IsEmpty;
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var m = new Vector<float>(shift);
            var acc = Vector<float>.Zero;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var e = ExpVector(new Vector<float>(x.Slice(i)) - m);
                if (store) e.CopyTo(expOut.Slice(i));
                acc += e;
            }
            sum = Vector.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            if (store) expOut[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>dx = y (g - sum(g y)), the softmax Jacobian applied to g.</summary>
    internal static void SoftmaxBackwardRow(ReadOnlySpan<float> g, ReadOnlySpan<float> y, Span<float> dx)
    {
        float dot = TensorPrimitives.Dot(g, y);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var d = new Vector<float>(dot);
            for (; i <= g.Length - Vector<float>.Count; i += Vector<float>.Count)
                ((new Vector<float>(g.Slice(i)) - d) * new Vector<float>(y.Slice(i))).CopyTo(dx.Slice(i));
        }
        for (; i < g.Length; i++) dx[i] = (g[i] - dot) * y[i];
    }

    /// <summary>u = sqrt(2/pi) (x + 0.044715 x^3), the argument of tanh in the GELU approximation.</summary>
    static void GeluTanhInner(ReadOnlySpan<float> x, Span<float> u)
    {
        TensorPrimitives.Multiply(x, x, u);
        TensorPrimitives.Multiply(u, GeluTanhCubic, u);
        TensorPrimitives.Add(u, 1f, u);
        TensorPrimitives.Multiply(u, x, u);
        TensorPrimitives.Multiply(u, Sqrt2OverPi, u);
    }

    /// <summary>
    /// Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2: absolute error below 2e-7, and relative error below 1e-6 on
    /// the lower tail down to x = -4 (the float rounding of the exponent -x^2/2 dominates there).
    /// erfc(z), z &gt;= 0, is the Chebyshev fit of Press et al., Numerical Recipes (2nd ed.) section 6.2,
    /// erfc(z) = t exp(-z^2 - 1.26551223 + t (1.00002368 + ... + t 0.17087277)), t = 1 / (1 + z/2),
    /// fractional error &lt; 1.2e-7 everywhere; Phi = erfc/2 for x &lt; 0 and 1 - erfc/2 otherwise, so the small
    /// tail keeps its relative accuracy (1 + erf(x) would cancel).
    /// </summary>
    internal static void NormalCdf(ReadOnlySpan<float> x, Span<float> cdf)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                NormalCdf(new Vector<float>(x.Slice(i))).CopyTo(cdf.Slice(i));
        for (; i < x.Length; i++) cdf[i] = NormalCdf(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector<float> NormalCdf(Vector<float> x)
    {
        var t = Vector<float>.One / (Vector<float>.One + Vector.Abs(x) * (0.5f * Sqrt1Over2));
        var p = t * 0.17087277f + new Vector<float>(-0.82215223f);
        p = p * t + new Vector<float>(1.48851587f);
        p = p * t + new Vector<float>(-1.13520398f);
        p = p * t + new Vector<float>(0.27886807f);
        p = p * t + new Vector<float>(-0.18628806f);
        p = p * t + new Vector<float>(0.09678418f);
        p = p * t + new Vector<float>(0.37409196f);
        p = p * t + new Vector<float>(1.00002368f);
        p = p * t + new Vector<float>(-1.26551223f);
        var lowerTail = t * ExpVector(p - x * x * 0.5f) * 0.5f;     // Phi(-|x|) = erfc(|x| / sqrt 2) / 2
        return Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), lowerTail, Vector<float>.One - lowerTail);
    }

    /// <summary>
    /// exp for float vectors, for fusing into one-pass kernels (System.Numerics' Vector.Exp goes through double and is
    /// about twice as slow as TensorPrimitives.Exp). Cody-Waite reduction x = n ln2 + r, |r| &lt;= ln2/2, then the degree-7
    /// minimax polynomial of Cephes' expf (relative error about 1 ulp), times 2^n built in the exponent bits.
    /// Below -87.3 the result is 0 (no denormals: exp(-inf) = 0 exactly, as masked softmax needs), above 88.7 it is
    /// +inf, and NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> ExpVector(Vector<float> x)
    {
        var clamped = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(-87.3f)), new Vector<float>(88f));
        var n = Vector.Round(clamped * 1.44269504088896341f);
        var r = clamped - n * 0.693359375f;                     // ln2 = 0.693359375 - 2.12194440e-4, the first part exact
        r += n * 2.12194440e-4f;
        var p = new Vector<float>(1.9875691500e-4f);
        p = p * r + new Vector<float>(1.3981999507e-3f);
        p = p * r + new Vector<float>(8.3334519073e-3f);
        p = p * r + new Vector<float>(4.1665795894e-2f);
        p = p * r + new Vector<float>(1.6666665459e-1f);
        p = p * r + new Vector<float>(5.0000001201e-1f);
        p = p * (r * r) + r + Vector<float>.One;
        var twoToN = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32Native(n) + new Vector<int>(127), 23));
        var e = p * twoToN;
        e = Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(-87.3f)), Vector<float>.Zero, e);
        e = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(88.72f)), new Vector<float>(float.PositiveInfinity), e);
        return Vector.ConditionalSelect(Vector.Equals(x, x), e, x);
    }

    static float NormalCdf(float x)
    {
        float t = 1f / (1f + MathF.Abs(x) * (0.5f * Sqrt1Over2));
        float p = t * 0.17087277f - 0.82215223f;
        p = p * t + 1.48851587f;
        p = p * t - 1.13520398f;
        p = p * t + 0.27886807f;
        p = p * t - 0.18628806f;
        p = p * t + 0.09678418f;
        p = p * t + 0.37409196f;
        p = p * t + 1.00002368f;
        p = p * t - 1.26551223f;
        float lowerTail = t * MathF.Exp(p - x * x * 0.5f) * 0.5f;
        return x < 0 ? lowerTail : 1f - lowerTail;
    }

    /// <summary>y = kernel(a, b) elementwise, block by block (b may be null: unary), blocks split across threads for big tensors.</summary>
    static Tensor Elementwise(Tensor a, Tensor? b, SpanOp kernel) => MapRows(a, b, ElementwiseBlock, kernel);

    /// <summary>y = kernel(a row, b row) for consecutive rows of <paramref name="rowLength"/> elements (the last one may be
    /// shorter; b may be null), rows split across threads for big tensors.</summary>
    static Tensor MapRows(Tensor a, Tensor? b, int rowLength, SpanOp kernel)
    {
        var y = Empty(a.shape);
        float[] xs = a.data, bs = b?.data ?? [], ys = y.data;
        int length = a.Length, rows = rowLength == 0 ? 0 : (length + rowLength - 1) / rowLength;
        bool binary = b is not null;
        ForRows(rows, rowLength, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int at = r * rowLength, len = Math.Min(rowLength, length - at);
                kernel(xs.AsSpan(at, len), binary ? bs.AsSpan(at, len) : default, ys.AsSpan(at, len));
            }
        });
        return y;
    }
}
