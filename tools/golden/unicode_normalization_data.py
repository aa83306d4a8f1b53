"""Unicode normalisation tables for Sentire.Text (NFC/NFD/NFKC/NFKD without ICU).

Sentire runs with InvariantGlobalization, where string.Normalize leaves non-ASCII text unchanged, so the
tokenizers carry their own tables, taken from Python's unicodedata (Unicode 14.0 with Python 3.11).
Run:  /usr/bin/python3 tools/golden/unicode_normalization_data.py
Also writes tests/fixtures/hf-text/unicode_normalization.json (strings and their four forms).
Writes src/Sentire.Text/UnicodeNormalization.data (embedded in Sentire.Text.dll), one record per line, hex:
  D cp seq..   full canonical decomposition (NFD of the single code point), Hangul syllables excluded (algorithmic)
  K cp seq..   full compatibility decomposition (NFKD), only where it differs from NFD
  C cp ccc     canonical combining class, where non-zero
  P a b cp     primary composite: NFC composes a + b to cp (composition exclusions and singletons left out)
"""
import os
import sys
import unicodedata as ud

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "src", "Sentire.Text", "UnicodeNormalization.data")


def hexs(s):
    return " ".join(f"{ord(c):X}" for c in s)


def main():
    lines = [f"# Unicode {ud.unidata_version} normalisation tables, written by tools/golden/unicode_normalization_data.py"]
    for cp in range(sys.maxunicode + 1):
        if 0xAC00 <= cp <= 0xD7A3 or 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        nfd = ud.normalize("NFD", c)
        nfkd = ud.normalize("NFKD", c)
        if nfd != c:
            lines.append(f"D {cp:X} {hexs(nfd)}")
        if nfkd != nfd:
            lines.append(f"K {cp:X} {hexs(nfkd)}")
        ccc = ud.combining(c)
        if ccc:
            lines.append(f"C {cp:X} {ccc}")
        d = ud.decomposition(c)
        if d and not d.startswith("<"):
            parts = [int(x, 16) for x in d.split()]
            if len(parts) == 2 and ud.normalize("NFC", chr(parts[0]) + chr(parts[1])) == c:
                lines.append(f"P {parts[0]:X} {parts[1]:X} {cp:X}")
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", OUT, len(lines), "lines")




# Golden cases for tests/Sentire.Text.Tests/UnicodeNormalizationTests.cs
CASES = [
    "café", "cafe\u0301", "Ångström \u212B", "\uFB01ne \u2460 \u00BD x\u00B2", "한국어 \u1112\u1161\u11AB",
    "a\u0301\u0323 a\u0323\u0301", "\u0958 \u2126", "ﾃｽﾄ ｶﾞ", "Ǆemal ǅ", "\u1E9B\u0323", "\U0001D400 \U0002F800",
    "e\u0301\u0301 \u0300a", "Ελληνικά ά", "\u0041\u030A\u0301", "plain ascii",
]


def write_cases():
    import json
    out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "hf-text")
    os.makedirs(out, exist_ok=True)
    cases = [{"text": s, **{f: ud.normalize(f, s) for f in ("NFC", "NFD", "NFKC", "NFKD")}} for s in CASES]
    with open(os.path.join(out, "unicode_normalization.json"), "w", encoding="utf-8") as f:
        json.dump({"unicode": ud.unidata_version, "cases": cases}, f, ensure_ascii=True, indent=1)


if __name__ == "__main__":
    main()
    write_cases()
