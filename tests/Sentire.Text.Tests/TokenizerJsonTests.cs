using System.Text.Json.Nodes;
using Sentire.Tests.Common;

namespace Sentire.Text.Tests;

/// <summary>tokenizer.json in the layouts of LLaMA 1/2, LLaMA 3, Qwen2 and BERT, with small hand-made vocabularies.</summary>
public sealed class TokenizerJsonTests
{
    const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    static JsonObject Node(string json) => JsonNode.Parse(json)!.AsObject();

    static HfTokenizer Load(JsonObject tokenizerJson, string? tokenizerConfig = null)
    {
        var dir = TokenizerFiles.NewFolder();
        TokenizerFiles.Write(dir, "tokenizer.json", tokenizerJson.ToJsonString());
        if (tokenizerConfig is not null) TokenizerFiles.Write(dir, "tokenizer_config.json", tokenizerConfig);
        return TokenizerLoader.Load(dir);
    }

    // ---- LLaMA 1/2 ------------------------------------------------------------------------------

    static readonly string[] LlamaPieces = ["▁", "h", "e", "l", "o", "w", "r", "d", "中", "▁h", "lo", "el", "▁hel", "▁hello", "▁w"];
    static readonly string[] LlamaMerges = ["▁ h", "l o", "e l", "▁h el", "▁hel lo", "▁ w"];

    /// <summary>LLaMA 1/2 as converted by transformers (legacy): Prepend + Replace normalizer, no pre-tokenizer,
    /// byte fallback, decoder Replace/ByteFallback/Fuse/Strip, template "&lt;s&gt; $A".</summary>
    static JsonObject LlamaLegacy()
    {
        var vocab = TokenizerFiles.ByteFallbackVocab(["<unk>", "<s>", "</s>"], LlamaPieces);
        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = TokenizerFiles.Added(vocab, "<unk>", "<s>", "</s>"),
            ["normalizer"] = Node("""{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}"""),
            ["pre_tokenizer"] = null,
            ["post_processor"] = TokenizerFiles.Template("<s>", 1),
            ["decoder"] = Node("""{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = true, ["byte_fallback"] = true, ["vocab"] = TokenizerFiles.VocabJson(vocab), ["merges"] = TokenizerFiles.Merges(LlamaMerges),
            },
        };
    }

    [Fact]
    public void LlamaLegacyMergesByRankOverTheWholeSegment()
    {
        var tok = Load(LlamaLegacy());
        // "▁hello▁world": ▁h (rank 0), lo (1), el (2), ▁hel (3), ▁hello (4), ▁w (5); o r l d stay
        Assert.Equal(["<s>", "▁hello", "▁w", "o", "r", "l", "d"], TokenizerFiles.Tokens(tok, "hello world"));
        Assert.Equal(1, tok.Encode("hello")[0]);
        Assert.Equal(new SpecialTokenIds(Bos: 1, Eos: 2, Pad: null, Unk: 0), tok.Special);
        Assert.Equal(3 + 256 + LlamaPieces.Length, tok.VocabSize);
    }

    [Fact]
    public void LlamaByteFallbackForUnknownCharactersAndWhitespace()
    {
        var tok = Load(LlamaLegacy());
        // i is not in the vocabulary: <0x69>; 😀 = F0 9F 98 80; "\n" = <0x0A>; runs of spaces are runs of ▁
        Assert.Equal(["▁h", "<0x69>", "▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"], TokenizerFiles.Tokens(tok, "hi 😀", false));
        Assert.Equal(["▁", "中", "<0x0A>", "▁", "▁", "▁", "<0xE6>", "<0x96>", "<0x87>"], TokenizerFiles.Tokens(tok, "中\n   文", false));
    }

    [Fact]
    public void LlamaSpecialTokensInTextAndLegacyPrefixAfterThem()
    {
        var tok = Load(LlamaLegacy());
        Assert.Equal(["<s>", "▁hello", "</s>"], TokenizerFiles.Tokens(tok, "hello</s>"));
        // legacy: the Prepend normalizer runs on every segment, also the one after a special token
        Assert.Equal(["</s>", "▁hello"], TokenizerFiles.Tokens(tok, "</s>hello", false));
        // ... so " world" after </s> becomes "▁▁world" and decodes with two spaces, as transformers' legacy LLaMA does
        Assert.Equal("hello  world", tok.Decode(tok.Encode("hello</s> world")));
        Assert.Equal("<s> hello</s>  world", tok.Decode(tok.Encode("hello</s> world"), skipSpecial: false));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("  leading and   inner   spaces ")]
    [InlineData("Ünïcödé àccents, 中文字符 and emoji 😀👍🏽!\nnew\r\nline")]
    public void LlamaDecodeRoundTrips(string text)
    {
        var tok = Load(LlamaLegacy());
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void InvalidUtf8ByteRunsDecodeToOneReplacementCharacterPerByte()
    {
        var tok = Load(LlamaLegacy());
        int f0 = tok.IdOf("<0xF0>")!.Value, x9f = tok.IdOf("<0x9F>")!.Value, h = tok.IdOf("▁h")!.Value;
        Assert.Equal("h\uFFFD\uFFFD", tok.Decode([h, f0, x9f]));
    }

    [Fact]
    public void FuseUnkJoinsConsecutiveUnknownsWithoutByteFallback()
    {
        var json = LlamaLegacy();
        json["model"]!["byte_fallback"] = false;
        var tok = Load(json);
        // 😀 and i are unknown: one <unk> for the run
        Assert.Equal(["▁h", "<unk>", "e"], TokenizerFiles.Tokens(tok, "h😀ie", false));
        json["model"]!["fuse_unk"] = false;
        Assert.Equal(["▁h", "<unk>", "<unk>", "e"], TokenizerFiles.Tokens(Load(json), "h😀ie", false));
    }

    [Fact]
    public void MetaspacePrependFirstOnlyPrefixesTheStartOfTheText()
    {
        // LLaMA 2 with legacy=false: Metaspace pre-tokenizer (prepend_scheme "first", no split), Metaspace decoder
        var json = LlamaLegacy();
        json["normalizer"] = null;
        json["pre_tokenizer"] = Node("""{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}""");
        json["decoder"] = Node("""{"type":"Sequence","decoders":[{"type":"ByteFallback"},{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}]}""");
        var tok = Load(json);
        Assert.Equal(["▁hello", "▁w", "o", "r", "l", "d"], TokenizerFiles.Tokens(tok, "hello world", false));
        // after </s> nothing is prepended: h el lo
        Assert.Equal(["</s>", "h", "el", "lo"], TokenizerFiles.Tokens(tok, "</s>hello", false));
        Assert.Equal("hello world", tok.Decode(tok.Encode("hello world")));
    }

    [Fact]
    public void MetaspaceSplitMakesEachWordSeparate()
    {
        var json = LlamaLegacy();
        json["normalizer"] = null;
        // without the split, "▁h" + "▁" ... could only merge within one word; with it, "h▁" never forms
        json["pre_tokenizer"] = Node("""{"type":"Metaspace","replacement":"▁","add_prefix_space":true}""");
        var tok = Load(json);
        Assert.Equal(["▁hello", "▁hello"], TokenizerFiles.Tokens(tok, "hello hello", false));
    }

    [Fact]
    public void LlamaTokenizerConfigAddBosAddEosRebuildTheTemplate()
    {
        var tok = Load(LlamaLegacy(), """{"tokenizer_class":"LlamaTokenizer","add_bos_token":true,"add_eos_token":true,"bos_token":"<s>","eos_token":"</s>"}""");
        Assert.Equal(["<s>", "▁hello", "</s>"], TokenizerFiles.Tokens(tok, "hello"));
        var none = Load(LlamaLegacy(), """{"tokenizer_class":"LlamaTokenizer","add_bos_token":false}""");
        Assert.Equal(["▁hello"], TokenizerFiles.Tokens(none, "hello"));
    }

    [Fact]
    public void NormalizedAndSingleWordAddedTokens()
    {
        var json = LlamaLegacy();
        var vocab = json["model"]!["vocab"]!.AsObject();
        int next = vocab.Count;
        // "<HI>" is matched after the normalizer (which turned the space before it into ▁); "el" only as a whole word
        json["normalizer"] = Node("""{"type":"Sequence","normalizers":[{"type":"Lowercase"},{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]}""");
        json["added_tokens"]!.AsArray().Add(Node($$"""{"id":{{next}},"content":"<hi>","single_word":false,"lstrip":false,"rstrip":false,"normalized":true,"special":false}"""));
        json["added_tokens"]!.AsArray().Add(Node($$"""{"id":{{next + 1}},"content":"lo","single_word":true,"lstrip":false,"rstrip":false,"normalized":false,"special":false}"""));
        var tok = Load(json);
        Assert.Equal(["▁hello", "<hi>"], TokenizerFiles.Tokens(tok, "hello<HI>", false));
        // "lo" inside "hello" is not a single word, so the model sees "hello"; the standalone "lo" is the added token
        Assert.Equal(["▁hello", "▁", "lo"], TokenizerFiles.Tokens(tok, "hello lo", false));
        Assert.Equal(next + 1, tok.Encode("hello lo", false)[^1]);
    }

    // ---- LLaMA 3 / Qwen2 ----------------------------------------------------------------------

    /// <summary>Byte-level BPE after a GPT-4-style Split regex; with ignore_merges (LLaMA 3) a word that is in the
    /// vocabulary is taken whole, so these whole-word entries show how the regex split the text.</summary>
    static JsonObject ByteLevelJson(string pattern, bool ignoreMerges, string[] words, string[] merges, JsonNode? normalizer = null)
    {
        var vocab = TokenizerFiles.ByteLevelVocab([], words);
        var specials = new[] { "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>" };
        foreach (var s in specials) vocab[s] = vocab.Count;
        return new JsonObject
        {
            ["added_tokens"] = TokenizerFiles.Added(vocab, specials),
            ["normalizer"] = normalizer,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    Node("""{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}""")),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["processors"] = new JsonArray(Node("""{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":false,"use_regex":true}"""),
                    TokenizerFiles.Template("<|begin_of_text|>", vocab["<|begin_of_text|>"])),
            },
            ["decoder"] = Node("""{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["ignore_merges"] = ignoreMerges, ["byte_fallback"] = false, ["fuse_unk"] = false,
                ["vocab"] = TokenizerFiles.VocabJson(vocab),
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m.Split(' ')[0], m.Split(' ')[1])).ToArray()),
            },
        };
    }

    static readonly string[] Llama3Words = ["Hello", "Ġworld", "123", "45", "I", "'M", "ĊĊ", "ĠĠ", "Ġb", "!!Ċ", "hi", "ä¸Ń", "ĠðŁĺĢ"];

    [Fact]
    public void Llama3SplitRegexThenByteLevelWithIgnoreMerges()
    {
        var tok = Load(ByteLevelJson(Llama3Pattern, ignoreMerges: true, Llama3Words, merges: []));
        Assert.Equal(["<|begin_of_text|>", "Hello", "Ġworld"], TokenizerFiles.Tokens(tok, "Hello world"));
        // digits in runs of at most 3; case-insensitive contractions
        Assert.Equal(["123", "45"], TokenizerFiles.Tokens(tok, "12345", false));
        Assert.Equal(["I", "'M"], TokenizerFiles.Tokens(tok, "I'M", false));
        // "a\n\nb": \s*[\r\n]+ keeps the newlines together; "a   b": "  " then " b"; "!!\n" one piece
        Assert.Equal(["a", "ĊĊ", "b"], TokenizerFiles.Tokens(tok, "a\n\nb", false));
        Assert.Equal(["a", "ĠĠ", "Ġb"], TokenizerFiles.Tokens(tok, "a   b", false));
        Assert.Equal(["hi", "!!Ċ"], TokenizerFiles.Tokens(tok, "hi!!\n", false));
        // 中 is one letter word (E4 B8 AD); " 😀" is one piece (space + F0 9F 98 80)
        Assert.Equal(["ä¸Ń", "ĠðŁĺĢ"], TokenizerFiles.Tokens(tok, "中 😀", false));
    }

    [Fact]
    public void Llama3SpecialTokensInsideTextAndDecode()
    {
        var tok = Load(ByteLevelJson(Llama3Pattern, ignoreMerges: true, Llama3Words, merges: []));
        Assert.Equal(["<|begin_of_text|>", "hi", "<|eot_id|>", "Hello"], TokenizerFiles.Tokens(tok, "<|begin_of_text|>hi<|eot_id|>Hello", false));
        var text = "Ünïcödé àccents, 中文字符 and emoji 😀👍🏽!\n\n  new\r\nlines  ";
        Assert.Equal(text, tok.Decode(tok.Encode(text)));
        Assert.Equal("<|begin_of_text|>hi<|eot_id|>", tok.Decode(tok.Encode("hi<|eot_id|>"), skipSpecial: false));
        Assert.Equal(new SpecialTokenIds(Bos: tok.IdOf("<|begin_of_text|>"), Eos: tok.IdOf("<|end_of_text|>")), tok.Special);
    }

    [Fact]
    public void Qwen2SplitsDigitsSinglyAndNormalisesToNfc()
    {
        // merges build "Ã©" (é = C3 A9) and "12"; Qwen2's pattern takes digits one by one, so "12" never forms
        var json = ByteLevelJson(Qwen2Pattern, ignoreMerges: false, ["Ã©", "12", "ca", "caf", "cafÃ©"], ["Ã ©", "1 2", "c a", "ca f", "caf Ã©"],
            Node("""{"type":"NFC"}"""));
        json["post_processor"] = Node("""{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}""");
        var tok = Load(json, """{"tokenizer_class":"Qwen2Tokenizer","bos_token":null,"eos_token":"<|end_of_text|>","pad_token":"<|end_of_text|>"}""");
        Assert.Equal(["1", "2", "3"], TokenizerFiles.Tokens(tok, "123"));
        Assert.Equal(["cafÃ©"], TokenizerFiles.Tokens(tok, "café"));
        Assert.Equal(["cafÃ©"], TokenizerFiles.Tokens(tok, "cafe\u0301"));   // NFC first
        Assert.Equal("café", tok.Decode(tok.Encode("cafe\u0301")));
        Assert.Null(tok.Special.Bos);
        Assert.Equal(tok.IdOf("<|end_of_text|>"), tok.Special.Pad);
    }

    // ---- BERT tokenizer.json ------------------------------------------------------------------

    static JsonObject BertJson()
    {
        var words = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "cafe", "Hello", "café", "!" };
        var vocab = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
        return new JsonObject
        {
            ["added_tokens"] = TokenizerFiles.Added(vocab, "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
            ["normalizer"] = Node("""{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":true}"""),
            ["pre_tokenizer"] = Node("""{"type":"BertPreTokenizer"}"""),
            ["post_processor"] = Node("""{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]}"""),
            ["decoder"] = Node("""{"type":"WordPiece","prefix":"##","cleanup":true}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##", ["max_input_chars_per_word"] = 100,
                ["vocab"] = TokenizerFiles.VocabJson(vocab),
            },
        };
    }

    [Fact]
    public void BertTokenizerJsonAndDoLowerCaseOverride()
    {
        var tok = Load(BertJson());
        Assert.Equal(["[CLS]", "hello", "world", "##s", "cafe", "!", "[SEP]"], TokenizerFiles.Tokens(tok, "Hello WORLDs Café!"));
        Assert.Equal("hello worlds cafe!", tok.Decode(tok.Encode("Hello WORLDs Café!")));
        Assert.Equal(new SpecialTokenIds(Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4), tok.Special);
        // BertTokenizerFast rebuilds the normalizer from tokenizer_config.json's do_lower_case
        var cased = Load(BertJson(), """{"do_lower_case": false}""");
        Assert.Equal(["Hello", "café", "[UNK]"], TokenizerFiles.Tokens(cased, "Hello café WORLD", false));
    }

    // ---- RoBERTa tokenizer.json ----------------------------------------------------------------

    static JsonObject RobertaJson()
    {
        var vocab = TokenizerFiles.ByteLevelVocab(["<s>", "<pad>", "</s>", "<unk>"], "Ġh", "Ġhe", "Ġhel", "Ġhell", "Ġhello", "<mask>");
        var added = TokenizerFiles.Added(vocab, "<s>", "<pad>", "</s>", "<unk>", "<mask>");
        added[^1]!["lstrip"] = true;
        return new JsonObject
        {
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = Node("""{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"""),
            ["post_processor"] = Node("""{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0],"trim_offsets":true,"add_prefix_space":false}"""),
            ["decoder"] = Node("""{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"""),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["vocab"] = TokenizerFiles.VocabJson(vocab),
                ["merges"] = TokenizerFiles.Merges("Ġ h", "Ġh e", "Ġhe l", "Ġhel l", "Ġhell o"),
            },
        };
    }

    [Fact]
    public void RobertaTokenizerJsonWrapsInSAndHonoursAddPrefixSpace()
    {
        var tok = Load(RobertaJson());
        // lstrip: <mask> absorbs the whole run of spaces before it
        Assert.Equal(["<s>", "Ġhello", "<mask>", "</s>"], TokenizerFiles.Tokens(tok, " hello  <mask>"));
        Assert.Equal(new SpecialTokenIds(Bos: 0, Eos: 2, Pad: 1, Unk: 3, Cls: 0, Sep: 2, Mask: tok.IdOf("<mask>")), tok.Special);
        Assert.Equal(["h", "e", "l", "l", "o"], TokenizerFiles.Tokens(tok, "hello", false));
        var prefixed = Load(RobertaJson(), """{"add_prefix_space": true}""");
        Assert.Equal(["Ġhello"], TokenizerFiles.Tokens(prefixed, "hello", false));
    }

    // ---- errors and loader ---------------------------------------------------------------------

    [Theory]
    [InlineData("model", """{"type":"Unigram","vocab":[["a",0.0]]}""", "Unigram")]
    [InlineData("pre_tokenizer", """{"type":"UnicodeScripts"}""", "UnicodeScripts")]
    [InlineData("normalizer", """{"type":"Precompiled","precompiled_charsmap":""}""", "Precompiled")]
    [InlineData("decoder", """{"type":"CTC"}""", "CTC")]
    [InlineData("post_processor", """{"type":"Mystery"}""", "Mystery")]
    public void UnsupportedComponentsNameTheFileAndType(string key, string component, string type)
    {
        var json = LlamaLegacy();
        json[key] = Node(component);
        var dir = TokenizerFiles.NewFolder();
        TokenizerFiles.Write(dir, "tokenizer.json", json.ToJsonString());
        var e = Assert.Throws<NotSupportedException>(() => TokenizerLoader.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.json"), e.Message);
        Assert.Contains($"'{type}'", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void BrokenJsonAndMissingFilesAreNamed()
    {
        var dir = TokenizerFiles.NewFolder();
        var empty = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(dir));
        Assert.Contains("vocab.txt", empty.Message);
        TokenizerFiles.Write(dir, "tokenizer.json", "{\"model\": ");
        var bad = Assert.Throws<FormatException>(() => TokenizerLoader.Load(dir));
        Assert.Contains(Path.Combine(dir, "tokenizer.json"), bad.Message);
    }

    [Fact]
    public void TokenizerJsonWinsOverVocabTxt()
    {
        var dir = TokenizerFiles.NewFolder();
        TokenizerFiles.Write(dir, "tokenizer.json", LlamaLegacy().ToJsonString());
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), ["[UNK]", "[CLS]", "[SEP]"]);
        var tok = TokenizerLoader.Load(dir);
        Assert.EndsWith("tokenizer.json", tok.Source);
    }

    [Fact]
    public void SentireTrainedTokenizerLoadsThroughTheLoaderWithTheSameIds()
    {
        string[] corpus = ["a woman speaks loudly and fast, angry", "a man speaks softly, sad and tired", "语气低沉，情绪低落。"];
        var trained = BpeTokenizer.Train(corpus, vocabSize: 340);
        var dir = TokenizerFiles.NewFolder();
        trained.Save(Path.Combine(dir, "tokenizer.json"));
        var loaded = TokenizerLoader.Load(dir);
        ITokenizer own = trained;
        foreach (var text in corpus.Append("unseen 😀 text"))
        {
            Assert.Equal(own.Encode(text), loaded.Encode(text));
            Assert.Equal(own.Encode(text, false), loaded.Encode(text, false));
            Assert.Equal(text, loaded.Decode(loaded.Encode(text)));
        }
        Assert.Equal(own.Special, loaded.Special with { Cls = null, Sep = null, Mask = null });
    }

    [Fact]
    public void ShippedModelTokenizerLoadsThroughTheLoaderWithTheSameIds()
    {
        var folder = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
        var own = BpeTokenizer.Load(Path.Combine(folder, "tokenizer.json"));
        var loaded = TokenizerLoader.Load(folder);
        foreach (var text in new[] { "a woman speaks angrily, fast and loud", "语气低沉，情绪低落。", "calm 😀 voice\nnew line" })
        {
            Assert.Equal(own.Encode(text), loaded.Encode(text, addSpecialTokens: false));
            Assert.Equal(own.Decode(own.Encode(text)), loaded.Decode(loaded.Encode(text)));
        }
    }
}
