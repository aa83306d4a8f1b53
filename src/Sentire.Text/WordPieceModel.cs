namespace Sentire.Text;

/// <summary>
/// WordPiece (Wu et al., 2016; BERT, Devlin et al., 2019) on one pre-tokenised word: greedy longest-match-first
/// from the left, pieces after the first carry the continuing prefix "##"; a word with a piece that matches
/// nothing, or longer than <c>max_input_chars_per_word</c> characters, becomes the single unknown token.
/// </summary>
public sealed class WordPieceModel : ITokenModel
{
    readonly Dictionary<string, int> vocab;
    readonly string[] tokens;

    public WordPieceModel(Dictionary<string, int> vocab, string unkToken = "[UNK]", string continuingSubwordPrefix = "##", int maxInputCharsPerWord = 100)
    {
        this.vocab = vocab;
        tokens = new string[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (t, id) in vocab) tokens[id] = t;
        UnkToken = unkToken;
        UnkId = vocab.TryGetValue(unkToken, out int u) ? u : throw new FormatException($"unk_token '{unkToken}' is not in the vocabulary");
        Prefix = continuingSubwordPrefix;
        MaxInputCharsPerWord = maxInputCharsPerWord;
    }

    public string UnkToken { get; }
    public int UnkId { get; }
    public string Prefix { get; }
    public int MaxInputCharsPerWord { get; }
    public int Size => tokens.Length;

    public string? TokenOf(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;
    public int? IdOf(string token) => vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>Reads a BERT vocab.txt: one token per line, the id is the line number.</summary>
    public static Dictionary<string, int> ReadVocabTxt(string path)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (var line in File.ReadLines(path))
        {
            var token = line.TrimEnd('\r', '\n');
            // ids are line numbers even past a repeated line (real vocabularies have none; the first id is kept)
            vocab.TryAdd(token, id);
            id++;
        }
        if (vocab.Count == 0) throw new FormatException($"{path}: empty vocabulary");
        return vocab;
    }

    /// <summary>Tokenises one word and appends its ids to <paramref name="output"/>.</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        // character boundaries (UTF-16 offsets of each rune start, plus the end)
        var bounds = new List<int>(word.Length + 1);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1) bounds.Add(i);
        if (bounds.Count > MaxInputCharsPerWord) { output.Add(UnkId); return; }
        bounds.Add(word.Length);

        int mark = output.Count;
        for (int s = 0; s + 1 < bounds.Count;)
        {
            int found = -1, foundEnd = -1;
            for (int e = bounds.Count - 1; e > s; e--)
            {
                var piece = word[bounds[s]..bounds[e]];
                if (s > 0) piece = Prefix + piece;
                if (vocab.TryGetValue(piece, out int id)) { found = id; foundEnd = e; break; }
            }
            if (found < 0) { output.RemoveRange(mark, output.Count - mark); output.Add(UnkId); return; }
            output.Add(found);
            s = foundEnd;
        }
    }
}
