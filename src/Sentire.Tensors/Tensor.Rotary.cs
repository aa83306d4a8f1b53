using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

/// <summary>
/// Rotary position embedding (Su et al., "RoFormer", 2021) in the "rotate_half" layout of Hugging Face LLaMA:
/// the pairs rotated together are (i, i + D/2), not adjacent elements.
/// <code>
/// inv_freq[i] = theta^(-2i / D),  i &lt; D/2          (float32, as HF computes it)
/// cos[p] = cos(cat(p inv_freq, p inv_freq)),  sin likewise        (maxPos, D)
/// </code>
/// </summary>
public static class Rotary
{
    /// <summary>(cos, sin) tables of shape (<paramref name="maxPos"/>, <paramref name="dim"/>) for positions 0..maxPos-1.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(int dim, int maxPos, float theta = 10000f)
    {
        if (dim <= 0 || dim % 2 != 0) throw new ArgumentException($"rotary dimension must be positive and even, found {dim}");
        if (maxPos < 0) throw new ArgumentException($"rotary maxPos must be non-negative, found {maxPos}");
        if (!(theta > 0)) throw new ArgumentException($"rotary theta must be positive, found {theta}");
        int half = dim / 2;
        var invFreq = new float[half];
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(2 * i) / dim;                  // torch.arange(0, dim, 2).float() / dim
            invFreq[i] = 1f / (float)Math.Pow(theta, exponent);     // 1.0 / (base ** exponent) in float32
        }
        var cos = Tensor.Empty(maxPos, dim);
        var sin = Tensor.Empty(maxPos, dim);
        var cd = cos.Data; var sd = sin.Data;
        for (int p = 0; p < maxPos; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];                      // float32 product, as the outer product in HF
                float c = (float)Math.Cos(angle), s = (float)Math.Sin(angle);
                cd[p * dim + i] = cd[p * dim + half + i] = c;
                sd[p * dim + i] = sd[p * dim + half + i] = s;
            }
        return (cos, sin);
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// x * cos + rotate_half(x) * sin on (..., T, D) (e.g. (B, H, T, D)), with rotate_half(x) = cat(-x[D/2:], x[:D/2])
    /// and rows <paramref name="positionOffset"/> .. positionOffset + T - 1 of the (P, D) tables (a decoding step
    /// with a key/value cache starts past the cached positions). The map is a rotation per pair (i, i + D/2), so its
    /// backward is the transposed rotation: dx[:h] = g[:h] cos + g[h:] sin[h:], dx[h:] = g[h:] cos - g[:h] sin[:h].
    /// The tables are constants (no gradient).
    /// </summary>
    public Tensor ApplyRotary(Tensor cos, Tensor sin, int positionOffset = 0)
    {
        var x = this;
        if (x.Rank < 2) throw new ArgumentException($"ApplyRotary needs (..., T, D), found {x.ShapeString}");
        int t = x.shape[^2], dim = x.shape[^1];
        if (dim % 2 != 0) throw new ArgumentException($"ApplyRotary needs an even head dimension, found {dim} in {x.ShapeString}");
        if (cos.Rank != 2 || !cos.Shape.SequenceEqual(sin.Shape) || cos.shape[1] != dim)
            throw new ArgumentException($"ApplyRotary tables must both be (P, {dim}), found cos {cos.ShapeString} and sin {sin.ShapeString}");
        if (positionOffset < 0 || positionOffset + t > cos.shape[0])
            throw new ArgumentException($"ApplyRotary: positions {positionOffset}..{positionOffset + t - 1} exceed the tables' {cos.shape[0]} positions");

        var y = Empty(x.shape);
        if (t == 0 || dim == 0) return y;
        Rotate(x.Storage, x.Length, cos.Storage, sin.Storage, r => positionOffset + r % t, dim, y.Storage, inverse: false);
        return y.Record("apply_rotary", [x], g =>
        {
            var dx = Empty(x.shape);
            Rotate(g.Storage, g.Length, cos.Storage, sin.Storage, r => positionOffset + r % t, dim, dx.Storage, inverse: true);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>y[:h] = x[:h] c[:h] - x[h:] s[:h], y[h:] = x[h:] c[h:] + x[:h] s[h:]; with <paramref name="inverse"/>,
    /// the transposed rotation y[:h] = x[:h] c[:h] + x[h:] s[h:], y[h:] = x[h:] c[h:] - x[:h] s[:h]. Row r of x uses table row
    /// <paramref name="position"/>(r). Rows split over threads.</summary>
    static void Rotate(float[] source, int length, float[] cos, float[] sin, Func<int, int> position, int dim, float[] destination, bool inverse)
    {
        int half = dim / 2;
        Parallelism.For(length / dim, dim, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var x = source.AsSpan(r * dim, dim);
                var y = destination.AsSpan(r * dim, dim);
                int table = position(r) * dim;
                var c = cos.AsSpan(table, dim); var s = sin.AsSpan(table, dim);
                for (int i = 0; i < half; i++)
                {
                    float lo = x[i], hi = x[i + half];
                    if (!inverse)
                    {
                        y[i] = lo * c[i] - hi * s[i];
                        y[i + half] = hi * c[i + half] + lo * s[i + half];
                    }
                    else
                    {
                        y[i] = lo * c[i] + hi * s[i + half];
                        y[i + half] = hi * c[i + half] - lo * s[i];
                    }
                }
            }
        });
    }
}
