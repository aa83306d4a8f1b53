using System.Numerics.Tensors;

namespace Sentire.Tensors;

// Normalisation ops, each one fused kernel with its analytic backward (they run once per layer, so no
// composition of primitives and no tape entries per step). PyTorch semantics:
//   LayerNorm (Ba et al. 2016): xhat = (x - mean) / sqrt(var + eps), biased var over the last dims; y = xhat w + b
//   RmsNorm (Zhang & Sennrich 2019, LLaMA's form): y = x / sqrt(mean(x^2) + eps) * w over the last dim
//   GroupNorm (Wu & He 2018) on (N, C, *): LayerNorm's statistics over each group of C/groups channels and all
//   positions, then a per-channel w, b.
// Shared backward, with gh = g w (or g) and r = 1/sqrt(var + eps) of one normalised row of D elements:
//   dx = r (gh - mean(gh) - xhat mean(gh xhat));  dw = sum over rows of g xhat;  db = sum over rows of g
// (RmsNorm drops the mean(gh) term: its "xhat" = x r has no mean subtracted.)
// Also L2 normalisation (F.normalize) and cosine similarity (F.cosine_similarity), which normalise vectors by their norm.
public sealed partial class Tensor
{
    /// <summary>Layer normalisation over the trailing dimensions given by <paramref name="normalizedShape"/>;
    /// weight and bias, when given, have that shape.</summary>
    public Tensor LayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > Rank || !shape.AsSpan(Rank - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"LayerNorm: normalized shape [{string.Join(", ", normalizedShape)}] is not the trailing shape of input {ShapeString}");
        CheckAffine("LayerNorm", weight, normalizedShape);
        CheckAffine("LayerNorm", bias, normalizedShape);
        return LayerNormRows(CheckedCount(normalizedShape), weight, bias, eps);
    }

    /// <summary>Layer normalisation over the last <paramref name="lastDims"/> dimensions.</summary>
    public Tensor LayerNorm(int lastDims, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        if (lastDims < 1 || lastDims > Rank)
            throw new ArgumentOutOfRangeException(nameof(lastDims), $"LayerNorm over the last {lastDims} dimensions of a tensor of rank {Rank}");
        return LayerNorm(shape[(Rank - lastDims)..], weight, bias, eps);
    }

    Tensor LayerNormRows(int d, Tensor? weight, Tensor? bias, float eps)
    {
        int rows = d == 0 ? 0 : Length / d;
        var y = Empty(shape);
        var mean = new float[rows];
        var rstd = new float[rows];
        float[] xs = data, ys = y.data;
        float[]? w = weight?.data, b = bias?.data;
        ForRows(rows, d, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var xr = xs.AsSpan(r * d, d);
                var yr = ys.AsSpan(r * d, d);
                float mu = TensorPrimitives.Sum(xr) / d;
                TensorPrimitives.Subtract(xr, mu, yr);
                float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / d + eps);
                TensorPrimitives.Multiply(yr, rs, yr);
                if (w is not null && b is not null) TensorPrimitives.MultiplyAdd(yr, w.AsSpan(0, d), b.AsSpan(0, d), yr);
                else if (w is not null) TensorPrimitives.Multiply(yr, w.AsSpan(0, d), yr);
                else if (b is not null) TensorPrimitives.Add(yr, b.AsSpan(0, d), yr);
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
        var x = this;
        return y.Record("layer_norm", AffineInputs(x, weight, bias), g =>
        {
            int chunks = RowChunkCount(rows, d);
            var dx = x.RequiresGrad ? Empty(x.shape) : null;
            var dwParts = weight is { RequiresGrad: true } ? new float[chunks][] : null;
            var dbParts = bias is { RequiresGrad: true } ? new float[chunks][] : null;
            float[] gs = g.data;
            ForRowChunks(rows, chunks, (c, start, end) =>
            {
                var xhat = new float[d];
                var gw = w is not null ? new float[d] : null;
                var dw = dwParts is null ? null : dwParts[c] = new float[d];
                var db = dbParts is null ? null : dbParts[c] = new float[d];
                for (int r = start; r < end; r++)
                {
                    var gr = gs.AsSpan(r * d, d);
                    TensorPrimitives.Subtract(xs.AsSpan(r * d, d), mean[r], xhat);
                    TensorPrimitives.Multiply(xhat, rstd[r], xhat);
                    if (dw is not null) TensorPrimitives.MultiplyAdd(gr, xhat, dw, dw);
                    if (db is not null) TensorPrimitives.Add(db, gr, db);
                    if (dx is null) continue;
                    ReadOnlySpan<float> gh = gr;
                    if (gw is not null) { TensorPrimitives.Multiply(gr, w.AsSpan(0, d), gw); gh = gw; }
                    NormRowBackward(gh, xhat, rstd[r], TensorPrimitives.Sum(gh) / d, dx.data.AsSpan(r * d, d));
                }
            });
            if (dx is not null) x.AccumulateGrad(dx);
            if (dwParts is not null) weight!.AccumulateGrad(new Tensor(SumParts(dwParts), weight.shape));
            if (dbParts is not null) bias!.AccumulateGrad(new Tensor(SumParts(dbParts), bias.shape));
        });
    }

    /// <summary>Root-mean-square normalisation over the last dimension: x / sqrt(mean(x^2) + eps) * weight.</summary>
    public Tensor RmsNorm(Tensor? weight, float eps)
    {
        if (Rank == 0) throw new ArgumentException("RmsNorm needs a tensor of rank 1 or more");
        int d = shape[^1];
        CheckAffine("RmsNorm", weight, [d]);
        int rows = d == 0 ? 0 : Length / d;
        var y = Empty(shape);
        var rstd = new float[rows];
        float[] xs = data, ys = y.data;
        float[]? w = weight?.data;
        ForRows(rows, d, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var xr = xs.AsSpan(r * d, d);
                var yr = ys.AsSpan(r * d, d);
                float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / d + eps);
                TensorPrimitives.Multiply(xr, rs, yr);
                if (w is not null) TensorPrimitives.Multiply(yr, w.AsSpan(0, d), yr);
                rstd[r] = rs;
            }
        });
        var x = this;
        return y.Record("rms_norm", AffineInputs(x, weight, null), g =>
        {
            int chunks = RowChunkCount(rows, d);
            var dx = x.RequiresGrad ? Empty(x.shape) : null;
            var dwParts = weight is { RequiresGrad: true } ? new float[chunks][] : null;
            float[] gs = g.data;
            ForRowChunks(rows, chunks, (c, start, end) =>
            {
                var xhat = new float[d];
                var gw = w is not null ? new float[d] : null;
                var dw = dwParts is null ? null : dwParts[c] = new float[d];
                for (int r = start; r < end; r++)
                {
                    var gr = gs.AsSpan(r * d, d);
                    TensorPrimitives.Multiply(xs.AsSpan(r * d, d), rstd[r], xhat);
                    if (dw is not null) TensorPrimitives.MultiplyAdd(gr, xhat, dw, dw);
                    if (dx is null) continue;
                    ReadOnlySpan<float> gh = gr;
                    if (gw is not null) { TensorPrimitives.Multiply(gr, w.AsSpan(0, d), gw); gh = gw; }
                    NormRowBackward(gh, xhat, rstd[r], 0f, dx.data.AsSpan(r * d, d));
                }
            });
            if (dx is not null) x.AccumulateGrad(dx);
            if (dwParts is not null) weight!.AccumulateGrad(new Tensor(SumParts(dwParts), weight.shape));
        });
    }

    /// <summary>Group normalisation of (N, C, *): statistics per sample over each group of C/<paramref name="groups"/>
    /// channels and all positions; weight and bias have shape (C).</summary>
    public Tensor GroupNorm(int groups, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        if (Rank < 2) throw new ArgumentException($"GroupNorm expects (N, C, *), got {ShapeString}");
        int channels = shape[1];
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm: {channels} channels cannot be split into {groups} groups");
        CheckAffine("GroupNorm", weight, [channels]);
        CheckAffine("GroupNorm", bias, [channels]);
        int positions = Length / Math.Max(1, shape[0] * channels);
        int perGroup = channels / groups;
        int d = perGroup * positions;                // elements of one normalised row: contiguous in (N, C, *)
        int rows = shape[0] * groups;
        var y = Empty(shape);
        var mean = new float[rows];
        var rstd = new float[rows];
        float[] xs = data, ys = y.data;
        float[]? w = weight?.data, b = bias?.data;
        ForRows(rows, d, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var xr = xs.AsSpan(r * d, d);
                var yr = ys.AsSpan(r * d, d);
                float mu = TensorPrimitives.Sum(xr) / d;
                TensorPrimitives.Subtract(xr, mu, yr);
                float rs = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / d + eps);
                int c0 = r % groups * perGroup;
                for (int k = 0; k < perGroup; k++)
                {
                    var span = yr.Slice(k * positions, positions);
                    TensorPrimitives.Multiply(span, w is null ? rs : rs * w[c0 + k], span);
                    if (b is not null) TensorPrimitives.Add(span, b[c0 + k], span);
                }
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
        var x = this;
        return y.Record("group_norm", AffineInputs(x, weight, bias), g =>
        {
            int chunks = RowChunkCount(rows, d);
            var dx = x.RequiresGrad ? Empty(x.shape) : null;
            var dwParts = weight is { RequiresGrad: true } ? new float[chunks][] : null;
            var dbParts = bias is { RequiresGrad: true } ? new float[chunks][] : null;
            float[] gs = g.data;
            ForRowChunks(rows, chunks, (c, start, end) =>
            {
                var xhat = new float[d];
                var gw = w is not null ? new float[d] : null;
                var dw = dwParts is null ? null : dwParts[c] = new float[channels];
                var db = dbParts is null ? null : dbParts[c] = new float[channels];
                for (int r = start; r < end; r++)
                {
                    var gr = gs.AsSpan(r * d, d);
                    TensorPrimitives.Subtract(xs.AsSpan(r * d, d), mean[r], xhat);
                    TensorPrimitives.Multiply(xhat, rstd[r], xhat);
                    int c0 = r % groups * perGroup;
                    for (int k = 0; k < perGroup; k++)
                    {
                        var gk = gr.Slice(k * positions, positions);
                        if (dw is not null) dw[c0 + k] += TensorPrimitives.Dot(gk, xhat.AsSpan(k * positions, positions));
                        if (db is not null) db[c0 + k] += TensorPrimitives.Sum(gk);
                        if (gw is not null) TensorPrimitives.Multiply(gk, w![c0 + k], gw.AsSpan(k * positions, positions));
                    }
                    if (dx is null) continue;
                    ReadOnlySpan<float> gh = gw is null ? gr : gw.AsSpan();
                    NormRowBackward(gh, xhat, rstd[r], TensorPrimitives.Sum(gh) / d, dx.data.AsSpan(r * d, d));
                }
            });
            if (dx is not null) x.AccumulateGrad(dx);
            if (dwParts is not null) weight!.AccumulateGrad(new Tensor(SumParts(dwParts), weight.shape));
            if (dbParts is not null) bias!.AccumulateGrad(new Tensor(SumParts(dbParts), bias.shape));
        });
    }

    /// <summary>dx = r (gh - meanGh - xhat mean(gh xhat)) for one normalised row.</summary>
    static void NormRowBackward(ReadOnlySpan<float> gh, ReadOnlySpan<float> xhat, float r, float meanGh, Span<float> dx)
    {
        float meanGhXhat = TensorPrimitives.Dot(gh, xhat) / gh.Length;
        TensorPrimitives.MultiplyAdd(xhat, -meanGhXhat, gh, dx);
        if (meanGh != 0f) TensorPrimitives.Subtract(dx, meanGh, dx);
        TensorPrimitives.Multiply(dx, r, dx);
    }

    static void CheckAffine(string op, Tensor? p, int[] expected)
    {
        if (p is not null && !p.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{op}: affine parameter has shape {p.ShapeString}, expected [{string.Join(", ", expected)}]");
    }

    static Tensor[] AffineInputs(Tensor x, Tensor? weight, Tensor? bias) =>
        (weight, bias) switch
        {
            (null, null) => [x],
            (not null, null) => [x, weight],
            (null, not null) => [x, bias],
            _ => [x, weight!, bias!],
        };

    /// <summary>Adds per-chunk partial gradients in chunk order (deterministic for a given chunk count).</summary>
    static float[] SumParts(float[][] parts)
    {
        var total = parts[0];
        for (int c = 1; c < parts.Length; c++) TensorPrimitives.Add(total, parts[c], total);
        return total;
    }

    // ---- vector norms ----------------------------------------------------------------------------

    /// <summary>x / max(||x||_p, eps) along <paramref name="dim"/> (F.normalize).</summary>
    public Tensor Normalize(float p = 2f, int dim = -1, float eps = 1e-12f)
    {
        if (!(p > 0)) throw new ArgumentOutOfRangeException(nameof(p), $"Normalize: p must be positive, got {p}");
        int dd = NormalizeDim(dim, Rank);
        var (outer, n, inner) = SplitAt(shape, dd);
        var powered = GC.AllocateUninitializedArray<float>(Length);
        if (p == 2f) TensorPrimitives.Multiply(Data, Data, powered);
        else
        {
            TensorPrimitives.Abs(Data, powered);
            if (p != 1f) TensorPrimitives.Pow(powered, p, powered);
        }
        var norm = SumAlong(powered, outer, n, inner);
        if (p == 2f) TensorPrimitives.Sqrt(norm, norm);
        else if (p != 1f) TensorPrimitives.Pow(norm, 1f / p, norm);
        var denom = new float[norm.Length];
        TensorPrimitives.Max(norm, eps, denom);
        var y = Empty(shape);
        ApplyAlong(data, denom, y.data, outer, n, inner, TensorPrimitives.Divide, static (a, s, o) => TensorPrimitives.Divide(a, s, o));
        var x = this;
        return y.Record("normalize", [x], g =>
        {
            // dx = (g - u sum(g y)) / denom, u = d||x|| / dx = sign(x) |y|^(p-1) (= y for p = 2); no second term where the norm was clamped.
            var u = GC.AllocateUninitializedArray<float>(x.Length);
            if (p == 2f) y.Data.CopyTo(u);
            else
            {
                var ys = y.Data;
                for (int i = 0; i < u.Length; i++) u[i] = p == 1f ? MathF.Sign(ys[i]) : MathF.CopySign(MathF.Pow(MathF.Abs(ys[i]), p - 1), ys[i]);
            }
            var gy = GC.AllocateUninitializedArray<float>(x.Length);
            TensorPrimitives.Multiply(g.Data, y.Data, gy);
            var coef = SumAlong(gy, outer, n, inner);
            for (int r = 0; r < coef.Length; r++) if (!(norm[r] > eps)) coef[r] = 0;
            ApplyAlong(u, coef, u, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
            var dx = Empty(x.shape);
            TensorPrimitives.Subtract(g.Data, u, dx.Data);
            ApplyAlong(dx.data, denom, dx.data, outer, n, inner, TensorPrimitives.Divide, static (a, s, o) => TensorPrimitives.Divide(a, s, o));
            x.AccumulateGrad(dx);
        });
    }

    /// <summary>sum(a b) / (max(||a||, eps) max(||b||, eps)) along <paramref name="dim"/> (F.cosine_similarity; each norm
    /// is clamped separately, as PyTorch 1.13+ does). a and b have the same shape.</summary>
    public static Tensor CosineSimilarity(Tensor a, Tensor b, int dim = -1, float eps = 1e-8f)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"CosineSimilarity: shapes {a.ShapeString} and {b.ShapeString} differ");
        int d = NormalizeDim(dim, a.Rank);
        var (outer, n, inner) = SplitAt(a.shape, d);
        var tmp = GC.AllocateUninitializedArray<float>(a.Length);
        TensorPrimitives.Multiply(a.Data, b.Data, tmp);
        var dot = SumAlong(tmp, outer, n, inner);
        TensorPrimitives.Multiply(a.Data, a.Data, tmp);
        var na = SumAlong(tmp, outer, n, inner);
        TensorPrimitives.Multiply(b.Data, b.Data, tmp);
        var nb = SumAlong(tmp, outer, n, inner);
        TensorPrimitives.Sqrt(na, na);
        TensorPrimitives.Sqrt(nb, nb);
        var sim = new float[dot.Length];
        for (int r = 0; r < sim.Length; r++) sim[r] = dot[r] / (MathF.Max(na[r], eps) * MathF.Max(nb[r], eps));
        var y = new Tensor(sim, ReducedShape(a.shape, d, keepDim: false));
        return y.Record("cosine_similarity", [a, b], g =>
        {
            // d sim / da = b / (na nb) - sim a / na^2 (second term only where ||a|| > eps); symmetric for b.
            var gs = g.Data;
            var k = new float[sim.Length];
            var ka = new float[sim.Length];
            var kb = new float[sim.Length];
            for (int r = 0; r < sim.Length; r++)
            {
                float ca = MathF.Max(na[r], eps), cb = MathF.Max(nb[r], eps);
                k[r] = gs[r] / (ca * cb);
                ka[r] = na[r] > eps ? gs[r] * sim[r] / (ca * ca) : 0f;
                kb[r] = nb[r] > eps ? gs[r] * sim[r] / (cb * cb) : 0f;
            }
            if (a.RequiresGrad) a.AccumulateGrad(CosineGrad(b, a, k, ka, outer, n, inner));
            if (b.RequiresGrad) b.AccumulateGrad(CosineGrad(a, b, k, kb, outer, n, inner));
        });
    }

    /// <summary>other k - self kSelf, with the per-row coefficients broadcast along the reduced dimension.</summary>
    static Tensor CosineGrad(Tensor other, Tensor self, float[] k, float[] kSelf, int outer, int n, int inner)
    {
        var grad = Empty(self.shape);
        var part = GC.AllocateUninitializedArray<float>(self.Length);
        ApplyAlong(other.data, k, grad.data, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
        ApplyAlong(self.data, kSelf, part, outer, n, inner, TensorPrimitives.Multiply, static (a, s, o) => TensorPrimitives.Multiply(a, s, o));
        TensorPrimitives.Subtract(grad.Data, part, grad.Data);
        return grad;
    }
}
