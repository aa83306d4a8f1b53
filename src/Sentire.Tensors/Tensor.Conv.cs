using System.Buffers;
using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// 1-D convolution as torch.nn.functional.conv1d (cross-correlation):
//   y[n, o, t] = bias[o] + sum_{c in group(o), j < K} W[o, c, j] * x[n, c, t*stride - padding + j*dilation]
// lowered per (batch item, group) to one GEMM on an im2col matrix (Chellapilla et al., "High Performance
// Convolutional Neural Networks for Document Processing", 2006):
//   cols[(c, j), t] = x[n, c, t*stride - padding + j*dilation]   (0 outside [0, L))    (Cin/groups * K, Lout)
//   Y_g = W_g cols                                    (Cout/groups, Cin/groups * K) x (Cin/groups * K, Lout)
// Backward: dW_g += g_g cols^T, dcols = W_g^T g_g scattered back (col2im, the adjoint of im2col), dbias = sum g.
// The columns are rebuilt in backward rather than kept: they are K times the input.
public sealed partial class Tensor
{
    /// <summary>
    /// Conv1d on (N, Cin, L) (or unbatched (Cin, L)) with weight (Cout, Cin/groups, K) and optional bias (Cout):
    /// output (N, Cout, Lout), Lout = (L + 2 padding - dilation (K - 1) - 1) / stride + 1.
    /// </summary>
    public Tensor Conv1d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        var x = this;
        bool unbatched = x.Rank == 2;
        if (x.Rank is not (2 or 3)) throw new ArgumentException($"Conv1d input must be (N, Cin, L) or (Cin, L), found {x.ShapeString}");
        if (weight.Rank != 3) throw new ArgumentException($"Conv1d weight must be (Cout, Cin/groups, K), found {weight.ShapeString}");
        if (stride < 1 || dilation < 1 || padding < 0 || groups < 1)
            throw new ArgumentException($"Conv1d needs stride >= 1, dilation >= 1, padding >= 0, groups >= 1; found stride {stride}, dilation {dilation}, padding {padding}, groups {groups}");
        int batch = unbatched ? 1 : x.shape[0], cin = x.shape[^2], length = x.shape[^1];
        int cout = weight.shape[0], cinG = weight.shape[1], kernel = weight.shape[2];
        if (cin % groups != 0 || cout % groups != 0 || cinG != cin / groups)
            throw new ArgumentException($"Conv1d: input {x.ShapeString} and weight {weight.ShapeString} with groups = {groups} need Cin ({cin}) and Cout ({cout}) divisible by groups and weight.shape[1] = Cin/groups = {cin / groups}");
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != cout))
            throw new ArgumentException($"Conv1d bias must be ({cout}), found {bias.ShapeString}");
        int lout = (length + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
        if (length + 2 * padding - dilation * (kernel - 1) - 1 < 0)
            throw new ArgumentException($"Conv1d: input length {length} with padding {padding} is shorter than the dilated kernel ({dilation * (kernel - 1) + 1})");

        var geometry = new ConvGeometry(batch, cin, length, cout, cinG, kernel, stride, padding, dilation, groups, lout);
        var y = Empty(unbatched ? [cout, lout] : [batch, cout, lout]);
        ConvForward(geometry, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return y.Record("conv1d", inputs, g =>
        {
            if (weight.RequiresGrad || x.RequiresGrad)
            {
                var dw = weight.RequiresGrad ? Zeros(weight.shape) : null;
                var dx = x.RequiresGrad ? Zeros(x.shape) : null;
                ConvBackward(geometry, x.Data, weight.Data, g.Data, dw is null ? default : dw.Data, dx is null ? default : dx.Data);
                if (dw is not null) weight.AccumulateGrad(dw);
                if (dx is not null) x.AccumulateGrad(dx);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = Zeros(cout);
                var gd = g.Data;
                for (int n = 0; n < batch; n++)
                    for (int o = 0; o < cout; o++) db.data[o] += TensorPrimitives.Sum(gd.Slice((n * cout + o) * lout, lout));
                bias.AccumulateGrad(db);
            }
        });
    }

    /// <summary>Sizes of one Conv1d call.</summary>
    readonly record struct ConvGeometry(int Batch, int Cin, int Length, int Cout, int CinG, int Kernel,
        int Stride, int Padding, int Dilation, int Groups, int Lout)
    {
        public int CoutG => Cout / Groups;
        /// <summary>Rows of the im2col matrix: (input channel of the group, kernel tap).</summary>
        public int ColRows => CinG * Kernel;
        /// <summary>A 1x1 convolution reads the input itself as its column matrix.</summary>
        public bool Pointwise => Kernel == 1 && Stride == 1 && Padding == 0;
        public float[] RentColumns() => ArrayPool<float>.Shared.Rent(Pointwise ? 1 : ColRows * Lout);
        /// <summary>The slice of (N, Cin, L) holding group <paramref name="g"/> of item <paramref name="n"/>.</summary>
        public int InputOffset(int n, int g) => (n * Cin + g * CinG) * Length;
        public int OutputOffset(int n, int g) => (n * Cout + g * CoutG) * Lout;
        public int WeightOffset(int g) => g * CoutG * ColRows;
    }

    static void ConvForward(ConvGeometry s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        int pairs = s.Batch * s.Groups;
        var columns = s.RentColumns();
        try
        {
            for (int pair = 0; pair < pairs; pair++)
            {
                int n = pair / s.Groups, g = pair % s.Groups;
                // 1) columns of this (item, group)
                ReadOnlySpan<float> cols = s.Pointwise ? x.Slice(s.InputOffset(n, g), s.ColRows * s.Lout) : Im2Col(s, x, n, g, columns);
                // 2) bias first, then Y_g = W_g cols adds onto it
                var yg = y.Slice(s.OutputOffset(n, g), s.CoutG * s.Lout);
                float beta = 0;
                if (!bias.IsEmpty)
                {
                    for (int o = 0; o < s.CoutG; o++) yg.Slice(o * s.Lout, s.Lout).Fill(bias[g * s.CoutG + o]);
                    beta = 1;
                }
                Gemm.Sgemm(false, false, s.CoutG, s.Lout, s.ColRows, 1f, w.Slice(s.WeightOffset(g), s.CoutG * s.ColRows), s.ColRows, cols, s.Lout, beta, yg, s.Lout);
            }
        }
        finally { ArrayPool<float>.Shared.Return(columns); }
    }

    static void ConvBackward(ConvGeometry s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> gy, Span<float> dw, Span<float> dx)
    {
        var columns = s.RentColumns();
        var dColumns = dx.IsEmpty || s.Pointwise ? null : ArrayPool<float>.Shared.Rent(s.ColRows * s.Lout);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    var gg = gy.Slice(s.OutputOffset(n, g), s.CoutG * s.Lout);
                    var wg = w.Slice(s.WeightOffset(g), s.CoutG * s.ColRows);
                    if (!dw.IsEmpty)
                    {
                        // dW_g += g_g cols^T
                        ReadOnlySpan<float> cols = s.Pointwise ? x.Slice(s.InputOffset(n, g), s.ColRows * s.Lout) : Im2Col(s, x, n, g, columns);
                        Gemm.Sgemm(false, true, s.CoutG, s.ColRows, s.Lout, 1f, gg, s.Lout, cols, s.Lout, 1f, dw.Slice(s.WeightOffset(g), s.CoutG * s.ColRows), s.ColRows);
                    }
                    if (!dx.IsEmpty)
                    {
                        // dcols = W_g^T g_g, then col2im adds each column entry back to the input sample it came from
                        if (s.Pointwise)
                            Gemm.Sgemm(true, false, s.ColRows, s.Lout, s.CoutG, 1f, wg, s.ColRows, gg, s.Lout, 0f, dx.Slice(s.InputOffset(n, g), s.ColRows * s.Lout), s.Lout);
                        else
                        {
                            var dcols = dColumns.AsSpan(0, s.ColRows * s.Lout);
                            Gemm.Sgemm(true, false, s.ColRows, s.Lout, s.CoutG, 1f, wg, s.ColRows, gg, s.Lout, 0f, dcols, s.Lout);
                            Col2Im(s, dColumns!, n, g, dx);
                        }
                    }
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(columns);
            if (dColumns is not null) ArrayPool<float>.Shared.Return(dColumns);
        }
    }

    /// <summary>Output steps t whose tap at input offset <paramref name="offset"/> (= j*dilation - padding) lands inside
    /// [0, L): t*stride + offset in [0, L).</summary>
    static (int Start, int End) ValidSteps(in ConvGeometry s, int offset)
    {
        int start = offset >= 0 ? 0 : (-offset + s.Stride - 1) / s.Stride;
        int last = s.Length - 1 - offset;
        int end = last < 0 ? 0 : Math.Min(s.Lout, last / s.Stride + 1);
        return (Math.Min(start, end), end);
    }

    /// <summary>Fills <paramref name="columns"/> with the im2col matrix of (item n, group g); channels split over threads.</summary>
    static ReadOnlySpan<float> Im2Col(ConvGeometry s, ReadOnlySpan<float> x, int n, int g, float[] columns)
    {
        unsafe
        {
            fixed (float* px = x)
            {
                float* xg = px + s.InputOffset(n, g);
                Parallelism.For(s.CinG, (long)s.Kernel * s.Lout, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    {
                        var src = new ReadOnlySpan<float>(xg + (long)c * s.Length, s.Length);
                        for (int j = 0; j < s.Kernel; j++)
                        {
                            var row = columns.AsSpan((c * s.Kernel + j) * s.Lout, s.Lout);
                            int offset = j * s.Dilation - s.Padding;
                            var (start, end) = ValidSteps(s, offset);
                            row[..start].Clear();
                            row[end..].Clear();
                            if (s.Stride == 1) src.Slice(start + offset, end - start).CopyTo(row[start..end]);
                            else for (int t = start; t < end; t++) row[t] = src[t * s.Stride + offset];
                        }
                    }
                });
            }
        }
        return columns.AsSpan(0, s.ColRows * s.Lout);
    }

    /// <summary>Adds the column-matrix gradient of (item n, group g) into dx: the adjoint of <see cref="Im2Col"/>.</summary>
    static void Col2Im(ConvGeometry s, float[] dcols, int n, int g, Span<float> dx)
    {
        unsafe
        {
            fixed (float* pdx = dx)
            {
                float* dxg = pdx + s.InputOffset(n, g);
                Parallelism.For(s.CinG, (long)s.Kernel * s.Lout, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    {
                        var dst = new Span<float>(dxg + (long)c * s.Length, s.Length);
                        for (int j = 0; j < s.Kernel; j++)
                        {
                            var row = dcols.AsSpan((c * s.Kernel + j) * s.Lout, s.Lout);
                            int offset = j * s.Dilation - s.Padding;
                            var (start, end) = ValidSteps(s, offset);
                            if (s.Stride == 1)
                            {
                                var d = dst.Slice(start + offset, end - start);
                                TensorPrimitives.Add(d, row[start..end], d);
                            }
                            else for (int t = start; t < end; t++) dst[t * s.Stride + offset] += row[t];
                        }
                    }
                });
            }
        }
    }
}
