using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sentire.Text;

/// <summary>
/// SentencePiece-style byte-pair encoding with byte fallback: the tokenizer model of LLaMA 1/2, which
/// Sentire also trains on its own caption and prompt text. Text is normalised by prefixing "▁" and
/// turning spaces into "▁"; symbols start as Unicode characters; a character missing from the vocabulary
/// becomes its UTF-8 bytes as &lt;0xXX&gt; tokens, so every string encodes; then the adjacent pair with
/// the lowest merge rank is merged until no merge applies (Sennrich et al., 2016).
/// Saved and loaded as a Hugging Face tokenizer.json (model type BPE, byte_fallback true), which
/// <see cref="TokenizerLoader"/> also reads; the merge loop is <see cref="BpeModel"/>'s.
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    public const string Metaspace = "\u2581";
    public const string Unk = "<unk>", Bos = "<s>", Eos = "</s>", Pad = "<pad>";

    readonly Dictionary<string, int> vocab;
    readonly string[] tokens;
    readonly BpeModel model;
    readonly string[] special;           // added/special tokens, matched literally in input text, longest first

    BpeTokenizer(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> mergeList, IEnumerable<string> specialTokens)
    {
        this.vocab = vocab;
        model = new BpeModel(vocab, mergeList, new BpeOptions(UnkToken: vocab.ContainsKey(Unk) ? Unk : null, ByteFallback: true));
        tokens = new string[model.Size];
        foreach (var (t, id) in vocab) tokens[id] = t;
        special = specialTokens.Where(vocab.ContainsKey).OrderByDescending(s => s.Length).ToArray();
        UnkId = vocab.GetValueOrDefault(Unk, -1);
        BosId = vocab.GetValueOrDefault(Bos, -1);
        EosId = vocab.GetValueOrDefault(Eos, -1);
        PadId = vocab.GetValueOrDefault(Pad, -1);
        Special = new SpecialTokenIds(Bos: OrNull(BosId), Eos: OrNull(EosId), Pad: OrNull(PadId), Unk: OrNull(UnkId));
    }

    static int? OrNull(int id) => id >= 0 ? id : null;

    public int VocabSize => tokens.Length;
    public int MergeCount => model.MergeCount;
    public SpecialTokenIds Special { get; }
    public int UnkId { get; }
    public int BosId { get; }
    public int EosId { get; }
    public int PadId { get; }

    public string TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary (size {tokens.Length})");

    public int? IdOf(string token) => vocab.TryGetValue(token, out int id) ? id : null;

    static string ByteToken(byte b) => BpeModel.ByteToken(b);

    /// <summary><paramref name="addSpecialTokens"/> adds &lt;s&gt; in front (when the vocabulary has it), as LLaMA's
    /// tokenizer does and as the template <see cref="Save"/> writes says.</summary>
    int[] ITokenizer.Encode(string text, bool addSpecialTokens) => Encode(text, addBos: addSpecialTokens && BosId >= 0);

    // ---- encoding ---------------------------------------------------------------------------

    public int[] Encode(string text, bool addBos = false, bool addEos = false)
    {
        var ids = new List<int>(text.Length + 2);
        if (addBos) ids.Add(RequireSpecial(BosId, Bos));
        int start = 0;
        bool first = true;
        // Special tokens are matched literally and never normalised or merged (HF "added tokens").
        while (start <= text.Length)
        {
            var (at, match) = NextSpecial(text, start);
            var piece = text[start..at];
            if (piece.Length > 0) { EncodePiece(Normalize(piece, prefix: first), ids); }
            first = false;
            if (match is null) break;
            ids.Add(vocab[match]);
            start = at + match.Length;
        }
        if (addEos) ids.Add(RequireSpecial(EosId, Eos));
        return [.. ids];
    }

    int RequireSpecial(int id, string name) => id >= 0 ? id : throw new InvalidOperationException($"the vocabulary has no {name} token");

    (int At, string? Match) NextSpecial(string text, int start)
    {
        int best = text.Length;
        string? match = null;
        foreach (var s in special)
        {
            int i = text.IndexOf(s, start, StringComparison.Ordinal);
            if (i >= 0 && i < best) { best = i; match = s; }
        }
        return (best, match);
    }

    static string Normalize(string piece, bool prefix) => (prefix ? Metaspace : "") + piece.Replace(" ", Metaspace);

    void EncodePiece(string piece, List<int> output) => model.Tokenize(piece, output);

    // ---- decoding ---------------------------------------------------------------------------

    /// <summary>Ids back to text: byte tokens are gathered and read as UTF-8 (invalid runs become U+FFFD),
    /// "▁" becomes a space and the one leading space the encoder added is removed.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = true)
    {
        var sb = new StringBuilder();
        var bytes = new List<byte>();
        void FlushBytes() { if (bytes.Count > 0) { sb.Append(Encoding.UTF8.GetString([.. bytes])); bytes.Clear(); } }
        foreach (int id in ids)
        {
            string t = TokenOf(id);
            if (BpeModel.TryParseByteToken(t, out byte value) && model.ByteTokenId(value) == id) { bytes.Add(value); continue; }
            FlushBytes();
            if (special.Contains(t)) { if (!skipSpecial) sb.Append(t); continue; }
            sb.Append(t);
        }
        FlushBytes();
        var s = sb.Replace(Metaspace, " ").ToString();
        return s.StartsWith(' ') ? s[1..] : s;
    }

    // ---- training ---------------------------------------------------------------------------

    /// <summary>
    /// Learns merges from <paramref name="texts"/> until the vocabulary holds <paramref name="vocabSize"/> tokens
    /// (or no pair occurs twice). Vocabulary order: special tokens, the 256 byte tokens, the characters of the
    /// corpus by descending frequency, then one token per merge. Words never merge across "▁" boundaries,
    /// as in SentencePiece. Ties between equally frequent pairs go to the pair of lower ids, so training is
    /// deterministic.
    /// </summary>
    public static BpeTokenizer Train(IEnumerable<string> texts, int vocabSize, IReadOnlyList<string>? specialTokens = null)
    {
        var specials = specialTokens ?? [Unk, Bos, Eos, Pad];
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var word in SplitWords(Normalize(text, prefix: true)))
                wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in specials) vocab.TryAdd(s, vocab.Count);
        for (int b = 0; b < 256; b++) vocab.TryAdd(ByteToken((byte)b), vocab.Count);
        var charCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (w, n) in wordCounts)
            foreach (var rune in w.EnumerateRunes()) { var c = rune.ToString(); charCounts[c] = charCounts.GetValueOrDefault(c) + n; }
        foreach (var c in charCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key))
            vocab.TryAdd(c, vocab.Count);
        if (vocab.Count > vocabSize)
            throw new ArgumentException($"vocabSize {vocabSize} is smaller than the special, byte and character tokens ({vocab.Count})");

        var tokenOf = vocab.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList();
        var words = wordCounts.Select(kv => (Symbols: kv.Key.EnumerateRunes().Select(r => vocab[r.ToString()]).ToList(), Count: kv.Value)).ToList();
        var mergeList = new List<(string, string)>();
        while (vocab.Count < vocabSize)
        {
            var pairCounts = new Dictionary<(int, int), long>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairCounts[(symbols[i], symbols[i + 1])] = pairCounts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairCounts.Count == 0) break;
            var best = pairCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < 2) break;
            var (left, right) = best.Key;
            string mergedToken = tokenOf[left] + tokenOf[right];
            if (!vocab.TryGetValue(mergedToken, out int merged)) { merged = vocab.Count; vocab[mergedToken] = merged; tokenOf.Add(mergedToken); }
            mergeList.Add((tokenOf[left], tokenOf[right]));
            foreach (var (symbols, _) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == left && symbols[i + 1] == right) { symbols[i] = merged; symbols.RemoveAt(i + 1); }
        }
        return new BpeTokenizer(vocab, mergeList, specials);
    }

    static IEnumerable<string> SplitWords(string normalized)
    {
        int start = 0;
        for (int i = 1; i <= normalized.Length; i++)
            if (i == normalized.Length || normalized[i] == Metaspace[0]) { yield return normalized[start..i]; start = i; }
    }

    // ---- tokenizer.json ---------------------------------------------------------------------

    /// <summary>Writes a Hugging Face tokenizer.json atomically.</summary>
    public void Save(string path)
    {
        var vocabJson = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocabJson[tokens[i]] = i;
        var mergesJson = new JsonArray();
        foreach (var (left, right) in model.Merges) mergesJson.Add($"{left} {right}");
        var added = new JsonArray();
        foreach (var s in special.OrderBy(s => vocab[s]))
            added.Add(new JsonObject { ["id"] = vocab[s], ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = Metaspace },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = Metaspace }),
            },
            ["pre_tokenizer"] = null,
            // <s> in front, as ITokenizer.Encode(text, addSpecialTokens: true) adds it
            ["post_processor"] = BosId < 0 ? null : new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(Special(Bos, 0), Sequence("A", 0)),
                ["pair"] = new JsonArray(Special(Bos, 0), Sequence("A", 0), Special(Bos, 1), Sequence("B", 1)),
                ["special_tokens"] = new JsonObject { [Bos] = new JsonObject { ["id"] = Bos, ["ids"] = new JsonArray(BosId), ["tokens"] = new JsonArray(Bos) } },
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = Metaspace }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = UnkId >= 0 ? Unk : null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = true, ["vocab"] = vocabJson, ["merges"] = mergesJson,
            },
        };
        static JsonObject Special(string id, int typeId) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        static JsonObject Sequence(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        var json = Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Sentire.IO.AtomicFile.Write(path, s => s.Write(json));
    }

    /// <summary>Reads a tokenizer.json whose model is BPE with byte fallback (LLaMA 1/2 style, or one Sentire trained).</summary>
    public static BpeTokenizer Load(string path)
    {
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException("empty JSON"); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON ({e.Message})", e); }
        var model = root["model"] ?? throw new FormatException($"{path}: no \"model\" object");
        var type = (string?)model["type"];
        if (type != "BPE") throw new FormatException($"{path}: tokenizer model type is '{type}', expected 'BPE'");
        if (model["vocab"] is not JsonObject vocabJson) throw new FormatException($"{path}: model.vocab is missing");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in vocabJson) vocab[token] = (int)id!;
        var mergeList = new List<(string, string)>();
        foreach (var m in model["merges"]?.AsArray() ?? [])
        {
            // two layouts exist: "left right" strings and [left, right] arrays
            if (m is JsonArray pair) mergeList.Add(((string)pair[0]!, (string)pair[1]!));
            else
            {
                var s = (string)m!;
                int space = s.IndexOf(' ', 1);
                if (space < 0) throw new FormatException($"{path}: merge '{s}' is not of the form 'left right'");
                mergeList.Add((s[..space], s[(space + 1)..]));
            }
        }
        var specials = (root["added_tokens"]?.AsArray() ?? []).Select(t => (string)t!["content"]!).ToList();
        foreach (var s in specials)
            if (!vocab.ContainsKey(s)) vocab[s] = (int)root["added_tokens"]!.AsArray().First(t => (string)t!["content"]! == s)!["id"]!;
        try { return new BpeTokenizer(vocab, mergeList, specials); }
        catch (FormatException e) { throw new FormatException($"{path}: {e.Message}", e); }
    }
}
