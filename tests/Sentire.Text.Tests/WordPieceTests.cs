namespace Sentire.Text.Tests;

/// <summary>BERT's vocab.txt: BasicTokenizer cleaning and splitting, then greedy longest-match WordPiece.</summary>
public sealed class WordPieceTests
{
    static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "un", "##aff",
        "##able", ",", "!", "cafe", "中", "文", "the", "a", "##b", "##a", "don", "'", "t", "Hello", "café",
    ];

    static string Folder(string? tokenizerConfig = null)
    {
        var dir = TokenizerFiles.NewFolder();
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), Vocab);
        if (tokenizerConfig is not null) TokenizerFiles.Write(dir, "tokenizer_config.json", tokenizerConfig);
        return dir;
    }

    static int Id(string token) => Array.IndexOf(Vocab, token);

    [Fact]
    public void LowerCasesStripsAccentsSplitsPunctuationAndChineseAndAddsClsSep()
    {
        var tok = TokenizerLoader.Load(Folder());
        // "Café" -> NFD "Cafe\u0301" -> drop Mn -> "cafe"; 中文 are words of their own; "unaffable" -> un ##aff ##able
        Assert.Equal(["[CLS]", "hello", ",", "world", "##s", "!", "un", "##aff", "##able", "cafe", "中", "文", "[SEP]"],
            TokenizerFiles.Tokens(tok, "Hello, WORLDs! unaffable Café 中文"));
        Assert.Equal([2, 5, 3], tok.Encode("hello"));
        Assert.Equal(new SpecialTokenIds(Bos: null, Eos: null, Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4), tok.Special);
        Assert.Equal(Vocab.Length, tok.VocabSize);
    }

    [Fact]
    public void ControlCharactersAreDroppedAndWhitespaceRunsAndNewlinesSeparateWords()
    {
        var tok = TokenizerLoader.Load(Folder());
        // NUL and U+200B (format, Cf) are removed; \t, \n and U+3000 (ideographic space) separate words
        Assert.Equal([Id("hello"), Id("world")], tok.Encode("  hello\u0000\t\u200b\n\n world\u3000 ", addSpecialTokens: false));
        Assert.Equal([Id("hello"), Id("world")], tok.Encode("hel\u200blo world", addSpecialTokens: false));
    }

    [Fact]
    public void GreedyLongestMatchFailsWholeWordToUnk()
    {
        var tok = TokenizerLoader.Load(Folder());
        Assert.Equal(["a", "##b"], TokenizerFiles.Tokens(tok, "ab", false));
        Assert.Equal(["a", "##b", "##a"], TokenizerFiles.Tokens(tok, "aba", false));
        // "c" matches nothing, so the whole word is [UNK] (not "a ##b [UNK]")
        Assert.Equal(["[UNK]", "hello"], TokenizerFiles.Tokens(tok, "abc hello", false));
        // emoji and kana: one word each (no CJK split), absent from the vocabulary
        Assert.Equal(["[UNK]", "[UNK]"], TokenizerFiles.Tokens(tok, "😀 ひら", false));
    }

    [Fact]
    public void WordsLongerThanMaxInputCharsBecomeUnk()
    {
        var tok = TokenizerLoader.Load(Folder());
        var ids100 = tok.Encode(new string('a', 100), false);
        Assert.Equal(100, ids100.Length);
        Assert.Equal([Id("a"), .. Enumerable.Repeat(Id("##a"), 99)], ids100);
        Assert.Equal([Id("[UNK]")], tok.Encode(new string('a', 101), false));
    }

    [Fact]
    public void SpecialTokensInTextAreMatchedBeforeLowerCasing()
    {
        var tok = TokenizerLoader.Load(Folder());
        Assert.Equal(["[CLS]", "hello", "[MASK]", "world", "[SEP]"], TokenizerFiles.Tokens(tok, "hello[MASK] world"));
        // lower-cased "[mask]" is plain text: "[", "mask", "]", none of them in the vocabulary
        Assert.Equal(["[UNK]", "[UNK]", "[UNK]"], TokenizerFiles.Tokens(tok, "[mask]", false));
    }

    [Fact]
    public void CasedVocabularyKeepsCaseAndAccents()
    {
        var tok = TokenizerLoader.Load(Folder("""{"do_lower_case": false, "tokenizer_class": "BertTokenizer"}"""));
        Assert.Equal(["Hello", "café", "[UNK]"], TokenizerFiles.Tokens(tok, "Hello café HELLO", false));
        // strip_accents true without lower-casing
        var stripped = TokenizerLoader.Load(Folder("""{"do_lower_case": false, "strip_accents": true}"""));
        Assert.Equal(["Hello", "cafe"], TokenizerFiles.Tokens(stripped, "Hello café", false));
    }

    [Fact]
    public void DecodeJoinsPiecesAndCleansUpSpacesBeforePunctuation()
    {
        var tok = TokenizerLoader.Load(Folder());
        var ids = tok.Encode("Hello, WORLDs! don't");
        Assert.Equal("hello, worlds! don't", tok.Decode(ids));
        Assert.Equal("[CLS] hello, worlds! don't [SEP]", tok.Decode(ids, skipSpecial: false));
    }
}
