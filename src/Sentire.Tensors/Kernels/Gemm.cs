namespace Sentire.Tensors.Kernels;

/// <summary>
/// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, with op(A) of shape (m, k)
/// and op(B) of shape (k, n). When <paramref name="transA"/> is set, A is stored as (k, m); when
/// <paramref name="transB"/> is set, B is stored as (n, k). lda/ldb/ldc are row strides in floats.
/// (Placeholder naive loop; the OpenBLAS and managed SIMD paths replace it.)
/// </summary>
public static class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }
}
