using Sentire.Models.Secap;

namespace Sentire.Evaluation.Captioning;

/// <summary>
/// Whether a caption is a well-formed sentence in the language asked for (issue 15: "A man speaks in a sad tone, with a
/// low,.", "... with a low, variede", the instruction leaking, Chinese inside English). <see cref="Problems"/> lists
/// every fault found; an empty list means the caption passes:
/// 1) not empty; English starts with a capital letter;
/// 2) ends with a sentence terminator, and holds at most two sentences;
/// 3) no punctuation after punctuation or after a space ("low,.", "low ,");
/// 4) no clause mark or full stop right after a word that cannot end a phrase ("with a,", "and.");
/// 5) none of the instruction's own text ("Describe", "in one sentence", "请用一句话描述");
/// 6) only the requested script: English is printable ASCII, Chinese has no Latin letters; no U+FFFD;
/// 7) with a lexicon, every English word is one of its words ("variede" is not).
/// </summary>
public static class CaptionWellFormedness
{
    public static IReadOnlyList<string> Problems(string caption, string language, IReadOnlySet<string>? lexicon = null)
    {
        var problems = new List<string>();
        var text = caption.Trim();
        if (text.Length == 0) return ["empty caption"];
        bool english = language == "en";
        string terminators = CaptionText.Terminators(language);
        // 1) and 2)
        if (english && !char.IsUpper(text[0])) problems.Add("does not start with a capital letter");
        if (!terminators.Contains(text[^1])) problems.Add($"does not end with one of \"{terminators}\"");
        int sentences = 0;
        for (int i = 0; i < text.Length; i++)
            if (terminators.Contains(text[i]) && (i == text.Length - 1 || char.IsWhiteSpace(text[i + 1]) || !english)) sentences++;
        if (sentences > 2) problems.Add($"{sentences} sentences (at most 2)");
        // 3)
        for (int i = 1; i < text.Length; i++)
        {
            if (!IsMark(text[i])) continue;
            int j = i - 1;
            while (j >= 0 && char.IsWhiteSpace(text[j])) j--;
            if (j < i - 1) { problems.Add($"space before '{text[i]}' at {i}"); break; }
            if (j >= 0 && IsMark(text[j])) { problems.Add($"'{text[j]}{text[i]}' at {j}"); break; }
        }
        if (english)
        {
            // 4)
            for (int i = 0; i < text.Length; i++)
            {
                if (!IsMark(text[i])) continue;
                int end = i;
                while (end > 0 && char.IsWhiteSpace(text[end - 1])) end--;
                int start = end;
                while (start > 0 && CaptionText.IsWordChar(text[start - 1])) start--;
                var word = text[start..end].ToLowerInvariant();
                if (CaptionConstraint.EnglishDanglingWords.Contains(word)) problems.Add($"'{text[i]}' after the dangling word '{word}'");
            }
            // 5)
            var lower = text.ToLowerInvariant();
            foreach (var leak in new[] { "describe", "in one sentence", "the speaker's emotion in" })
                if (lower.Contains(leak, StringComparison.Ordinal)) problems.Add($"instruction text '{leak}'");
            // 6)
            var foreign = text.Where(c => c is < ' ' or > '~').Distinct().ToArray();
            if (foreign.Length > 0) problems.Add($"characters outside English text: {new string(foreign)}");
            // 7)
            if (lexicon is not null)
                foreach (var word in CaptionText.Words(text).Distinct())
                    if (!lexicon.Contains(word)) problems.Add($"unknown word '{word}'");
        }
        else
        {
            foreach (var leak in CaptionConstraint.ChinesePromptText)
                if (text.Contains(leak, StringComparison.Ordinal)) problems.Add($"instruction text '{leak}'");
            if (text.Any(c => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' || c == '\uFFFD')) problems.Add("Latin letters or undecodable bytes in a Chinese caption");
        }
        return problems;
    }

    /// <summary>Punctuation that ends a clause or sentence (not apostrophes, hyphens or quotes).</summary>
    static bool IsMark(char c) => c is ',' or ';' or ':' or '.' or '!' or '?' or '，' or '。' or '、' or '；' or '：' or '！' or '？';
}
