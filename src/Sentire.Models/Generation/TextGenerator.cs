using Sentire.Models.Decoders;
using Sentire.Tensors;

namespace Sentire.Models.Generation;

/// <summary>
/// Autoregressive generation from a prefix given as embeddings (B, T, D), left-padded with a (B, T) mask, so that
/// a caller can put speech features, a BOS embedding and a prompt in front. Greedy, beam search, or seeded
/// temperature / top-k / top-p sampling, with transformers' semantics (see <see cref="GenerationOptions"/>).
/// Returns the new tokens of each row, without the EOS that ended it.
/// </summary>
public static class TextGenerator
{
    public static int[][] Generate(LlamaForCausalLM lm, Tensor prefixEmbeds, Tensor? prefixMask, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(lm);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prefixEmbeds.Rank != 3 || prefixEmbeds.Dim(1) == 0)
            throw new ArgumentException($"the prefix must be (B, T, D) with T >= 1, found {prefixEmbeds.ShapeString}");
        if (prefixMask is not null)
        {
            if (prefixMask.Rank != 2 || prefixMask.Dim(0) != prefixEmbeds.Dim(0) || prefixMask.Dim(1) != prefixEmbeds.Dim(1))
                throw new ArgumentException($"the prefix mask must be (B, T) = ({prefixEmbeds.Dim(0)}, {prefixEmbeds.Dim(1)}), found {prefixMask.ShapeString}");
            int t = prefixMask.Dim(1);
            for (int b = 0; b < prefixMask.Dim(0); b++)
                if (prefixMask.Data[b * t + t - 1] == 0)
                    throw new ArgumentException($"prefix row {b} ends in padding: generation needs left padding (pad before the tokens, mask 0 there)");
        }
        var eos = options.EosTokenIds ?? lm.Config.EosTokenIds;
        using var noGrad = Autograd.NoGrad();
        IDecoderSession session;
        Tensor first;
        if (options.UseCache) session = new CachedLlamaSession(lm, prefixEmbeds, prefixMask, options.MaxNewTokens, out first);
        else session = new RecomputingLlamaSession(lm, prefixEmbeds, prefixMask, out first);
        return Decode(session, first, options with { EosTokenIds = eos });
    }

    /// <summary>The search over any <see cref="IDecoderSession"/>, starting from the logits (rows, V) after the prefix.</summary>
    public static int[][] Decode(IDecoderSession session, Tensor firstLogits, GenerationOptions options)
    {
        options.Validate();
        if (firstLogits.Rank != 2 || firstLogits.Dim(0) != session.Rows)
            throw new ArgumentException($"first logits must be (rows = {session.Rows}, V), found {firstLogits.ShapeString}");
        var eos = options.EosTokenIds ?? [];
        return options.BeamSize > 1 ? BeamSearch(session, firstLogits, options, eos) : Sample(session, firstLogits, options, eos);
    }

    /// <summary>Greedy (Temperature 0) or sampling, one token per unfinished row per step.</summary>
    static int[][] Sample(IDecoderSession session, Tensor logits, GenerationOptions o, int[] eos)
    {
        int rows = session.Rows, vocab = logits.Dim(1);
        var rng = new Generator(o.Seed);
        var generated = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var finished = new bool[rows];
        var row = new float[vocab];
        for (int step = 0; step < o.MaxNewTokens; step++)
        {
            var tokens = new int[rows];
            for (int b = 0; b < rows; b++)
            {
                if (finished[b]) { tokens[b] = eos.Length > 0 ? eos[0] : 0; continue; }
                logits.Data.Slice(b * vocab, vocab).CopyTo(row);
                LogitsProcessors.RepetitionPenalty(row, generated[b], o.RepetitionPenalty);
                if (!LogitsProcessors.Apply(row, generated[b], o.Processors))
                {
                    finished[b] = true;   // nothing allowed: the row ends here
                    tokens[b] = eos.Length > 0 ? eos[0] : 0;
                    continue;
                }
                int token = o.Temperature == 0 ? LogitsProcessors.ArgMax(row) : Draw(row, o, rng);
                tokens[b] = token;
                if (o.StopOnEos && Array.IndexOf(eos, token) >= 0) finished[b] = true;
                else generated[b].Add(token);
            }
            if (finished.All(f => f) || step == o.MaxNewTokens - 1) break;
            logits = session.Next(tokens);
        }
        return generated.Select(g => g.ToArray()).ToArray();
    }

    /// <summary>One token drawn from softmax(logits / T) after top-k and top-p (transformers' warper order).</summary>
    static int Draw(float[] row, GenerationOptions o, Generator rng)
    {
        for (int i = 0; i < row.Length; i++) row[i] /= o.Temperature;
        LogitsProcessors.TopK(row, o.TopK);
        LogitsProcessors.TopP(row, o.TopP);
        var p = LogitsProcessors.Softmax(row);
        double u = rng.NextDouble(), cumulative = 0;
        int last = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0) continue;
            last = i;
            cumulative += p[i];
            if (u < cumulative) return i;
        }
        return last;   // u beyond the rounded total mass
    }

    sealed record Hypothesis(double Score, int[] Tokens);

    /// <summary>
    /// Beam search as transformers' BeamSearchScorer with early_stopping = False: each row keeps K beams scored by the
    /// sum of log-probabilities; of the 2K best extensions, those ending in EOS among the top K become finished
    /// hypotheses scored sum / length^LengthPenalty, the rest refill the K beams. A row is done when K hypotheses are
    /// finished and none is worse than the best live beam could score now; at the end live beams join the hypotheses.
    /// </summary>
    static int[][] BeamSearch(IDecoderSession session, Tensor logits, GenerationOptions o, int[] eos)
    {
        int batch = session.Rows, k = o.BeamSize, vocab = logits.Dim(1);
        // Every row starts as K copies of its prefix; only the first copy is live, so step one picks K distinct tokens.
        var expand = Enumerable.Range(0, batch * k).Select(i => i / k).ToArray();
        session.Reorder(expand);
        logits = logits.IndexSelect(0, expand);
        var scores = new double[batch * k];
        var beams = new List<int>[batch * k];
        for (int i = 0; i < scores.Length; i++) { scores[i] = i % k == 0 ? 0 : double.NegativeInfinity; beams[i] = []; }
        var hypotheses = Enumerable.Range(0, batch).Select(_ => new List<Hypothesis>()).ToArray();
        var done = new bool[batch];
        var row = new float[vocab];
        double Normalised(double sum, int length) => sum / Math.Pow(length, o.LengthPenalty);

        for (int step = 0; step < o.MaxNewTokens; step++)
        {
            var source = new int[batch * k];
            var tokens = new int[batch * k];
            var nextScores = new double[batch * k];
            var nextBeams = new List<int>[batch * k];
            for (int b = 0; b < batch; b++)
            {
                if (done[b])
                {
                    for (int j = 0; j < k; j++) { int r = b * k + j; source[r] = r; tokens[r] = eos.Length > 0 ? eos[0] : 0; nextScores[r] = scores[r]; nextBeams[r] = beams[r]; }
                    continue;
                }
                // candidates (score, beam, token): the 2K best over K x V
                var candidates = new List<(double Score, int Beam, int Token)>(2 * k);
                var heap = new PriorityQueue<(double, int, int), double>();
                for (int j = 0; j < k; j++)
                {
                    int r = b * k + j;
                    if (double.IsNegativeInfinity(scores[r])) continue;
                    logits.Data.Slice(r * vocab, vocab).CopyTo(row);
                    LogitsProcessors.RepetitionPenalty(row, beams[r], o.RepetitionPenalty);
                    if (!LogitsProcessors.Apply(row, beams[r], o.Processors)) continue;   // a beam with no allowed token has no extension
                    var logp = LogitsProcessors.LogSoftmax(row);
                    for (int v = 0; v < vocab; v++)
                    {
                        double s = scores[r] + logp[v];
                        if (double.IsNegativeInfinity(s)) continue;   // masked by a processor
                        if (heap.Count < 2 * k) heap.Enqueue((s, j, v), s);
                        else if (s > heap.Peek().Item1) heap.EnqueueDequeue((s, j, v), s);
                    }
                }
                while (heap.Count > 0) { var c = heap.Dequeue(); candidates.Add(c); }
                candidates.Reverse();   // best first (the heap pops the worst first)
                int filled = 0;
                for (int rank = 0; rank < candidates.Count && filled < k; rank++)
                {
                    var (s, j, v) = candidates[rank];
                    int r = b * k + j;
                    if (o.StopOnEos && Array.IndexOf(eos, v) >= 0)
                    {
                        if (rank < k) AddHypothesis(hypotheses[b], new Hypothesis(Normalised(s, beams[r].Count + 1), [.. beams[r]]), k);
                        continue;
                    }
                    int slot = b * k + filled++;
                    source[slot] = r; tokens[slot] = v; nextScores[slot] = s; nextBeams[slot] = [.. beams[r], v];
                }
                for (; filled < k; filled++)
                {
                    int slot = b * k + filled;
                    source[slot] = b * k; tokens[slot] = eos.Length > 0 ? eos[0] : 0; nextScores[slot] = double.NegativeInfinity; nextBeams[slot] = [];
                }
                double bestLive = Enumerable.Range(b * k, k).Max(i => nextScores[i]);
                done[b] = hypotheses[b].Count >= k && hypotheses[b].Min(h => h.Score) >= Normalised(bestLive, step + 1);
            }
            scores = nextScores;
            beams = nextBeams;
            if (done.All(d => d) || step == o.MaxNewTokens - 1) break;
            session.Reorder(source);
            logits = session.Next(tokens);
        }
        var result = new int[batch][];
        for (int b = 0; b < batch; b++)
        {
            if (!done[b])
                for (int j = 0; j < k; j++)
                {
                    int r = b * k + j;
                    if (!double.IsNegativeInfinity(scores[r])) AddHypothesis(hypotheses[b], new Hypothesis(Normalised(scores[r], Math.Max(1, beams[r].Count)), [.. beams[r]]), k);
                }
            result[b] = hypotheses[b].Count == 0 ? [] : hypotheses[b].MaxBy(h => h.Score)!.Tokens;
        }
        return result;
    }

    /// <summary>Keeps the K best finished hypotheses of a row.</summary>
    static void AddHypothesis(List<Hypothesis> list, Hypothesis h, int k)
    {
        list.Add(h);
        if (list.Count > k) list.Remove(list.MinBy(x => x.Score)!);
    }
}
