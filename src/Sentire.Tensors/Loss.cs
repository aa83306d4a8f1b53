using System.Numerics.Tensors;

namespace Sentire.Tensors;

/// <summary>
/// Loss functions with PyTorch semantics (torch.nn.functional), each fused with its backward.
/// Cross-entropy with label smoothing eps over C classes (F.cross_entropy, reduction "mean", no class weights):
///   loss_i = (1 - eps) (lse_i - x_i[t_i]) + eps/C sum_c (lse_i - x_i[c]),  lse_i = log sum_c exp x_i[c],
///   loss = sum over rows whose target is not ignoreIndex / their count;
///   d loss / d x_i = (softmax(x_i) - (1 - eps) onehot(t_i) - eps/C) / count.
/// KL divergence with probabilities as target (F.kl_div, log_target=False): l = t (log t - x), 0 where t = 0;
///   dl/dx = -t, dl/dt = log t + 1 - x (not finite where t = 0; targets are normally detached teacher probabilities).
/// Mean squared error: mean((a - b)^2), d/da = 2 (a - b) / n.
/// </summary>
public static class Loss
{
    public static Tensor CrossEntropy(Tensor logits, int[] targets, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rank != 2) throw new ArgumentException($"CrossEntropy expects logits (N, C), got {logits.ShapeString}");
        int rows = logits.Dim(0), classes = logits.Dim(1);
        if (targets.Length != rows) throw new ArgumentException($"CrossEntropy: {targets.Length} targets for {rows} rows of logits");
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing must be in [0, 1], got {labelSmoothing}");
        int count = 0;
        for (int i = 0; i < rows; i++)
        {
            int t = targets[i];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), $"target {t} at row {i} is outside [0, {classes}) and is not ignoreIndex {ignoreIndex}");
            count++;
        }

        float[] x = logits.Storage;
        var lse = new float[rows];
        var nll = new double[rows];
        var smooth = new double[rows];
        Tensor.ForRows(rows, classes, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                if (targets[i] == ignoreIndex) continue;
                var row = x.AsSpan(i * classes, classes);
                float max = TensorPrimitives.Max(row);
                float l = max + MathF.Log(Tensor.ExpShiftedSum(row, max, default));
                lse[i] = l;
                nll[i] = l - row[targets[i]];
                if (labelSmoothing > 0f) smooth[i] = (double)classes * l - Tensor.SumAccurate(row);
            }
        });
        double nllSum = 0, smoothSum = 0;
        for (int i = 0; i < rows; i++) { nllSum += nll[i]; smoothSum += smooth[i]; }
        double loss = ((1.0 - labelSmoothing) * nllSum + labelSmoothing / classes * smoothSum) / count;
        var y = Tensor.Scalar((float)loss);
        return y.Record("cross_entropy", [logits], g =>
        {
            float scale = g.Item() / count;
            float offTarget = labelSmoothing / classes;
            var dx = Tensor.Zeros(rows, classes);
            float[] d = dx.Storage;
            Tensor.ForRows(rows, classes, (start, end) =>
            {
                for (int i = start; i < end; i++)
                {
                    if (targets[i] == ignoreIndex) continue;
                    var dr = d.AsSpan(i * classes, classes);
                    TensorPrimitives.Subtract(x.AsSpan(i * classes, classes), lse[i], dr);
                    TensorPrimitives.Exp(dr, dr);
                    if (offTarget != 0f) TensorPrimitives.Subtract(dr, offTarget, dr);
                    dr[targets[i]] -= 1f - labelSmoothing;
                    TensorPrimitives.Multiply(dr, scale, dr);
                }
            });
            logits.AccumulateGrad(dx);
        });
    }

    /// <summary>KL(target || input) with <paramref name="logInput"/> = log-probabilities and <paramref name="target"/> = probabilities,
    /// reduction "batchmean" (sum / size of dim 0), "sum", "mean" (sum / element count) or "none".</summary>
    public static Tensor KlDiv(Tensor logInput, Tensor target, string reduction = "batchmean")
    {
        if (reduction is not ("batchmean" or "sum" or "mean" or "none"))
            throw new ArgumentException($"KlDiv: reduction \"{reduction}\" is not one of batchmean, sum, mean, none");
        if (!logInput.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"KlDiv: input {logInput.ShapeString} and target {target.ShapeString} differ in shape");
        var xs = logInput.Data;
        var ts = target.Data;
        var pointwise = Tensor.Empty(logInput.ShapeArray());
        var ps = pointwise.Data;
        for (int i = 0; i < ps.Length; i++)
        {
            float t = ts[i];
            ps[i] = (t == 0f ? 0f : t * MathF.Log(t)) - t * xs[i];
        }
        float divisor = reduction switch
        {
            "batchmean" => logInput.Rank == 0 ? 1 : logInput.Dim(0),
            "mean" => logInput.Length,
            _ => 1,
        };
        var y = reduction == "none" ? pointwise : Tensor.Scalar((float)(Tensor.SumAccurate(ps) / divisor));
        return y.Record("kl_div", [logInput, target], g =>
        {
            var gs = g.Data;
            bool perElement = reduction == "none";
            float scalar = perElement ? 0f : gs[0] / divisor;
            if (logInput.RequiresGrad)
            {
                var dx = Tensor.Empty(logInput.ShapeArray());
                if (perElement) TensorPrimitives.Multiply(target.Data, gs, dx.Data);
                else TensorPrimitives.Multiply(target.Data, scalar, dx.Data);
                TensorPrimitives.Negate(dx.Data, dx.Data);
                logInput.AccumulateGrad(dx);
            }
            if (target.RequiresGrad)
            {
                var dt = Tensor.Empty(target.ShapeArray());
                var d = dt.Data;
                var tv = target.Data;
                var xv = logInput.Data;
                for (int i = 0; i < d.Length; i++) d[i] = (MathF.Log(tv[i]) + 1f - xv[i]) * (perElement ? gs[i] : scalar);
                target.AccumulateGrad(dt);
            }
        });
    }

    /// <summary>Mean squared error mean((a - b)^2) of two tensors of the same shape.</summary>
    public static Tensor Mse(Tensor a, Tensor b)
    {
        if (!a.Shape.SequenceEqual(b.Shape))
            throw new ArgumentException($"Mse: shapes {a.ShapeString} and {b.ShapeString} differ");
        var diff = new float[a.Length];
        TensorPrimitives.Subtract(a.Data, b.Data, diff);
        double sumSquares = 0;
        const int Block = 4096;
        for (int at = 0; at < diff.Length; at += Block)
            sumSquares += TensorPrimitives.SumOfSquares(diff.AsSpan(at, Math.Min(Block, diff.Length - at)));
        var y = Tensor.Scalar((float)(sumSquares / a.Length));
        return y.Record("mse", [a, b], g =>
        {
            float scale = 2f * g.Item() / a.Length;
            var da = Tensor.Empty(a.ShapeArray());
            TensorPrimitives.Multiply(diff, scale, da.Data);
            if (b.RequiresGrad)
            {
                var db = Tensor.Empty(b.ShapeArray());
                TensorPrimitives.Negate(da.Data, db.Data);
                b.AccumulateGrad(db);
            }
            a.AccumulateGrad(da);
        });
    }
}
