namespace Sentire.Text;

/// <summary>A token matched literally in the input before the model runs (tokenizers' AddedToken).</summary>
/// <param name="Normalized">matched in the normalised text rather than the raw text.</param>
/// <param name="LStrip">absorbs whitespace on its left; <paramref name="RStrip"/> on its right.</param>
/// <param name="SingleWord">matches only where no word character touches it.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized = false, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>A stretch of input: an added token's id, or text for the model.</summary>
readonly record struct Segment(string Text, int? TokenId, int Offset);

/// <summary>Finds added tokens in text, leftmost first and longest at one position, as tokenizers'
/// AddedVocabulary does with its Aho-Corasick matcher.</summary>
sealed class AddedTokenMatcher(IReadOnlyList<AddedToken> tokens)
{
    readonly AddedToken[] tokens = tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToArray();

    public bool IsEmpty => tokens.Length == 0;

    /// <summary>Splits <paramref name="text"/> (found at <paramref name="offset"/> of the original) into added
    /// tokens and the text between them; empty text segments are dropped.</summary>
    public IEnumerable<Segment> Split(string text, int offset)
    {
        int start = 0, searchFrom = 0;
        while (true)
        {
            var (at, token) = Next(text, searchFrom);
            if (token is null) break;
            int s = at, e = at + token.Content.Length;
            if (token.LStrip) while (s > start && char.IsWhiteSpace(text[s - 1])) s--;
            if (token.RStrip) while (e < text.Length && char.IsWhiteSpace(text[e])) e++;
            if (s > start) yield return new Segment(text[start..s], null, offset + start);
            yield return new Segment(token.Content, token.Id, offset + at);
            start = searchFrom = e;
        }
        if (start < text.Length) yield return new Segment(text[start..], null, offset + start);
    }

    (int At, AddedToken? Token) Next(string text, int from)
    {
        while (from < text.Length)
        {
            int best = int.MaxValue;
            AddedToken? match = null;
            foreach (var t in tokens)   // longest first, so the first found at the best position is the longest
            {
                int i = text.IndexOf(t.Content, from, StringComparison.Ordinal);
                if (i >= 0 && i < best) { best = i; match = t; }
            }
            if (match is null) return (-1, null);
            if (!match.SingleWord || IsSingleWord(text, best, best + match.Content.Length)) return (best, match);
            // a single_word token inside a word: look again after this position (another token may still match here)
            var rest = tokens.Where(t => t != match && string.CompareOrdinal(text, best, t.Content, 0, t.Content.Length) == 0
                && (!t.SingleWord || IsSingleWord(text, best, best + t.Content.Length))).FirstOrDefault();
            if (rest is not null) return (best, rest);
            from = best + 1;
        }
        return (-1, null);
    }

    static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    static bool IsSingleWord(string text, int s, int e) => (s == 0 || !IsWordChar(text[s - 1])) && (e == text.Length || !IsWordChar(text[e]));
}
