using System.Numerics;
using System.Numerics.Tensors;

namespace Sentire.Tensors;

// Normalisation ops, each one fused kernel with its analytic backward (they run once per layer, so no
// composition of primitives and no tape entries per step). PyTorch semantics:
//   LayerNorm (Ba et al. 2016): xhat = (x - mean) / sqrt(var + eps), biased var over the last dims; y = xhat w + b
//   RmsNorm (Zhang & Sennrich 2019, LLaMA's form): y = x / sqrt(mean(x^2) + eps) * w over the last dim
//   GroupNorm (Wu & He 2018) on (N, C, *): LayerNorm's statistics over each group of C/groups channels and all
//   positions, then a per-channel w, b.
//   BatchNorm (Ioffe & Szegedy 2015) on (N, C, *): per channel over the batch and all positions. Training: the batch's
//   mean and biased variance normalise, and the running statistics move by momentum m towards the batch's mean and
//   unbiased variance: r <- (1 - m) r + m stat. Evaluation: the running statistics normalise, y = (x - rm) / sqrt(rv + eps) w + b,
//   a per-channel affine map whose backward is dx = g w / sqrt(rv + eps), dw = sum g xhat, db = sum g.
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
        return NormalizeRows(CheckedCount(normalizedShape), weight, bias, eps, subtractMean: true);
    }

    /// <summary>Layer normalisation over the last <paramref name="lastDims"/> dimensions.</summary>
    public Tensor LayerNorm(int lastDims, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        if (lastDims < 1 || lastDims > Rank)
            throw new ArgumentOutOfRangeException(nameof(lastDims), $"LayerNorm over the last {lastDims} dimensions of a tensor of rank {Rank}");
        return LayerNorm(shape[(Rank - lastDims)..], weight, bias, eps);
    }

    /// <summary>Root-mean-square normalisation over the last dimension: x / sqrt(mean(x^2) + eps) * weight.</summary>
    public Tensor RmsNorm(Tensor? weight, float eps)
    {
        if (Rank == 0) throw new ArgumentException("RmsNorm needs a tensor of rank 1 or more");
        CheckAffine("RmsNorm", weight, [shape[^1]]);
        return NormalizeRows(shape[^1], weight, null, eps, subtractMean: false);
    }

    /// <summary>LayerNorm (<paramref name="subtractMean"/>) or RmsNorm of consecutive rows of <paramref name="d"/> elements.</summary>
    Tensor NormalizeRows(int d, Tensor? weight, Tensor? bias, float eps, bool subtractMean)
    {
        int rows = d == 0 ? 0 : Length / d;
        var y = Empty(shape);
        var mean = new float[rows];                  // stays 0 for RmsNorm
        var rstd = new float[rows];
        float[] xs = data, ys = y.data;
        float[]? w = weight?.data, b = bias?.data;
        ForRows(rows, d, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var xr = xs.AsSpan(r * d, d);
                float mu = subtractMean ? TensorPrimitives.Sum(xr) / d : 0f;
                float rs = 1f / MathF.Sqrt(SumSquaredDeviations(xr, mu) / d + eps);
                AffineRow(xr, mu, rs, w.AsSpan(0, w is null ? 0 : d), b.AsSpan(0, b is null ? 0 : d), ys.AsSpan(r * d, d));
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
        var x = this;
        return y.Record(subtractMean ? "layer_norm" : "rms_norm", AffineInputs(x, weight, bias), g =>
        {
            var grads = new NormGrads(x, weight, bias, RowChunkCount(rows, d), d);
            float[] gs = g.data;
            ForRowChunks(rows, grads.Chunks, (c, start, end) =>
            {
                var dw = grads.WeightPart(c);
                var db = grads.BiasPart(c);
                var dx = grads.Dx;
                var ws = w.AsSpan(0, w is null ? 0 : d);
                for (int r = start; r < end; r++)
                {
                    var xr = xs.AsSpan(r * d, d);
                    var gr = gs.AsSpan(r * d, d);
                    var (sumGh, sumGhXhat) = NormBackwardSums(xr, gr, mean[r], rstd[r], ws, dw, db);
                    // RmsNorm's xhat has no mean taken out, so its gradient has no mean(gh) term either
                    if (dx is not null)
                        NormBackwardDx(xr, gr, mean[r], rstd[r], ws, 1f, subtractMean ? sumGh / d : 0f, sumGhXhat / d, dx.data.AsSpan(r * d, d));
                }
            });
            grads.Send();
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
                float rs = 1f / MathF.Sqrt(SumSquaredDeviations(xr, mu) / d + eps);
                int c0 = r % groups * perGroup;
                for (int k = 0; k < perGroup; k++)
                {
                    var segment = yr.Slice(k * positions, positions);
                    AffineRow(xr.Slice(k * positions, positions), mu, w is null ? rs : rs * w[c0 + k], default, default, segment);
                    if (b is not null) TensorPrimitives.Add(segment, b[c0 + k], segment);
                }
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
        var x = this;
        return y.Record("group_norm", AffineInputs(x, weight, bias), g =>
        {
            var grads = new NormGrads(x, weight, bias, RowChunkCount(rows, d), channels);
            float[] gs = g.data;
            ForRowChunks(rows, grads.Chunks, (c, start, end) =>
            {
                var dw = grads.WeightPart(c);
                var db = grads.BiasPart(c);
                var dx = grads.Dx;
                for (int r = start; r < end; r++)
                {
                    var xr = xs.AsSpan(r * d, d);
                    var gr = gs.AsSpan(r * d, d);
                    int c0 = r % groups * perGroup;
                    // per channel: sum g and sum g xhat give db and dw; weighted by w[c] they add up to the row's sums of gh
                    float sumGh = 0, sumGhXhat = 0;
                    for (int k = 0; k < perGroup; k++)
                    {
                        var (sumG, sumGXhat) = NormBackwardSums(xr.Slice(k * positions, positions), gr.Slice(k * positions, positions), mean[r], rstd[r], default, default, default);
                        if (!dw.IsEmpty) dw[c0 + k] += sumGXhat;
                        if (!db.IsEmpty) db[c0 + k] += sumG;
                        float wk = w is null ? 1f : w[c0 + k];
                        sumGh += wk * sumG;
                        sumGhXhat += wk * sumGXhat;
                    }
                    if (dx is null) continue;
                    for (int k = 0; k < perGroup; k++)
                        NormBackwardDx(xr.Slice(k * positions, positions), gr.Slice(k * positions, positions), mean[r], rstd[r], default,
                            w is null ? 1f : w[c0 + k], sumGh / d, sumGhXhat / d, dx.data.AsSpan(r * d + k * positions, positions));
                }
            });
            grads.Send();
        });
    }

    /// <summary>
    /// Batch normalisation of (N, C, *) (BatchNorm1d/2d, F.batch_norm): with <paramref name="training"/> the batch's
    /// per-channel statistics normalise and <paramref name="runningMean"/>/<paramref name="runningVar"/> (shape (C)) are
    /// updated in place with <paramref name="momentum"/>; otherwise the running statistics normalise. Weight and bias have shape (C).
    /// </summary>
    public Tensor BatchNorm(Tensor runningMean, Tensor runningVar, Tensor? weight, Tensor? bias, bool training,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        if (Rank < 2) throw new ArgumentException($"BatchNorm expects (N, C, *), got {ShapeString}");
        int batch = shape[0], channels = shape[1];
        CheckAffine("BatchNorm", weight, [channels]);
        CheckAffine("BatchNorm", bias, [channels]);
        if (runningMean.Rank != 1 || runningMean.shape[0] != channels || runningVar.Rank != 1 || runningVar.shape[0] != channels)
            throw new ArgumentException($"BatchNorm: running mean {runningMean.ShapeString} and variance {runningVar.ShapeString} must both be [{channels}] for input {ShapeString}");
        int positions = channels == 0 || batch == 0 ? 0 : Length / (batch * channels);
        int count = batch * positions;             // elements per channel
        if (training && count < 2)
            throw new ArgumentException($"BatchNorm in training mode needs more than one value per channel, got input {ShapeString}");
        var y = Empty(shape);
        // the statistics this forward used, kept for the backward (an inference pass keeps none)
        bool record = Autograd.IsEnabled && (RequiresGrad || weight is { RequiresGrad: true } || bias is { RequiresGrad: true });
        var mean = training || record ? new float[channels] : null;
        var rstd = training || record ? new float[channels] : null;
        float[] xs = data, ys = y.data, rm = runningMean.data, rv = runningVar.data;
        float[]? w = weight?.data, b = bias?.data;
        ForRows(channels, count, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                float mu, variance;
                if (training)
                {
                    double sum = 0, squares = 0;
                    for (int n = 0; n < batch; n++) sum += TensorPrimitives.Sum(xs.AsSpan((n * channels + c) * positions, positions));
                    mu = (float)(sum / count);
                    for (int n = 0; n < batch; n++) squares += SumSquaredDeviations(xs.AsSpan((n * channels + c) * positions, positions), mu);
                    variance = (float)(squares / count);
                    rm[c] = (1 - momentum) * rm[c] + momentum * mu;
                    rv[c] = (1 - momentum) * rv[c] + momentum * (float)(squares / (count - 1));
                }
                else (mu, variance) = (rm[c], rv[c]);
                float rs = 1f / MathF.Sqrt(variance + eps);
                if (mean is not null) (mean[c], rstd![c]) = (mu, rs);
                // y = x a + shift with a = rs w, shift = b - mu a
                float a = w is null ? rs : rs * w[c], shift = (b is null ? 0f : b[c]) - mu * a;
                for (int n = 0; n < batch; n++)
                {
                    int at = (n * channels + c) * positions;
                    var yr = ys.AsSpan(at, positions);
                    TensorPrimitives.Multiply(xs.AsSpan(at, positions), a, yr);
                    TensorPrimitives.Add(yr, shift, yr);
                }
            }
        });
        if (!record) return y;
        var x = this;
        return y.Record(training ? "batch_norm" : "batch_norm_eval", AffineInputs(x, weight, bias), g =>
        {
            var dx = x.RequiresGrad ? Empty(x.shape) : null;
            var dw = weight is { RequiresGrad: true } ? new float[channels] : null;
            var db = bias is { RequiresGrad: true } ? new float[channels] : null;
            float[] gs = g.data;
            ForRows(channels, count, (c0, c1) =>
            {
                for (int c = c0; c < c1; c++)
                {
                    float sumG = 0, sumGXhat = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        int at = (n * channels + c) * positions;
                        var (s, sx) = NormBackwardSums(xs.AsSpan(at, positions), gs.AsSpan(at, positions), mean![c], rstd![c], default, default, default);
                        sumG += s;
                        sumGXhat += sx;
                    }
                    if (dw is not null) dw[c] = sumGXhat;
                    if (db is not null) db[c] = sumG;
                    if (dx is null) continue;
                    float wc = w is null ? 1f : w[c];
                    for (int n = 0; n < batch; n++)
                    {
                        int at = (n * channels + c) * positions;
                        if (training)
                            NormBackwardDx(xs.AsSpan(at, positions), gs.AsSpan(at, positions), mean![c], rstd![c], default, wc,
                                wc * sumG / count, wc * sumGXhat / count, dx.data.AsSpan(at, positions));
                        else
                            TensorPrimitives.Multiply(gs.AsSpan(at, positions), wc * rstd![c], dx.data.AsSpan(at, positions));
                    }
                }
            });
            if (dx is not null) x.AccumulateGrad(dx);
            if (dw is not null) weight!.AccumulateGrad(new Tensor(dw, channels));
            if (db is not null) bias!.AccumulateGrad(new Tensor(db, channels));
        });
    }

    // ---- fused row kernels: each is one pass over a row (rows of a norm are short enough to stay in cache) ----------

    /// <summary>sum((x - shift)^2).</summary>
    static float SumSquaredDeviations(ReadOnlySpan<float> x, float shift)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<float>(shift);
            var acc = Vector<float>.Zero;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var dev = new Vector<float>(x.Slice(i)) - s;
                acc += dev * dev;
            }
            sum = Vector.Sum(acc);
        }
        for (; i < x.Length; i++) { float dev = x[i] - shift; sum += dev * dev; }
        return sum;
    }

    /// <summary>y = (x - shift) scale w + b; an empty <paramref name="w"/> or <paramref name="b"/> is left out.</summary>
    static void AffineRow(ReadOnlySpan<float> x, float shift, float scale, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        bool hasW = !w.IsEmpty, hasB = !b.IsEmpty;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> s = new(shift), k = new(scale);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = (new Vector<float>(x.Slice(i)) - s) * k;
                if (hasW) v *= new Vector<float>(w.Slice(i));
                if (hasB) v += new Vector<float>(b.Slice(i));
                v.CopyTo(y.Slice(i));
            }
        }
        for (; i < x.Length; i++)
        {
            float v = (x[i] - shift) * scale;
            if (hasW) v *= w[i];
            if (hasB) v += b[i];
            y[i] = v;
        }
    }

    /// <summary>With xhat = (x - shift) scale and gh = g w (g when <paramref name="w"/> is empty): returns (sum gh, sum gh xhat)
    /// and adds g xhat to <paramref name="dw"/> and g to <paramref name="db"/> when they are not empty.</summary>
    static (float SumGh, float SumGhXhat) NormBackwardSums(ReadOnlySpan<float> x, ReadOnlySpan<float> g, float shift, float scale,
        ReadOnlySpan<float> w, Span<float> dw, Span<float> db)
    {
        bool hasW = !w.IsEmpty, hasDw = !dw.IsEmpty, hasDb = !db.IsEmpty;
        int i = 0;
        float sumGh = 0, sumGhXhat = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> s = new(shift), k = new(scale), accGh = Vector<float>.Zero, accGhXhat = Vector<float>.Zero;
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var xhat = (new Vector<float>(x.Slice(i)) - s) * k;
                var gv = new Vector<float>(g.Slice(i));
                if (hasDw) (new Vector<float>(dw.Slice(i)) + gv * xhat).CopyTo(dw.Slice(i));
                if (hasDb) (new Vector<float>(db.Slice(i)) + gv).CopyTo(db.Slice(i));
                if (hasW) gv *= new Vector<float>(w.Slice(i));
                accGh += gv;
                accGhXhat += gv * xhat;
            }
            sumGh = Vector.Sum(accGh);
            sumGhXhat = Vector.Sum(accGhXhat);
        }
        for (; i < x.Length; i++)
        {
            float xhat = (x[i] - shift) * scale, gv = g[i];
            if (hasDw) dw[i] += gv * xhat;
            if (hasDb) db[i] += gv;
            if (hasW) gv *= w[i];
            sumGh += gv;
            sumGhXhat += gv * xhat;
        }
        return (sumGh, sumGhXhat);
    }

    /// <summary>dx = scale (gh - meanGh - xhat meanGhXhat), with xhat = (x - shift) scale and gh = g gScale w (w optional).</summary>
    static void NormBackwardDx(ReadOnlySpan<float> x, ReadOnlySpan<float> g, float shift, float scale, ReadOnlySpan<float> w, float gScale,
        float meanGh, float meanGhXhat, Span<float> dx)
    {
        bool hasW = !w.IsEmpty;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> s = new(shift), k = new(scale), gk = new(gScale), mg = new(meanGh), mgx = new(meanGhXhat);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var xhat = (new Vector<float>(x.Slice(i)) - s) * k;
                var gh = new Vector<float>(g.Slice(i)) * gk;
                if (hasW) gh *= new Vector<float>(w.Slice(i));
                ((gh - mg - xhat * mgx) * k).CopyTo(dx.Slice(i));
            }
        }
        for (; i < x.Length; i++)
        {
            float xhat = (x[i] - shift) * scale, gh = g[i] * gScale;
            if (hasW) gh *= w[i];
            dx[i] = (gh - meanGh - xhat * meanGhXhat) * scale;
        }
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

    /// <summary>
    /// Gradient buffers of a norm's backward: dx (when the input requires grad) and, per row chunk, partial weight and
    /// bias gradients. <see cref="Send"/> adds the partials in chunk order, so results do not depend on thread timing.
    /// </summary>
    sealed class NormGrads
    {
        readonly Tensor x;
        readonly Tensor? weight, bias;
        readonly float[][]? weightParts, biasParts;

        public NormGrads(Tensor x, Tensor? weight, Tensor? bias, int chunks, int parameterLength)
        {
            (this.x, this.weight, this.bias, Chunks) = (x, weight, bias, chunks);
            Dx = x.RequiresGrad ? Empty(x.shape) : null;
            if (weight is { RequiresGrad: true }) weightParts = NewParts(chunks, parameterLength);
            if (bias is { RequiresGrad: true }) biasParts = NewParts(chunks, parameterLength);
        }

        public int Chunks { get; }

        public Tensor? Dx { get; }

        /// <summary>This chunk's partial weight gradient, or empty when the weight needs none.</summary>
        public Span<float> WeightPart(int chunk) => weightParts is null ? default : weightParts[chunk];

        public Span<float> BiasPart(int chunk) => biasParts is null ? default : biasParts[chunk];

        public void Send()
        {
            if (Dx is not null) x.AccumulateGrad(Dx);
            if (weightParts is not null) weight!.AccumulateGrad(new Tensor(Total(weightParts), weight.shape));
            if (biasParts is not null) bias!.AccumulateGrad(new Tensor(Total(biasParts), bias.shape));
        }

        static float[][] NewParts(int chunks, int length)
        {
            var parts = new float[chunks][];
            for (int c = 0; c < chunks; c++) parts[c] = new float[length];
            return parts;
        }

        static float[] Total(float[][] parts)
        {
            for (int c = 1; c < parts.Length; c++) TensorPrimitives.Add(parts[0], parts[c], parts[0]);
            return parts[0];
        }
    }

    // ---- vector norms ----------------------------------------------------------------------------

    /// <summary>x / max(||x||_p, eps) along <paramref name="dim"/> (F.normalize).</summary>
    public Tensor Normalize(float p = 2f, int dim = -1, float eps = 1e-12f)
    {
        if (!(p > 0)) throw new ArgumentOutOfRangeException(nameof(p), $"Normalize: p must be positive, got {p}");
        int dd = NormalizeDim(dim, Rank);
        var along = Along.Of(shape, dd);
        var powered = GC.AllocateUninitializedArray<float>(Length);
        if (p == 2f) TensorPrimitives.Multiply(Data, Data, powered);
        else
        {
            TensorPrimitives.Abs(Data, powered);
            if (p != 1f) TensorPrimitives.Pow(powered, p, powered);
        }
        var norm = along.Sum(powered);
        if (p == 2f) TensorPrimitives.Sqrt(norm, norm);
        else if (p != 1f) TensorPrimitives.Pow(norm, 1f / p, norm);
        var denom = new float[norm.Length];
        TensorPrimitives.Max(norm, eps, denom);
        var y = Empty(shape);
        along.Divide(data, denom, y.data);
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
            var coef = along.Sum(gy);
            for (int r = 0; r < coef.Length; r++) if (!(norm[r] > eps)) coef[r] = 0;
            along.Multiply(u, coef, u);
            var dx = Empty(x.shape);
            TensorPrimitives.Subtract(g.Data, u, dx.Data);
            along.Divide(dx.data, denom, dx.data);
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
        var along = Along.Of(a.shape, d);
        var tmp = GC.AllocateUninitializedArray<float>(a.Length);
        TensorPrimitives.Multiply(a.Data, b.Data, tmp);
        var dot = along.Sum(tmp);
        TensorPrimitives.Multiply(a.Data, a.Data, tmp);
        var na = along.Sum(tmp);
        TensorPrimitives.Multiply(b.Data, b.Data, tmp);
        var nb = along.Sum(tmp);
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
            if (a.RequiresGrad) a.AccumulateGrad(CosineGrad(b, a, k, ka, along));
            if (b.RequiresGrad) b.AccumulateGrad(CosineGrad(a, b, k, kb, along));
        });
    }

    /// <summary>other k - self kSelf, with the per-row coefficients broadcast along the reduced dimension.</summary>
    static Tensor CosineGrad(Tensor other, Tensor self, float[] k, float[] kSelf, Along along)
    {
        var grad = Empty(self.shape);
        var part = GC.AllocateUninitializedArray<float>(self.Length);
        along.Multiply(other.data, k, grad.data);
        along.Multiply(self.data, kSelf, part);
        TensorPrimitives.Subtract(grad.Data, part, grad.Data);
        return grad;
    }
}
