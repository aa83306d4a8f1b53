using Sentire.Models.Generation;
using Sentire.Tensors;

namespace Sentire.Models.Tests.Decoders;

public sealed class TextGeneratorTests
{
    /// <summary>A hand-made bigram model: the next-token distribution depends on the last token only.
    /// Tokens: 0 = EOS, 1 = A, 2 = B, 3 = C; row "start" is the distribution after the prefix.</summary>
    sealed class BigramSession(double[][] next, int rows) : IDecoderSession
    {
        public int Rows { get; private set; } = rows;
        public List<int[]> Fed { get; } = [];
        public Tensor Next(int[] tokens)
        {
            Fed.Add(tokens);
            Rows = tokens.Length;
            return Logits(tokens.Select(t => next[t]).ToArray());
        }
        public void Reorder(int[] rows) => Rows = rows.Length;
    }

    static Tensor Logits(double[][] probabilities)
    {
        int v = probabilities[0].Length;
        var t = Tensor.Zeros(probabilities.Length, v);
        for (int r = 0; r < probabilities.Length; r++)
            for (int i = 0; i < v; i++) t[r, i] = (float)Math.Log(probabilities[r][i]);
        return t;
    }

    static readonly double[] Start = [0.05, 0.5, 0.4, 0.05];
    static readonly double[][] Next =
    [
        [0.97, 0.01, 0.01, 0.01],   // after EOS (never used)
        [0.35, 0.25, 0.2, 0.2],     // after A: no strong continuation
        [0.9, 0.04, 0.03, 0.03],    // after B: almost surely the end
        [0.25, 0.25, 0.25, 0.25],
    ];

    /// <summary>Forbids the tokens it names, at every step.</summary>
    sealed class Forbid(params int[] tokens) : ILogitsProcessor
    {
        public void Process(Span<float> logits, IReadOnlyList<int> generated) { foreach (var t in tokens) logits[t] = float.NegativeInfinity; }
    }

    [Fact]
    public void ProcessorsRemoveTokensBeforeTheSearchAndARowWithNoTokenLeftEnds()
    {
        var options = new GenerationOptions { MaxNewTokens = 3, EosTokenIds = [0] };
        // greedy without A: B (0.4), then EOS (0.9)
        Assert.Equal([[2]], TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options with { Processors = [new Forbid(1)] }));
        // without A, C and EOS only B is left, until MaxNewTokens
        Assert.Equal([[2, 2, 2]], TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options with { Processors = [new Forbid(1), new Forbid(0, 3)] }));
        // nothing allowed: the row ends at once
        Assert.Equal([[]], TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options with { Processors = [new Forbid(0, 1, 2, 3)] }));
        // beam search sees the same constraint: the best sequence without A is B EOS
        Assert.Equal([[2]], TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options with { BeamSize = 2, Processors = [new Forbid(1)] }));
    }

    [Fact]
    public void BeamSearchFindsTheMoreProbableSequenceGreedyMisses()
    {
        var options = new GenerationOptions { MaxNewTokens = 3, EosTokenIds = [0] };
        // greedy: A (0.5) then EOS (0.35): P = 0.175
        Assert.Equal([[1]], TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options));
        // two beams: A (0.5), B (0.4); then B EOS (0.36) beats A EOS (0.175) and every longer continuation
        // (A A = 0.125 at most, then a factor <= 0.35 more)
        var beams = TextGenerator.Decode(new BigramSession(Next, 1), Logits([Start]), options with { BeamSize = 2 });
        Assert.Equal([[2]], beams);
    }

    [Fact]
    public void BeamSearchKeepsBatchRowsApart()
    {
        // row 0 starts as above, row 1 prefers C strongly (C then anything: the best finished is C EOS with 0.9 x 0.25)
        double[] startC = [0.05, 0.02, 0.03, 0.9];
        var session = new BigramSession(Next, 2);
        var result = TextGenerator.Decode(session, Logits([Start, startC]), new GenerationOptions { MaxNewTokens = 3, EosTokenIds = [0], BeamSize = 2 });
        Assert.Equal(2, result.Length);
        Assert.Equal([2], result[0]);
        Assert.Equal(3, result[1][0]);
    }

    [Fact]
    public void SeededSamplingIsDeterministic()
    {
        var uniform = Enumerable.Repeat(Enumerable.Repeat(0.25, 4).ToArray(), 4).ToArray();
        int[][] Run(ulong seed) => TextGenerator.Decode(new BigramSession(uniform, 3), Logits([[.25, .25, .25, .25], [.25, .25, .25, .25], [.25, .25, .25, .25]]),
            new GenerationOptions { MaxNewTokens = 12, Temperature = 1f, Seed = seed, StopOnEos = false });
        var a = Run(7);
        Assert.Equal(a, Run(7));
        Assert.NotEqual(a, Run(8));
        Assert.All(a, row => Assert.Equal(12, row.Length));
        // twelve draws from four equally likely tokens in each of three rows use more than one token
        Assert.All(a, row => Assert.True(row.Distinct().Count() > 1));
    }

    [Fact]
    public void TopKAndTopPLeaveOnlyAllowedTokens()
    {
        // p = (0.5, 0.3, 0.15, 0.05): top_p 0.7 keeps {0, 1} (0.5 < 0.7 <= 0.8); top_k 1 keeps {0}
        var session = new BigramSession(Enumerable.Repeat(new[] { 0.5, 0.3, 0.15, 0.05 }, 4).ToArray(), 1);
        var first = Logits([[0.5, 0.3, 0.15, 0.05]]);
        var topP = TextGenerator.Decode(session, first, new GenerationOptions { MaxNewTokens = 40, Temperature = 1f, TopP = 0.7f, Seed = 1, StopOnEos = false });
        Assert.All(topP[0], t => Assert.True(t is 0 or 1));
        Assert.Contains(1, topP[0]);
        var topK = TextGenerator.Decode(session, first, new GenerationOptions { MaxNewTokens = 10, Temperature = 1f, TopK = 1, Seed = 1, StopOnEos = false });
        Assert.All(topK[0], t => Assert.Equal(0, t));
    }

    [Fact]
    public void TopPKeepsTheSmallestMostProbableSetReachingTheMass()
    {
        float[] Filter(float p)
        {
            var logits = new[] { 0.1, 0.4, 0.2, 0.3 }.Select(x => (float)Math.Log(x)).ToArray();
            LogitsProcessors.TopP(logits, p);
            return logits;
        }
        bool[] Kept(float p) => Filter(p).Select(l => !float.IsNegativeInfinity(l)).ToArray();
        Assert.Equal([false, true, false, false], Kept(0.4f));     // 0.4 alone reaches 0.4
        Assert.Equal([false, true, false, true], Kept(0.5f));      // 0.4 + 0.3
        Assert.Equal([false, true, true, true], Kept(0.75f));      // 0.4 + 0.3 + 0.2
        Assert.Equal([true, true, true, true], Kept(0.95f));
        Assert.Equal([false, true, false, false], Kept(0.01f));    // the most probable token always stays
    }

    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits()
    {
        float[] logits = [2f, -1f, 0.5f, -3f];
        LogitsProcessors.RepetitionPenalty(logits, [0, 1, 1, 3], 2f);
        Assert.Equal([1f, -2f, 0.5f, -6f], logits);

        // in generation: greedy would repeat token 1 forever; the penalty 10 moves it to 2 once 1 has appeared
        double[][] sticky = Enumerable.Repeat(new[] { 0.01, 0.6, 0.3, 0.09 }, 4).ToArray();
        var first = Logits([[0.01, 0.6, 0.3, 0.09]]);
        Assert.Equal([[1, 1, 1]], TextGenerator.Decode(new BigramSession(sticky, 1), first, new GenerationOptions { MaxNewTokens = 3, StopOnEos = false }));
        // logits log p < 0 are multiplied: log 0.6 * 10 = -5.1 < log 0.3 = -1.2, then 2 is penalised too: log 0.3 * 10 = -12.0 < log 0.09 = -2.4
        Assert.Equal([[1, 2, 3]], TextGenerator.Decode(new BigramSession(sticky, 1), first, new GenerationOptions { MaxNewTokens = 3, StopOnEos = false, RepetitionPenalty = 10f }));
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new GenerationOptions { BeamSize = 2, Temperature = 1f }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { TopP = 0f }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { RepetitionPenalty = 0f }.Validate());
    }
}
