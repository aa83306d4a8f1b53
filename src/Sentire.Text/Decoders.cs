using System.Text;

namespace Sentire.Text;

/// <summary>A tokenizer.json decoder: rewrites the token strings of a decoded sequence (tokenizers' decode_chain);
/// the results are then concatenated.</summary>
public interface IDecoder
{
    List<string> Decode(List<string> tokens);
}

public sealed record SequenceDecoder(IReadOnlyList<IDecoder> Decoders) : IDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        foreach (var d in Decoders) tokens = d.Decode(tokens);
        return tokens;
    }
}

/// <summary>Runs of &lt;0xXX&gt; tokens become the text their bytes spell in UTF-8; a run that is not valid UTF-8
/// becomes one U+FFFD per byte.</summary>
public sealed record ByteFallbackDecoder : IDecoder
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        void Flush()
        {
            if (bytes.Count == 0) return;
            try { result.Add(StrictUtf8.GetString([.. bytes])); }
            catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", bytes.Count)); }
            bytes.Clear();
        }
        foreach (var t in tokens)
        {
            if (BpeModel.TryParseByteToken(t, out byte b)) { bytes.Add(b); continue; }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }
}

public sealed record FuseDecoder : IDecoder
{
    public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

public sealed record ReplaceDecoder(string Pattern, string Content) : IDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select(t => t.Replace(Pattern, Content, StringComparison.Ordinal)).ToList();
}

/// <summary>Removes up to <paramref name="Start"/> leading and <paramref name="Stop"/> trailing copies of a
/// character from each token.</summary>
public sealed record StripDecoder(char Content, int Start, int Stop) : IDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select(t =>
    {
        int s = 0, e = t.Length;
        while (s < Start && s < e && t[s] == Content) s++;
        while (t.Length - e < Stop && e > s && t[e - 1] == Content) e--;
        return t[s..e];
    }).ToList();
}

/// <summary>"▁" back to spaces; in the first token it is dropped when the pre-tokenizer prepended one.</summary>
public sealed record MetaspaceDecoder(char Replacement, PrependScheme Prepend) : IDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select((t, i) =>
        i == 0 && Prepend != PrependScheme.Never ? t.Replace(Replacement.ToString(), "", StringComparison.Ordinal) : t.Replace(Replacement, ' ')).ToList();
}

/// <summary>Byte-level tokens back to their bytes, read as UTF-8 (invalid sequences become U+FFFD).</summary>
public sealed record ByteLevelDecoder : IDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
            if (!ByteLevel.TryDecode(t, bytes)) bytes.AddRange(Encoding.UTF8.GetBytes(t));
        return [Encoding.UTF8.GetString([.. bytes])];
    }
}

/// <summary>WordPiece: "##" pieces join the previous token, other tokens get a space in front; with cleanup the
/// spaces BERT's split put before punctuation and contractions are removed.</summary>
public sealed record WordPieceDecoder(string Prefix = "##", bool Cleanup = true) : IDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select((t, i) =>
    {
        if (i > 0) t = t.StartsWith(Prefix, StringComparison.Ordinal) ? t[Prefix.Length..] : " " + t;
        return Cleanup ? HfTokenizer.CleanUpTokenization(t) : t;
    }).ToList();
}
