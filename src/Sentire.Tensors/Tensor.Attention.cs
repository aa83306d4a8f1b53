using System.Buffers;
using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

/// <summary>
/// Scaled dot-product attention (Vaswani et al., "Attention Is All You Need", 2017), as
/// torch.nn.functional.scaled_dot_product_attention, fused per (batch, head):
/// <code>
/// S = scale Q K^T + M        (Tq, Tk)   M: additive mask, or -inf where a boolean mask is 0 / causal hides
/// P = softmax_rows(S)                   computed in place over S: the only (Tq, Tk) buffer kept for backward
/// O = P V                    (Tq, Dv)
/// </code>
/// Backward needs only P (the scores are never stored; Dao et al., "FlashAttention", 2022, gives the same dS):
/// dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = scale dS K, dK = scale dS^T Q, dM = dS.
/// Grouped-query attention (Ainslie et al., "GQA", 2023): head h reads key/value head h / (H / Hkv).
/// Rows whose keys are all masked give zeros (not NaN) and pass no gradient.
/// </summary>
public static class Attention
{
    /// <summary>
    /// q (B, H, Tq, D), k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv) with H a multiple of Hkv -> (B, H, Tq, Dv).
    /// <paramref name="mask"/> broadcasts to (B, H, Tq, Tk): with <paramref name="isAdditive"/> it is added to the
    /// scaled scores (and receives a gradient if it requires one), otherwise it is boolean as float (nonzero = attend).
    /// <paramref name="causal"/> lets query i see keys j &lt;= i + (Tk - Tq): PyTorch's is_causal when Tq = Tk, and the
    /// bottom-right alignment a key/value cache needs when Tq &lt; Tk. <paramref name="scale"/> defaults to 1/sqrt(D).
    /// </summary>
    public static Tensor ScaledDotProduct(Tensor q, Tensor k, Tensor v, Tensor? mask = null, bool causal = false, float? scale = null, bool isAdditive = false)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"ScaledDotProduct needs q (B, H, Tq, D), k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv); found {q.ShapeString}, {k.ShapeString}, {v.ShapeString}");
        int batch = q.Dim(0), heads = q.Dim(1), tq = q.Dim(2), d = q.Dim(3);
        int kvHeads = k.Dim(1), tk = k.Dim(2), dv = v.Dim(3);
        if (k.Dim(0) != batch || v.Dim(0) != batch || v.Dim(1) != kvHeads || v.Dim(2) != tk || k.Dim(3) != d)
            throw new ArgumentException($"ScaledDotProduct: k {k.ShapeString} and v {v.ShapeString} do not match q {q.ShapeString} (need k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv))");
        if (kvHeads == 0 || heads % kvHeads != 0)
            throw new ArgumentException($"ScaledDotProduct: query heads ({heads}) must be a multiple of key/value heads ({kvHeads})");
        int[] scoreShape = [batch, heads, tq, tk];
        if (mask is not null && (mask.Rank > 4 || !Broadcast.Shape(mask.Shape, scoreShape).AsSpan().SequenceEqual(scoreShape)))
            throw new ArgumentException($"ScaledDotProduct: mask {mask.ShapeString} does not broadcast to the scores [{string.Join(", ", scoreShape)}]");

        var geometry = new AttentionGeometry(batch, heads, kvHeads, tq, tk, d, dv, scale ?? 1f / MathF.Sqrt(d), causal,
            mask is null ? null : Broadcast.Strides(mask.Shape, scoreShape), isAdditive);
        bool additiveInput = mask is not null && isAdditive;
        bool needGrad = Autograd.IsEnabled && (q.RequiresGrad || k.RequiresGrad || v.RequiresGrad || (additiveInput && mask!.RequiresGrad));

        var output = Tensor.Empty(batch, heads, tq, dv);
        // Probabilities are kept (one (Tq, Tk) matrix per head) only when a backward pass will need them.
        var probabilities = needGrad ? Tensor.Empty(scoreShape) : null;
        Forward(geometry, q.Storage, k.Storage, v.Storage, mask?.Storage, probabilities?.Storage, output.Storage);
        if (probabilities is null) return output;

        Tensor[] inputs = additiveInput ? [q, k, v, mask!] : [q, k, v];
        return output.Record("scaled_dot_product_attention", inputs, g =>
        {
            var dq = q.RequiresGrad ? Tensor.Empty(q.ShapeArray()) : null;
            var dk = k.RequiresGrad ? Tensor.Empty(k.ShapeArray()) : null;
            var dvGrad = v.RequiresGrad ? Tensor.Empty(v.ShapeArray()) : null;
            var dScores = additiveInput && mask!.RequiresGrad ? Tensor.Empty(scoreShape) : null;
            Backward(geometry, q.Storage, k.Storage, v.Storage, probabilities.Storage, g.Storage, dq?.Storage, dk?.Storage, dvGrad?.Storage, dScores?.Storage);
            if (dq is not null) q.AccumulateGrad(dq);
            if (dk is not null) k.AccumulateGrad(dk);
            if (dvGrad is not null) v.AccumulateGrad(dvGrad);
            if (dScores is not null) mask!.AccumulateGrad(Broadcast.SumTo(dScores, mask.Shape));
        });
    }

    /// <summary>Sizes of one attention call; <see cref="MaskStrides"/> reads the mask as (B, H, Tq, Tk).</summary>
    sealed record AttentionGeometry(int Batch, int Heads, int KvHeads, int Tq, int Tk, int D, int Dv, float Scale, bool Causal,
        int[]? MaskStrides, bool IsAdditive)
    {
        public int Group => Heads / KvHeads;
        public int QOffset(int b, int h) => (b * Heads + h) * Tq * D;
        public int KOffset(int b, int h) => (b * KvHeads + h / Group) * Tk * D;
        public int VOffset(int b, int h) => (b * KvHeads + h / Group) * Tk * Dv;
        public int OOffset(int b, int h) => (b * Heads + h) * Tq * Dv;
        public int POffset(int b, int h) => (b * Heads + h) * Tq * Tk;
        /// <summary>Either one single-threaded GEMM per thread over independent heads, or heads in turn with threaded GEMMs.</summary>
        public bool HeadsInParallel(int tasks) => tasks >= Parallelism.MaxThreads && Parallelism.MaxThreads > 1;
    }

    static void MatMul(bool singleThreaded, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (singleThreaded) Gemm.SgemmSingleThreaded(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    static void Forward(AttentionGeometry s, float[] q, float[] k, float[] v, float[]? mask, float[]? keep, float[] output)
    {
        int tasks = s.Batch * s.Heads;
        bool single = s.HeadsInParallel(tasks);
        // Each worker takes a range of heads with one score buffer, unless the probabilities are kept.
        void Heads(int first, int end)
        {
            var scratch = keep is null ? ArrayPool<float>.Shared.Rent(s.Tq * s.Tk) : null;
            try
            {
                for (int task = first; task < end; task++)
                {
                    int b = task / s.Heads, h = task % s.Heads;
                    var p = keep is null ? scratch.AsSpan(0, s.Tq * s.Tk) : keep.AsSpan(s.POffset(b, h), s.Tq * s.Tk);
                    // 1) S = scale Q K^T
                    MatMul(single, false, true, s.Tq, s.Tk, s.D, s.Scale, q.AsSpan(s.QOffset(b, h), s.Tq * s.D), s.D,
                        k.AsSpan(s.KOffset(b, h), s.Tk * s.D), s.D, 0f, p, s.Tk);
                    // 2) masks, then softmax in place row by row
                    for (int i = 0; i < s.Tq; i++) MaskedSoftmaxRow(s, mask, b, h, i, p.Slice(i * s.Tk, s.Tk));
                    // 3) O = P V
                    MatMul(single, false, false, s.Tq, s.Dv, s.Tk, 1f, p, s.Tk, v.AsSpan(s.VOffset(b, h), s.Tk * s.Dv), s.Dv,
                        0f, output.AsSpan(s.OOffset(b, h), s.Tq * s.Dv), s.Dv);
                }
            }
            finally { if (scratch is not null) ArrayPool<float>.Shared.Return(scratch); }
        }
        if (single) Parallelism.For(tasks, long.MaxValue / tasks, Heads);
        else Heads(0, tasks);
    }

    /// <summary>Applies the mask and causal limit to one score row, then softmax; an all-masked row becomes zeros.</summary>
    static void MaskedSoftmaxRow(AttentionGeometry s, float[]? mask, int b, int h, int i, Span<float> row)
    {
        if (mask is not null)
        {
            var st = s.MaskStrides!;
            int offset = b * st[0] + h * st[1] + i * st[2];
            if (st[3] == 1)
            {
                var m = mask.AsSpan(offset, s.Tk);
                if (s.IsAdditive) TensorPrimitives.Add(row, m, row);
                else for (int j = 0; j < row.Length; j++) if (m[j] == 0) row[j] = float.NegativeInfinity;
            }
            else
            {
                float m = mask[offset];
                if (s.IsAdditive) TensorPrimitives.Add(row, m, row);
                else if (m == 0) row.Fill(float.NegativeInfinity);
            }
        }
        if (s.Causal)
        {
            int lastVisible = i + s.Tk - s.Tq;
            if (lastVisible + 1 < s.Tk) row[Math.Max(0, lastVisible + 1)..].Fill(float.NegativeInfinity);
        }
        if (row.IsEmpty) return;
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
    }

    static void Backward(AttentionGeometry s, float[] q, float[] k, float[] v, float[] probabilities, float[] dOut,
        float[]? dq, float[]? dk, float[]? dv, float[]? dScores)
    {
        // Heads sharing a key/value head add into the same dK/dV, so tasks are (batch, key/value head).
        int tasks = s.Batch * s.KvHeads;
        bool single = s.HeadsInParallel(tasks);
        bool needDs = dq is not null || dk is not null || dScores is not null;
        void KvHead(int task)
        {
            int b = task / s.KvHeads, hkv = task % s.KvHeads;
            var scratch = needDs ? ArrayPool<float>.Shared.Rent(s.Tq * s.Tk) : null;
            try
            {
                for (int r = 0; r < s.Group; r++)
                {
                    int h = hkv * s.Group + r;
                    float accumulate = r == 0 ? 0f : 1f;
                    var p = probabilities.AsSpan(s.POffset(b, h), s.Tq * s.Tk);
                    var gO = dOut.AsSpan(s.OOffset(b, h), s.Tq * s.Dv);
                    var vh = v.AsSpan(s.VOffset(b, h), s.Tk * s.Dv);
                    // dV = P^T dO
                    if (dv is not null)
                        MatMul(single, true, false, s.Tk, s.Dv, s.Tq, 1f, p, s.Tk, gO, s.Dv, accumulate, dv.AsSpan(s.VOffset(b, h), s.Tk * s.Dv), s.Dv);
                    if (!needDs) continue;
                    // dP = dO V^T, then dS = P * (dP - rowsum(dP * P)) in place
                    var ds = scratch.AsSpan(0, s.Tq * s.Tk);
                    MatMul(single, false, true, s.Tq, s.Tk, s.Dv, 1f, gO, s.Dv, vh, s.Dv, 0f, ds, s.Tk);
                    for (int i = 0; i < s.Tq; i++)
                    {
                        var dsRow = ds.Slice(i * s.Tk, s.Tk);
                        var pRow = p.Slice(i * s.Tk, s.Tk);
                        float dot = TensorPrimitives.Dot(dsRow, pRow);
                        TensorPrimitives.Subtract(dsRow, dot, dsRow);
                        TensorPrimitives.Multiply(dsRow, pRow, dsRow);
                    }
                    if (dScores is not null) ds.CopyTo(dScores.AsSpan(s.POffset(b, h), s.Tq * s.Tk));
                    // dQ = scale dS K, dK = scale dS^T Q
                    if (dq is not null)
                        MatMul(single, false, false, s.Tq, s.D, s.Tk, s.Scale, ds, s.Tk, k.AsSpan(s.KOffset(b, h), s.Tk * s.D), s.D,
                            0f, dq.AsSpan(s.QOffset(b, h), s.Tq * s.D), s.D);
                    if (dk is not null)
                        MatMul(single, true, false, s.Tk, s.D, s.Tq, s.Scale, ds, s.Tk, q.AsSpan(s.QOffset(b, h), s.Tq * s.D), s.D,
                            accumulate, dk.AsSpan(s.KOffset(b, h), s.Tk * s.D), s.D);
                }
            }
            finally { if (scratch is not null) ArrayPool<float>.Shared.Return(scratch); }
        }
        if (single) Parallelism.ForEach(tasks, KvHead);
        else for (int t = 0; t < tasks; t++) KvHead(t);
    }
}
