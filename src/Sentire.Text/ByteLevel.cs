using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

namespace Sentire.Text;

/// <summary>
/// GPT-2's byte-level alphabet (Radford et al., 2019): every byte maps to one printable character, so a BPE
/// vocabulary of 256 base symbols covers any UTF-8 text without an unknown token. Printable Latin-1 bytes
/// ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 map in order to U+0100, U+0101, ...
/// (so a space, byte 0x20, is 'Ġ' = U+0120 and a newline 'Ċ' = U+010A).
/// </summary>
public static class ByteLevel
{
    /// <summary>GPT-2's pre-tokeniser pattern: contractions, letter runs, digit runs, other runs, each with an
    /// optional leading space, then whitespace not followed by a non-space, then remaining whitespace.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    static readonly char[] ByteToChar = BuildTable();
    static readonly FrozenDictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToFrozenDictionary(p => p.c, p => (byte)p.b);
    static readonly Regex Gpt2Regex = new(Gpt2Pattern, RegexOptions.CultureInvariant);

    static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            table[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return table;
    }

    public static char CharOf(byte b) => ByteToChar[b];

    /// <summary>The UTF-8 bytes of <paramref name="text"/> written in the byte-level alphabet.</summary>
    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Appends the bytes a byte-level string stands for; false (nothing appended) when a character is
    /// outside the alphabet, so the caller can take the string's own UTF-8 instead (as <c>tokenizers</c> does).</summary>
    public static bool TryDecode(string token, List<byte> output)
    {
        foreach (char c in token) if (!CharToByte.ContainsKey(c)) return false;
        foreach (char c in token) output.Add(CharToByte[c]);
        return true;
    }

    /// <summary>Splits text into GPT-2 pre-tokens (the pieces cover the whole text).</summary>
    public static IEnumerable<string> SplitGpt2(string text)
    {
        foreach (Match m in Gpt2Regex.Matches(text)) yield return m.Value;
    }
}
