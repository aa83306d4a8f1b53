using Sentire.Evaluation.Captioning;
using Sentire.Models.Decoders;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Evaluation.Tests.Captioning;

/// <summary>SIM's sentence encoders: the BERT fixture (tests/fixtures/hf-text, with the PyTorch reference outputs of
/// tools/golden/hf_text_fixtures.py), the shipped caption LM, the captioner's Q-Former, and folders that are none.</summary>
public sealed class SentenceEncoderTests
{
    static string Bert => RepoPaths.Fixture("hf-text/bert");
    static string LanguageModel => Path.Combine(RepoPaths.Root, "models", "secap-small", "language_model");

    [Fact]
    public void BertEmbeddingIsTheMeanOfTheReferenceHiddenStatesOverRealTokens()
    {
        // the fixture's reference batch: row 0 fills the batch, row 1 is padded; the mean must skip the padding
        string[] texts = ["A woman speaks softly, and sounds sad.", "The man is ANGRY!"];
        var expected = SafeTensors.Read(RepoPaths.Fixture("hf-text/bert.expected.safetensors"));
        var hidden = expected["last_hidden_state"];                     // (2, T, D)
        var mask = expected["attention_mask"].Data.ToArray();           // (2, T)
        int t = hidden.Dim(1), d = hidden.Dim(2);
        var encoder = Assert.IsType<PretrainedSentenceEncoder>(SentenceEncoders.Load(Bert));
        Assert.Contains(mask, m => m == 0f);
        for (int row = 0; row < 2; row++)
        {
            var mean = new double[d];
            int real = 0;
            for (int i = 0; i < t; i++)
            {
                if (mask[row * t + i] == 0f) continue;
                real++;
                for (int j = 0; j < d; j++) mean[j] += hidden.Data[(row * t + i) * d + j];
            }
            var embedding = encoder.Encode(texts[row]);
            Assert.Equal(d, embedding.Length);
            for (int j = 0; j < d; j++) Assert.Equal(mean[j] / real, embedding[j], 2e-4);
        }
        Assert.Equal($"BERT {Bert}, mean-pooled", encoder.Name);
    }

    [Fact]
    public void BertSimIsHundredForIdenticalSentencesOnly()
    {
        var encoder = SentenceEncoders.Load(Bert);
        Assert.Equal(100, SentenceSimilarity.Corpus([("The man is angry.", ["The man is angry."])], encoder), 1e-4);
        Assert.True(SentenceSimilarity.Corpus([("The man is angry.", ["A woman sounds calm, speaking slowly."])], encoder) < 99.99);
    }

    [Fact]
    public void CaptionLmEmbeddingHasTheHiddenSizeAndSeparatesSentences()
    {
        var encoder = Assert.IsType<CaptionLmSentenceEncoder>(SentenceEncoders.Load(LanguageModel, "models/secap-small/language_model"));
        Assert.Equal("caption LM models/secap-small/language_model, mean-pooled", encoder.Name);
        var config = LlamaConfig.Load(LanguageModel);
        var a = encoder.Encode("A woman sounds happy.");
        Assert.Equal(config.HiddenSize, a.Length);
        Assert.Equal(100, SentenceSimilarity.Corpus([("A woman sounds happy.", ["A woman sounds happy."])], encoder), 1e-4);
        Assert.True(SentenceSimilarity.Corpus([("A woman sounds happy.", ["The man is furious, speaking loudly."])], encoder) < 99.99);

        // BOS is fed but not pooled: the one-token text's embedding is that token's state after BOS
        var ids = encoder.Tokenizer.Encode("happy", addBos: true);
        Tensor hidden;
        using (Autograd.NoGrad()) hidden = encoder.Model.Hidden(encoder.Model.EmbedTokens([ids]));
        int t = ids.Length, d = config.HiddenSize;
        var byHand = new double[d];
        for (int i = 1; i < t; i++)
            for (int j = 0; j < d; j++) byHand[j] += hidden.Data[i * d + j] / (t - 1.0);
        var embedding = encoder.Encode("happy");
        for (int j = 0; j < d; j++) Assert.Equal(byHand[j], embedding[j], 1e-5);
    }

    [Fact]
    public void CaptionerPackageUsesItsQFormerTextMode()
    {
        var folder = Path.Combine(RepoPaths.Root, "models", "secap-small");
        var encoder = Assert.IsType<CaptionerSentenceEncoder>(SentenceEncoders.Load(folder, "secap-small"));
        Assert.Equal("captioner secap-small Q-Former text mode", encoder.Name);
        Assert.Equal(100, SentenceSimilarity.Corpus([("A man is sad.", ["A man is sad."])], encoder), 1e-4);
    }

    [Fact]
    public void AFolderThatIsNoEncoderIsAnErrorNamingIt()
    {
        var folder = Directory.CreateTempSubdirectory("sim-encoder-").FullName;
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SentenceEncoders.Load(folder));
            Assert.Contains(folder, e.Message);
            Assert.Contains("no config.json", e.Message);
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"gpt2\"}");
            e = Assert.Throws<InvalidDataException>(() => SentenceEncoders.Load(folder));
            Assert.Contains(folder, e.Message);
            Assert.Contains("'gpt2'", e.Message);
            File.WriteAllText(Path.Combine(folder, "config.json"), "{\"format\": \"sentire-emotion\"}");
            Assert.Contains("'sentire-emotion'", Assert.Throws<InvalidDataException>(() => SentenceEncoders.Load(folder)).Message);
            Assert.Throws<DirectoryNotFoundException>(() => SentenceEncoders.Load(Path.Combine(folder, "absent")));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
