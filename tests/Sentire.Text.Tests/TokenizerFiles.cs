using System.Text.Json.Nodes;

namespace Sentire.Text.Tests;

/// <summary>Writes small tokenizer folders in each file format for the tests.</summary>
static class TokenizerFiles
{
    public static string NewFolder() => Directory.CreateTempSubdirectory("sentire-tok-").FullName;

    public static string Write(string folder, string name, string text)
    {
        File.WriteAllText(Path.Combine(folder, name), text);
        return folder;
    }

    /// <summary>A GPT-2 byte-level vocabulary: the given specials, then the 256 byte characters in byte order,
    /// then the given extra tokens.</summary>
    public static Dictionary<string, int> ByteLevelVocab(string[] specials, params string[] extra)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in specials) vocab[s] = vocab.Count;
        for (int b = 0; b < 256; b++) vocab[ByteLevel.CharOf((byte)b).ToString()] = vocab.Count;
        foreach (var e in extra) vocab.TryAdd(e, vocab.Count);
        return vocab;
    }

    /// <summary>A SentencePiece-style vocabulary: specials, the 256 &lt;0xXX&gt; tokens, then the given pieces.</summary>
    public static Dictionary<string, int> ByteFallbackVocab(string[] specials, params string[] pieces)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in specials) vocab[s] = vocab.Count;
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = vocab.Count;
        foreach (var p in pieces) vocab.TryAdd(p, vocab.Count);
        return vocab;
    }

    public static JsonObject VocabJson(Dictionary<string, int> vocab)
    {
        var o = new JsonObject();
        foreach (var (t, id) in vocab) o[t] = id;
        return o;
    }

    public static JsonArray Added(Dictionary<string, int> vocab, params string[] specials)
    {
        var a = new JsonArray();
        foreach (var s in specials)
            a.Add(new JsonObject { ["id"] = vocab[s], ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true });
        return a;
    }

    public static JsonArray Merges(params string[] merges) => new(merges.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray());

    public static JsonObject Template(string special, int id) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = special, ["type_id"] = 0 } },
                                   new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
        ["special_tokens"] = new JsonObject { [special] = new JsonObject { ["id"] = special, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(special) } },
    };

    public static string[] Tokens(ITokenizer tok, string text, bool addSpecialTokens = true) =>
        tok.Encode(text, addSpecialTokens).Select(tok.TokenOf).ToArray();
}
