using System.Collections.Frozen;
using System.Text;

namespace Sentire.Text;

/// <summary>
/// Unicode normalisation forms NFD, NFC, NFKD, NFKC (Unicode Standard Annex #15), from tables generated out of
/// Python's unicodedata by tools/golden/unicode_normalization_data.py. Sentire runs with InvariantGlobalization,
/// where <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII text as it is, and tokenizers need
/// the real forms (BERT strips accents after NFD; Qwen2 normalises to NFC).
/// D: decompose (canonical, or compatibility for K forms), then order combining marks by combining class;
/// C: then compose each mark with the last starter unless a mark of equal or higher class lies between.
/// </summary>
public static class UnicodeNormalization
{
    // Hangul syllables are composed algorithmically (Unicode 3.12): S = SBase + (L·VCount + V)·TCount + T
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    const int NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Tables Data = Tables.Load();

    sealed record Tables(FrozenDictionary<int, int[]> Canonical, FrozenDictionary<int, int[]> Compatibility,
        FrozenDictionary<int, byte> CombiningClass, FrozenDictionary<long, int> Composites)
    {
        public static Tables Load()
        {
            using var stream = typeof(UnicodeNormalization).Assembly.GetManifestResourceStream("Sentire.Text.UnicodeNormalization.data")
                ?? throw new InvalidOperationException("Sentire.Text.UnicodeNormalization.data is not embedded in Sentire.Text.dll");
            using var reader = new StreamReader(stream, Encoding.ASCII);
            var d = new Dictionary<int, int[]>();
            var k = new Dictionary<int, int[]>();
            var c = new Dictionary<int, byte>();
            var p = new Dictionary<long, int>();
            static int Hex(string s) => Convert.ToInt32(s, 16);
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                if (line.Length == 0 || line[0] == '#') continue;
                var f = line.Split(' ');
                switch (f[0])
                {
                    case "D": d[Hex(f[1])] = f[2..].Select(Hex).ToArray(); break;
                    case "K": k[Hex(f[1])] = f[2..].Select(Hex).ToArray(); break;
                    case "C": c[Hex(f[1])] = byte.Parse(f[2]); break;
                    case "P": p[Pair(Hex(f[1]), Hex(f[2]))] = Hex(f[3]); break;
                }
            }
            return new Tables(d.ToFrozenDictionary(), k.ToFrozenDictionary(), c.ToFrozenDictionary(), p.ToFrozenDictionary());
        }
    }

    static long Pair(int a, int b) => ((long)a << 21) | (uint)b;

    public static string Normalize(string text, NormalizationForm form)
    {
        // below U+00A0 no form changes anything
        bool plain = true;
        foreach (char ch in text) if (ch >= 0xA0) { plain = false; break; }
        if (plain) return text;

        bool compat = form is NormalizationForm.FormKD or NormalizationForm.FormKC;
        var cps = Decompose(text, compat);
        if (form is NormalizationForm.FormC or NormalizationForm.FormKC) Compose(cps);
        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    static int Ccc(int cp) => Data.CombiningClass.TryGetValue(cp, out byte c) ? c : 0;

    static List<int> Decompose(string text, bool compat)
    {
        var output = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            int s = cp - SBase;
            if ((uint)s < SCount)
            {
                output.Add(LBase + s / NCount);
                output.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0) output.Add(TBase + s % TCount);
            }
            else if (compat && Data.Compatibility.TryGetValue(cp, out var kd)) output.AddRange(kd);
            else if (Data.Canonical.TryGetValue(cp, out var dd)) output.AddRange(dd);
            else output.Add(cp);
        }
        // canonical ordering: stable sort of each run of non-starters by combining class
        for (int i = 1; i < output.Count; i++)
        {
            int c = Ccc(output[i]);
            if (c == 0) continue;
            int j = i;
            while (j > 0 && Ccc(output[j - 1]) > c) { (output[j - 1], output[j]) = (output[j], output[j - 1]); j--; }
        }
        return output;
    }

    static void Compose(List<int> cps)
    {
        if (cps.Count < 2) return;
        int starterAt = 0, starter = cps[0], lastClass = Ccc(starter) == 0 ? 0 : 256, write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int ch = cps[read], chClass = Ccc(ch);
            if ((lastClass < chClass || lastClass == 0) && TryCompose(starter, ch, out int composite))
            {
                cps[starterAt] = starter = composite;
                continue;
            }
            if (chClass == 0) { starterAt = write; starter = ch; }
            lastClass = chClass;
            cps[write++] = ch;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static bool TryCompose(int a, int b, out int composite)
    {
        int l = a - LBase, v = b - VBase;
        if ((uint)l < LCount && (uint)v < VCount) { composite = SBase + (l * VCount + v) * TCount; return true; }
        int s = a - SBase, t = b - TBase;
        if ((uint)s < SCount && s % TCount == 0 && t > 0 && t < TCount) { composite = a + t; return true; }
        return Data.Composites.TryGetValue(Pair(a, b), out composite);
    }
}
