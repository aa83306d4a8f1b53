namespace Sentire.Text.Tests;

public sealed class BpeModelTests
{
    /// <summary>The textbook loop: scan every adjacent pair, merge the lowest rank (leftmost on ties), repeat.</summary>
    static List<string> ReferenceMerge(List<string> symbols, IReadOnlyList<(string Left, string Right)> merges)
    {
        var rank = new Dictionary<(string, string), int>();
        for (int r = 0; r < merges.Count; r++) rank.TryAdd(merges[r], r);
        while (true)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (rank.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < best) (best, at) = (r, i);
            if (at < 0) return symbols;
            symbols[at] += symbols[at + 1];
            symbols.RemoveAt(at + 1);
        }
    }

    [Fact]
    public void HeapMergingEqualsTheTextbookLoopOnLongWords()
    {
        // long words over a small alphabet make many overlapping and equal-rank candidates
        var rng = new Random(5);
        var corpus = Enumerable.Range(0, 200).Select(_ => new string(Enumerable.Range(0, rng.Next(3, 12)).Select(_ => "abcab"[rng.Next(5)]).ToArray())).ToList();
        var trained = BpeTokenizer.Train(corpus, vocabSize: 300, specialTokens: ["<unk>"]);
        var dir = TokenizerFiles.NewFolder();
        trained.Save(Path.Combine(dir, "tokenizer.json"));
        var model = (BpeModel)TokenizerLoader.Load(dir).Model;
        var merges = model.Merges.ToList();
        Assert.True(merges.Count > 20, $"only {merges.Count} merges learned");
        for (int trial = 0; trial < 50; trial++)
        {
            var word = "▁" + new string(Enumerable.Range(0, rng.Next(1, 300)).Select(_ => "abcab"[rng.Next(5)]).ToArray());
            var ids = new List<int>();
            model.Tokenize(word, ids);
            var expected = ReferenceMerge(word.Select(c => c.ToString()).ToList(), merges);
            Assert.Equal(expected, ids.Select(i => model.TokenOf(i)!).ToList());
        }
    }

    [Fact]
    public void UnknownCharactersWithoutUnkOrBytesAreDroppedAsInTokenizers()
    {
        var vocab = new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["ab"] = 2 };
        var model = new BpeModel(vocab, [("a", "b")]);
        var ids = new List<int>();
        model.Tokenize("😀", ids);
        Assert.Empty(ids);
        model.Tokenize("a😀b", ids);
        Assert.Equal([2], ids);   // the dropped character no longer separates a and b
    }
}
