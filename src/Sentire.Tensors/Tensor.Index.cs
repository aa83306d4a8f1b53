using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sentire.Tensors;

// Gathers, masks and selections. Gathers scatter-add in their backward (an index may repeat); masks
// route the gradient to the elements that were kept. The decoding helpers at the end record no history.
public sealed partial class Tensor
{
    // ---- gathers ------------------------------------------------------------------------------------

    /// <summary>The slices <paramref name="indices"/> along <paramref name="dim"/>, in that order (indices may repeat).</summary>
    public Tensor IndexSelect(int dim, int[] indices)
    {
        var (outer, size, inner) = SplitAround(dim);
        indices = (int[])indices.Clone(); // the backward reads them later; callers may reuse their buffer
        foreach (int i in indices)
            if ((uint)i >= (uint)size) throw new IndexOutOfRangeException($"IndexSelect: index {i} is out of range for dimension {dim} of size {size} in {ShapeString}");
        int count = indices.Length;
        var outShape = ShapeArray();
        outShape[NormalizeDim(dim, Rank)] = count;
        // Consecutive indices (a slice, the middle of a reflect pad) move as one block; isolated scalars one by one.
        var runs = ConsecutiveRuns(indices);
        bool elementwise = inner == 1 && runs.Length == count;
        var y = Empty(outShape);
        var src = Data; var dst = y.Data;
        for (int o = 0; o < outer; o++)
        {
            int srcBase = o * size * inner, dstBase = o * count * inner;
            if (elementwise)
                for (int k = 0; k < count; k++) dst[dstBase + k] = src[srcBase + indices[k]];
            else
                foreach (var (k, length) in runs)
                    src.Slice(srcBase + indices[k] * inner, length * inner).CopyTo(dst.Slice(dstBase + k * inner, length * inner));
        }
        var x = this;
        return y.Record("index_select", [x], g =>
        {
            // dx[i] = sum of g[k] over the k with indices[k] = i (scatter-add; a run's indices are distinct)
            var dx = Zeros(x.shape);
            var gs = g.Data; var d = dx.Data;
            for (int o = 0; o < outer; o++)
            {
                int xBase = o * size * inner, gBase = o * count * inner;
                if (elementwise)
                    for (int k = 0; k < count; k++) d[xBase + indices[k]] += gs[gBase + k];
                else
                    foreach (var (k, length) in runs)
                    {
                        var block = d.Slice(xBase + indices[k] * inner, length * inner);
                        TensorPrimitives.Add(block, gs.Slice(gBase + k * inner, length * inner), block);
                    }
            }
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>Maximal stretches (first position, length) of <paramref name="indices"/> that go up by one.</summary>
    static (int Start, int Length)[] ConsecutiveRuns(int[] indices)
    {
        int count = 0;
        for (int k = 0; k < indices.Length; k++) if (k == 0 || indices[k] != indices[k - 1] + 1) count++;
        var runs = new (int, int)[count];
        for (int k = 0, r = -1; k < indices.Length; k++)
        {
            if (k == 0 || indices[k] != indices[k - 1] + 1) runs[++r] = (k, 1);
            else runs[r].Item2++;
        }
        return runs;
    }

    /// <summary>Rows of <paramref name="weight"/> (vocab, dim) for each id: shape idsShape + (dim). An empty
    /// <paramref name="idsShape"/> means the ids are one-dimensional. The backward scatter-adds into the rows used.</summary>
    public static Tensor Embedding(Tensor weight, int[] ids, params int[] idsShape)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding weight must be (vocab, dim), got {weight.ShapeString}");
        if (idsShape.Length == 0) idsShape = [ids.Length];
        if (CheckedCount(idsShape) != ids.Length)
            throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape [{string.Join(", ", idsShape)}]");
        return weight.IndexSelect(0, ids).Reshape([.. idsShape, weight.shape[1]]);
    }

    // ---- masks ---------------------------------------------------------------------------------------

    /// <summary>x with <paramref name="value"/> wherever <paramref name="mask"/> (broadcast to x's shape) is nonzero.</summary>
    public Tensor MaskedFill(Tensor mask, float value)
    {
        var outShape = Broadcast.Shape(mask.shape, shape);
        if (!outShape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"MaskedFill: mask {mask.ShapeString} does not broadcast to {ShapeString}");
        var y = FillWhereMasked(this, mask, value);
        var x = this;
        // d/dx = 1 where the mask kept x, 0 where it was filled
        return y.Record("masked_fill", [x], g => x.AccumulateGrad(FillWhereMasked(g, mask, 0f)));
    }

    /// <summary>src with <paramref name="value"/> where the broadcast mask is nonzero, row by row through
    /// BinaryForward, so a mask such as (B, 1, 1, T) over (B, H, T, T) is never materialised.</summary>
    static Tensor FillWhereMasked(Tensor src, Tensor mask, float value) =>
        BinaryForward(src, mask,
            (s, m, d) => FillWhere(m, true, value, s, d),
            (s, m, d) => { if (m != 0f) d.Fill(value); else s.CopyTo(d); });

    /// <summary>a where <paramref name="cond"/> is nonzero, else b; all three broadcast together.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var outShape = Broadcast.Shape(Broadcast.Shape(cond.shape, a.shape), b.shape);
        var c = ExpandedTo(cond, outShape);
        var y = Empty(outShape);
        SelectWhere(c.Data, ExpandedTo(a, outShape).Data, ExpandedTo(b, outShape).Data, y.Data);
        return y.Record("where", [a, b], g =>
        {
            // the gradient goes to the side that was chosen, summed back over a side's broadcast dimensions
            if (a.RequiresGrad)
            {
                var da = Empty(outShape);
                FillWhere(c.Data, false, 0f, g.Data, da.Data);
                a.AccumulateGrad(Broadcast.SumTo(da, a.shape));
            }
            if (b.RequiresGrad)
            {
                var db = Empty(outShape);
                FillWhere(c.Data, true, 0f, g.Data, db.Data);
                b.AccumulateGrad(Broadcast.SumTo(db, b.shape));
            }
        });
    }

    /// <summary>Inverted dropout: in training, each element is zeroed with probability <paramref name="p"/> and the
    /// survivors are scaled by 1/(1-p), so evaluation needs no rescaling; otherwise x itself.</summary>
    public Tensor Dropout(float p, Generator rng, bool training)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1], got {p}");
        if (!training || p == 0f) return this;
        var mask = Empty(shape);
        if (p == 1f) mask.Data.Clear();
        else
        {
            rng.FillBernoulli(mask.Data, 1f - p);
            TensorPrimitives.Multiply(mask.Data, 1f / (1f - p), mask.Data);
        }
        var y = Empty(shape);
        TensorPrimitives.Multiply(Data, mask.Data, y.Data);
        var x = this;
        return y.Record("dropout", [x], g =>
        {
            // y = x * mask: dx = g * mask
            var dx = Empty(x.shape);
            TensorPrimitives.Multiply(g.Data, mask.Data, dx.Data);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>The elements of <paramref name="t"/> broadcast to <paramref name="target"/> (t's own storage when no broadcast is needed).</summary>
    static Tensor ExpandedTo(Tensor t, int[] target)
    {
        if (t.shape.AsSpan().SequenceEqual(target)) return t;
        var expanded = Empty(target);
        StridedCopy(t.Data, 0, Broadcast.Strides(t.shape, target), expanded.Data, 0, StridesOf(target), target);
        return expanded;
    }

    /// <summary>dst[i] = (cond[i] != 0) == whereNonzero ? value : src[i].</summary>
    static void FillWhere(ReadOnlySpan<float> cond, bool whereNonzero, float value, ReadOnlySpan<float> src, Span<float> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var c = MemoryMarshal.Cast<float, Vector<float>>(cond);
            var s = MemoryMarshal.Cast<float, Vector<float>>(src);
            var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
            var fill = new Vector<float>(value);
            for (int v = 0; v < d.Length; v++)
            {
                var isZero = Vector.Equals(c[v], Vector<float>.Zero);
                d[v] = whereNonzero ? Vector.ConditionalSelect(isZero, s[v], fill) : Vector.ConditionalSelect(isZero, fill, s[v]);
            }
            i = d.Length * Vector<float>.Count;
        }
        for (; i < dst.Length; i++) dst[i] = (cond[i] != 0f) == whereNonzero ? value : src[i];
    }

    /// <summary>dst[i] = cond[i] != 0 ? a[i] : b[i].</summary>
    static void SelectWhere(ReadOnlySpan<float> cond, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var c = MemoryMarshal.Cast<float, Vector<float>>(cond);
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
            for (int v = 0; v < d.Length; v++) d[v] = Vector.ConditionalSelect(Vector.Equals(c[v], Vector<float>.Zero), vb[v], va[v]);
            i = d.Length * Vector<float>.Count;
        }
        for (; i < dst.Length; i++) dst[i] = cond[i] != 0f ? a[i] : b[i];
    }

    // ---- decoding helpers (no history) ----------------------------------------------------------------

    /// <summary>Index of the largest element along <paramref name="dim"/> (the first one on ties; NaN counts as
    /// largest, as in PyTorch), laid out in the shape of x without that dimension.</summary>
    public int[] ArgMax(int dim)
    {
        var (outer, size, inner) = SplitAround(dim);
        if (size == 0) throw new ArgumentException($"ArgMax over an empty dimension {dim} of {ShapeString}");
        var result = new int[outer * inner];
        var src = Data;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) result[o] = TensorPrimitives.IndexOfMax(src.Slice(o * size, size));
            return result;
        }
        var best = new float[inner];
        for (int o = 0; o < outer; o++)
        {
            int baseOffset = o * size * inner;
            src.Slice(baseOffset, inner).CopyTo(best);
            var arg = result.AsSpan(o * inner, inner);
            for (int k = 1; k < size; k++)
            {
                var row = src.Slice(baseOffset + k * inner, inner);
                for (int i = 0; i < inner; i++)
                    if (row[i] > best[i] || (float.IsNaN(row[i]) && !float.IsNaN(best[i]))) { best[i] = row[i]; arg[i] = k; }
            }
        }
        return result;
    }

    /// <summary>The <paramref name="k"/> largest elements along <paramref name="dim"/>, largest first (ties by lower
    /// index; NaN largest), with their indices; both laid out in x's shape with that dimension set to k.</summary>
    public (Tensor Values, int[] Indices) TopK(int k, int dim)
    {
        var (outer, size, inner) = SplitAround(dim);
        if (k < 0 || k > size) throw new ArgumentOutOfRangeException(nameof(k), $"TopK: k = {k} for dimension {dim} of size {size}");
        var outShape = ShapeArray();
        outShape[NormalizeDim(dim, Rank)] = k;
        var values = Empty(outShape);
        var indices = new int[values.Length];
        var line = new float[size];
        var heap = new ulong[k];
        ForEachLine(outer, size, inner, line, (lineBase, lineStride) =>
        {
            LargestKeys(line, heap);
            for (int j = 0; j < k; j++)
            {
                int i = (int)(uint)heap[j];
                values.data[lineBase + j * lineStride] = line[i];
                indices[lineBase + j * lineStride] = i;
            }
        }, k);
        return (values, indices);
    }

    /// <summary>Sorts along <paramref name="dim"/> (stable; NaN sorts as the largest value), returning the sorted values
    /// and, for each, its original index along <paramref name="dim"/>.</summary>
    public (Tensor Values, int[] Indices) Sort(int dim, bool descending = false)
    {
        var (outer, size, inner) = SplitAround(dim);
        var values = Empty(shape);
        var indices = new int[Length];
        var line = new float[size];
        var keys = new ulong[size];
        ForEachLine(outer, size, inner, line, (lineBase, lineStride) =>
        {
            RankKeys(line, descending, keys);
            keys.AsSpan().Sort();
            for (int j = 0; j < size; j++)
            {
                int i = (int)(uint)keys[j];
                values.data[lineBase + j * lineStride] = line[i];
                indices[lineBase + j * lineStride] = i;
            }
        }, size);
        return (values, indices);
    }

    /// <summary>Copies each line along the dimension (of <paramref name="size"/> elements, <paramref name="inner"/> apart)
    /// into <paramref name="line"/>, then lets <paramref name="emit"/> write its results at the line's base offset and stride
    /// in an output whose selected dimension has <paramref name="outSize"/> elements.</summary>
    void ForEachLine(int outer, int size, int inner, float[] line, Action<int, int> emit, int outSize)
    {
        var src = Data;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                if (inner == 1) src.Slice(b, size).CopyTo(line);
                else for (int k = 0; k < size; k++) line[k] = src[b + k * inner];
                emit(o * outSize * inner + i, inner);
            }
    }

    /// <summary>
    /// One integer key per position whose unsigned order is the rank order: the high half is the value mapped to
    /// an order-preserving uint (flip all bits of negatives, set the sign bit of the rest; NaN above everything,
    /// -0 = +0), complemented when descending; the low half is the position, so ties keep their order (a stable
    /// sort) and a plain ulong sort does the work.
    /// </summary>
    static void RankKeys(ReadOnlySpan<float> line, bool descending, Span<ulong> keys)
    {
        for (int i = 0; i < line.Length; i++) keys[i] = RankKey(line[i], i, descending);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong RankKey(float v, int position, bool descending)
    {
        uint bits = v == 0f ? 0u : BitConverter.SingleToUInt32Bits(v);
        uint ordered = float.IsNaN(v) ? uint.MaxValue : (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        if (descending) ordered = ~ordered;
        return ((ulong)ordered << 32) | (uint)position;
    }

    /// <summary>Leaves the descending rank keys of the heap.Length largest values of <paramref name="line"/> in
    /// <paramref name="heap"/>, best first: a max-heap of the keys kept so far whose root is the worst of them,
    /// O(n log k). Most values lose to the root's value at once and never get a key (a NaN never compares less).</summary>
    static void LargestKeys(ReadOnlySpan<float> line, ulong[] heap)
    {
        int k = heap.Length;
        if (k == 0) return;
        for (int i = 0; i < k; i++)
        {
            int c = i;
            heap[c] = RankKey(line[i], i, descending: true);
            while (c > 0 && heap[(c - 1) / 2] < heap[c]) { (heap[(c - 1) / 2], heap[c]) = (heap[c], heap[(c - 1) / 2]); c = (c - 1) / 2; }
        }
        float worstKept = line[(int)(uint)heap[0]];
        for (int i = k; i < line.Length; i++)
        {
            if (line[i] < worstKept) continue;
            ulong key = RankKey(line[i], i, descending: true);
            if (key >= heap[0]) continue;
            heap[0] = key;
            int p = 0;
            while (true)
            {
                int left = 2 * p + 1, largest = p;
                if (left < k && heap[left] > heap[largest]) largest = left;
                if (left + 1 < k && heap[left + 1] > heap[largest]) largest = left + 1;
                if (largest == p) break;
                (heap[largest], heap[p]) = (heap[p], heap[largest]);
                p = largest;
            }
            worstKept = line[(int)(uint)heap[0]];
        }
        heap.AsSpan().Sort();
    }

    /// <summary>Running sum along <paramref name="dim"/>, accumulated in double (as PyTorch does on the CPU).</summary>
    public Tensor CumSum(int dim)
    {
        var (outer, size, inner) = SplitAround(dim);
        var y = Empty(shape);
        CumSumInto(Data, y.Data, outer, size, inner, reverse: false);
        var x = this;
        return y.Record("cumsum", [x], g =>
        {
            // y[k] = sum of x[j] for j <= k, so dx[j] = sum of g[k] for k >= j: a cumulative sum from the end
            var dx = Empty(x.shape);
            CumSumInto(g.Data, dx.Data, outer, size, inner, reverse: true);
            x.AccumulateGrad(dx);
        });
    }

    static void CumSumInto(ReadOnlySpan<float> src, Span<float> dst, int outer, int size, int inner, bool reverse)
    {
        int first = reverse ? size - 1 : 0, step = reverse ? -1 : 1;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var s = src.Slice(o * size, size);
                var d = dst.Slice(o * size, size);
                double acc = 0;
                if (reverse) for (int k = s.Length - 1; k >= 0; k--) { acc += s[k]; d[k] = (float)acc; }
                else for (int k = 0; k < s.Length; k++) { acc += s[k]; d[k] = (float)acc; }
            }
            return;
        }
        var sums = new double[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Clear(sums);
            for (int n = 0, k = first; n < size; n++, k += step)
            {
                int b = (o * size + k) * inner;
                for (int i = 0; i < inner; i++) { sums[i] += src[b + i]; dst[b + i] = (float)sums[i]; }
            }
        }
    }
}
