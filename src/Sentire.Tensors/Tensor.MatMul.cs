using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// Matrix products. Transposed operands are GEMM flags, never copies. With C = op(A) op(B) and g = dL/dC:
//   dop(A) = g op(B)^T,  dop(B) = op(A)^T g,
// so the stored operands get dA = g op(B)^T (or op(B) g^T when A is stored transposed) and
// dB = op(A)^T g (or g^T op(A) when B is stored transposed); broadcast batch dimensions sum their gradients.
public sealed partial class Tensor
{
    /// <summary>Below this many multiply-adds per matrix, a batch runs one single-threaded GEMM per thread
    /// rather than one multi-threaded GEMM after another.</summary>
    const long SmallMatrixWork = 1L << 21;

    /// <summary>
    /// op(this) op(b) over the last two dimensions, leading (batch) dimensions broadcast as in torch.matmul.
    /// With <paramref name="transA"/> this is stored as (..., k, m); with <paramref name="transB"/>, b as (..., n, k).
    /// Shapes: (..., m, k) x (..., k, n) -> (broadcast(...), m, n).
    /// </summary>
    public Tensor MatMul(Tensor b, bool transA = false, bool transB = false)
    {
        var a = this;
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul needs operands of rank >= 2, found {a.ShapeString} and {b.ShapeString}");
        int m = transA ? a.shape[^1] : a.shape[^2], k = transA ? a.shape[^2] : a.shape[^1];
        int kb = transB ? b.shape[^1] : b.shape[^2], n = transB ? b.shape[^2] : b.shape[^1];
        if (k != kb)
            throw new ArgumentException($"MatMul inner dimensions differ: {a.ShapeString}{(transA ? "^T" : "")} x {b.ShapeString}{(transB ? "^T" : "")} gives k = {k} vs {kb}");
        int lda = a.shape[^1], ldb = b.shape[^1];

        var aBatch = a.shape.AsSpan(0, a.Rank - 2);
        var bBatch = b.shape.AsSpan(0, b.Rank - 2);
        var batch = Broadcast.Shape(aBatch, bBatch);
        var outShape = new int[batch.Length + 2];
        batch.CopyTo(outShape, 0);
        outShape[^2] = m; outShape[^1] = n;
        var y = Empty(outShape);

        // (..., m, k) x (k, n): one GEMM over all rows of A.
        if (!transA && b.Rank == 2)
        {
            int rows = a.Length / Math.Max(1, k);
            if (k == 0) rows = y.Length / Math.Max(1, n);
            Gemm.Sgemm(false, transB, rows, n, k, 1f, a.Data, lda, b.Data, ldb, 0f, y.Data, n);
            return y.Record("matmul", [a, b], g =>
            {
                if (a.RequiresGrad)
                {
                    var da = Empty(a.shape);
                    Gemm.Sgemm(false, !transB, rows, k, n, 1f, g.Data, n, b.Data, ldb, 0f, da.Data, k);
                    a.AccumulateGrad(da);
                }
                if (b.RequiresGrad)
                {
                    var db = Empty(b.shape);
                    if (transB) Gemm.Sgemm(true, false, n, k, rows, 1f, g.Data, n, a.Data, lda, 0f, db.Data, k);
                    else Gemm.Sgemm(true, false, k, n, rows, 1f, a.Data, lda, g.Data, n, 0f, db.Data, n);
                    b.AccumulateGrad(db);
                }
            });
        }

        int count = CheckedCount(batch);
        var aOff = MatrixOffsets(aBatch, batch, a.shape[^2] * a.shape[^1]);
        var bOff = MatrixOffsets(bBatch, batch, b.shape[^2] * b.shape[^1]);
        var yOff = MatrixOffsets(batch, batch, m * n);
        GemmBatch(count, transA, transB, m, n, k, a.Storage, aOff, lda, b.Storage, bOff, ldb, y.Storage, yOff, n, accumulate: false);
        // A broadcast operand has several batches adding into one gradient matrix.
        bool aShared = CheckedCount(aBatch) != count, bShared = CheckedCount(bBatch) != count;

        return y.Record("matmul", [a, b], g =>
        {
            if (a.RequiresGrad)
            {
                var da = aShared ? Zeros(a.shape) : Empty(a.shape);
                if (!transA) GemmBatch(count, false, !transB, m, k, n, g.Storage, yOff, n, b.Storage, bOff, ldb, da.Storage, aOff, k, aShared);
                else GemmBatch(count, transB, true, k, m, n, b.Storage, bOff, ldb, g.Storage, yOff, n, da.Storage, aOff, m, aShared);
                a.AccumulateGrad(da);
            }
            if (b.RequiresGrad)
            {
                var db = bShared ? Zeros(b.shape) : Empty(b.shape);
                if (!transB) GemmBatch(count, !transA, false, k, n, m, a.Storage, aOff, lda, g.Storage, yOff, n, db.Storage, bOff, n, bShared);
                else GemmBatch(count, true, transA, n, k, m, g.Storage, yOff, n, a.Storage, aOff, lda, db.Storage, bOff, k, bShared);
                b.AccumulateGrad(db);
            }
        });
    }

    /// <summary>Checks the input (..., in) and bias (out) of a linear map with an (out, in) weight and allocates its
    /// output (..., out); the errors name the weight as <paramref name="weightKind"/> [out, in].</summary>
    static Tensor LinearOutput(Tensor x, int inFeatures, int outFeatures, Tensor? bias, string weightKind)
    {
        if (x.Rank == 0 || x.shape[^1] != inFeatures)
            throw new ArgumentException($"Linear input {x.ShapeString} must end in in_features = {inFeatures} ({weightKind} [{outFeatures}, {inFeatures}])");
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != outFeatures))
            throw new ArgumentException($"Linear bias must be ({outFeatures}), found {bias.ShapeString}");
        var outShape = x.ShapeArray();
        outShape[^1] = outFeatures;
        return Empty(outShape);
    }

    /// <summary>
    /// y = x W^T + bias over the last dimension (torch.nn.functional.linear): x (..., in), W (out, in),
    /// bias (out) -> (..., out). One GEMM on the (rows, in) view of x with W read transposed in place;
    /// the bias is written first and the GEMM adds onto it. Backward: dx = g W, dW = g^T x, dbias = column sums of g.
    /// </summary>
    public Tensor Linear(Tensor weight, Tensor? bias = null)
    {
        var x = this;
        if (weight.Rank != 2) throw new ArgumentException($"Linear weight must be (out, in), found {weight.ShapeString}");
        int outFeatures = weight.shape[0], inFeatures = weight.shape[1];
        var y = LinearOutput(x, inFeatures, outFeatures, bias, "weight");
        int rows = y.Length / Math.Max(1, outFeatures);
        if (inFeatures == 0) rows = x.Rank == 1 ? 1 : CheckedCount(x.shape.AsSpan(0, x.Rank - 1));
        float beta = 0f;
        if (bias is not null)
        {
            var yd = y.Data; var bd = bias.Data;
            for (int r = 0; r < rows; r++) bd.CopyTo(yd.Slice(r * outFeatures, outFeatures));
            beta = 1f;
        }
        Gemm.Sgemm(false, true, rows, outFeatures, inFeatures, 1f, x.Data, inFeatures, weight.Data, inFeatures, beta, y.Data, outFeatures);

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return y.Record("linear", inputs, g =>
        {
            if (x.RequiresGrad)
            {
                var dx = Empty(x.shape);
                Gemm.Sgemm(false, false, rows, inFeatures, outFeatures, 1f, g.Data, outFeatures, weight.Data, inFeatures, 0f, dx.Data, inFeatures);
                x.AccumulateGrad(dx);
            }
            if (weight.RequiresGrad)
            {
                var dw = Empty(weight.shape);
                Gemm.Sgemm(true, false, outFeatures, inFeatures, rows, 1f, g.Data, outFeatures, x.Data, inFeatures, 0f, dw.Data, inFeatures);
                weight.AccumulateGrad(dw);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = Zeros(outFeatures);
                var gd = g.Data; var dbd = db.Data;
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(dbd, gd.Slice(r * outFeatures, outFeatures), dbd);
                bias.AccumulateGrad(db);
            }
        });
    }

    /// <summary>Offset (in floats) of the matrix each batch index reads in an operand whose batch dims
    /// <paramref name="operandBatch"/> broadcast to <paramref name="batch"/>.</summary>
    static int[] MatrixOffsets(ReadOnlySpan<int> operandBatch, ReadOnlySpan<int> batch, int matrixSize)
    {
        int count = CheckedCount(batch);
        var offsets = new int[count];
        var strides = Broadcast.Strides(operandBatch, batch);
        var idx = new int[batch.Length];
        for (int i = 0; i < count; i++)
        {
            long off = 0;
            for (int d = 0; d < batch.Length; d++) off += (long)idx[d] * strides[d];
            offsets[i] = checked((int)(off * matrixSize));
            for (int d = batch.Length - 1; d >= 0; d--) { if (++idx[d] < batch[d]) break; idx[d] = 0; }
        }
        return offsets;
    }

    /// <summary>
    /// C_i = op(A_i) op(B_i) for each batch index i, or C_i += ... when <paramref name="accumulate"/> (several i
    /// share a C matrix: run in order). Many small independent products run one per thread.
    /// </summary>
    static void GemmBatch(int count, bool transA, bool transB, int m, int n, int k,
        float[] a, int[] aOff, int lda, float[] b, int[] bOff, int ldb, float[] c, int[] cOff, int ldc, bool accumulate)
    {
        int aSize = transA ? k * lda : m * lda, bSize = transB ? n * ldb : k * ldb, cSize = m * ldc;
        float beta = accumulate ? 1f : 0f;
        long work = (long)m * n * k;
        if (!accumulate && count > 1 && work < SmallMatrixWork && Parallelism.MaxThreads > 1)
        {
            Parallelism.For(count, work, (i0, i1) =>
            {
                for (int i = i0; i < i1; i++)
                    Gemm.SgemmSingleThreaded(transA, transB, m, n, k, 1f, a.AsSpan(aOff[i], aSize), lda, b.AsSpan(bOff[i], bSize), ldb, beta, c.AsSpan(cOff[i], cSize), ldc);
            });
            return;
        }
        for (int i = 0; i < count; i++)
            Gemm.Sgemm(transA, transB, m, n, k, 1f, a.AsSpan(aOff[i], aSize), lda, b.AsSpan(bOff[i], bSize), ldb, beta, c.AsSpan(cOff[i], cSize), ldc);
    }
}
