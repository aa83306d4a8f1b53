namespace Sentire.Text;

/// <summary>The model stage of a tokenizer: one pre-tokenised word to ids (BPE or WordPiece).</summary>
public interface ITokenModel
{
    /// <summary>One more than the largest id.</summary>
    int Size { get; }
    void Tokenize(string word, List<int> output);
    string? TokenOf(int id);
    int? IdOf(string token);
}

/// <summary>
/// The Hugging Face <c>tokenizers</c> pipeline: 1) added tokens are cut out of the raw text (those with
/// normalized=false), 2) each remaining segment is normalised and cut again at added tokens with
/// normalized=true, 3) the pre-tokenizer splits it into words, 4) the model turns each word into ids,
/// 5) the post-processor adds the special tokens. Decoding maps ids to token strings, drops special tokens
/// on request and runs the decoder. Built by <see cref="TokenizerLoader"/> from tokenizer.json, vocab.json +
/// merges.txt or vocab.txt.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    readonly ITokenModel model;
    readonly INormalizer? normalizer;
    readonly IPreTokenizer? preTokenizer;
    readonly IPostProcessor? postProcessor;
    readonly IDecoder? decoder;
    readonly Dictionary<int, AddedToken> addedById;
    readonly Dictionary<string, AddedToken> addedByContent;
    readonly AddedTokenMatcher rawMatcher, normalizedMatcher;

    public HfTokenizer(ITokenModel model, INormalizer? normalizer, IPreTokenizer? preTokenizer, IPostProcessor? postProcessor,
        IDecoder? decoder, IReadOnlyList<AddedToken> addedTokens, SpecialTokenIds special, string source, bool cleanUpTokenizationSpaces = false)
    {
        CleanUpTokenizationSpaces = cleanUpTokenizationSpaces;
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        addedById = new Dictionary<int, AddedToken>();
        addedByContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var t in addedTokens) { addedById[t.Id] = t; addedByContent[t.Content] = t; }
        rawMatcher = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).ToList());
        normalizedMatcher = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized).ToList());
        Special = special;
        Source = source;
        VocabSize = Math.Max(model.Size, addedTokens.Count == 0 ? 0 : addedTokens.Max(t => t.Id) + 1);
    }

    public int VocabSize { get; }
    public SpecialTokenIds Special { get; }

    /// <summary>The file(s) the tokenizer was read from, for messages.</summary>
    public string Source { get; }

    /// <summary>transformers' clean_up_tokenization_spaces: decoded text loses the spaces a word-level split put
    /// before punctuation and contractions.</summary>
    public bool CleanUpTokenizationSpaces { get; }

    public ITokenModel Model => model;
    public IReadOnlyCollection<AddedToken> AddedTokens => addedById.Values;

    public string TokenOf(int id) => addedById.TryGetValue(id, out var t) ? t.Content
        : model.TokenOf(id) ?? throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary of {Source} (size {VocabSize})");

    public int? IdOf(string token) => addedByContent.TryGetValue(token, out var t) ? t.Id : model.IdOf(token);

    public bool IsSpecial(int id) => addedById.TryGetValue(id, out var t) && t.Special;

    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>(text.Length / 2 + 4);
        // 1) added tokens in the raw text
        foreach (var raw in rawMatcher.Split(text, 0))
        {
            if (raw.TokenId is int rawId) { ids.Add(rawId); continue; }
            // 2) normalise, then added tokens in the normalised text
            var normalized = normalizer?.Normalize(raw.Text) ?? raw.Text;
            foreach (var seg in normalizedMatcher.Split(normalized, raw.Offset))
            {
                if (seg.TokenId is int id) { ids.Add(id); continue; }
                // 3) words, 4) model
                var piece = new Piece(seg.Text, AtStart: seg.Offset == 0);
                foreach (var word in preTokenizer?.Split(piece) ?? [piece]) model.Tokenize(word.Text, ids);
            }
        }
        // 5) special tokens around the sequence
        return addSpecialTokens && postProcessor is not null ? postProcessor.Process(ids) : [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = true)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
            if (!(skipSpecial && IsSpecial(id))) tokens.Add(TokenOf(id));
        var text = decoder is null ? string.Join(' ', tokens) : string.Concat(decoder.Decode(tokens));
        return CleanUpTokenizationSpaces ? CleanUpTokenization(text) : text;
    }

    /// <summary>transformers' clean_up_tokenization.</summary>
    public static string CleanUpTokenization(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}
