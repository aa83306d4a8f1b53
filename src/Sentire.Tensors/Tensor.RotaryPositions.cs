using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

public sealed partial class Tensor
{
    /// <summary>
    /// <see cref="ApplyRotary(Tensor, Tensor, int)"/> with a position per (batch row, time step): x (B, H, T, D)
    /// takes table row <paramref name="positions"/>[b * T + t] at (b, ., t). Left-padded batches need it, their
    /// rows start counting at their first real token (Hugging Face's position_ids = cumsum(attention_mask) - 1).
    /// </summary>
    public Tensor ApplyRotary(Tensor cos, Tensor sin, int[] positions)
    {
        var x = this;
        if (x.Rank != 4) throw new ArgumentException($"ApplyRotary with positions needs (B, H, T, D), found {x.ShapeString}");
        int batch = x.shape[0], heads = x.shape[1], t = x.shape[2], dim = x.shape[3];
        if (dim % 2 != 0) throw new ArgumentException($"ApplyRotary needs an even head dimension, found {dim} in {x.ShapeString}");
        if (cos.Rank != 2 || !cos.Shape.SequenceEqual(sin.Shape) || cos.shape[1] != dim)
            throw new ArgumentException($"ApplyRotary tables must both be (P, {dim}), found cos {cos.ShapeString} and sin {sin.ShapeString}");
        if (positions.Length != batch * t)
            throw new ArgumentException($"ApplyRotary: {positions.Length} positions for {batch} rows of {t} steps");
        foreach (int p in positions)
            if ((uint)p >= (uint)cos.shape[0]) throw new ArgumentException($"ApplyRotary: position {p} is outside the tables' {cos.shape[0]} positions");
        positions = (int[])positions.Clone();

        var y = Empty(x.shape);
        RotateAt(x.Storage, cos.Storage, sin.Storage, positions, heads, t, dim, y.Storage, inverse: false, x.Length);
        return y.Record("apply_rotary_positions", [x], g =>
        {
            var dx = Empty(x.shape);
            RotateAt(g.Storage, cos.Storage, sin.Storage, positions, heads, t, dim, dx.Storage, inverse: true, x.Length);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>The rotation of <see cref="Rotate"/> with the table row of each (b, t) looked up in <paramref name="positions"/>.</summary>
    static void RotateAt(float[] source, float[] cos, float[] sin, int[] positions, int heads, int t, int dim, float[] destination, bool inverse, int length)
    {
        int half = dim / 2;
        Parallelism.For(length / dim, dim, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int b = r / (heads * t), step = r % t;
                var x = source.AsSpan(r * dim, dim);
                var y = destination.AsSpan(r * dim, dim);
                int table = positions[b * t + step] * dim;
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
