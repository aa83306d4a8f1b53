using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// Reductions: Sum, Mean, Max, LogSumExp, Var (PyTorch semantics), each forward followed by its backward.
// A reduction over dimension d views the contiguous shape as (outer, n, inner): outer = product of the
// dimensions before d, n = size of d, inner = product of those after. Reducing gives (outer, inner) in the
// same order as the output, so a keepDim result and a squeezed one share their storage layout. The
// "Along" helpers below are the shared kernels of this file and of the softmax/normalisation files:
// rows (inner == 1) are contiguous spans; otherwise whole inner-length slices are combined at once.
//   d sum/dx = expand(g);  d mean/dx = expand(g)/n;  d max/dx = g at the argmax;
//   d logsumexp/dx = g * exp(x - y);  d var/dx = g * 2 (x - mean) / (n - ddof).
public sealed partial class Tensor
{
    /// <summary>Sum of all elements, as a 0-dimensional tensor.</summary>
    public Tensor Sum()
    {
        var y = Scalar((float)SumAccurate(Data));
        var x = this;
        return y.Record("sum", [x], g => x.AccumulateGrad(Full(g.Item(), x.shape)));
    }

    /// <summary>Mean of all elements, as a 0-dimensional tensor (NaN for an empty tensor, as PyTorch).</summary>
    public Tensor Mean()
    {
        var y = Scalar((float)(SumAccurate(Data) / Length));
        var x = this;
        return y.Record("mean", [x], g => x.AccumulateGrad(Full(g.Item() / x.Length, x.shape)));
    }

    public Tensor Sum(int dim, bool keepDim = false) => ReduceSum([dim], keepDim, mean: false);

    public Tensor Sum(int[] dims, bool keepDim = false) => ReduceSum(dims, keepDim, mean: false);

    public Tensor Mean(int dim, bool keepDim = false) => ReduceSum([dim], keepDim, mean: true);

    public Tensor Mean(int[] dims, bool keepDim = false) => ReduceSum(dims, keepDim, mean: true);

    Tensor ReduceSum(int[] dims, bool keepDim, bool mean)
    {
        var reduced = ReducedDimsMask(dims, Rank);
        var keptShape = ShapeArray();
        float[] src = data;
        long count = 1;
        for (int d = 0; d < Rank; d++)
        {
            if (!reduced[d]) continue;
            var (outer, n, inner) = SplitAt(keptShape, d);
            src = SumAlong(src, outer, n, inner);
            keptShape[d] = 1;
            count *= n;
        }
        if (mean) TensorPrimitives.Divide(src, count, src);
        var y = new Tensor(src, keepDim ? keptShape : DropDims(keptShape, reduced));
        var x = this;
        return y.Record(mean ? "mean_dim" : "sum_dim", [x], g =>
        {
            var cur = keptShape.ToArray();
            float[] grad = g.data;
            for (int d = 0; d < x.Rank; d++)
            {
                if (!reduced[d]) continue;
                cur[d] = x.shape[d];
                var (outer, n, inner) = SplitAt(cur, d);
                grad = ExpandAlong(grad, outer, n, inner);
            }
            if (mean) TensorPrimitives.Divide(grad, count, grad);
            x.AccumulateGrad(new Tensor(grad, x.shape));
        });
    }

    /// <summary>Largest value along <paramref name="dim"/>; the gradient goes to the first position of the maximum
    /// (NaN propagates, as in PyTorch).</summary>
    public Tensor Max(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var (outer, n, inner) = SplitAt(shape, d);
        if (n == 0) throw new ArgumentException($"Max over dimension {dim} of size 0 (shape {ShapeString})");
        var argmax = new int[outer * inner];
        var values = MaxAlong(data, outer, n, inner, argmax);
        var y = new Tensor(values, ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("max_dim", [x], g =>
        {
            var dx = new float[x.Length];
            var gs = g.Data;
            for (int r = 0; r < argmax.Length; r++)
            {
                int o = r / inner, i = r - o * inner;
                dx[(o * n + argmax[r]) * inner + i] = gs[r];
            }
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    /// <summary>log(sum(exp(x))) along <paramref name="dim"/>, computed as m + log(sum(exp(x - m))) with m the
    /// row maximum (m taken as 0 where it is infinite, as PyTorch does, so all -inf gives -inf).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var (outer, n, inner) = SplitAt(shape, d);
        var m = MaxAlong(data, outer, n, inner, null);
        for (int r = 0; r < m.Length; r++) if (float.IsInfinity(m[r])) m[r] = 0;
        var shifted = GC.AllocateUninitializedArray<float>(Length);
        ApplyAlong(data, m, shifted, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
        TensorPrimitives.Exp(shifted, shifted);
        var lse = SumAlong(shifted, outer, n, inner);
        for (int r = 0; r < lse.Length; r++) lse[r] = m[r] + MathF.Log(lse[r]);
        var y = new Tensor(lse, ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("logsumexp", [x], g =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            ApplyAlong(x.data, lse, dx, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
            TensorPrimitives.Exp(dx, dx);
            ApplyAlong(dx, g.data, dx, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    /// <summary>Variance along <paramref name="dim"/>: sum((x - mean)^2) / (n - 1) when <paramref name="unbiased"/>
    /// (PyTorch's default; NaN for n = 1), else / n. Two-pass, so no cancellation.</summary>
    public Tensor Var(int dim, bool unbiased = true, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var (outer, n, inner) = SplitAt(shape, d);
        float denominator = unbiased ? n - 1 : n;
        var mean = SumAlong(data, outer, n, inner);
        TensorPrimitives.Divide(mean, n, mean);
        var dev = GC.AllocateUninitializedArray<float>(Length);
        ApplyAlong(data, mean, dev, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
        TensorPrimitives.Multiply(dev, dev, dev);
        var variance = SumAlong(dev, outer, n, inner);
        TensorPrimitives.Divide(variance, denominator, variance);
        var y = new Tensor(variance, ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("var", [x], g =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            ApplyAlong(x.data, mean, dx, outer, n, inner, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));
            var scaledG = new float[g.Length];
            TensorPrimitives.Multiply(g.Data, 2f / denominator, scaledG);
            ApplyAlong(dx, scaledG, dx, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    // ---- shared kernels: (outer, n, inner) geometry ---------------------------------------------

    /// <summary>Sum of a span, in blocks whose partial sums are added in double: TensorPrimitives.Sum alone
    /// accumulates in a few float lanes, which drifts on millions of elements.</summary>
    internal static double SumAccurate(ReadOnlySpan<float> values)
    {
        const int Block = 4096;
        double total = 0;
        for (int start = 0; start < values.Length; start += Block)
            total += TensorPrimitives.Sum(values.Slice(start, Math.Min(Block, values.Length - start)));
        return total;
    }

    internal static (int Outer, int N, int Inner) SplitAt(ReadOnlySpan<int> shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= shape[i];
        for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    static int[] ReducedShape(ReadOnlySpan<int> shape, int dim, bool keepDim)
    {
        var kept = shape.ToArray();
        kept[dim] = 1;
        if (keepDim) return kept;
        var mask = new bool[shape.Length];
        mask[dim] = true;
        return DropDims(kept, mask);
    }

    static int[] DropDims(int[] shape, bool[] drop)
    {
        var r = new List<int>(shape.Length);
        for (int i = 0; i < shape.Length; i++) if (!drop[i]) r.Add(shape[i]);
        return [.. r];
    }

    static bool[] ReducedDimsMask(int[] dims, int rank)
    {
        if (dims.Length == 0) throw new ArgumentException("reduction over an empty list of dimensions; call Sum()/Mean() to reduce all");
        var mask = new bool[rank];
        foreach (int dim in dims)
        {
            int d = NormalizeDim(dim, rank);
            if (mask[d]) throw new ArgumentException($"dimension {dim} appears twice in [{string.Join(", ", dims)}]");
            mask[d] = true;
        }
        return mask;
    }

    /// <summary>(outer, n, inner) -> (outer, inner): sums over the middle axis.</summary>
    internal static float[] SumAlong(float[] src, int outer, int n, int inner)
    {
        var dst = new float[outer * inner];
        ForRows(outer, n * inner, (start, end) =>
        {
            for (int o = start; o < end; o++)
            {
                if (inner == 1) { dst[o] = TensorPrimitives.Sum(src.AsSpan(o * n, n)); continue; }
                var acc = dst.AsSpan(o * inner, inner);
                for (int j = 0; j < n; j++) TensorPrimitives.Add(acc, src.AsSpan((o * n + j) * inner, inner), acc);
            }
        });
        return dst;
    }

    /// <summary>(outer, n, inner) -> (outer, inner): maximum over the middle axis, first index of the maximum in
    /// <paramref name="argmax"/> when given. NaN wins, as in PyTorch.</summary>
    internal static float[] MaxAlong(float[] src, int outer, int n, int inner, int[]? argmax)
    {
        var dst = GC.AllocateUninitializedArray<float>(outer * inner);
        ForRows(outer, n * inner, (start, end) =>
        {
            for (int o = start; o < end; o++)
            {
                if (inner == 1)
                {
                    var row = src.AsSpan(o * n, n);
                    if (argmax is null) dst[o] = TensorPrimitives.Max(row);
                    else { int k = TensorPrimitives.IndexOfMax(row); argmax[o] = k; dst[o] = row[k]; }
                    continue;
                }
                var best = dst.AsSpan(o * inner, inner);
                src.AsSpan(o * n * inner, inner).CopyTo(best);
                if (argmax is null)
                {
                    for (int j = 1; j < n; j++) TensorPrimitives.Max(best, src.AsSpan((o * n + j) * inner, inner), best);
                    continue;
                }
                var where = argmax.AsSpan(o * inner, inner);
                where.Clear();
                for (int j = 1; j < n; j++)
                {
                    var row = src.AsSpan((o * n + j) * inner, inner);
                    for (int i = 0; i < inner; i++)
                        if (row[i] > best[i] || (float.IsNaN(row[i]) && !float.IsNaN(best[i]))) { best[i] = row[i]; where[i] = j; }
                }
            }
        });
        return dst;
    }

    /// <summary>(outer, inner) -> (outer, n, inner): repeats each reduced value along the middle axis
    /// (the adjoint of <see cref="SumAlong"/>).</summary>
    internal static float[] ExpandAlong(float[] src, int outer, int n, int inner)
    {
        var dst = GC.AllocateUninitializedArray<float>(outer * n * inner);
        ForRows(outer, n * inner, (start, end) =>
        {
            for (int o = start; o < end; o++)
            {
                if (inner == 1) { dst.AsSpan(o * n, n).Fill(src[o]); continue; }
                var value = src.AsSpan(o * inner, inner);
                for (int j = 0; j < n; j++) value.CopyTo(dst.AsSpan((o * n + j) * inner, inner));
            }
        });
        return dst;
    }

    /// <summary>dst = op(full, reduced broadcast along the middle axis), for full of shape (outer, n, inner) and
    /// reduced of shape (outer, inner). <paramref name="dst"/> may be <paramref name="full"/>.</summary>
    internal static void ApplyAlong(float[] full, float[] reduced, float[] dst, int outer, int n, int inner, SpanOp op, SpanScalarOp scalarOp)
    {
        ForRows(outer, n * inner, (start, end) =>
        {
            for (int o = start; o < end; o++)
            {
                if (inner == 1) { scalarOp(full.AsSpan(o * n, n), reduced[o], dst.AsSpan(o * n, n)); continue; }
                var r = reduced.AsSpan(o * inner, inner);
                for (int j = 0; j < n; j++)
                {
                    int at = (o * n + j) * inner;
                    op(full.AsSpan(at, inner), r, dst.AsSpan(at, inner));
                }
            }
        });
    }

    // ---- row parallelism (Kernels.Parallelism decides the thread count and the size worth splitting) ----------

    /// <summary>How many contiguous chunks <see cref="ForRowChunks"/> splits <paramref name="rows"/> rows into (at least 1);
    /// kernels that accumulate per chunk (weight gradients) allocate one buffer per chunk and add them in order, so
    /// results do not depend on thread scheduling.</summary>
    internal static int RowChunkCount(int rows, int rowLength) => Math.Max(1, Parallelism.Chunks(rows, rowLength));

    /// <summary>Runs body(chunk, startRow, endRow) over <paramref name="chunks"/> contiguous row ranges, in parallel when
    /// there is more than one.</summary>
    internal static void ForRowChunks(int rows, int chunks, Action<int, int, int> body)
    {
        if (chunks <= 1) { body(0, 0, rows); return; }
        // one chunk per thread: each item is declared worth a thread of its own
        Parallelism.For(chunks, Parallelism.MinWorkPerThread, (first, last) =>
        {
            for (int c = first; c < last; c++) body(c, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks));
        });
    }

    internal static void ForRows(int rows, int rowLength, Action<int, int> body) => Parallelism.For(rows, rowLength, body);
}
