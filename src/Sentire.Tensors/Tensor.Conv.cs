using System.Buffers;
using System.Numerics.Tensors;
using Sentire.Tensors.Kernels;

namespace Sentire.Tensors;

// 2-D convolution as torch.nn.functional.conv2d (cross-correlation), 1-D as its height-1 case (conv1d):
//   y[n, o, p, q] = bias[o] + sum_{c in group(o), i < KH, j < KW} W[o, c, i, j] * x[n, c, p*sh - ph + i*dh, q*sw - pw + j*dw]
// lowered per (batch item, group) to one GEMM on an im2col matrix (Chellapilla et al., "High Performance
// Convolutional Neural Networks for Document Processing", 2006):
//   cols[(c, i, j), (p, q)] = x[n, c, p*sh - ph + i*dh, q*sw - pw + j*dw]   (0 outside the input)   (Cin/groups * KH * KW, Hout * Wout)
//   Y_g = W_g cols                           (Cout/groups, Cin/groups * KH * KW) x (Cin/groups * KH * KW, Hout * Wout)
// Backward: dW_g += g_g cols^T, dcols = W_g^T g_g scattered back (col2im, the adjoint of im2col), dbias = sum g.
// The columns are rebuilt in backward rather than kept: they are KH * KW times the input.
// Depthwise convolution (groups = Cin = Cout, MobileNet's) has one input channel per group, so its GEMM would be a
// single row: it runs as a direct loop per (item, channel) plane instead, forward and backward,
//   y[p, q] = b + sum_{i, j} w[i, j] x[p*sh - ph + i*dh, q*sw - pw + j*dw]
//   dw[i, j] = sum_{p, q} g[p, q] x[...],   dx[...] += w[i, j] g[p, q].
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
        if (length + 2 * padding - dilation * (kernel - 1) - 1 < 0)
            throw new ArgumentException($"Conv1d: input length {length} with padding {padding} is shorter than the dilated kernel ({dilation * (kernel - 1) + 1})");
        int lout = (length + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;

        var geometry = new ConvGeometry(batch, cin, 1, length, cout, cinG, 1, kernel, 1, stride, 0, padding, 1, dilation, groups, 1, lout);
        return Convolve("conv1d", x, weight, bias, geometry, unbatched ? [cout, lout] : [batch, cout, lout]);
    }

    /// <summary>
    /// Conv2d on (N, Cin, H, W) (or unbatched (Cin, H, W)) with weight (Cout, Cin/groups, KH, KW) and optional bias (Cout):
    /// output (N, Cout, Hout, Wout), Hout = (H + 2 padding.H - dilation.H (KH - 1) - 1) / stride.H + 1, and likewise Wout.
    /// </summary>
    public Tensor Conv2d(Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        var x = this;
        bool unbatched = x.Rank == 3;
        if (x.Rank is not (3 or 4)) throw new ArgumentException($"Conv2d input must be (N, Cin, H, W) or (Cin, H, W), found {x.ShapeString}");
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d weight must be (Cout, Cin/groups, KH, KW), found {weight.ShapeString}");
        if (stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || padding.H < 0 || padding.W < 0 || groups < 1)
            throw new ArgumentException($"Conv2d needs stride >= 1, dilation >= 1, padding >= 0, groups >= 1; found stride {stride}, dilation {dilation}, padding {padding}, groups {groups}");
        int batch = unbatched ? 1 : x.shape[0], cin = x.shape[^3], height = x.shape[^2], width = x.shape[^1];
        int cout = weight.shape[0], cinG = weight.shape[1], kh = weight.shape[2], kw = weight.shape[3];
        if (cin % groups != 0 || cout % groups != 0 || cinG != cin / groups)
            throw new ArgumentException($"Conv2d: input {x.ShapeString} and weight {weight.ShapeString} with groups = {groups} need Cin ({cin}) and Cout ({cout}) divisible by groups and weight.shape[1] = Cin/groups = {cin / groups}");
        if (bias is not null && (bias.Rank != 1 || bias.shape[0] != cout))
            throw new ArgumentException($"Conv2d bias must be ({cout}), found {bias.ShapeString}");
        int spanH = height + 2 * padding.H - dilation.H * (kh - 1) - 1, spanW = width + 2 * padding.W - dilation.W * (kw - 1) - 1;
        if (spanH < 0 || spanW < 0)
            throw new ArgumentException($"Conv2d: input {height} x {width} with padding {padding} is smaller than the dilated kernel ({dilation.H * (kh - 1) + 1} x {dilation.W * (kw - 1) + 1})");
        int hout = spanH / stride.H + 1, wout = spanW / stride.W + 1;

        var geometry = new ConvGeometry(batch, cin, height, width, cout, cinG, kh, kw, stride.H, stride.W, padding.H, padding.W,
            dilation.H, dilation.W, groups, hout, wout);
        return Convolve("conv2d", x, weight, bias, geometry, unbatched ? [cout, hout, wout] : [batch, cout, hout, wout]);
    }

    /// <summary>Conv2d with the same stride, padding and dilation along both axes.</summary>
    public Tensor Conv2d(Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    static Tensor Convolve(string op, Tensor x, Tensor weight, Tensor? bias, ConvGeometry geometry, int[] outShape)
    {
        var y = Empty(outShape);
        if (geometry.Depthwise) DepthwiseForward(geometry, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);
        else ConvForward(geometry, x.Data, weight.Data, bias is null ? default : bias.Data, y.Data);

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return y.Record(op, inputs, g =>
        {
            if (weight.RequiresGrad || x.RequiresGrad)
            {
                var dw = weight.RequiresGrad ? Zeros(weight.shape) : null;
                var dx = x.RequiresGrad ? Zeros(x.shape) : null;
                if (geometry.Depthwise) DepthwiseBackward(geometry, x.Data, weight.Data, g.Data, dw is null ? default : dw.Data, dx is null ? default : dx.Data);
                else ConvBackward(geometry, x.Data, weight.Data, g.Data, dw is null ? default : dw.Data, dx is null ? default : dx.Data);
                if (dw is not null) weight.AccumulateGrad(dw);
                if (dx is not null) x.AccumulateGrad(dx);
            }
            if (bias is not null && bias.RequiresGrad)
            {
                int cout = geometry.Cout, plane = geometry.OutPlane;
                var db = Zeros(cout);
                var gd = g.Data;
                for (int n = 0; n < geometry.Batch; n++)
                    for (int o = 0; o < cout; o++) db.data[o] += TensorPrimitives.Sum(gd.Slice((n * cout + o) * plane, plane));
                bias.AccumulateGrad(db);
            }
        });
    }

    /// <summary>Sizes of one convolution (a 1-D one has H = KH = Hout = 1).</summary>
    readonly record struct ConvGeometry(int Batch, int Cin, int H, int W, int Cout, int CinG, int KH, int KW,
        int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW, int Groups, int Hout, int Wout)
    {
        public int CoutG => Cout / Groups;
        public int InPlane => H * W;
        public int OutPlane => Hout * Wout;
        /// <summary>Rows of the im2col matrix: (input channel of the group, kernel row, kernel column).</summary>
        public int ColRows => CinG * KH * KW;
        /// <summary>A 1x1 convolution reads the input itself as its column matrix.</summary>
        public bool Pointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;
        /// <summary>One input and one output channel per group: the direct per-plane kernel.</summary>
        public bool Depthwise => CinG == 1 && CoutG == 1 && !Pointwise;
        public float[] RentColumns() => ArrayPool<float>.Shared.Rent(Pointwise ? 1 : ColRows * OutPlane);
        /// <summary>The slice of (N, Cin, H, W) holding group <paramref name="g"/> of item <paramref name="n"/>.</summary>
        public int InputOffset(int n, int g) => (n * Cin + g * CinG) * InPlane;
        public int OutputOffset(int n, int g) => (n * Cout + g * CoutG) * OutPlane;
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
                ReadOnlySpan<float> cols = s.Pointwise ? x.Slice(s.InputOffset(n, g), s.ColRows * s.OutPlane) : Im2Col(s, x, n, g, columns);
                // 2) bias first, then Y_g = W_g cols adds onto it
                var yg = y.Slice(s.OutputOffset(n, g), s.CoutG * s.OutPlane);
                float beta = 0;
                if (!bias.IsEmpty)
                {
                    for (int o = 0; o < s.CoutG; o++) yg.Slice(o * s.OutPlane, s.OutPlane).Fill(bias[g * s.CoutG + o]);
                    beta = 1;
                }
                Gemm.Sgemm(false, false, s.CoutG, s.OutPlane, s.ColRows, 1f, w.Slice(s.WeightOffset(g), s.CoutG * s.ColRows), s.ColRows, cols, s.OutPlane, beta, yg, s.OutPlane);
            }
        }
        finally { ArrayPool<float>.Shared.Return(columns); }
    }

    static void ConvBackward(ConvGeometry s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> gy, Span<float> dw, Span<float> dx)
    {
        var columns = s.RentColumns();
        var dColumns = dx.IsEmpty || s.Pointwise ? null : ArrayPool<float>.Shared.Rent(s.ColRows * s.OutPlane);
        try
        {
            for (int n = 0; n < s.Batch; n++)
                for (int g = 0; g < s.Groups; g++)
                {
                    var gg = gy.Slice(s.OutputOffset(n, g), s.CoutG * s.OutPlane);
                    var wg = w.Slice(s.WeightOffset(g), s.CoutG * s.ColRows);
                    if (!dw.IsEmpty)
                    {
                        // dW_g += g_g cols^T
                        ReadOnlySpan<float> cols = s.Pointwise ? x.Slice(s.InputOffset(n, g), s.ColRows * s.OutPlane) : Im2Col(s, x, n, g, columns);
                        Gemm.Sgemm(false, true, s.CoutG, s.ColRows, s.OutPlane, 1f, gg, s.OutPlane, cols, s.OutPlane, 1f, dw.Slice(s.WeightOffset(g), s.CoutG * s.ColRows), s.ColRows);
                    }
                    if (!dx.IsEmpty)
                    {
                        // dcols = W_g^T g_g, then col2im adds each column entry back to the input sample it came from
                        if (s.Pointwise)
                            Gemm.Sgemm(true, false, s.ColRows, s.OutPlane, s.CoutG, 1f, wg, s.ColRows, gg, s.OutPlane, 0f, dx.Slice(s.InputOffset(n, g), s.ColRows * s.OutPlane), s.OutPlane);
                        else
                        {
                            var dcols = dColumns.AsSpan(0, s.ColRows * s.OutPlane);
                            Gemm.Sgemm(true, false, s.ColRows, s.OutPlane, s.CoutG, 1f, wg, s.ColRows, gg, s.OutPlane, 0f, dcols, s.OutPlane);
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

    /// <summary>Output steps t (of <paramref name="outCount"/>) whose tap at input offset <paramref name="offset"/>
    /// (= tap * dilation - padding) lands inside [0, <paramref name="inCount"/>): t*stride + offset in [0, inCount).</summary>
    static (int Start, int End) ValidSteps(int inCount, int outCount, int stride, int offset)
    {
        int start = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int last = inCount - 1 - offset;
        int end = last < 0 ? 0 : Math.Min(outCount, last / stride + 1);
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
                Parallelism.For(s.CinG, (long)s.KH * s.KW * s.OutPlane, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    {
                        var plane = new ReadOnlySpan<float>(xg + (long)c * s.InPlane, s.InPlane);
                        for (int i = 0; i < s.KH; i++)
                        {
                            var (p0, p1) = ValidSteps(s.H, s.Hout, s.StrideH, i * s.DilationH - s.PadH);
                            for (int j = 0; j < s.KW; j++)
                            {
                                var rows = columns.AsSpan(((c * s.KH + i) * s.KW + j) * s.OutPlane, s.OutPlane);
                                int offset = j * s.DilationW - s.PadW;
                                var (q0, q1) = ValidSteps(s.W, s.Wout, s.StrideW, offset);
                                rows[..(p0 * s.Wout)].Clear();
                                rows[(p1 * s.Wout)..].Clear();
                                for (int p = p0; p < p1; p++)
                                {
                                    var src = plane.Slice((p * s.StrideH + i * s.DilationH - s.PadH) * s.W, s.W);
                                    var row = rows.Slice(p * s.Wout, s.Wout);
                                    row[..q0].Clear();
                                    row[q1..].Clear();
                                    if (s.StrideW == 1) { if (q1 > q0) src.Slice(q0 + offset, q1 - q0).CopyTo(row[q0..q1]); }
                                    else for (int q = q0; q < q1; q++) row[q] = src[q * s.StrideW + offset];
                                }
                            }
                        }
                    }
                });
            }
        }
        return columns.AsSpan(0, s.ColRows * s.OutPlane);
    }

    /// <summary>Adds the column-matrix gradient of (item n, group g) into dx: the adjoint of <see cref="Im2Col"/>.</summary>
    static void Col2Im(ConvGeometry s, float[] dcols, int n, int g, Span<float> dx)
    {
        unsafe
        {
            fixed (float* pdx = dx)
            {
                float* dxg = pdx + s.InputOffset(n, g);
                Parallelism.For(s.CinG, (long)s.KH * s.KW * s.OutPlane, (c0, c1) =>
                {
                    for (int c = c0; c < c1; c++)
                    {
                        var plane = new Span<float>(dxg + (long)c * s.InPlane, s.InPlane);
                        for (int i = 0; i < s.KH; i++)
                        {
                            var (p0, p1) = ValidSteps(s.H, s.Hout, s.StrideH, i * s.DilationH - s.PadH);
                            for (int j = 0; j < s.KW; j++)
                            {
                                var rows = dcols.AsSpan(((c * s.KH + i) * s.KW + j) * s.OutPlane, s.OutPlane);
                                int offset = j * s.DilationW - s.PadW;
                                var (q0, q1) = ValidSteps(s.W, s.Wout, s.StrideW, offset);
                                if (q0 == q1) continue;   // this tap reads only padding (a kernel wider than the input)
                                for (int p = p0; p < p1; p++)
                                {
                                    var dst = plane.Slice((p * s.StrideH + i * s.DilationH - s.PadH) * s.W, s.W);
                                    var row = rows.Slice(p * s.Wout, s.Wout);
                                    if (s.StrideW == 1)
                                    {
                                        var d = dst.Slice(q0 + offset, q1 - q0);
                                        TensorPrimitives.Add(d, row[q0..q1], d);
                                    }
                                    else for (int q = q0; q < q1; q++) dst[q * s.StrideW + offset] += row[q];
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /// <summary>Depthwise forward: one (item, channel) plane per task, taps accumulated row by row.</summary>
    static void DepthwiseForward(ConvGeometry s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        unsafe
        {
            fixed (float* px = x, pw = w, pb = bias, py = y)
            {
                float* xs = px, ws = pw, bs = pb, ys = py;
                bool hasBias = !bias.IsEmpty;
                Parallelism.For(s.Batch * s.Cout, (long)s.KH * s.KW * s.OutPlane, (first, end) =>
                {
                    for (int plane = first; plane < end; plane++)
                    {
                        int c = plane % s.Cout;
                        var xp = new ReadOnlySpan<float>(xs + (long)plane * s.InPlane, s.InPlane);
                        var yp = new Span<float>(ys + (long)plane * s.OutPlane, s.OutPlane);
                        var wc = new ReadOnlySpan<float>(ws + (long)c * s.KH * s.KW, s.KH * s.KW);
                        yp.Fill(hasBias ? bs[c] : 0f);
                        for (int i = 0; i < s.KH; i++)
                        {
                            var (p0, p1) = ValidSteps(s.H, s.Hout, s.StrideH, i * s.DilationH - s.PadH);
                            for (int j = 0; j < s.KW; j++)
                            {
                                float wij = wc[i * s.KW + j];
                                int offset = j * s.DilationW - s.PadW;
                                var (q0, q1) = ValidSteps(s.W, s.Wout, s.StrideW, offset);
                                if (q0 == q1) continue;   // this tap reads only padding (a kernel wider than the input)
                                for (int p = p0; p < p1; p++)
                                {
                                    var src = xp.Slice((p * s.StrideH + i * s.DilationH - s.PadH) * s.W, s.W);
                                    var row = yp.Slice(p * s.Wout, s.Wout);
                                    if (s.StrideW == 1)
                                    {
                                        var d = row[q0..q1];
                                        TensorPrimitives.MultiplyAdd(src.Slice(q0 + offset, q1 - q0), wij, d, d);
                                    }
                                    else for (int q = q0; q < q1; q++) row[q] += wij * src[q * s.StrideW + offset];
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /// <summary>Depthwise backward: dw[c] sums over the items' planes (one partial per task, added in order), dx scatters w g.</summary>
    static void DepthwiseBackward(ConvGeometry s, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> gy, Span<float> dw, Span<float> dx)
    {
        int taps = s.KH * s.KW;
        // one partial dw per plane, summed over the batch afterwards in a fixed order (deterministic)
        var partial = dw.IsEmpty ? null : new float[s.Batch * s.Cout * taps];
        unsafe
        {
            fixed (float* px = x, pw = w, pg = gy, pdx = dx)
            {
                float* xs = px, ws = pw, gs = pg, dxs = pdx;
                bool wantDx = !dx.IsEmpty;
                Parallelism.For(s.Batch * s.Cout, 2L * taps * s.OutPlane, (first, end) =>
                {
                    for (int plane = first; plane < end; plane++)
                    {
                        int c = plane % s.Cout;
                        var xp = new ReadOnlySpan<float>(xs + (long)plane * s.InPlane, s.InPlane);
                        var gp = new ReadOnlySpan<float>(gs + (long)plane * s.OutPlane, s.OutPlane);
                        var dxp = wantDx ? new Span<float>(dxs + (long)plane * s.InPlane, s.InPlane) : default;
                        var wc = new ReadOnlySpan<float>(ws + (long)c * taps, taps);
                        for (int i = 0; i < s.KH; i++)
                        {
                            var (p0, p1) = ValidSteps(s.H, s.Hout, s.StrideH, i * s.DilationH - s.PadH);
                            for (int j = 0; j < s.KW; j++)
                            {
                                float wij = wc[i * s.KW + j];
                                int offset = j * s.DilationW - s.PadW;
                                var (q0, q1) = ValidSteps(s.W, s.Wout, s.StrideW, offset);
                                if (q0 == q1) continue;   // this tap reads only padding (a kernel wider than the input)
                                double sum = 0;
                                for (int p = p0; p < p1; p++)
                                {
                                    int rowStart = (p * s.StrideH + i * s.DilationH - s.PadH) * s.W;
                                    var grow = gp.Slice(p * s.Wout, s.Wout);
                                    if (s.StrideW == 1)
                                    {
                                        var gseg = grow[q0..q1];
                                        if (partial is not null) sum += TensorPrimitives.Dot(gseg, xp.Slice(rowStart + q0 + offset, q1 - q0));
                                        if (wantDx)
                                        {
                                            var d = dxp.Slice(rowStart + q0 + offset, q1 - q0);
                                            TensorPrimitives.MultiplyAdd(gseg, wij, d, d);
                                        }
                                    }
                                    else
                                        for (int q = q0; q < q1; q++)
                                        {
                                            int at = rowStart + q * s.StrideW + offset;
                                            if (partial is not null) sum += grow[q] * xp[at];
                                            if (wantDx) dxp[at] += wij * grow[q];
                                        }
                                }
                                if (partial is not null) partial[plane * taps + i * s.KW + j] = (float)sum;
                            }
                        }
                    }
                });
            }
        }
        if (partial is null) return;
        for (int n = 0; n < s.Batch; n++)
            TensorPrimitives.Add(dw, partial.AsSpan(n * s.Cout * taps, s.Cout * taps), dw);
    }
}
