using System.Globalization;
using System.Text;

namespace Sentire.Evaluation.Captioning;

/// <summary>
/// Tokenisation used for caption scoring, as in the SECap evaluation: Chinese is scored on characters
/// (Unicode punctuation and whitespace removed), every other language on lower-cased words (Unicode
/// punctuation replaced by a space, split on whitespace).
/// </summary>
public static class CaptionTokenizer
{
    /// <summary>The scoring language of a caption language code: "zh" is Chinese, anything else English-style words.</summary>
    public static CaptionLanguage LanguageOf(string code) => code == "zh" ? CaptionLanguage.Chinese : CaptionLanguage.English;

    public static IReadOnlyList<string> Tokenize(string text, CaptionLanguage language) =>
        language == CaptionLanguage.Chinese ? Characters(text) : Words(text);

    static List<string> Characters(string text)
    {
        var tokens = new List<string>();
        // Enumerate text elements by rune so characters outside the BMP stay whole.
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || IsPunctuation(rune)) continue;
            tokens.Add(rune.ToString());
        }
        return tokens;
    }

    static List<string> Words(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var rune in text.ToLowerInvariant().EnumerateRunes())
            sb.Append(IsPunctuation(rune) ? " " : rune.ToString());
        return [.. sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
    }

    static bool IsPunctuation(Rune rune) => Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => true,
        _ => false,
    };
}

public enum CaptionLanguage { English, Chinese }
