using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// Reductions: Sum, Mean, Max, LogSumExp, Var (PyTorch semantics), each forward followed by its backward.
// A reduction over dimension d views the contiguous shape as (outer, n, inner): outer = product of the
// dimensions before d, n = size of d, inner = product of those after. Reducing gives (outer, inner) in the
// same order as the output, so a keepDim result and a squeezed one share their storage layout. The Along
// struct below holds the shared kernels of this file and of the softmax and normalisation files.
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
            var along = Along.Of(keptShape, d);
            src = along.Sum(src);
            keptShape[d] = 1;
            count *= along.N;
        }
        if (mean) TensorPrimitives.Divide(src, count, src);
        var y = new Tensor(src, keepDim ? keptShape : DropDims(keptShape, reduced));
        var x = this;
        return y.Record(mean ? "mean_dim" : "sum_dim", [x], g =>
        {
            var cur = keptShape.ToArray();
            float[] grad = g.data;
            float scale = mean ? 1f / count : 1f;        // applied once, by the first expansion
            for (int d = 0; d < x.Rank; d++)
            {
                if (!reduced[d]) continue;
                cur[d] = x.shape[d];
                grad = Along.Of(cur, d).Expand(grad, scale);
                scale = 1f;
            }
            x.AccumulateGrad(new Tensor(grad, x.shape));
        });
    }

    /// <summary>Largest value along <paramref name="dim"/>; the gradient goes to the first position of the maximum
    /// (NaN propagates, as in PyTorch).</summary>
    public Tensor Max(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, d);
        if (along.N == 0) throw new ArgumentException($"Max over dimension {dim} of size 0 (shape {ShapeString})");
        var argmax = new int[along.Reduced];
        var y = new Tensor(along.Max(data, argmax), ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("max_dim", [x], g =>
        {
            var dx = new float[x.Length];
            var gs = g.Data;
            for (int r = 0; r < argmax.Length; r++)
            {
                int o = r / along.Inner, i = r - o * along.Inner;
                dx[(o * along.N + argmax[r]) * along.Inner + i] = gs[r];
            }
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    /// <summary>log(sum(exp(x))) along <paramref name="dim"/>, computed as m + log(sum(exp(x - m))) with m the
    /// row maximum (m taken as 0 where it is infinite, as PyTorch does, so all -inf gives -inf).</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, d);
        var m = along.Max(data, null);
        for (int r = 0; r < m.Length; r++) if (float.IsInfinity(m[r])) m[r] = 0;
        var shifted = GC.AllocateUninitializedArray<float>(Length);
        along.Subtract(data, m, shifted);
        TensorPrimitives.Exp(shifted, shifted);
        var lse = along.Sum(shifted);
        for (int r = 0; r < lse.Length; r++) lse[r] = m[r] + MathF.Log(lse[r]);
        var y = new Tensor(lse, ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("logsumexp", [x], g =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            along.Subtract(x.data, lse, dx);
            TensorPrimitives.Exp(dx, dx);
            along.Multiply(dx, g.data, dx);
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    /// <summary>Variance along <paramref name="dim"/>: sum((x - mean)^2) / (n - 1) when <paramref name="unbiased"/>
    /// (PyTorch's default; NaN for n = 1), else / n. Two-pass, so no cancellation.</summary>
    public Tensor Var(int dim, bool unbiased = true, bool keepDim = false)
    {
        int d = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, d);
        float denominator = unbiased ? along.N - 1 : along.N;
        var mean = along.Sum(data);
        TensorPrimitives.Divide(mean, along.N, mean);
        var dev = GC.AllocateUninitializedArray<float>(Length);
        along.Subtract(data, mean, dev);
        TensorPrimitives.Multiply(dev, dev, dev);
        var variance = along.Sum(dev);
        TensorPrimitives.Divide(variance, denominator, variance);
        var y = new Tensor(variance, ReducedShape(shape, d, keepDim));
        var x = this;
        return y.Record("var", [x], g =>
        {
            var dx = GC.AllocateUninitializedArray<float>(x.Length);
            along.Subtract(x.data, mean, dx);
            var scaledG = new float[g.Length];
            TensorPrimitives.Multiply(g.Data, 2f / denominator, scaledG);
            along.Multiply(dx, scaledG, dx);
            x.AccumulateGrad(new Tensor(dx, x.shape));
        });
    }

    // ---- shared helpers ----------------------------------------------------------------------------

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

    /// <summary>
    /// A contiguous shape seen around one dimension as (Outer, N, Inner): Outer = product of the dimensions before it,
    /// N = its size, Inner = product of those after. Reducing over N leaves (Outer, Inner), already in output order.
    /// Kernels take whole rows when Inner = 1 and whole Inner-long slices otherwise, so both cases are vector loops.
    /// Arrays rather than spans, so that work can be split across threads.
    /// </summary>
    internal readonly record struct Along(int Outer, int N, int Inner)
    {
        public static Along Of(ReadOnlySpan<int> shape, int dim)
        {
            int outer = 1, inner = 1;
            for (int i = 0; i < dim; i++) outer *= shape[i];
            for (int i = dim + 1; i < shape.Length; i++) inner *= shape[i];
            return new Along(outer, shape[dim], inner);
        }

        /// <summary>Elements left after reducing over N.</summary>
        public int Reduced => Outer * Inner;

        /// <summary>(Outer, N, Inner) -> (Outer, Inner): sum over N.</summary>
        public float[] Sum(float[] src)
        {
            var dst = new float[Reduced];
            var (n, inner) = (N, Inner);
            ForRows(Outer, N * Inner, (start, end) =>
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

        /// <summary>(Outer, N, Inner) -> (Outer, Inner): maximum over N, with the first index of the maximum in
        /// <paramref name="argmax"/> when given. NaN wins, as in PyTorch.</summary>
        public float[] Max(float[] src, int[]? argmax)
        {
            var dst = GC.AllocateUninitializedArray<float>(Reduced);
            var (n, inner) = (N, Inner);
            ForRows(Outer, N * Inner, (start, end) =>
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

        /// <summary>(Outer, Inner) -> (Outer, N, Inner): each reduced value times <paramref name="scale"/>, repeated over N
        /// (the adjoint of <see cref="Sum"/>).</summary>
        public float[] Expand(float[] reduced, float scale = 1f)
        {
            var dst = GC.AllocateUninitializedArray<float>(Outer * N * Inner);
            var (n, inner) = (N, Inner);
            ForRows(Outer, N * Inner, (start, end) =>
            {
                for (int o = start; o < end; o++)
                {
                    if (inner == 1) { dst.AsSpan(o * n, n).Fill(reduced[o] * scale); continue; }
                    var value = reduced.AsSpan(o * inner, inner);
                    for (int j = 0; j < n; j++)
                    {
                        var row = dst.AsSpan((o * n + j) * inner, inner);
                        if (scale == 1f) value.CopyTo(row);
                        else TensorPrimitives.Multiply(value, scale, row);
                    }
                }
            });
            return dst;
        }

        /// <summary>dst = full - reduced, the reduced (Outer, Inner) values broadcast over N. dst may be full.</summary>
        public void Subtract(float[] full, float[] reduced, float[] dst) =>
            Apply(full, reduced, dst, TensorPrimitives.Subtract, static (a, s, o) => TensorPrimitives.Subtract(a, s, o));

        /// <summary>dst = full * reduced, broadcast over N.</summary>
        public void Multiply(float[] full, float[] reduced, float[] dst) =>
            Apply(full, reduced, dst, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));

        /// <summary>dst = full / reduced, broadcast over N.</summary>
        public void Divide(float[] full, float[] reduced, float[] dst) =>
            Apply(full, reduced, dst, TensorPrimitives.Divide, static (a, s, o) => TensorPrimitives.Divide(a, s, o));

        void Apply(float[] full, float[] reduced, float[] dst, SpanOp op, SpanScalarOp scalarOp)
        {
            var (n, inner) = (N, Inner);
            ForRows(Outer, N * Inner, (start, end) =>
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
        Parallelism.ForEach(chunks, c => body(c, (int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks)));
    }

    internal static void ForRows(int rows, int rowLength, Action<int, int> body) => Parallelism.For(rows, rowLength, body);
}
