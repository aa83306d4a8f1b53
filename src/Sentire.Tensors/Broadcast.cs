namespace Sentire.Tensors;

/// <summary>NumPy/PyTorch broadcasting: shapes are aligned at the right; a dimension of 1 stretches.</summary>
internal static class Broadcast
{
    public static int[] Shape(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes [{string.Join(", ", a.ToArray())}] and [{string.Join(", ", b.ToArray())}] cannot be broadcast (dimension {i}: {da} vs {db})");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides for reading a tensor of shape <paramref name="src"/> as if it had shape <paramref name="target"/>
    /// (0 on broadcast dimensions).</summary>
    public static int[] Strides(ReadOnlySpan<int> src, ReadOnlySpan<int> target)
    {
        var strides = new int[target.Length];
        int s = 1;
        for (int i = target.Length - 1; i >= 0; i--)
        {
            int j = i - (target.Length - src.Length);
            int d = j >= 0 ? src[j] : 1;
            strides[i] = d == 1 ? 0 : s;
            s *= d;
        }
        return strides;
    }

    /// <summary>Sums <paramref name="grad"/> (of the broadcast shape) back down to <paramref name="shape"/>:
    /// the adjoint of broadcasting.</summary>
    public static Tensor SumTo(Tensor grad, ReadOnlySpan<int> shape)
    {
        if (grad.Shape.SequenceEqual(shape)) return grad;
        var result = Tensor.Zeros(shape.ToArray());
        var src = grad.Data;
        var dst = result.Data;
        var outShape = grad.ShapeArray();
        var strides = Strides(shape, outShape);
        int rank = outShape.Length;
        int inner = outShape[rank - 1], innerStride = strides[rank - 1];
        var idx = new int[rank];
        for (int flat = 0; flat < src.Length; flat += inner)
        {
            int off = 0;
            for (int d = 0; d < rank - 1; d++) off += idx[d] * strides[d];
            if (innerStride == 0) { float s = 0; for (int i = 0; i < inner; i++) s += src[flat + i]; dst[off] += s; }
            else for (int i = 0; i < inner; i++) dst[off + i] += src[flat + i];
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
        }
        return result;
    }
}
