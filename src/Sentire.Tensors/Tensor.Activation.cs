using System.Numerics;
using System.Numerics.Tensors;

namespace Sentire.Tensors;

// Activations and softmax, PyTorch semantics, each forward followed by its backward.
//   relu' = [x > 0];  sigmoid' = y (1 - y);  tanh' = 1 - y^2;  silu' = s (1 + x (1 - s)), s = sigmoid(x)
//   gelu(x) = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, gelu' = Phi(x) + x phi(x), phi(x) = exp(-x^2/2) / sqrt(2 pi)
//   gelu_tanh(x) = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3) (Hendrycks & Gimpel 2016, eq. for the approximation)
//   softplus(x) = log(1 + exp(beta x)) / beta, and x itself where beta x > threshold; softplus' = sigmoid(beta x)
//   softmax: y = exp(x - max) / sum, dx = y (g - sum(g y));  log_softmax: y = x - max - log sum exp(x - max), dx = g - exp(y) sum(g)
// Elementwise kernels run in blocks of BlockSize so that multi-pass TensorPrimitives chains stay in L1 and big tensors
// split across threads.
public sealed partial class Tensor
{
    const int BlockSize = 1024;
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
            for (int i = 0; i < dx.Length; i++) dx[i] = x[i] > 0 ? g[i] : 0f;
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
            Span<float> s = stackalloc float[dx.Length];
            TensorPrimitives.Sigmoid(x, s);
            // s (1 + x (1 - s)) = s + (x s)(1 - s)
            TensorPrimitives.Subtract(1f, s, dx);
            TensorPrimitives.Multiply(dx, x, dx);
            TensorPrimitives.MultiplyAdd(dx, s, s, dx);
            TensorPrimitives.Multiply(dx, g, dx);
        })));
    }

    /// <summary>GELU with the exact normal CDF (PyTorch's default, approximate='none').</summary>
    public Tensor Gelu()
    {
        var y = Elementwise(this, null, static (x, _, y) =>
        {
            NormalCdf(x, y);
            TensorPrimitives.Multiply(y, x, y);
        });
        var x = this;
        return y.Record("gelu", [x], g => x.AccumulateGrad(Elementwise(g, x, static (g, x, dx) =>
        {
            Span<float> pdf = stackalloc float[dx.Length];
            // phi(x) = exp(-x^2/2) / sqrt(2 pi)
            TensorPrimitives.Multiply(x, x, pdf);
            TensorPrimitives.Multiply(pdf, -0.5f, pdf);
            TensorPrimitives.Exp(pdf, pdf);
            TensorPrimitives.Multiply(pdf, InvSqrt2Pi, pdf);
            NormalCdf(x, dx);
            TensorPrimitives.MultiplyAdd(pdf, x, dx, dx);        // Phi + x phi
            TensorPrimitives.Multiply(dx, g, dx);
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
            Span<float> t = stackalloc float[dx.Length];
            GeluTanhInner(x, t);
            TensorPrimitives.Tanh(t, t);
            for (int i = 0; i < dx.Length; i++)
            {
                float xi = x[i], ti = t[i];
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
        var (outer, n, inner) = SplitAt(shape, d);
        var y = Empty(shape);
        if (inner == 1)
        {
            float[] xs = data, ys = y.data;
            ForRows(outer, n, (start, end) =>
            {
                for (int r = start; r < end; r++) SoftmaxRow(xs.AsSpan(r * n, n), ys.AsSpan(r * n, n));
            });
        }
        else
        {
            var m = MaxAlong(data, outer, n, inner, null);
            ApplyAlong(data, m, y.data, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
            TensorPrimitives.Exp(y.Data, y.Data);
            var sum = SumAlong(y.data, outer, n, inner);
            ApplyAlong(y.data, sum, y.data, outer, n, inner, TensorPrimitives.Divide, static (a, s, o) => TensorPrimitives.Divide(a, s, o));
        }
        var x = this;
        return y.Record("softmax", [x], g =>
        {
            var dx = Empty(x.shape);
            float[] gs = g.data, ys = y.data, dxs = dx.data;
            if (inner == 1)
            {
                ForRows(outer, n, (start, end) =>
                {
                    for (int r = start; r < end; r++)
                    {
                        var gr = gs.AsSpan(r * n, n); var yr = ys.AsSpan(r * n, n); var dr = dxs.AsSpan(r * n, n);
                        float dot = TensorPrimitives.Dot(gr, yr);
                        TensorPrimitives.Subtract(gr, dot, dr);
                        TensorPrimitives.Multiply(dr, yr, dr);
                    }
                });
            }
            else
            {
                TensorPrimitives.Multiply(g.Data, y.Data, dx.Data);
                var dot = SumAlong(dxs, outer, n, inner);
                ApplyAlong(gs, dot, dxs, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
                TensorPrimitives.Multiply(dx.Data, y.Data, dx.Data);
            }
            x.AccumulateGrad(dx);
        });
    }

    public Tensor LogSoftmax(int dim)
    {
        int d = NormalizeDim(dim, Rank);
        var (outer, n, inner) = SplitAt(shape, d);
        var y = Empty(shape);
        if (inner == 1)
        {
            float[] xs = data, ys = y.data;
            ForRows(outer, n, (start, end) =>
            {
                for (int r = start; r < end; r++) LogSoftmaxRow(xs.AsSpan(r * n, n), ys.AsSpan(r * n, n));
            });
        }
        else
        {
            var m = MaxAlong(data, outer, n, inner, null);
            ApplyAlong(data, m, y.data, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
            var e = GC.AllocateUninitializedArray<float>(Length);
            TensorPrimitives.Exp(y.Data, e.AsSpan(0, Length));
            var logSum = SumAlong(e, outer, n, inner);
            for (int r = 0; r < logSum.Length; r++) logSum[r] = MathF.Log(logSum[r]);
            ApplyAlong(y.data, logSum, y.data, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
        }
        var x = this;
        return y.Record("log_softmax", [x], g =>
        {
            var dx = Empty(x.shape);
            float[] gs = g.data, ys = y.data, dxs = dx.data;
            if (inner == 1)
            {
                ForRows(outer, n, (start, end) =>
                {
                    for (int r = start; r < end; r++)
                    {
                        var gr = gs.AsSpan(r * n, n); var dr = dxs.AsSpan(r * n, n);
                        float sum = TensorPrimitives.Sum(gr);
                        TensorPrimitives.Exp(ys.AsSpan(r * n, n), dr);
                        TensorPrimitives.MultiplyAdd(dr, -sum, gr, dr);
                    }
                });
            }
            else
            {
                var sum = SumAlong(gs, outer, n, inner);
                TensorPrimitives.Exp(y.Data, dx.Data);
                ApplyAlong(dxs, sum, dxs, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
                TensorPrimitives.Subtract(g.Data, dx.Data, dx.Data);
            }
            x.AccumulateGrad(dx);
        });
    }

    internal static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
    }

    internal static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        float logSum = MathF.Log(TensorPrimitives.Sum(y));
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Subtract(y, logSum, y);
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
        if (x.Length > BlockSize)
        {
            for (int at = 0; at < x.Length; at += BlockSize)
            {
                int len = Math.Min(BlockSize, x.Length - at);
                NormalCdf(x.Slice(at, len), cdf.Slice(at, len));
            }
            return;
        }
        Span<float> z = stackalloc float[x.Length];
        Span<float> t = stackalloc float[x.Length];
        TensorPrimitives.Abs(x, z);
        TensorPrimitives.Multiply(z, Sqrt1Over2, z);
        TensorPrimitives.Multiply(z, 0.5f, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Reciprocal(t, t);
        var p = cdf;
        TensorPrimitives.Multiply(t, 0.17087277f, p);
        TensorPrimitives.Add(p, -0.82215223f, p);
        TensorPrimitives.MultiplyAdd(p, t, 1.48851587f, p);
        TensorPrimitives.MultiplyAdd(p, t, -1.13520398f, p);
        TensorPrimitives.MultiplyAdd(p, t, 0.27886807f, p);
        TensorPrimitives.MultiplyAdd(p, t, -0.18628806f, p);
        TensorPrimitives.MultiplyAdd(p, t, 0.09678418f, p);
        TensorPrimitives.MultiplyAdd(p, t, 0.37409196f, p);
        TensorPrimitives.MultiplyAdd(p, t, 1.00002368f, p);
        TensorPrimitives.MultiplyAdd(p, t, -1.26551223f, p);
        TensorPrimitives.Multiply(x, x, z);                      // z^2 = x^2 / 2, with one rounding fewer than squaring z
        TensorPrimitives.MultiplyAdd(z, -0.5f, p, p);
        TensorPrimitives.Exp(p, p);
        TensorPrimitives.Multiply(p, t, p);                      // erfc(|x| / sqrt 2)
        TensorPrimitives.Multiply(p, 0.5f, p);                   // Phi(-|x|)
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var tail = new Vector<float>(p.Slice(i));
                var negative = Vector.LessThan(new Vector<float>(x.Slice(i)), Vector<float>.Zero);
                Vector.ConditionalSelect(negative, tail, Vector<float>.One - tail).CopyTo(cdf.Slice(i));
            }
        }
        for (; i < x.Length; i++) cdf[i] = x[i] < 0 ? p[i] : 1f - p[i];
    }

    /// <summary>y = kernel(a, b) elementwise, block by block (b may be null: unary), blocks split across threads for big tensors.</summary>
    static Tensor Elementwise(Tensor a, Tensor? b, SpanOp kernel)
    {
        var y = Empty(a.shape);
        float[] xs = a.data, bs = b?.data ?? [], ys = y.data;
        int length = a.Length, blocks = (length + BlockSize - 1) / BlockSize;
        bool binary = b is not null;
        ForRows(blocks, BlockSize, (start, end) =>
        {
            for (int blk = start; blk < end; blk++)
            {
                int at = blk * BlockSize, len = Math.Min(BlockSize, length - at);
                kernel(xs.AsSpan(at, len), binary ? bs.AsSpan(at, len) : default, ys.AsSpan(at, len));
            }
        });
        return y;
    }
}
