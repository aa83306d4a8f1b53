using Sentire.Models.Secap;
using Sentire.Tests.Common;
using Sentire.Text;

namespace Sentire.Models.Tests.Secap;

/// <summary>The caption LM's tokenizer now loads through TokenizerLoader (any Hugging Face tokenizer); on the shipped
/// secap-small LM it must give exactly the ids and text of the BpeTokenizer that wrote it.</summary>
public sealed class CaptionTokenizerTests
{
    [Fact]
    public void ShippedCaptionLmTokenizerMatchesTheBpeTokenizerThatWroteIt()
    {
        var folder = Path.Combine(RepoPaths.Root, "models", "secap-small", "language_model");
        var bpe = BpeTokenizer.Load(Path.Combine(folder, CaptionLanguageModel.TokenizerFile));
        var loaded = CaptionLanguageModel.LoadTokenizer(folder);
        Assert.Equal((bpe.BosId, bpe.EosId, bpe.VocabSize), (loaded.BosId, loaded.EosId, loaded.VocabSize));
        foreach (var text in new[] { "A woman speaks in a happy, excited tone.", "Describe the speaker's emotion in one sentence.",
                     "说话人的语气悲伤而低沉。", "Zörg ☃ 123  two  spaces" })
        {
            var ids = bpe.Encode(text, addBos: true, addEos: true);
            Assert.Equal(ids, loaded.Encode(text, addBos: true, addEos: true));
            Assert.Equal(bpe.Decode(ids), loaded.Decode(ids));
        }
    }
}
