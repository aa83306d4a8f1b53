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

        // row r of the (B * H * T, D) view is batch row r / (H T), step r % T
        int Position(int r) => positions[r / (heads * t) * t + r % t];
        var y = Empty(x.shape);
        Rotate(x.Storage, x.Length, cos.Storage, sin.Storage, Position, dim, y.Storage, inverse: false);
        return y.Record("apply_rotary_positions", [x], g =>
        {
            var dx = Empty(x.shape);
            Rotate(g.Storage, g.Length, cos.Storage, sin.Storage, Position, dim, dx.Storage, inverse: true);
            x.AccumulateGrad(dx);
        });
    }
}
