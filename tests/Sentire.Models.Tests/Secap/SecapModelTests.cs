using Sentire.IO;
using Sentire.Models.Decoders;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Secap;

public sealed class SecapModelTests
{
    [Fact]
    public void AssembleLeftPadsRowsAndKeepsTokenOrder()
    {
        var lm = new LlamaForCausalLM(new LlamaConfig { VocabSize = 20, HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 4, MaxPositionEmbeddings = 32 }, new Generator(1));
        var speech = Tensor.Normal(new Generator(2), 0f, 1f, 1, 3, 8);
        var rows = new IReadOnlyList<InputSegment>[]
        {
            [InputSegment.Tokens([1]), InputSegment.Embedding(speech), InputSegment.Tokens([4, 5])],
            [InputSegment.Tokens([1]), InputSegment.Tokens([6])],
        };
        var (embeds, mask, lengths) = SecapModel.Assemble(lm, rows);
        Assert.Equal([6, 2], lengths);
        Assert.Equal([2, 6, 8], embeds.Shape.ToArray());
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 }, mask.Data.ToArray());
        // Row 0 position 1..3 is the speech embedding; row 1's last position is token 6's embedding.
        Assert.Equal(speech.Data.Slice(0, 8).ToArray(), embeds.Data.Slice(8, 8).ToArray());
        Assert.Equal(lm.EmbedTokens([[6]]).Data.ToArray(), embeds.Data.Slice((6 + 5) * 8, 8).ToArray());
        Assert.All(embeds.Data.Slice(6 * 8, 4 * 8).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ModalitiesAndPrecisionsAreSpelledAsInTheFilesAndAnUnknownOneIsAClearError()
    {
        Assert.Equal(["q", "t", "transcript", "transcript+q", "t+q"], OptionNames.All(typeof(SecapInputModality)));
        Assert.Equal(["f32", "bf16"], OptionNames.All(typeof(LanguageModelPrecision)));
        Assert.False(SecapModel.NeedsTranscript(SecapInputModality.Q));
        Assert.False(SecapModel.NeedsSpeech(SecapInputModality.Transcript));

        // The shipped captioner's config.json reads unchanged; a value outside the set names itself, the allowed ones and the file.
        var shipped = Path.Combine(RepoPaths.Root, "models", "secap-small");
        var config = SecapPackage.ReadConfig(shipped);
        Assert.Equal((SecapInputModality.Q, LanguageModelPrecision.F32), (config.InputModality, config.LanguageModelPrecision));
        var folder = Directory.CreateTempSubdirectory("sentire-secap-config").FullName;
        try
        {
            var text = File.ReadAllText(Path.Combine(shipped, SecapPackage.ConfigFile));
            foreach (var (from, to, allowed) in new[] { ("\"input_modality\": \"q\"", "\"input_modality\": \"audio\"", "'audio' is not one of q, t, transcript, transcript+q, t+q"),
                         ("\"language_model_precision\": \"f32\"", "\"language_model_precision\": \"float32\"", "'float32' is not one of f32, bf16") })
            {
                Assert.Contains(from, text);
                File.WriteAllText(Path.Combine(folder, SecapPackage.ConfigFile), text.Replace(from, to));
                var e = Assert.Throws<InvalidDataException>(() => SecapPackage.ReadConfig(folder));
                Assert.Contains(SecapPackage.ConfigFile, e.Message);
                Assert.Contains(allowed, e.Message);
            }
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
