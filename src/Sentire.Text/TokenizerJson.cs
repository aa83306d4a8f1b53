using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sentire.Text;

/// <summary>
/// Reads a Hugging Face <c>tokenizers</c> tokenizer.json into an <see cref="HfTokenizer"/>. Components read:
/// models BPE and WordPiece; normalizers Sequence, Prepend, Replace, NFC/NFD/NFKC/NFKD, Lowercase, Strip,
/// StripAccents, BertNormalizer; pre-tokenizers Sequence, Split, Metaspace, ByteLevel, BertPreTokenizer,
/// Whitespace, WhitespaceSplit, Digits; decoders Sequence, ByteFallback, Fuse, Replace, Strip, Metaspace,
/// ByteLevel, WordPiece; post-processors TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel,
/// Sequence. Anything else is a <see cref="NotSupportedException"/> naming the file and the component.
/// </summary>
public static class TokenizerJson
{
    public const string FileName = "tokenizer.json";

    /// <summary>The parts of a tokenizer.json, for <see cref="TokenizerLoader"/> to adjust before building.</summary>
    public sealed record Parts(ITokenModel Model, INormalizer? Normalizer, IPreTokenizer? PreTokenizer, IPostProcessor? PostProcessor,
        IDecoder? Decoder, List<AddedToken> AddedTokens, string? UnkToken, (string Cls, string Sep)? ClsSep);

    public static Parts Read(string path)
    {
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException($"{path}: empty JSON"); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message})", e); }
        var r = new Reader(path);
        var added = new List<AddedToken>();
        foreach (var t in r.Array(root["added_tokens"], "added_tokens"))
        {
            bool special = r.Bool(t, "special", false);
            added.Add(new AddedToken(r.Int(t, "id"), r.Str(t, "content"), special, r.Bool(t, "normalized", !special),
                r.Bool(t, "lstrip", false), r.Bool(t, "rstrip", false), r.Bool(t, "single_word", false)));
        }
        var model = root["model"] as JsonObject ?? throw new FormatException($"{path}: no \"model\" object");
        var (tokenModel, unk) = r.Model(model, added);
        (string, string)? clsSep = null;
        var post = r.PostProcessor(root["post_processor"], added, ref clsSep);
        return new Parts(tokenModel, r.Normalizer(root["normalizer"]), r.PreTokenizer(root["pre_tokenizer"]), post,
            r.Decoder(root["decoder"]), added, unk, clsSep);
    }

    sealed class Reader(string path)
    {
        NotSupportedException Unsupported(string kind, string? type, string supported) =>
            new($"{path}: {kind} type '{type}' is not supported (supported: {supported})");

        FormatException Bad(string what) => new($"{path}: {what}");

        static string? TypeOf(JsonNode n) => n["type"]?.GetValueKind() == JsonValueKind.String ? (string?)n["type"] : null;

        public IEnumerable<JsonNode> Array(JsonNode? n, string what) => n switch
        {
            null => [],
            JsonArray a => a.Select(x => x ?? throw Bad($"{what} holds null")),
            _ => throw Bad($"{what} is {n.GetValueKind()}, expected an array"),
        };

        public string Str(JsonNode n, string key) => n[key] is JsonValue v && v.TryGetValue(out string? s) ? s
            : throw Bad($"'{key}' in {Short(n)} is missing or not a string");

        public string? StrOrNull(JsonNode n, string key) => n[key] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

        public int Int(JsonNode n, string key) => n[key] is JsonValue v && v.TryGetValue(out int i) ? i
            : throw Bad($"'{key}' in {Short(n)} is missing or not an integer");

        public bool Bool(JsonNode n, string key, bool fallback) => n[key] switch
        {
            null => fallback,
            JsonValue v when v.TryGetValue(out bool b) => b,
            var x => throw Bad($"'{key}' is {x.GetValueKind()}, expected true or false"),
        };

        static string Short(JsonNode n) { var s = n.ToJsonString(); return s.Length > 80 ? s[..80] + "..." : s; }

        // ---- model ------------------------------------------------------------------------------

        public (ITokenModel, string?) Model(JsonObject m, List<AddedToken> added)
        {
            var type = TypeOf(m) ?? (m["merges"] is not null ? "BPE" : m["vocab"] is JsonObject ? "WordPiece" : null);
            if (type is not ("BPE" or "WordPiece")) throw Unsupported("model", type, "BPE, WordPiece");
            if (m["vocab"] is not JsonObject vocabJson) throw Bad($"model.vocab is missing or not an object (model type '{type}')");
            var vocab = new Dictionary<string, int>(vocabJson.Count, StringComparer.Ordinal);
            foreach (var (token, id) in vocabJson)
                vocab[token] = id is JsonValue v && v.TryGetValue(out int i) ? i : throw Bad($"model.vocab['{token}'] is not an integer id");
            var unk = StrOrNull(m, "unk_token");
            try
            {
                if (type == "WordPiece")
                    return (new WordPieceModel(vocab, unk ?? "[UNK]", StrOrNull(m, "continuing_subword_prefix") ?? "##",
                        m["max_input_chars_per_word"] is null ? 100 : Int(m, "max_input_chars_per_word")), unk ?? "[UNK]");
                var merges = new List<(string, string)>();
                foreach (var x in Array(m["merges"], "model.merges"))
                {
                    // two layouts exist: "left right" strings and [left, right] arrays
                    if (x is JsonArray pair && pair.Count == 2) merges.Add(((string)pair[0]!, (string)pair[1]!));
                    else if (x is JsonValue v && v.TryGetValue(out string? s))
                    {
                        int space = s.IndexOf(' ', 1);
                        if (space < 0) throw Bad($"merge '{s}' is not of the form 'left right'");
                        merges.Add((s[..space], s[(space + 1)..]));
                    }
                    else throw Bad($"merge {Short(x)} is neither \"left right\" nor [left, right]");
                }
                if (m["dropout"] is JsonValue d && d.TryGetValue(out double p) && p > 0)
                    throw new NotSupportedException($"{path}: BPE dropout {p} is a training-time option; inference needs dropout null or 0");
                var options = new BpeOptions(
                    UnkToken: unk is not null && vocab.ContainsKey(unk) ? unk : null,
                    ByteFallback: Bool(m, "byte_fallback", false), FuseUnk: Bool(m, "fuse_unk", false),
                    IgnoreMerges: Bool(m, "ignore_merges", false),
                    ContinuingSubwordPrefix: StrOrNull(m, "continuing_subword_prefix") is { Length: > 0 } csp ? csp : null,
                    EndOfWordSuffix: StrOrNull(m, "end_of_word_suffix") is { Length: > 0 } eow ? eow : null);
                return (new BpeModel(vocab, merges, options), unk);
            }
            catch (FormatException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal)) { throw Bad(e.Message); }
        }

        // ---- normalizers ------------------------------------------------------------------------

        public INormalizer? Normalizer(JsonNode? n)
        {
            if (n is null) return null;
            var type = TypeOf(n);
            return type switch
            {
                "Sequence" => new SequenceNormalizer(Array(n["normalizers"], "normalizers").Select(x => Normalizer(x)!).ToList()),
                "Prepend" => new PrependNormalizer(Str(n, "prepend")),
                "Replace" => Pattern(n["pattern"], "Replace normalizer") is var (lit, re) ? new ReplaceNormalizer(lit, re, Str(n, "content")) : null,
                "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
                "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
                "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
                "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
                "Lowercase" => new LowercaseNormalizer(),
                "StripAccents" => new StripAccentsNormalizer(),
                "Strip" => new StripNormalizer(Bool(n, "strip_left", true), Bool(n, "strip_right", true)),
                "BertNormalizer" => new BertNormalizer(Bool(n, "clean_text", true), Bool(n, "handle_chinese_chars", true),
                    n["strip_accents"] is null ? null : Bool(n, "strip_accents", false), Bool(n, "lowercase", true)),
                _ => throw Unsupported("normalizer", type, "Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, BertNormalizer"),
            };
        }

        (string? Literal, Regex? Regex) Pattern(JsonNode? p, string where)
        {
            if (p?["String"] is JsonValue s && s.TryGetValue(out string? lit)) return (lit, null);
            if (p?["Regex"] is JsonValue r && r.TryGetValue(out string? re))
            {
                try { return (null, new Regex(re, RegexOptions.CultureInvariant)); }
                catch (ArgumentException e) { throw new NotSupportedException($"{path}: the {where} regex /{re}/ is not valid .NET regex syntax ({e.Message})", e); }
            }
            throw Bad($"{where}: pattern {(p is null ? "missing" : Short(p))} is neither {{\"String\": ...}} nor {{\"Regex\": ...}}");
        }

        // ---- pre-tokenizers ---------------------------------------------------------------------

        public IPreTokenizer? PreTokenizer(JsonNode? n)
        {
            if (n is null) return null;
            var type = TypeOf(n);
            switch (type)
            {
                case "Sequence":
                    return new SequencePreTokenizer(Array(n["pretokenizers"], "pretokenizers").Select(x => PreTokenizer(x)!).ToList());
                case "Split":
                    var (lit, re) = Pattern(n["pattern"], "Split pre-tokenizer");
                    return new SplitPreTokenizer(lit, re, Behavior(StrOrNull(n, "behavior") ?? "Isolated"), Bool(n, "invert", false));
                case "Metaspace":
                    return new MetaspacePreTokenizer(Replacement(n), Scheme(n), Bool(n, "split", true));
                case "ByteLevel":
                    return new ByteLevelPreTokenizer(Bool(n, "add_prefix_space", true), Bool(n, "use_regex", true));
                case "BertPreTokenizer":
                    return new BertPreTokenizer();
                case "Whitespace":   // \w+|[^\w\s]+, keeping the matches
                    return new SplitPreTokenizer(null, new Regex(@"\w+|[^\w\s]+", RegexOptions.CultureInvariant), SplitBehavior.Removed, invert: true);
                case "WhitespaceSplit":
                    return new WhitespaceSplitPreTokenizer();
                case "Digits":
                    return new DigitsPreTokenizer(Bool(n, "individual_digits", false));
                default:
                    throw Unsupported("pre_tokenizer", type, "Sequence, Split, Metaspace, ByteLevel, BertPreTokenizer, Whitespace, WhitespaceSplit, Digits");
            }
        }

        SplitBehavior Behavior(string s) => Enum.TryParse<SplitBehavior>(s, ignoreCase: false, out var b) ? b
            : throw Bad($"Split behavior '{s}' is not one of {string.Join(", ", Enum.GetNames<SplitBehavior>())}");

        char Replacement(JsonNode n)
        {
            var s = StrOrNull(n, "replacement") ?? "\u2581";
            return s.Length == 1 ? s[0] : throw Bad($"Metaspace replacement '{s}' is not one character");
        }

        // prepend_scheme (tokenizers >= 0.14) or the older add_prefix_space flag
        PrependScheme Scheme(JsonNode n) => StrOrNull(n, "prepend_scheme") switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            null => Bool(n, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never,
            var s => throw Bad($"Metaspace prepend_scheme '{s}' is not one of always, first, never"),
        };

        // ---- decoders ---------------------------------------------------------------------------

        public IDecoder? Decoder(JsonNode? n)
        {
            if (n is null) return null;
            var type = TypeOf(n);
            switch (type)
            {
                case "Sequence": return new SequenceDecoder(Array(n["decoders"], "decoders").Select(x => Decoder(x)!).ToList());
                case "ByteFallback": return new ByteFallbackDecoder();
                case "Fuse": return new FuseDecoder();
                case "Replace":
                    var (lit, re) = Pattern(n["pattern"], "Replace decoder");
                    if (re is not null) throw new NotSupportedException($"{path}: a Replace decoder with a regex pattern is not supported (only {{\"String\": ...}})");
                    return new ReplaceDecoder(lit!, Str(n, "content"));
                case "Strip":
                    var c = Str(n, "content");
                    if (c.Length != 1) throw Bad($"Strip decoder content '{c}' is not one character");
                    return new StripDecoder(c[0], Int(n, "start"), Int(n, "stop"));
                case "Metaspace": return new MetaspaceDecoder(Replacement(n), Scheme(n));
                case "ByteLevel": return new ByteLevelDecoder();
                case "WordPiece": return new WordPieceDecoder(StrOrNull(n, "prefix") ?? "##", Bool(n, "cleanup", true));
                default: throw Unsupported("decoder", type, "Sequence, ByteFallback, Fuse, Replace, Strip, Metaspace, ByteLevel, WordPiece");
            }
        }

        // ---- post-processors --------------------------------------------------------------------

        public IPostProcessor? PostProcessor(JsonNode? n, List<AddedToken> added, ref (string, string)? clsSep)
        {
            if (n is null) return null;
            var type = TypeOf(n);
            switch (type)
            {
                case "Sequence":
                    var list = new List<IPostProcessor>();
                    foreach (var x in Array(n["processors"], "processors")) if (PostProcessor(x, added, ref clsSep) is { } p) list.Add(p);
                    return new SequencePostProcessor(list);
                case "ByteLevel":
                    return new IdentityPostProcessor();
                case "BertProcessing" or "RobertaProcessing":
                    var (cls, clsId) = TokenAndId(n["cls"], "cls");
                    var (sep, sepId) = TokenAndId(n["sep"], "sep");
                    clsSep = (cls, sep);
                    return new TemplatePostProcessor([clsId], [sepId]);
                case "TemplateProcessing":
                    var specials = n["special_tokens"] as JsonObject;
                    var before = new List<int>();
                    var after = new List<int>();
                    bool seenSequence = false;
                    foreach (var piece in Array(n["single"], "TemplateProcessing.single"))
                    {
                        if (piece["Sequence"] is not null) { seenSequence = true; continue; }
                        var name = piece["SpecialToken"] is { } st ? Str(st, "id") : throw Bad($"template piece {Short(piece)} is neither Sequence nor SpecialToken");
                        var ids = specials?[name] is { } spec ? Array(spec["ids"], $"special_tokens['{name}'].ids").Select(i => (int)i).ToList()
                            : throw Bad($"template names special token '{name}', which special_tokens does not define");
                        (seenSequence ? after : before).AddRange(ids);
                    }
                    return new TemplatePostProcessor([.. before], [.. after]);
                default:
                    throw Unsupported("post_processor", type, "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
            }
        }

        (string, int) TokenAndId(JsonNode? n, string key) => n is JsonArray { Count: 2 } a && a[0] is JsonValue t && t.TryGetValue(out string? s)
            && a[1] is JsonValue i && i.TryGetValue(out int id) ? (s, id) : throw Bad($"post_processor.{key} is not [token, id]");
    }
}
