using System.Text.Json.Nodes;

namespace Sentire.Text.Tests;

/// <summary>GPT-2/RoBERTa vocab.json + merges.txt: byte-level alphabet, GPT-2 split, merges by rank.</summary>
public sealed class ByteLevelBpeTests
{
    // ids: <s> 0, <pad> 1, </s> 2, <unk> 3, byte b -> 4 + b, then the merged tokens, then <mask>
    static readonly string[] Merged = ["Ġh", "el", "ell", "Ġhell", "Ġhello", "he", "hel", "lo"];
    static readonly string[] MergeLines = ["Ġ h", "e l", "el l", "Ġh ell", "Ġhell o", "h e", "he l", "l o"];

    static string Folder(string? tokenizerConfig = """{"tokenizer_class": "RobertaTokenizer"}""")
    {
        var dir = TokenizerFiles.NewFolder();
        var vocab = TokenizerFiles.ByteLevelVocab(["<s>", "<pad>", "</s>", "<unk>"], [.. Merged, "<mask>"]);
        File.WriteAllText(Path.Combine(dir, "vocab.json"), TokenizerFiles.VocabJson(vocab).ToJsonString());
        File.WriteAllLines(Path.Combine(dir, "merges.txt"), ["#version: 0.2", .. MergeLines]);
        if (tokenizerConfig is not null) TokenizerFiles.Write(dir, "tokenizer_config.json", tokenizerConfig);
        return dir;
    }

    static int B(char c) => 4 + c;

    [Fact]
    public void ByteTableMapsSpaceNewlineAndHighBytes()
    {
        Assert.Equal('Ġ', ByteLevel.CharOf(0x20));
        Assert.Equal('Ċ', ByteLevel.CharOf(0x0A));
        Assert.Equal('!', ByteLevel.CharOf((byte)'!'));
        Assert.Equal('\u00AE', ByteLevel.CharOf(0xAE));
        Assert.Equal('\u0143', ByteLevel.CharOf(0xAD));  // the 68th remapped byte: U+0100 + 67
        Assert.Equal(256, Enumerable.Range(0, 256).Select(b => ByteLevel.CharOf((byte)b)).Distinct().Count());
    }

    [Fact]
    public void MergesApplyByRankAndPrefixSpaceMatters()
    {
        var tok = TokenizerLoader.Load(Folder());
        // "hello": (e l) has the lowest rank, then (el l); h + ell is no merge -> h ell o
        // " hello": (Ġ h) first, then e l, el l, Ġh ell, Ġhell o -> one token
        Assert.Equal(["h", "ell", "o", "Ġhello"], TokenizerFiles.Tokens(tok, "hello hello", false));
        Assert.Equal(["<s>", "h", "ell", "o", "</s>"], TokenizerFiles.Tokens(tok, "hello"));
        Assert.Equal([0, B('h'), 260 + 2, B('o'), 2], tok.Encode("hello"));
    }

    [Fact]
    public void WhitespaceRunsNewlinesEmojiAccentsAndChineseAreBytes()
    {
        var tok = TokenizerLoader.Load(Folder());
        // GPT-2 split of "a  b": "a", " " (\s+(?!\S)), " b"
        Assert.Equal([B('a'), B(' '), B(' '), B('b')], tok.Encode("a  b", false));
        Assert.Equal([B('a'), B('\n'), B('b')], tok.Encode("a\nb", false));
        // 😀 = F0 9F 98 80; é = C3 A9; 中 = E4 B8 AD
        Assert.Equal([4 + 0xF0, 4 + 0x9F, 4 + 0x98, 4 + 0x80], tok.Encode("😀", false));
        Assert.Equal([4 + 0xC3, 4 + 0xA9, 4 + 0xE4, 4 + 0xB8, 4 + 0xAD], tok.Encode("é中", false));
        Assert.Equal(["Ċ", "Ġ"], new[] { tok.TokenOf(B('\n')), tok.TokenOf(B(' ')) });
    }

    [Theory]
    [InlineData("hello hello")]
    [InlineData("  leading, inner   and trailing spaces  ")]
    [InlineData("Ünïcödé àccents, 中文字符 and emoji 😀👍🏽!\n\nnew\r\nlines\ttabs")]
    [InlineData("")]
    public void DecodeRoundTrips(string text)
    {
        var tok = TokenizerLoader.Load(Folder());
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void MaskAbsorbsTheSpaceBeforeItAndSpecialsAreSkippedOnDecode()
    {
        var tok = TokenizerLoader.Load(Folder());
        int mask = tok.IdOf("<mask>")!.Value;
        // RoBERTa's <mask> has lstrip: " <mask>" is one token, the space is not encoded
        Assert.Equal([0, B('h'), 262, B('o'), mask, B(' '), B('w'), B('o'), B('r'), B('l'), B('d'), 2], tok.Encode("hello <mask> world"));
        Assert.Equal("hello world", tok.Decode(tok.Encode("hello <mask> world")));
        Assert.Equal("<s>hello<mask> world</s>", tok.Decode(tok.Encode("hello <mask> world"), skipSpecial: false));
        Assert.Equal(new SpecialTokenIds(Bos: 0, Eos: 2, Pad: 1, Unk: 3, Cls: 0, Sep: 2, Mask: mask), tok.Special);
    }

    [Fact]
    public void SpecialTokensMapObjectsSetTheMaskFlags()
    {
        var dir = Folder();
        TokenizerFiles.Write(dir, "special_tokens_map.json", """{"mask_token": {"content": "<mask>", "lstrip": false, "rstrip": false}, "pad_token": "<pad>"}""");
        var tok = TokenizerLoader.Load(dir);
        int mask = tok.IdOf("<mask>")!.Value;
        Assert.Equal([B('a'), B(' '), mask], tok.Encode("a <mask>", false));
    }

    [Fact]
    public void AddPrefixSpaceFromTokenizerConfig()
    {
        var tok = TokenizerLoader.Load(Folder("""{"tokenizer_class": "RobertaTokenizer", "add_prefix_space": true}"""));
        Assert.Equal(["<s>", "Ġhello", "</s>"], TokenizerFiles.Tokens(tok, "hello"));
    }

    [Fact]
    public void Gpt2ClassAddsNoSpecialTokens()
    {
        var tok = TokenizerLoader.Load(Folder("""{"tokenizer_class": "GPT2Tokenizer", "bos_token": "<s>", "eos_token": "</s>"}"""));
        Assert.Equal(["h", "ell", "o"], TokenizerFiles.Tokens(tok, "hello"));
    }

    [Fact]
    public void BadMergeNamesTheFile()
    {
        var dir = Folder();
        File.AppendAllLines(Path.Combine(dir, "merges.txt"), ["x yz"]);
        var e = Assert.Throws<FormatException>(() => TokenizerLoader.Load(dir));
        Assert.Contains("merges.txt", e.Message);
        Assert.Contains("'x' 'yz'", e.Message);
    }
}
