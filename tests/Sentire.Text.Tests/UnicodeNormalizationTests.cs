using System.Text;
using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Text.Tests;

public sealed class UnicodeNormalizationTests
{
    public static TheoryData<string, string, string, string, string> Cases()
    {
        // written by tools/golden/unicode_normalization_data.py from Python's unicodedata
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("hf-text/unicode_normalization.json")));
        var data = new TheoryData<string, string, string, string, string>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("text").GetString()!, c.GetProperty("NFC").GetString()!, c.GetProperty("NFD").GetString()!,
                c.GetProperty("NFKC").GetString()!, c.GetProperty("NFKD").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPythonUnicodedata(string text, string nfc, string nfd, string nfkc, string nfkd)
    {
        Assert.Equal(nfc, UnicodeNormalization.Normalize(text, NormalizationForm.FormC));
        Assert.Equal(nfd, UnicodeNormalization.Normalize(text, NormalizationForm.FormD));
        Assert.Equal(nfkc, UnicodeNormalization.Normalize(text, NormalizationForm.FormKC));
        Assert.Equal(nfkd, UnicodeNormalization.Normalize(text, NormalizationForm.FormKD));
    }

    [Fact]
    public void HandCheckedForms()
    {
        Assert.Equal("e\u0301", UnicodeNormalization.Normalize("é", NormalizationForm.FormD));
        Assert.Equal("é", UnicodeNormalization.Normalize("e\u0301", NormalizationForm.FormC));
        // Hangul: 한 = U+D55C = L U+1112 + V U+1161 + T U+11AB
        Assert.Equal("\u1112\u1161\u11AB", UnicodeNormalization.Normalize("한", NormalizationForm.FormD));
        Assert.Equal("한", UnicodeNormalization.Normalize("\u1112\u1161\u11AB", NormalizationForm.FormC));
        Assert.Equal("fi", UnicodeNormalization.Normalize("\uFB01", NormalizationForm.FormKC));
        // U+0958 is a composition exclusion: NFC leaves it decomposed
        Assert.Equal("\u0915\u093C", UnicodeNormalization.Normalize("\u0958", NormalizationForm.FormC));
    }
}
