using System.Text;
using System.Text.RegularExpressions;

namespace Sentire.Text;

/// <summary>A piece of text on its way to the model; <paramref name="AtStart"/> is true when it begins at offset 0
/// of the original text (Metaspace's prepend_scheme "first" looks at it).</summary>
public readonly record struct Piece(string Text, bool AtStart);

/// <summary>A tokenizer.json pre-tokenizer: splits a piece into words the model tokenises independently.</summary>
public interface IPreTokenizer
{
    IEnumerable<Piece> Split(Piece piece);
}

/// <summary>What happens to the matched delimiters when a pattern splits a piece (tokenizers' SplitDelimiterBehavior).</summary>
public enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

public sealed record SequencePreTokenizer(IReadOnlyList<IPreTokenizer> PreTokenizers) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        IEnumerable<Piece> pieces = [piece];
        foreach (var p in PreTokenizers) pieces = pieces.SelectMany(p.Split).ToList();
        return pieces;
    }
}

/// <summary>Splits on a literal string or a regex (LLaMA 3 / Qwen2 put their GPT-4-style pattern here).</summary>
public sealed class SplitPreTokenizer(string? literal, Regex? regex, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var matches = new List<(int Start, int End)>();
        if (regex is not null)
        {
            foreach (Match m in regex.Matches(piece.Text)) if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
        }
        else if (literal!.Length > 0)
            for (int i = piece.Text.IndexOf(literal, StringComparison.Ordinal); i >= 0; i = piece.Text.IndexOf(literal, i + literal.Length, StringComparison.Ordinal))
                matches.Add((i, i + literal.Length));
        return PieceSplitter.Split(piece, matches, behavior, invert);
    }
}

/// <summary>
/// SentencePiece's whitespace convention: spaces become "▁" (U+2581); "▁" is prepended to the piece
/// (prepend_scheme "always"), only to the piece at the start of the text ("first", LLaMA 2 non-legacy), or never;
/// with <paramref name="SplitOnReplacement"/> each "▁" starts a new word.
/// </summary>
public sealed record MetaspacePreTokenizer(char Replacement, PrependScheme Prepend, bool SplitOnReplacement) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var text = piece.Text.Replace(' ', Replacement);
        bool prepend = Prepend == PrependScheme.Always || (Prepend == PrependScheme.First && piece.AtStart);
        if (prepend && !text.StartsWith(Replacement)) text = Replacement + text;
        if (!SplitOnReplacement) return [piece with { Text = text }];
        var matches = new List<(int, int)>();
        for (int i = text.IndexOf(Replacement); i >= 0; i = text.IndexOf(Replacement, i + 1)) matches.Add((i, i + 1));
        return PieceSplitter.Split(piece with { Text = text }, matches, SplitBehavior.MergedWithNext, invert: false);
    }
}

public enum PrependScheme { Always, First, Never }

/// <summary>
/// GPT-2's byte-level pre-tokenizer: optionally a space in front (add_prefix_space), the GPT-2 regex split
/// (use_regex; off when a Split pre-tokenizer already did it), then each piece's UTF-8 bytes written in the
/// byte-level alphabet.
/// </summary>
public sealed record ByteLevelPreTokenizer(bool AddPrefixSpace, bool UseRegex) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var text = AddPrefixSpace && !piece.Text.StartsWith(' ') ? " " + piece.Text : piece.Text;
        if (!UseRegex) return [piece with { Text = ByteLevel.Encode(text) }];
        bool first = true;
        var pieces = new List<Piece>();
        foreach (var word in ByteLevel.SplitGpt2(text)) { pieces.Add(new Piece(ByteLevel.Encode(word), piece.AtStart && first)); first = false; }
        return pieces;
    }
}

/// <summary>BERT's BasicTokenizer split: whitespace separates words and is dropped; every punctuation character
/// is a word of its own.</summary>
public sealed record BertPreTokenizer : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var pieces = new List<Piece>();
        int wordStart = 0, offset = 0;
        void Flush(int end) { if (end > wordStart) pieces.Add(new Piece(piece.Text[wordStart..end], piece.AtStart && wordStart == 0)); }
        foreach (var rune in piece.Text.EnumerateRunes())
        {
            int next = offset + rune.Utf16SequenceLength;
            if (Rune.IsWhiteSpace(rune)) { Flush(offset); wordStart = next; }
            else if (TextChars.IsPunctuation(rune)) { Flush(offset); wordStart = offset; Flush(next); wordStart = next; }
            offset = next;
        }
        Flush(offset);
        return pieces;
    }
}

/// <summary>Whitespace-separated words, whitespace dropped (tokenizers' WhitespaceSplit).</summary>
public sealed record WhitespaceSplitPreTokenizer : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var matches = new List<(int, int)>();
        for (int i = 0; i < piece.Text.Length; i++) if (char.IsWhiteSpace(piece.Text[i])) matches.Add((i, i + 1));
        return PieceSplitter.Split(piece, matches, SplitBehavior.Removed, invert: false);
    }
}

/// <summary>Digits split off from other text, each digit alone when <paramref name="IndividualDigits"/>.</summary>
public sealed record DigitsPreTokenizer(bool IndividualDigits) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var matches = new List<(int, int)>();
        for (int i = 0; i < piece.Text.Length; i++) if (char.IsDigit(piece.Text[i])) matches.Add((i, i + 1));
        return PieceSplitter.Split(piece, matches, IndividualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, invert: false);
    }
}

/// <summary>Cuts a piece at matches the way tokenizers' NormalizedString::split does for each behaviour.</summary>
static class PieceSplitter
{
    public static IEnumerable<Piece> Split(Piece piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert)
    {
        // 1) the text as consecutive (start, end, isMatch) spans
        var spans = new List<(int Start, int End, bool IsMatch)>();
        int at = 0;
        foreach (var (s, e) in matches)
        {
            if (s > at) spans.Add((at, s, invert));
            spans.Add((s, e, !invert));
            at = e;
        }
        if (at < piece.Text.Length) spans.Add((at, piece.Text.Length, invert));

        // 2) apply the behaviour; "true" left in the flag afterwards means "remove"
        var result = new List<(int Start, int End, bool Remove)>();
        switch (behavior)
        {
            case SplitBehavior.Removed:
                result.AddRange(spans);
                break;
            case SplitBehavior.Isolated:
                result.AddRange(spans.Select(s => (s.Start, s.End, false)));
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < spans.Count; i++)
                    if (i > 0 && spans[i - 1].IsMatch == spans[i].IsMatch) result[^1] = (result[^1].Start, spans[i].End, false);
                    else result.Add((spans[i].Start, spans[i].End, false));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousMatch = false;
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && result.Count > 0) result[^1] = (result[^1].Start, s.End, false);
                    else result.Add((s.Start, s.End, false));
                    previousMatch = s.IsMatch;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool previousMatch = false;
                var reversed = new List<(int Start, int End, bool Remove)>();
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !previousMatch && reversed.Count > 0) reversed[^1] = (s.Start, reversed[^1].End, false);
                    else reversed.Add((s.Start, s.End, false));
                    previousMatch = s.IsMatch;
                }
                reversed.Reverse();
                result = reversed;
                break;
            }
        }
        foreach (var (s, e, remove) in result)
            if (!remove && e > s) yield return new Piece(piece.Text[s..e], piece.AtStart && s == 0);
    }
}
