using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sentire.Text;

/// <summary>A tokenizer.json normalizer: rewrites the text of one segment (the text between added tokens).</summary>
public interface INormalizer
{
    string Normalize(string text);
}

public sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    public string Normalize(string text)
    {
        foreach (var n in Normalizers) text = n.Normalize(text);
        return text;
    }
}

/// <summary>Prepends a string to a non-empty segment (LLaMA 1/2 legacy: "▁").</summary>
public sealed record PrependNormalizer(string Prepend) : INormalizer
{
    public string Normalize(string text) => text.Length == 0 ? text : Prepend + text;
}

/// <summary>Replaces every occurrence of a literal string or a regex.</summary>
public sealed class ReplaceNormalizer(string? literal, Regex? regex, string content) : INormalizer
{
    public string Normalize(string text) => regex is not null ? regex.Replace(text, content.Replace("$", "$$")) : text.Replace(literal!, content, StringComparison.Ordinal);
}

public sealed record UnicodeNormalizer(NormalizationForm Form) : INormalizer
{
    public string Normalize(string text) => UnicodeNormalization.Normalize(text, Form);
}

public sealed record LowercaseNormalizer : INormalizer
{
    public string Normalize(string text) => text.ToLowerInvariant();
}

/// <summary>Removes combining marks (category Mn); used after NFD to strip accents.</summary>
public sealed record StripAccentsNormalizer : INormalizer
{
    public string Normalize(string text) => TextChars.StripMarks(text);
}

public sealed record StripNormalizer(bool Left, bool Right) : INormalizer
{
    public string Normalize(string text) => Left && Right ? text.Trim() : Left ? text.TrimStart() : Right ? text.TrimEnd() : text;
}

/// <summary>
/// BERT's text cleaning (Devlin et al., 2019, BasicTokenizer): drop NUL, U+FFFD and control characters, map
/// whitespace to ' ', surround CJK ideographs with spaces so each becomes a word, strip accents (NFD then drop
/// Mn; by default when lower-casing) and lower-case.
/// </summary>
public sealed record BertNormalizer(bool CleanText = true, bool HandleChineseChars = true, bool? StripAccents = null, bool Lowercase = true) : INormalizer
{
    public string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (CleanText)
            {
                if (rune.Value is 0 or 0xFFFD || TextChars.IsControl(rune)) continue;
                if (TextChars.IsWhitespace(rune)) { sb.Append(' '); continue; }
            }
            if (HandleChineseChars && TextChars.IsChinese(rune)) sb.Append(' ').Append(rune.ToString()).Append(' ');
            else sb.Append(rune.ToString());
        }
        var s = sb.ToString();
        if (StripAccents ?? Lowercase) s = TextChars.StripMarks(UnicodeNormalization.Normalize(s, NormalizationForm.FormD));
        return Lowercase ? s.ToLowerInvariant() : s;
    }
}

/// <summary>Character classes of BERT's BasicTokenizer and tokenizers' BertPreTokenizer.</summary>
public static class TextChars
{
    /// <summary>\t, \n, \r are whitespace, not control; other categories C* (Cc, Cf, Cs, Co, Cn) are control.</summary>
    public static bool IsControl(Rune r) => r.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    public static bool IsWhitespace(Rune r) => r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    /// <summary>ASCII punctuation (which includes symbols such as $ + &lt; = &gt; ^ ` |) or a Unicode P* category.</summary>
    public static bool IsPunctuation(Rune r) => r.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    /// <summary>The CJK Unified Ideographs blocks BERT treats as words of their own (not Hangul or kana).</summary>
    public static bool IsChinese(Rune r) => r.Value is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
        or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF
        or >= 0x2F800 and <= 0x2FA1F;

    public static string StripMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) sb.Append(rune.ToString());
        return sb.ToString();
    }
}
