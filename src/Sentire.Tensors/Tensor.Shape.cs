using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sentire.Tensors;

// Shape ops. Storage is always contiguous, so Reshape (and View, Flatten, Unsqueeze, Squeeze) shares
// storage and every other op copies once, through StridedCopy. The backward of a copy is the copy the
// other way round (Permute, Narrow, Concat, Pad) or a sum over the repeated elements (Expand).
public sealed partial class Tensor
{
    // ---- storage-sharing views ------------------------------------------------------------------

    /// <summary>The same elements with another shape; one dimension may be -1 (inferred). Shares storage.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        var x = this;
        var y = new Tensor(data, ResolveShape(newShape));
        // reshape only relabels elements: dx = g laid out in x's shape
        return y.Record("reshape", [x], g => x.AccumulateGrad(g.Reshape(x.shape)));
    }

    /// <summary>Same as <see cref="Reshape"/>.</summary>
    public Tensor View(params int[] newShape) => Reshape(newShape);

    /// <summary>Merges dimensions <paramref name="start"/>..<paramref name="end"/> (inclusive) into one. Shares storage.</summary>
    public Tensor Flatten(int start = 0, int end = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = NormalizeDim(start, Rank), e = NormalizeDim(end, Rank);
        if (s > e) throw new ArgumentException($"Flatten: start dimension {start} comes after end dimension {end} (rank {Rank})");
        var newShape = new int[Rank - (e - s)];
        int merged = 1;
        for (int d = s; d <= e; d++) merged *= shape[d];
        for (int d = 0; d < s; d++) newShape[d] = shape[d];
        newShape[s] = merged;
        for (int d = e + 1; d < Rank; d++) newShape[d - (e - s)] = shape[d];
        return Reshape(newShape);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (in -(rank+1)..rank). Shares storage.</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = NormalizeDim(dim, Rank + 1);
        var newShape = new int[Rank + 1];
        for (int i = 0, j = 0; i < newShape.Length; i++) newShape[i] = i == d ? 1 : shape[j++];
        return Reshape(newShape);
    }

    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (otherwise the shape is unchanged, as in PyTorch). Shares storage.</summary>
    public Tensor Squeeze(int dim)
    {
        int d = NormalizeDim(dim, Rank);
        if (shape[d] != 1) return Reshape(shape);
        var newShape = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++) if (i != d) newShape[j++] = shape[i];
        return Reshape(newShape);
    }

    int[] ResolveShape(int[] newShape)
    {
        var resolved = (int[])newShape.Clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"reshape to [{string.Join(", ", newShape)}]: only one dimension can be -1");
                inferred = i;
            }
            else if (resolved[i] < 0) throw new ArgumentException($"reshape to [{string.Join(", ", newShape)}]: negative dimension {resolved[i]}");
            else known *= resolved[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || Length % known != 0)
                throw new ArgumentException($"cannot reshape {ShapeString} ({Length} elements) to [{string.Join(", ", newShape)}]");
            resolved[inferred] = (int)(Length / known);
        }
        else if (known != Length)
            throw new ArgumentException($"cannot reshape {ShapeString} ({Length} elements) to [{string.Join(", ", newShape)}] ({known} elements)");
        return resolved;
    }

    // ---- reordering copies ------------------------------------------------------------------------

    /// <summary>Swaps two dimensions (a copy).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var dims = new int[Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = i;
        int a = NormalizeDim(dim0, Rank), b = NormalizeDim(dim1, Rank);
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(dims);
    }

    /// <summary>Reorders dimensions: output dimension i is input dimension <paramref name="dims"/>[i] (a copy;
    /// the identity order shares storage).</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Rank) throw new ArgumentException($"Permute got {dims.Length} dimensions for a tensor of rank {Rank}");
        var perm = new int[Rank];
        var inverse = new int[Rank];
        var seen = new bool[Rank];
        bool identity = true;
        for (int i = 0; i < Rank; i++)
        {
            int p = NormalizeDim(dims[i], Rank);
            if (seen[p]) throw new ArgumentException($"Permute: dimension {dims[i]} repeats in [{string.Join(", ", dims)}]");
            seen[p] = true;
            perm[i] = p;
            inverse[p] = i;
            identity &= p == i;
        }
        if (identity) return Reshape(shape);

        var inStrides = StridesOf(shape);
        var outShape = new int[Rank];
        var srcStrides = new int[Rank];
        for (int i = 0; i < Rank; i++) { outShape[i] = shape[perm[i]]; srcStrides[i] = inStrides[perm[i]]; }
        var y = Empty(outShape);
        StridedCopy(Data, 0, srcStrides, y.Data, 0, StridesOf(outShape), outShape);
        var x = this;
        // a permutation's adjoint is the inverse permutation
        return y.Record("permute", [x], g => x.AccumulateGrad(g.Permute(inverse)));
    }

    // ---- sub-ranges and joins ----------------------------------------------------------------------

    /// <summary>Elements <paramref name="start"/>..start+length-1 along <paramref name="dim"/> (a copy); a negative start counts from the end.</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = NormalizeDim(dim, Rank);
        int size = shape[d];
        if (start < 0) start += size;
        if (start < 0 || length < 0 || start + length > size)
            throw new ArgumentOutOfRangeException(nameof(start), $"Narrow: range [{start}, {start + length}) does not fit dimension {dim} of size {size}");
        var outShape = ShapeArray();
        outShape[d] = length;
        var inStrides = StridesOf(shape);
        var outStrides = StridesOf(outShape);
        int offset = start * inStrides[d];
        var y = Empty(outShape);
        StridedCopy(Data, offset, inStrides, y.Data, 0, outStrides, outShape);
        var x = this;
        return y.Record("narrow", [x], g =>
        {
            // g goes back to the range it came from; the rest of x got no gradient
            var dx = Zeros(x.shape);
            StridedCopy(g.Data, 0, outStrides, dx.Data, offset, inStrides, outShape);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>Python-style slice [start, end) along <paramref name="dim"/>: negative bounds count from the end,
    /// bounds past the ends are clipped (a copy).</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        int size = Dim(dim);
        start = Math.Clamp(start < 0 ? start + size : start, 0, size);
        end = Math.Clamp(end < 0 ? end + size : end, 0, size);
        return Narrow(dim, start, Math.Max(0, end - start));
    }

    /// <summary>Joins tensors along an existing dimension; all other dimensions must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor");
        var first = tensors[0];
        int d = NormalizeDim(dim, first.Rank);
        var inputs = new Tensor[tensors.Count];
        int total = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = tensors[i];
            bool fits = t.Rank == first.Rank;
            for (int k = 0; fits && k < t.Rank; k++) fits = k == d || t.shape[k] == first.shape[k];
            if (!fits) throw new ArgumentException($"Concat along dimension {dim}: tensor {i} has shape {t.ShapeString}, expected {first.ShapeString} except in dimension {d}");
            inputs[i] = t;
            total += t.shape[d];
        }
        var outShape = first.ShapeArray();
        outShape[d] = total;
        var outStrides = StridesOf(outShape);
        var y = Empty(outShape);
        int offset = 0;
        foreach (var t in inputs)
        {
            StridedCopy(t.Data, 0, StridesOf(t.shape), y.Data, offset * outStrides[d], outStrides, t.shape);
            offset += t.shape[d];
        }
        return y.Record("concat", inputs, g =>
        {
            // each input gets back its own block of g
            int start = 0;
            foreach (var t in inputs)
            {
                if (t.RequiresGrad)
                {
                    var dt = Empty(t.shape);
                    StridedCopy(g.Data, start * outStrides[d], outStrides, dt.Data, 0, StridesOf(t.shape), t.shape);
                    t.AccumulateGrad(dt);
                }
                start += t.shape[d];
            }
        });
    }

    /// <summary>Joins same-shape tensors along a new dimension <paramref name="dim"/> (in -(rank+1)..rank).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack needs at least one tensor");
        var first = tensors[0];
        int d = NormalizeDim(dim, first.Rank + 1);
        var parts = new Tensor[tensors.Count];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!tensors[i].Shape.SequenceEqual(first.Shape))
                throw new ArgumentException($"Stack: tensor {i} has shape {tensors[i].ShapeString}, expected {first.ShapeString}");
            parts[i] = tensors[i].Unsqueeze(d);
        }
        return Concat(parts, d);
    }

    // ---- repetition and padding --------------------------------------------------------------------

    /// <summary>Broadcasts to <paramref name="sizes"/> (new dimensions may be added at the front; -1 keeps a
    /// dimension; only size-1 dimensions stretch). A copy, unlike PyTorch's view.</summary>
    public Tensor Expand(params int[] sizes)
    {
        if (sizes.Length < Rank) throw new ArgumentException($"Expand to [{string.Join(", ", sizes)}]: fewer dimensions than the tensor's {ShapeString}");
        int lead = sizes.Length - Rank;
        var outShape = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            int want = sizes[i];
            if (i < lead)
            {
                if (want < 0) throw new ArgumentException($"Expand to [{string.Join(", ", sizes)}]: new leading dimension {i} must be given explicitly");
                outShape[i] = want;
                continue;
            }
            int have = shape[i - lead];
            if (want == -1) want = have;
            if (want != have && have != 1)
                throw new ArgumentException($"cannot expand {ShapeString} to [{string.Join(", ", sizes)}]: dimension {i} has size {have}, expected 1 or {want}");
            outShape[i] = want;
        }
        var y = Empty(outShape);
        StridedCopy(Data, 0, Broadcast.Strides(shape, outShape), y.Data, 0, StridesOf(outShape), outShape);
        var x = this;
        // each input element was copied to several outputs: dx sums their gradients
        return y.Record("expand", [x], g => x.AccumulateGrad(Broadcast.SumTo(g, x.shape)));
    }

    /// <summary>Tiles the tensor <paramref name="repeats"/>[i] times along dimension i (PyTorch Tensor.repeat;
    /// extra leading repeats add dimensions).</summary>
    public Tensor Repeat(params int[] repeats)
    {
        if (repeats.Length < Rank) throw new ArgumentException($"Repeat: {repeats.Length} repeat counts for a tensor of rank {Rank}");
        // Tiling is an expand of the interleaved shape (1, s0, 1, s1, ...) to (r0, s0, r1, s1, ...), read back as (r0*s0, r1*s1, ...).
        int lead = repeats.Length - Rank;
        var interleaved = new int[2 * repeats.Length];
        var expanded = new int[2 * repeats.Length];
        var final = new int[repeats.Length];
        for (int i = 0; i < repeats.Length; i++)
        {
            if (repeats[i] < 0) throw new ArgumentException($"Repeat: negative count {repeats[i]} in [{string.Join(", ", repeats)}]");
            int size = i < lead ? 1 : shape[i - lead];
            interleaved[2 * i] = 1; interleaved[2 * i + 1] = size;
            expanded[2 * i] = repeats[i]; expanded[2 * i + 1] = size;
            final[i] = repeats[i] * size;
        }
        return Reshape(interleaved).Expand(expanded).Reshape(final);
    }

    /// <summary>Constant padding in torch.nn.functional.pad order: <paramref name="pads"/> holds (left, right)
    /// pairs starting from the last dimension. Negative pads crop.</summary>
    public Tensor Pad(int[] pads, float value = 0f)
    {
        CheckPads(pads);
        var outShape = ShapeArray();
        var box = ShapeArray();
        var srcStart = new int[Rank];
        var dstStart = new int[Rank];
        for (int k = 0; k < pads.Length / 2; k++)
        {
            int d = Rank - 1 - k, left = pads[2 * k], right = pads[2 * k + 1];
            outShape[d] = shape[d] + left + right;
            if (outShape[d] < 0) throw new ArgumentException($"Pad [{string.Join(", ", pads)}] makes dimension {d} of {ShapeString} negative");
            srcStart[d] = Math.Max(0, -left);
            dstStart[d] = Math.Max(0, left);
            box[d] = Math.Max(0, shape[d] - Math.Max(0, -left) - Math.Max(0, -right));
        }
        var inStrides = StridesOf(shape);
        var outStrides = StridesOf(outShape);
        int srcOffset = 0, dstOffset = 0;
        for (int d = 0; d < Rank; d++) { srcOffset += srcStart[d] * inStrides[d]; dstOffset += dstStart[d] * outStrides[d]; }
        var y = Empty(outShape);
        PadRows(Data, inStrides, srcStart, y.Data, outShape, dstStart, box, value);
        var x = this;
        bool cropped = !box.AsSpan().SequenceEqual(shape);
        return y.Record("pad", [x], g =>
        {
            // the kept box of x gets its gradient back; cropped elements get 0; the padding constant has none
            var dx = cropped ? Zeros(x.shape) : Empty(x.shape);
            StridedCopy(g.Data, dstOffset, outStrides, dx.Data, srcOffset, inStrides, box);
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>Reflect padding (torch.nn.functional.pad mode="reflect", edge not repeated): same pad order as
    /// <see cref="Pad"/>; each pad must be non-negative and smaller than its dimension.</summary>
    public Tensor PadReflect(int[] pads)
    {
        CheckPads(pads);
        // Reflection is a gather along each padded dimension, so IndexSelect supplies forward and backward.
        var y = this;
        for (int k = 0; k < pads.Length / 2; k++)
        {
            int d = Rank - 1 - k, left = pads[2 * k], right = pads[2 * k + 1], n = shape[d];
            if (left < 0 || right < 0 || left >= n || right >= n)
                throw new ArgumentException($"reflect pad ({left}, {right}) on dimension {d} of {ShapeString}: pads must be in [0, {n - 1}]");
            if (left == 0 && right == 0) continue;
            var source = new int[n + left + right];
            for (int o = 0; o < source.Length; o++)
            {
                int i = o - left;
                source[o] = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
            }
            y = y.IndexSelect(d, source);
        }
        return ReferenceEquals(y, this) ? Reshape(shape) : y;
    }

    /// <summary>Writes each row (last dimension) of the padded output once: rows outside the kept box are all
    /// <paramref name="value"/>; the others are value, the source row's kept part, value.</summary>
    static void PadRows(ReadOnlySpan<float> src, int[] inStrides, int[] srcStart, Span<float> dst, int[] outShape, int[] dstStart, int[] box, float value)
    {
        int rank = outShape.Length;
        if (rank == 0) { src.CopyTo(dst); return; }
        int rowLength = outShape[rank - 1], left = dstStart[rank - 1], kept = box[rank - 1];
        if (rowLength == 0) return;
        var idx = new int[rank];
        for (int row = 0; row < dst.Length; row += rowLength)
        {
            var outRow = dst.Slice(row, rowLength);
            bool inBox = kept > 0;
            int srcRow = srcStart[rank - 1];
            for (int d = 0; inBox && d < rank - 1; d++)
            {
                int i = idx[d] - dstStart[d];
                inBox = i >= 0 && i < box[d];
                srcRow += (i + srcStart[d]) * inStrides[d];
            }
            if (!inBox) { outRow.Fill(value); }
            else
            {
                outRow[..left].Fill(value);
                src.Slice(srcRow, kept).CopyTo(outRow.Slice(left, kept));
                outRow[(left + kept)..].Fill(value);
            }
            for (int d = rank - 2; d >= 0; d--) { if (++idx[d] < outShape[d]) break; idx[d] = 0; }
        }
    }

    void CheckPads(int[] pads)
    {
        if (pads.Length % 2 != 0 || pads.Length / 2 > Rank)
            throw new ArgumentException($"pads [{string.Join(", ", pads)}] must be (left, right) pairs for at most {Rank} dimensions of {ShapeString}");
    }

    // ---- the copy kernel ---------------------------------------------------------------------------

    /// <summary>(product of sizes before dim, size of dim, product of sizes after dim): the view of a
    /// contiguous tensor as (outer, size, inner) used by every op that works along one dimension.</summary>
    internal (int Outer, int Size, int Inner) SplitAround(int dim)
    {
        int d = NormalizeDim(dim, Rank);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < Rank; i++) inner *= shape[i];
        return (outer, shape[d], inner);
    }

    /// <summary>
    /// For every index i of a box of <paramref name="sizes"/>: dst[dstOffset + i·dstStrides] = src[srcOffset + i·srcStrides];
    /// a source stride of 0 repeats an element (broadcast). Dimensions that stay adjacent in both layouts are
    /// merged first, so most copies become a few long span copies or fills. When the source's unit-stride
    /// dimension is not the innermost one of the destination (a transpose), the copy goes tile by tile.
    /// </summary>
    internal static void StridedCopy(ReadOnlySpan<float> src, int srcOffset, ReadOnlySpan<int> srcStrides,
                                     Span<float> dst, int dstOffset, ReadOnlySpan<int> dstStrides, ReadOnlySpan<int> sizes)
    {
        // 1) merge: drop size-1 dimensions, join an outer dimension with the next when both strides chain
        int rank = sizes.Length;
        Span<int> n = stackalloc int[rank + 1], ss = stackalloc int[rank + 1], ds = stackalloc int[rank + 1];
        int r = 0;
        long srcLast = srcOffset, dstLast = dstOffset;
        for (int d = 0; d < rank; d++)
        {
            int size = sizes[d];
            if (size == 0) return;
            if (size == 1) continue;
            srcLast += (long)(size - 1) * srcStrides[d];
            dstLast += (long)(size - 1) * dstStrides[d];
            if (r > 0 && ss[r - 1] == size * srcStrides[d] && ds[r - 1] == size * dstStrides[d])
            {
                n[r - 1] *= size; ss[r - 1] = srcStrides[d]; ds[r - 1] = dstStrides[d];
            }
            else { n[r] = size; ss[r] = srcStrides[d]; ds[r] = dstStrides[d]; r++; }
        }
        if (srcOffset < 0 || dstOffset < 0 || srcLast >= src.Length || dstLast >= dst.Length)
            throw new InvalidOperationException($"internal error: strided copy reaches source element {srcLast} of {src.Length}, destination element {dstLast} of {dst.Length}");
        if (r == 0) { dst[dstOffset] = src[srcOffset]; return; }

        // 2) a transpose: the destination's innermost dimension reads the source with a stride, and some
        //    other dimension j is the source's contiguous one; walk the remaining dimensions and copy (j, last) tiles
        int inner = n[r - 1], sIn = ss[r - 1], dIn = ds[r - 1];
        int j = -1;
        if (dIn == 1 && sIn > 1)
            for (int d = r - 2; d >= 0; d--) if (ss[d] == 1) { j = d; break; }
        if (j >= 0)
        {
            int rows = n[j], dstRowStride = ds[j];
            for (int d = j; d < r - 2; d++) { n[d] = n[d + 1]; ss[d] = ss[d + 1]; ds[d] = ds[d + 1]; }
            ForEachOuter(n[..(r - 2)], ss, ds, srcOffset, dstOffset, (so, dof, s, t) =>
                TransposeTile(s, so, sIn, t, dof, dstRowStride, rows, inner), src, dst);
            return;
        }

        // 3) runs along the innermost dimension: block copies (the common case, kept free of per-run calls),
        //    fills, or a strided loop
        if (sIn == 1 && dIn == 1)
        {
            CopyRuns(src, srcOffset, dst, dstOffset, n[..(r - 1)], ss, ds, inner);
            return;
        }
        ForEachOuter(n[..(r - 1)], ss, ds, srcOffset, dstOffset, (so, dof, s, t) =>
        {
            if (sIn == 0 && dIn == 1) t.Slice(dof, inner).Fill(s[so]);
            else for (int k = 0; k < inner; k++) t[dof + k * dIn] = s[so + k * sIn];
        }, src, dst);
    }

    /// <summary>Copies a contiguous run of <paramref name="inner"/> elements for every index of the outer
    /// dimensions <paramref name="n"/> (offsets updated incrementally; range checked by the caller).</summary>
    static void CopyRuns(ReadOnlySpan<float> src, int so, Span<float> dst, int dof, ReadOnlySpan<int> n, ReadOnlySpan<int> ss, ReadOnlySpan<int> ds, int inner)
    {
        ref byte s0 = ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(src));
        ref byte d0 = ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(dst));
        uint bytes = (uint)inner * sizeof(float);
        int outer = 1;
        foreach (int size in n) outer *= size;
        Span<int> idx = stackalloc int[n.Length + 1];
        for (int it = 0; it < outer; it++)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref d0, (nint)dof * sizeof(float)), ref Unsafe.Add(ref s0, (nint)so * sizeof(float)), bytes);
            for (int d = n.Length - 1; d >= 0; d--)
            {
                so += ss[d]; dof += ds[d];
                if (++idx[d] < n[d]) break;
                so -= n[d] * ss[d]; dof -= n[d] * ds[d]; idx[d] = 0;
            }
        }
    }

    delegate void RunCopy(int srcOffset, int dstOffset, ReadOnlySpan<float> src, Span<float> dst);

    /// <summary>Calls <paramref name="run"/> for every index of the outer dimensions <paramref name="n"/>, with the
    /// source and destination offsets kept up to date incrementally (no per-run index arithmetic).</summary>
    static void ForEachOuter(ReadOnlySpan<int> n, ReadOnlySpan<int> ss, ReadOnlySpan<int> ds, int so, int dof,
                             RunCopy run, ReadOnlySpan<float> src, Span<float> dst)
    {
        int outer = 1;
        foreach (int size in n) outer *= size;
        Span<int> idx = stackalloc int[n.Length + 1];
        for (int it = 0; it < outer; it++)
        {
            run(so, dof, src, dst);
            for (int d = n.Length - 1; d >= 0; d--)
            {
                so += ss[d]; dof += ds[d];
                if (++idx[d] < n[d]) break;
                so -= n[d] * ss[d]; dof -= n[d] * ds[d]; idx[d] = 0;
            }
        }
    }

    /// <summary>dst[dstOffset + a*dstRowStride + b] = src[srcOffset + a + b*srcColStride] for a &lt; rows, b &lt; cols:
    /// square tiles small enough that the lines read and written stay in L1, each tile as 8x8 register transposes
    /// (AVX), the ragged edges element by element.</summary>
    static void TransposeTile(ReadOnlySpan<float> src, int srcOffset, int srcColStride,
                              Span<float> dst, int dstOffset, int dstRowStride, int rows, int cols)
    {
        const int Tile = 32;
        ref float s0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), srcOffset);
        ref float d0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(dst), dstOffset);
        int rowsDone = 0, colsDone = 0;
        if (Avx.IsSupported && rows >= 8 && cols >= 8)
        {
            rowsDone = rows & ~7; colsDone = cols & ~7;
            for (int a0 = 0; a0 < rowsDone; a0 += Tile)
                for (int b0 = 0; b0 < colsDone; b0 += Tile)
                {
                    int aEnd = Math.Min(a0 + Tile, rowsDone), bEnd = Math.Min(b0 + Tile, colsDone);
                    for (int a = a0; a < aEnd; a += 8)
                        for (int b = b0; b < bEnd; b += 8)
                            Transpose8x8(ref Unsafe.Add(ref s0, a + b * srcColStride), srcColStride,
                                         ref Unsafe.Add(ref d0, a * dstRowStride + b), dstRowStride);
                }
        }
        // edges: rows past the last full 8 (all columns), then the remaining columns of the other rows
        TransposeScalar(ref s0, srcColStride, ref d0, dstRowStride, rowsDone, rows, 0, cols);
        TransposeScalar(ref s0, srcColStride, ref d0, dstRowStride, 0, rowsDone, colsDone, cols);
    }

    static void TransposeScalar(ref float s0, int srcColStride, ref float d0, int dstRowStride, int aStart, int aEnd, int bStart, int bEnd)
    {
        for (int a = aStart; a < aEnd; a++)
        {
            ref float drow = ref Unsafe.Add(ref d0, a * dstRowStride);
            for (int b = bStart; b < bEnd; b++)
                Unsafe.Add(ref drow, b) = Unsafe.Add(ref s0, a + b * srcColStride);
        }
    }

    /// <summary>Transposes the 8x8 block whose source rows are <paramref name="srcStride"/> apart into destination
    /// rows <paramref name="dstStride"/> apart: interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(ref float src, int srcStride, ref float dst, int dstStride)
    {
        var r0 = Vector256.LoadUnsafe(ref src);
        var r1 = Vector256.LoadUnsafe(ref src, (nuint)srcStride);
        var r2 = Vector256.LoadUnsafe(ref src, (nuint)(2 * srcStride));
        var r3 = Vector256.LoadUnsafe(ref src, (nuint)(3 * srcStride));
        var r4 = Vector256.LoadUnsafe(ref src, (nuint)(4 * srcStride));
        var r5 = Vector256.LoadUnsafe(ref src, (nuint)(5 * srcStride));
        var r6 = Vector256.LoadUnsafe(ref src, (nuint)(6 * srcStride));
        var r7 = Vector256.LoadUnsafe(ref src, (nuint)(7 * srcStride));
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref dst);
        Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref dst, (nuint)dstStride);
        Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref dst, (nuint)(2 * dstStride));
        Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref dst, (nuint)(3 * dstStride));
        Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref dst, (nuint)(4 * dstStride));
        Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref dst, (nuint)(5 * dstStride));
        Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref dst, (nuint)(6 * dstStride));
        Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref dst, (nuint)(7 * dstStride));
    }
}
