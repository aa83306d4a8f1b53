namespace Sentire.Models.Generation;

/// <summary>
/// A constraint on the next token of one row (transformers' LogitsProcessor): given the row's logits (V) and the tokens
/// it has generated so far (without the prefix), sets the logits of forbidden tokens to -inf, in place. A row whose every
/// logit is -inf after the processors ends there, as if it had produced EOS.
/// </summary>
public interface ILogitsProcessor
{
    void Process(Span<float> logits, IReadOnlyList<int> generated);
}

/// <summary>
/// The per-row transformations of next-token scores, in the order transformers applies them: repetition penalty,
/// then temperature, top-k and top-p. Each works in place on one row of logits; removed tokens become -inf.
/// </summary>
public static class LogitsProcessors
{
    /// <summary>CTRL (Keskar et al. 2019, eq. in sec. 4.1) as transformers' RepetitionPenaltyLogitsProcessor: for every
    /// distinct token already generated, a positive logit is divided by <paramref name="penalty"/>, a negative one multiplied.</summary>
    public static void RepetitionPenalty(Span<float> logits, IEnumerable<int> previous, float penalty)
    {
        if (penalty == 1f) return;
        foreach (int token in previous.Distinct())
        {
            ref float l = ref logits[token];
            l = l > 0 ? l / penalty : l * penalty;
        }
    }

    /// <summary>Runs <paramref name="processors"/> in order; false when they leave no token allowed.</summary>
    public static bool Apply(Span<float> logits, IReadOnlyList<int> generated, IReadOnlyList<ILogitsProcessor> processors)
    {
        if (processors.Count == 0) return true;
        foreach (var p in processors) p.Process(logits, generated);
        foreach (float l in logits) if (!float.IsNegativeInfinity(l)) return true;
        return false;
    }

    /// <summary>Keeps the <paramref name="k"/> largest logits (and any tied with the k-th), as TopKLogitsWarper.</summary>
    public static void TopK(Span<float> logits, int k)
    {
        if (k <= 0 || k >= logits.Length) return;
        var sorted = logits.ToArray();
        Array.Sort(sorted);
        float threshold = sorted[^k];
        foreach (ref float l in logits) if (l < threshold) l = float.NegativeInfinity;
    }

    /// <summary>
    /// Nucleus filter (Holtzman et al. 2020) as TopPLogitsWarper: with probabilities sorted ascending, the tokens whose
    /// cumulative probability is at most 1 - <paramref name="p"/> are removed, so what remains is the smallest set of most
    /// probable tokens whose mass reaches p (the most probable token always stays).
    /// </summary>
    public static void TopP(Span<float> logits, float p)
    {
        if (p >= 1f) return;
        var probabilities = Softmax(logits);
        var order = Enumerable.Range(0, logits.Length).ToArray();
        Array.Sort(probabilities.ToArray(), order);   // ascending (stable ties are irrelevant: equal values share the fate of their mass)
        double cumulative = 0;
        for (int r = 0; r < order.Length - 1; r++)
        {
            cumulative += probabilities[order[r]];
            if (cumulative <= 1 - p) logits[order[r]] = float.NegativeInfinity;
            else break;
        }
    }

    /// <summary>softmax of one row in double precision (-inf gives 0).</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = float.IsNegativeInfinity(logits[i]) ? 0 : Math.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }

    /// <summary>log softmax of one row in double precision.</summary>
    public static double[] LogSoftmax(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (float l in logits) max = Math.Max(max, l);
        double sum = 0;
        foreach (float l in logits) sum += float.IsNegativeInfinity(l) ? 0 : Math.Exp(l - max);
        double logSum = max + Math.Log(sum);
        var r = new double[logits.Length];
        for (int i = 0; i < r.Length; i++) r[i] = logits[i] - logSum;
        return r;
    }

    /// <summary>Index of the largest logit (the first on ties, as torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
