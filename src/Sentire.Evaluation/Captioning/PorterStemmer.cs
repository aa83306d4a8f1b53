namespace Sentire.Evaluation.Captioning;

/// <summary>
/// The Porter (1980) suffix-stripping stemmer, steps 1a-5b as in the original paper ("An algorithm for suffix
/// stripping", Program 14(3)), for METEOR's stem-matching module. Input: one lower-case English word.
/// </summary>
public static class PorterStemmer
{
    public static string Stem(string word)
    {
        if (word.Length <= 2) return word;
        var w = word;
        w = Step1a(w);
        w = Step1b(w);
        if (w.EndsWith('y') && ContainsVowel(w[..^1])) w = w[..^1] + "i";               // step 1c
        w = Replace(w, Step2Rules, m => m > 0);
        w = Replace(w, Step3Rules, m => m > 0);
        w = Step4(w);
        // Step 5a: remove a final e when m > 1, or m = 1 and the stem does not end cvc.
        if (w.EndsWith('e'))
        {
            var stem = w[..^1];
            int m = Measure(stem);
            if (m > 1 || (m == 1 && !EndsCvc(stem))) w = stem;
        }
        // Step 5b: -ll -> -l when m > 1.
        if (w.EndsWith("ll", StringComparison.Ordinal) && Measure(w) > 1) w = w[..^1];
        return w;
    }

    static bool IsConsonant(string w, int i) => w[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(w, i - 1),
        _ => true,
    };

    /// <summary>m in [C](VC)^m[V].</summary>
    static int Measure(string w)
    {
        int m = 0, i = 0, n = w.Length;
        while (i < n && IsConsonant(w, i)) i++;
        while (i < n)
        {
            while (i < n && !IsConsonant(w, i)) i++;
            if (i >= n) break;
            while (i < n && IsConsonant(w, i)) i++;
            m++;
        }
        return m;
    }

    static bool ContainsVowel(string w)
    {
        for (int i = 0; i < w.Length; i++) if (!IsConsonant(w, i)) return true;
        return false;
    }

    static bool EndsDoubleConsonant(string w) => w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    /// <summary>*o: the stem ends consonant-vowel-consonant, the last not w, x or y.</summary>
    static bool EndsCvc(string w) => w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1)
        && w[^1] is not ('w' or 'x' or 'y');

    static string Step1a(string w) =>
        w.EndsWith("sses", StringComparison.Ordinal) ? w[..^2] :
        w.EndsWith("ies", StringComparison.Ordinal) ? w[..^2] :
        w.EndsWith("ss", StringComparison.Ordinal) ? w :
        w.EndsWith('s') ? w[..^1] : w;

    static string Step1b(string w)
    {
        if (w.EndsWith("eed", StringComparison.Ordinal)) return Measure(w[..^3]) > 0 ? w[..^1] : w;
        string? stem = w.EndsWith("ed", StringComparison.Ordinal) && ContainsVowel(w[..^2]) ? w[..^2]
            : w.EndsWith("ing", StringComparison.Ordinal) && ContainsVowel(w[..^3]) ? w[..^3] : null;
        if (stem is null) return w;
        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal) || stem.EndsWith("iz", StringComparison.Ordinal)) return stem + "e";
        if (EndsDoubleConsonant(stem) && stem[^1] is not ('l' or 's' or 'z')) return stem[..^1];
        if (Measure(stem) == 1 && EndsCvc(stem)) return stem + "e";
        return stem;
    }

    static readonly (string Suffix, string Replacement)[] Step2Rules =
    [
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("abli", "able"),
        ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
        ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble"),
    ];

    static readonly (string Suffix, string Replacement)[] Step3Rules =
    [
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ];

    /// <summary>Replaces the longest matching suffix whose stem satisfies <paramref name="condition"/> on m.</summary>
    static string Replace(string w, (string Suffix, string Replacement)[] rules, Func<int, bool> condition)
    {
        foreach (var (suffix, replacement) in rules.OrderByDescending(r => r.Suffix.Length))
            if (w.EndsWith(suffix, StringComparison.Ordinal))
            {
                var stem = w[..^suffix.Length];
                return condition(Measure(stem)) ? stem + replacement : w;
            }
        return w;
    }

    static readonly string[] Step4Suffixes =
        ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"];

    static string Step4(string w)
    {
        foreach (var suffix in Step4Suffixes.OrderByDescending(s => s.Length))
            if (w.EndsWith(suffix, StringComparison.Ordinal))
            {
                var stem = w[..^suffix.Length];
                if (Measure(stem) <= 1) return w;
                if (suffix == "ion" && !(stem.EndsWith('s') || stem.EndsWith('t'))) return w;
                return stem;
            }
        return w;
    }
}
