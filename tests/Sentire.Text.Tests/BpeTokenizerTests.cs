using Sentire.Text;

namespace Sentire.Text.Tests;

public sealed class BpeTokenizerTests
{
    static readonly string[] Corpus =
    [
        "a woman speaks loudly and fast, angry and exasperated",
        "a man speaks softly and slowly, sad and tired",
        "a woman speaks softly, calm and relaxed",
        "a man speaks loudly, angry",
        "语气低沉，情绪低落，内心感到灰心和失望。",
        "语调十分欢快，声音中满是得意。",
    ];

    [Fact]
    public void TrainingIsDeterministicAndLearnsFrequentWords()
    {
        var a = BpeTokenizer.Train(Corpus, vocabSize: 400);
        var b = BpeTokenizer.Train(Corpus, vocabSize: 400);
        Assert.Equal(a.Encode(Corpus[0]), b.Encode(Corpus[0]));
        // "▁speaks" occurs 4 times: it must become one token
        Assert.NotNull(a.IdOf("▁speaks"));
        Assert.Contains(a.IdOf("▁speaks")!.Value, a.Encode("she speaks"));
        // Order: specials first, then the 256 byte tokens
        Assert.Equal(0, a.UnkId);
        Assert.Equal(1, a.BosId);
        Assert.Equal("<0x41>", a.TokenOf(4 + 0x41));
    }

    [Theory]
    [InlineData("a woman speaks loudly")]
    [InlineData("Ünïcödé àccents, 中文字符 and emoji 😀!")]
    [InlineData("  leading and   inner   spaces ")]
    [InlineData("")]
    public void EncodeDecodeRoundTripsAnyText(string text)
    {
        var tok = BpeTokenizer.Train(Corpus, vocabSize: 350);
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void UnseenCharactersFallBackToUtf8Bytes()
    {
        var tok = BpeTokenizer.Train(Corpus, vocabSize: 330);
        var ids = tok.Encode("😀");
        // "▁" is known; the emoji is 4 UTF-8 bytes F0 9F 98 80
        Assert.Equal(["▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"], ids.Select(tok.TokenOf).ToArray());
    }

    [Fact]
    public void SpecialTokensAreMatchedLiterallyAndSkippedOnDecode()
    {
        var tok = BpeTokenizer.Train(Corpus, vocabSize: 330);
        var ids = tok.Encode("sad</s>", addBos: true);
        Assert.Equal(tok.BosId, ids[0]);
        Assert.Equal(tok.EosId, ids[^1]);
        Assert.Equal("sad", tok.Decode(ids));
        Assert.Equal("<s>sad</s>", tok.Decode(ids, skipSpecial: false).Replace(" ", ""));
    }

    [Fact]
    public void MergesApplyByRankNotByPosition()
    {
        // Hand-built: merges (b c) before (a b): "abc" -> a + bc, not ab + c.
        var dir = Directory.CreateTempSubdirectory();
        var path = Path.Combine(dir.FullName, "tokenizer.json");
        File.WriteAllText(path, """
            {"added_tokens":[{"id":0,"content":"<unk>"}],
             "model":{"type":"BPE","byte_fallback":true,"vocab":{"<unk>":0,"▁":1,"a":2,"b":3,"c":4,"bc":5,"ab":6,"▁a":7},
                      "merges":["b c","a b",["▁","a"]]}}
            """);
        var tok = BpeTokenizer.Load(path);
        Assert.Equal(["▁a", "bc"], tok.Encode("abc").Select(tok.TokenOf).ToArray());
        Assert.Equal(3, tok.MergeCount);
    }

    [Fact]
    public void SaveLoadRoundTripKeepsEncoding()
    {
        var tok = BpeTokenizer.Train(Corpus, vocabSize: 380);
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "tokenizer.json");
        tok.Save(path);
        var loaded = BpeTokenizer.Load(path);
        foreach (var s in Corpus) Assert.Equal(tok.Encode(s), loaded.Encode(s));
        Assert.Equal(tok.VocabSize, loaded.VocabSize);
    }

    [Fact]
    public void LoadRejectsOtherModelTypesWithTheFileName()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "tokenizer.json");
        File.WriteAllText(path, """{"model":{"type":"WordPiece","vocab":{}}}""");
        var e = Assert.Throws<FormatException>(() => BpeTokenizer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("WordPiece", e.Message);
    }
}
