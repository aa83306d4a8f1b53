using Sentire.Models.HuggingFace.Text;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tests.Common;
using Sentire.Text;
using Sentire.Training.Recipes;
using Sentire.Training.Secap;

namespace Sentire.Training.Tests.Secap;

/// <summary>BLIP-2's Q-Former initialisation from BERT, and the recipe's initialise_from sources.</summary>
public sealed class QFormerInitialisationTests
{
    static string Bert => RepoPaths.Fixture("hf-text/bert");

    [Fact]
    public void AQFormerOfBertsSizesInitialisedFromBertEncodesTextExactlyAsBert()
    {
        var bert = PretrainedTextEncoder.Load(Bert).Model;
        var c = bert.Config;
        // Same vocabulary, width, heads, layers and positions; cross-attention in every layer (unused in text mode).
        var config = new QFormerConfig(c.VocabSize, NumQueryTokens: 4, HiddenSize: c.HiddenSize, NumAttentionHeads: c.Heads, NumHiddenLayers: c.Layers,
            IntermediateSize: c.IntermediateSize, CrossAttentionFrequency: 1, EncoderHiddenSize: 16, MaxPositionEmbeddings: c.MaxPositions, LayerNormEps: c.LayerNormEps);
        var qformer = new QFormer(config, new Generator(1), new Generator(2));
        int copied = QFormerInitialisation.FromBert(qformer, bert);
        Assert.Equal(4 + c.Layers * 16, copied);                       // word, position, LayerNorm weight and bias + 16 per layer
        qformer.Eval();
        int[][] rows = [[2, 5, 7, 9, 3], [2, 11, 3]];
        using var _ = Autograd.NoGrad();
        var ours = qformer.EncodeText(rows, out var mask);
        var reference = bert.Forward(TokenBatch.Pad(rows, 0)).LastHiddenState;
        // Real tokens must agree (padding positions differ: BERT computes them too, we never read them).
        for (int i = 0; i < rows.Length; i++)
            for (int t = 0; t < rows[i].Length; t++)
                for (int d = 0; d < c.HiddenSize; d++)
                {
                    int at = (i * 5 + t) * c.HiddenSize + d;
                    Assert.Equal(reference.Data[at], ours.Data[at], 1e-4);
                }
    }

    [Fact]
    public void TheRecipeSourceIsBertOurTextEncoderOrAClearError()
    {
        var config = new QFormerConfig(VocabSize: 50, NumQueryTokens: 4, HiddenSize: 64, NumAttentionHeads: 4, NumHiddenLayers: 2, IntermediateSize: 128, EncoderHiddenSize: 16, MaxPositionEmbeddings: 32);
        Assert.Equal("random initialisation", QFormerInitialisation.Apply(new QFormer(config, new Generator(1), new Generator(2)), ""));
        // The fixture BERT is 64 wide with FFN 128: everything but the 27-token word embeddings fits (positions, embedding
        // LayerNorm, 16 tensors per layer).
        Assert.Equal($"{1 + 2 + 2 * 16} tensors from BERT {Bert}", QFormerInitialisation.Apply(new QFormer(config, new Generator(1), new Generator(2)), Bert));
        // The shipped emotion model's text encoder is 128 wide: a 128-wide Q-Former takes its layers.
        var wide = config with { HiddenSize = 128, IntermediateSize = 512 };
        var emotion = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
        Assert.EndsWith($"tensors from the text encoder of {emotion}", QFormerInitialisation.Apply(new QFormer(wide, new Generator(1), new Generator(2)), emotion));
        var missing = Assert.Throws<RecipeException>(() => QFormerInitialisation.Apply(new QFormer(config, new Generator(1), new Generator(2)), Path.Combine(RepoPaths.Root, "recipes")));
        Assert.Contains("no config.json", missing.Message);
        var wrongSize = Assert.Throws<RecipeException>(() => QFormerInitialisation.Apply(new QFormer(config with { HiddenSize = 48, NumAttentionHeads = 4, IntermediateSize = 96 }, new Generator(1), new Generator(2)), Bert));
        Assert.Contains("no tensor", wrongSize.Message);
    }

    [Fact]
    public void InitialisesFromOurTextEncoderWhenSizesMatch()
    {
        var text = new Sentire.Models.Clap.TextEncoder(new Sentire.Models.Clap.TextEncoderConfig(VocabSize: 30, HiddenSize: 16, Heads: 2, Layers: 2, FfnSize: 32, Dropout: 0, MaxTokens: 8), new Generator(5), new Generator(6));
        var q = new QFormer(new QFormerConfig(VocabSize: 50, NumQueryTokens: 4, HiddenSize: 16, NumAttentionHeads: 2, NumHiddenLayers: 2, IntermediateSize: 32,
            CrossAttentionFrequency: 2, EncoderHiddenSize: 8, MaxPositionEmbeddings: 12, HiddenDropoutProb: 0f), new Generator(1), new Generator(2));
        // Per layer: q, k, v, out (weight + bias), attention norm (2), two FFN linears (4), final norm (2) = 16.
        Assert.Equal(32, QFormerInitialisation.FromTextEncoder(q, text));
        Assert.Equal(text.Layers[1].Ffn.OutputDense.Weight.Data.ToArray(), q.Layers[1].FeedForward.OutputDense.Weight.Data.ToArray());
    }
}
