namespace Sentire.Text;

/// <summary>
/// The byte-pair-encoding model (Sennrich et al., 2016) as Hugging Face <c>tokenizers</c> runs it on one
/// pre-tokenised word: 1) the word's characters become symbols (a character missing from the vocabulary becomes
/// its UTF-8 bytes as &lt;0xXX&gt; tokens when <c>byte_fallback</c> is on, else the unknown token); 2) the adjacent
/// pair with the lowest merge rank is merged (leftmost first among equal ranks) until no merge applies.
/// Shared by <see cref="BpeTokenizer"/> (SentencePiece style) and <see cref="HfTokenizer"/> (SentencePiece and
/// GPT-2 byte-level vocabularies, where every byte is a character of the vocabulary).
/// </summary>
public sealed class BpeModel : ITokenModel
{
    readonly Dictionary<string, int> vocab;
    readonly string[] tokens;
    readonly Dictionary<(int Left, int Right), (int Rank, int Merged)> merges;
    readonly int[] byteTokens;           // id of <0xXX> for each byte value, -1 where absent

    /// <param name="vocab">token -> id (ids need not be contiguous).</param>
    /// <param name="mergeList">merges in rank order; every left, right and left+right must be in the vocabulary.</param>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> mergeList, BpeOptions? options = null)
    {
        this.vocab = vocab;
        Options = options ?? new BpeOptions();
        tokens = new string[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (t, id) in vocab) tokens[id] = t;
        merges = new Dictionary<(int, int), (int, int)>(mergeList.Count);
        string prefix = Options.ContinuingSubwordPrefix ?? "";
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            var (l, r) = mergeList[rank];
            // with a continuing-subword prefix the merged token drops the right side's prefix ("a" + "##b" -> "ab")
            string m = l + (prefix.Length > 0 && r.StartsWith(prefix, StringComparison.Ordinal) ? r[prefix.Length..] : r);
            if (!vocab.TryGetValue(l, out int li) || !vocab.TryGetValue(r, out int ri) || !vocab.TryGetValue(m, out int mi))
                throw new FormatException($"merge {rank} ('{l}' '{r}') uses a token missing from the vocabulary");
            merges.TryAdd((li, ri), (rank, mi));
        }
        MergeCount = mergeList.Count;
        byteTokens = new int[256];
        for (int b = 0; b < 256; b++) byteTokens[b] = vocab.TryGetValue(ByteToken((byte)b), out int id) ? id : -1;
        UnkId = Options.UnkToken is { } unk ? vocab.TryGetValue(unk, out int u) ? u
            : throw new FormatException($"unk_token '{unk}' is not in the vocabulary") : null;
    }

    public BpeOptions Options { get; }
    public int MergeCount { get; }
    public int? UnkId { get; }

    /// <summary>One more than the largest id.</summary>
    public int Size => tokens.Length;

    public string? TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;
    public int? IdOf(string token) => vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>The id of &lt;0xXX&gt;, or -1.</summary>
    public int ByteTokenId(byte b) => byteTokens[b];

    public static string ByteToken(byte b) => $"<0x{b:X2}>";

    /// <summary>If <paramref name="token"/> is a byte token of this vocabulary, its byte.</summary>
    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    /// <summary>The merges in rank order.</summary>
    public IEnumerable<(string Left, string Right)> Merges =>
        merges.OrderBy(kv => kv.Value.Rank).Select(kv => (tokens[kv.Key.Left], tokens[kv.Key.Right]));

    /// <summary>Tokenises one word (a pre-tokenised piece) and appends its ids to <paramref name="output"/>.</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        // ignore_merges (LLaMA 3): a word that is itself a token is taken whole
        if (Options.IgnoreMerges && vocab.TryGetValue(word, out int whole)) { output.Add(whole); return; }

        // 1) characters (whole runes) to ids
        var symbols = new List<int>(word.Length);
        Span<byte> utf8 = stackalloc byte[4];
        string prefix = Options.ContinuingSubwordPrefix ?? "", suffix = Options.EndOfWordSuffix ?? "";
        int at = 0;
        bool lastWasUnk = false;
        foreach (var rune in word.EnumerateRunes())
        {
            string c = rune.ToString();
            if (at > 0 && prefix.Length > 0) c = prefix + c;
            at += rune.Utf16SequenceLength;
            if (at == word.Length && suffix.Length > 0) c += suffix;
            if (vocab.TryGetValue(c, out int id)) { symbols.Add(id); lastWasUnk = false; continue; }
            if (Options.ByteFallback)
            {
                int n = rune.EncodeToUtf8(utf8);
                bool all = true;
                for (int i = 0; i < n; i++) all &= byteTokens[utf8[i]] >= 0;
                if (all)
                {
                    for (int i = 0; i < n; i++) symbols.Add(byteTokens[utf8[i]]);
                    lastWasUnk = false;
                    continue;
                }
            }
            // as in tokenizers: unknown -> unk_token (consecutive ones fused when fuse_unk), dropped when there is none
            if (UnkId is int unk && !(Options.FuseUnk && lastWasUnk)) symbols.Add(unk);
            lastWasUnk = UnkId is not null;
        }

        // 2) merge the lowest-rank adjacent pair until none applies (leftmost first among equal ranks); a heap of
        //    candidate pairs keyed (rank, position) over a linked list of symbols makes this O(n log n) rather than
        //    O(n^2), which matters when a whole SentencePiece-style segment is one word
        int count = symbols.Count;
        if (count <= 1) { output.AddRange(symbols); return; }
        var next = new int[count];
        var prev = new int[count];
        for (int i = 0; i < count; i++) { next[i] = i + 1 < count ? i + 1 : -1; prev[i] = i - 1; }
        var heap = new PriorityQueue<(int At, int Left, int Right), (int Rank, int At)>();
        void Push(int at)
        {
            int right = at >= 0 ? next[at] : -1;
            if (right >= 0 && merges.TryGetValue((symbols[at], symbols[right]), out var m)) heap.Enqueue((at, symbols[at], symbols[right]), (m.Rank, at));
        }
        for (int i = 0; i + 1 < count; i++) Push(i);
        while (heap.TryDequeue(out var pair, out _))
        {
            int right = next[pair.At];
            // stale: one side was merged away or changed since the pair was queued
            if (symbols[pair.At] != pair.Left || right < 0 || symbols[right] != pair.Right) continue;
            symbols[pair.At] = merges[(pair.Left, pair.Right)].Merged;
            symbols[right] = -1;
            next[pair.At] = next[right];
            if (next[right] >= 0) prev[next[right]] = pair.At;
            Push(prev[pair.At]);
            Push(pair.At);
        }
        for (int i = 0; i >= 0; i = next[i]) output.Add(symbols[i]);
    }
}

/// <summary>The options of a tokenizer.json BPE model, with the <c>tokenizers</c> defaults.</summary>
public sealed record BpeOptions(
    string? UnkToken = null,
    bool ByteFallback = false,
    bool FuseUnk = false,
    bool IgnoreMerges = false,
    string? ContinuingSubwordPrefix = null,
    string? EndOfWordSuffix = null);
