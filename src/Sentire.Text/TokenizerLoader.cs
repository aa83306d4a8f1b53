using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sentire.Text;

/// <summary>
/// Loads the tokenizer of a Hugging Face checkpoint folder, in this order: tokenizer.json (the <c>tokenizers</c>
/// format: LLaMA 1/2/3, Qwen2, BERT, RoBERTa, ...), else vocab.json + merges.txt (GPT-2/RoBERTa byte-level BPE),
/// else vocab.txt (BERT WordPiece). tokenizer_config.json and special_tokens_map.json supply the special tokens
/// and the flags transformers' tokenizer classes apply on top (do_lower_case, strip_accents,
/// tokenize_chinese_chars, add_prefix_space, add_bos_token/add_eos_token, clean_up_tokenization_spaces: when
/// absent, on for WordPiece vocabularies as in transformers' BERT tokenizers, off otherwise).
/// </summary>
public static class TokenizerLoader
{
    public const string VocabJson = "vocab.json", MergesTxt = "merges.txt", VocabTxt = "vocab.txt";
    public const string TokenizerConfigJson = "tokenizer_config.json", SpecialTokensMapJson = "special_tokens_map.json";

    public static HfTokenizer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: tokenizer folder not found");
        var config = TokenizerConfig.Read(folder);
        var json = Path.Combine(folder, TokenizerJson.FileName);
        if (File.Exists(json)) return FromTokenizerJson(json, config);
        var vocabJson = Path.Combine(folder, VocabJson);
        var merges = Path.Combine(folder, MergesTxt);
        if (File.Exists(vocabJson) && File.Exists(merges)) return FromVocabAndMerges(vocabJson, merges, config);
        var vocabTxt = Path.Combine(folder, VocabTxt);
        if (File.Exists(vocabTxt)) return FromVocabTxt(vocabTxt, config);
        throw new FileNotFoundException($"{folder}: no tokenizer found (expected {TokenizerJson.FileName}, {VocabJson} + {MergesTxt}, or {VocabTxt})");
    }

    static HfTokenizer FromTokenizerJson(string path, TokenizerConfig config)
    {
        var p = TokenizerJson.Read(path);
        var normalizer = p.Normalizer;
        // BertTokenizerFast rebuilds its normalizer when tokenizer_config.json disagrees with tokenizer.json
        if (normalizer is BertNormalizer bert)
            normalizer = bert with
            {
                Lowercase = config.Bool("do_lower_case") ?? bert.Lowercase,
                StripAccents = config.Has("strip_accents") ? config.Bool("strip_accents") : bert.StripAccents,
                HandleChineseChars = config.Bool("tokenize_chinese_chars") ?? bert.HandleChineseChars,
            };
        // RobertaTokenizerFast / GPT2TokenizerFast rebuild a bare ByteLevel pre-tokenizer from add_prefix_space
        var preTokenizer = p.PreTokenizer is ByteLevelPreTokenizer byteLevel && config.Bool("add_prefix_space") is bool prefixSpace
            ? byteLevel with { AddPrefixSpace = prefixSpace } : p.PreTokenizer;
        var post = p.PostProcessor;
        // LlamaTokenizerFast rebuilds its template from add_bos_token / add_eos_token
        if (config.TokenizerClass?.Contains("Llama", StringComparison.Ordinal) == true && (config.Has("add_bos_token") || config.Has("add_eos_token")))
        {
            int? bos = config.Bool("add_bos_token") ?? true ? Id(config.Token("bos_token")) : null;
            int? eos = config.Bool("add_eos_token") ?? false ? Id(config.Token("eos_token")) : null;
            post = new TemplatePostProcessor(bos is int b ? [b] : [], eos is int e ? [e] : []);
        }
        int? Id(string? token) => token is null ? null : p.AddedTokens.FirstOrDefault(t => t.Content == token)?.Id ?? p.Model.IdOf(token);
        var special = config.Resolve(Id, unkFallback: p.UnkToken, cls: p.ClsSep?.Cls, sep: p.ClsSep?.Sep,
            known: p.AddedTokens.Select(t => t.Content).Concat(["<unk>", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]).ToHashSet());
        return new HfTokenizer(p.Model, normalizer, preTokenizer, post, p.Decoder, p.AddedTokens, special, path,
            config.Bool("clean_up_tokenization_spaces") ?? p.Model is WordPieceModel);
    }

    static HfTokenizer FromVocabAndMerges(string vocabPath, string mergesPath, TokenizerConfig config)
    {
        Dictionary<string, int> vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
                ?? throw new FormatException($"{vocabPath}: empty JSON");
        }
        catch (JsonException e) { throw new FormatException($"{vocabPath}: expected a JSON object of token -> id ({e.Message})", e); }
        var merges = new List<(string, string)>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(mergesPath))
        {
            lineNo++;
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Trim().Length == 0) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2) throw new FormatException($"{mergesPath}:{lineNo}: '{line}' is not of the form 'left right'");
            merges.Add((parts[0], parts[1]));
        }
        BpeModel model;
        try { model = new BpeModel(vocab, merges); }
        catch (FormatException e) { throw new FormatException($"{mergesPath}: {e.Message}", e); }

        int? Id(string? token) => token is null ? null : vocab.TryGetValue(token, out int id) ? id : null;
        var special = config.Resolve(Id, unkFallback: "<unk>", cls: null, sep: null, known: ["<s>", "</s>", "<pad>", "<unk>", "<mask>"]);
        // RoBERTa (and BART, Longformer) wrap a sequence in <s> .. </s>; GPT-2 adds nothing
        int? clsId = special.Cls ?? special.Bos, sepId = special.Sep ?? special.Eos;
        bool wraps = config.TokenizerClass is { } name ? !name.StartsWith("GPT2", StringComparison.Ordinal) : Id("<s>") is not null;
        IPostProcessor? post = null;
        if (wraps && clsId is int c && sepId is int s)
        {
            post = new TemplatePostProcessor([c], [s]);
            special = special with { Cls = c, Sep = s };
        }
        var added = config.AddedTokens(Id, special, maskLStrip: true);
        return new HfTokenizer(model, null, new ByteLevelPreTokenizer(config.Bool("add_prefix_space") ?? false, UseRegex: true), post,
            new ByteLevelDecoder(), added, special, $"{vocabPath} + {mergesPath}", config.Bool("clean_up_tokenization_spaces") ?? false);
    }

    static HfTokenizer FromVocabTxt(string path, TokenizerConfig config)
    {
        var vocab = WordPieceModel.ReadVocabTxt(path);
        int? Id(string? token) => token is null ? null : vocab.TryGetValue(token, out int id) ? id : null;
        var special = config.Resolve(Id, unkFallback: "[UNK]", cls: "[CLS]", sep: "[SEP]", known: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
        var unk = special.Unk is int u ? WordPieceTokenOf(vocab, u) : "[UNK]";
        WordPieceModel model;
        try { model = new WordPieceModel(vocab, unk); }
        catch (FormatException e) { throw new FormatException($"{path}: {e.Message}", e); }
        var normalizer = new BertNormalizer(CleanText: true, HandleChineseChars: config.Bool("tokenize_chinese_chars") ?? true,
            StripAccents: config.Bool("strip_accents"), Lowercase: config.Bool("do_lower_case") ?? true);
        IPostProcessor? post = special is { Cls: int c, Sep: int s } ? new TemplatePostProcessor([c], [s]) : null;
        return new HfTokenizer(model, normalizer, new BertPreTokenizer(), post, new WordPieceDecoder(), config.AddedTokens(Id, special, maskLStrip: false),
            special, path, config.Bool("clean_up_tokenization_spaces") ?? true);
    }

    static string WordPieceTokenOf(Dictionary<string, int> vocab, int id) => vocab.First(kv => kv.Value == id).Key;
}

/// <summary>tokenizer_config.json merged over special_tokens_map.json (either may be absent).</summary>
sealed class TokenizerConfig
{
    readonly JsonObject root;
    readonly string source;

    TokenizerConfig(JsonObject root, string source) { this.root = root; this.source = source; }

    public static TokenizerConfig Read(string folder)
    {
        var merged = new JsonObject();
        var sources = new List<string>();
        foreach (var name in new[] { TokenizerLoader.SpecialTokensMapJson, TokenizerLoader.TokenizerConfigJson })
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(File.ReadAllText(path)); }
            catch (JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message})", e); }
            if (node is not JsonObject obj) throw new FormatException($"{path}: expected a JSON object");
            foreach (var (k, v) in obj) merged[k] = v?.DeepClone();
            sources.Add(path);
        }
        return new TokenizerConfig(merged, string.Join(" + ", sources));
    }

    public bool Has(string key) => root.ContainsKey(key);

    public string? TokenizerClass => root["tokenizer_class"] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public bool? Bool(string key) => root[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var x => throw new FormatException($"{source}: '{key}' is {x.GetValueKind()}, expected true or false"),
    };

    /// <summary>A special token entry: a string, or an AddedToken object {"content": ...}.</summary>
    public string? Token(string key) => root[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue(out string? s) => s,
        var x => throw new FormatException($"{source}: '{key}' is {x.GetValueKind()}, expected a token string or {{\"content\": ...}}"),
    };

    bool? TokenFlag(string key, string flag) => root[key] is JsonObject o && o[flag] is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    /// <summary>Special ids: the configured token where the key is present (null when configured null), else the
    /// given fallback or a conventional name the vocabulary holds.</summary>
    public SpecialTokenIds Resolve(Func<string?, int?> id, string? unkFallback, string? cls, string? sep, IEnumerable<string> known)
    {
        int? Pick(string key, string? fallback, params string[] conventional)
        {
            if (Has(key)) return id(Token(key));
            if (fallback is not null && id(fallback) is int f) return f;
            foreach (var c in conventional) if (known.Contains(c) && id(c) is int i) return i;
            return null;
        }
        return new SpecialTokenIds(
            Bos: Pick("bos_token", null, "<s>", "<|begin_of_text|>", "<bos>"),
            Eos: Pick("eos_token", null, "</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"),
            Pad: Pick("pad_token", null, "<pad>", "[PAD]", "<|pad|>"),
            Unk: Pick("unk_token", unkFallback, "<unk>", "[UNK]"),
            Cls: Pick("cls_token", cls, "[CLS]"),
            Sep: Pick("sep_token", sep, "[SEP]"),
            Mask: Pick("mask_token", null, "<mask>", "[MASK]"));
    }

    /// <summary>Added tokens for the vocab.json/vocab.txt formats: the special tokens (matched before the model,
    /// never normalised) and any added_tokens_decoder entries of tokenizer_config.json.</summary>
    public List<AddedToken> AddedTokens(Func<string?, int?> id, SpecialTokenIds special, bool maskLStrip)
    {
        var byId = new Dictionary<int, AddedToken>();
        if (root["added_tokens_decoder"] is JsonObject decoder)
            foreach (var (key, value) in decoder)
            {
                if (!int.TryParse(key, out int tid) || value is not JsonObject o || o["content"] is not JsonValue c || !c.TryGetValue(out string? content))
                    throw new FormatException($"{source}: added_tokens_decoder entry '{key}' is not id -> {{\"content\": ...}}");
                bool Flag(string f, bool d) => o[f] is JsonValue v && v.TryGetValue(out bool b) ? b : d;
                bool isSpecial = Flag("special", false);
                byId[tid] = new AddedToken(tid, content, isSpecial, Flag("normalized", !isSpecial), Flag("lstrip", false), Flag("rstrip", false), Flag("single_word", false));
            }
        var keys = new[] { ("bos_token", special.Bos), ("eos_token", special.Eos), ("pad_token", special.Pad), ("unk_token", special.Unk),
            ("cls_token", special.Cls), ("sep_token", special.Sep), ("mask_token", special.Mask) };
        foreach (var (key, tid) in keys)
        {
            if (tid is not int t || byId.ContainsKey(t)) continue;
            var content = Token(key) ?? FirstToken(id, t, key);
            if (content is null) continue;
            bool lstrip = TokenFlag(key, "lstrip") ?? (key == "mask_token" && maskLStrip);
            byId[t] = new AddedToken(t, content, Special: true, Normalized: false, LStrip: lstrip, RStrip: TokenFlag(key, "rstrip") ?? false);
        }
        return [.. byId.Values];
    }

    static string? FirstToken(Func<string?, int?> id, int t, string key)
    {
        foreach (var c in new[] { "<s>", "</s>", "<pad>", "<unk>", "<mask>", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" })
            if (id(c) == t) return c;
        return null;
    }
}
