using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// Ops whose weight is a constant 16-bit HalfMatrix (inference, or a frozen model): the input still gets its
// gradient, the weight never does.
public sealed partial class Tensor
{
    /// <summary>
    /// y = x W^T + bias with W (out, in) in 16-bit floats, widened block by block inside the product
    /// (<see cref="HalfGemm"/>); x (..., in) -> (..., out). Backward: dx = g W, dbias = column sums of g.
    /// </summary>
    public Tensor Linear(HalfMatrix weight, Tensor? bias = null)
    {
        var x = this;
        int outFeatures = weight.Rows, inFeatures = weight.Cols;
        var y = LinearOutput(x, inFeatures, outFeatures, bias, "half weight");
        int rows = x.Length / inFeatures;
        if (bias is not null)
            for (int r = 0; r < rows; r++) bias.Data.CopyTo(y.Data.Slice(r * outFeatures, outFeatures));
        HalfGemm.Forward(x.Data, rows, weight, y.Data, accumulate: bias is not null);

        Tensor[] inputs = bias is null ? [x] : [x, bias];
        return y.Record("linear_half", inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var dx = Empty(x.shape);
                HalfGemm.InputGradient(g.Data, rows, weight, dx.Data);
                x.AccumulateGrad(dx);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = Zeros(outFeatures);
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db.Data, g.Data.Slice(r * outFeatures, outFeatures), db.Data);
                bias.AccumulateGrad(db);
            }
        });
    }

    /// <summary>Rows of a 16-bit (vocab, dim) table widened to float32: shape idsShape + (dim); no gradient.</summary>
    public static Tensor Embedding(HalfMatrix weight, int[] ids, params int[] idsShape)
    {
        if (idsShape.Length == 0) idsShape = [ids.Length];
        if (CheckedCount(idsShape) != ids.Length)
            throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape [{string.Join(", ", idsShape)}]");
        int dim = weight.Cols;
        var y = Empty([.. idsShape, dim]);
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)weight.Rows)
                throw new IndexOutOfRangeException($"Embedding: id {ids[i]} is out of range for a table of {weight.Rows} rows");
            weight.RowsToSingle(ids[i], 1, y.Data.Slice(i * dim, dim));
        }
        return y;
    }
}
