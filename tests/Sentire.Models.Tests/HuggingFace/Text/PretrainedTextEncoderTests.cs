using Sentire.Models.HuggingFace.Text;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;
using Sentire.Text;

namespace Sentire.Models.Tests.HuggingFace.Text;

/// <summary>BERT and RoBERTa against the reference PyTorch implementation of tools/golden/hf_text_fixtures.py
/// (random weights saved under Hugging Face names, a padded batch, every hidden state).</summary>
public sealed class PretrainedTextEncoderTests
{
    const float Tolerance = 2e-4f;   // float32 through 2 layers, LayerNorm eps 1e-12, GELU erf vs tanh kernels

    static readonly string[] BertTexts = ["A woman speaks softly, and sounds sad.", "The man is ANGRY!"];
    static readonly string[] RobertaTexts = ["Calm voice, 中文 😀", "Hi!", "angry"];

    static Dictionary<string, Tensor> Expected(string name) => SafeTensors.Read(RepoPaths.Fixture($"hf-text/{name}.expected.safetensors"));

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeString}, expected {expected.ShapeString}");
        var e = expected.Data;
        var a = actual.Data;
        float worst = 0;
        int at = 0;
        for (int i = 0; i < e.Length; i++)
            if (Math.Abs(e[i] - a[i]) > worst) { worst = Math.Abs(e[i] - a[i]); at = i; }
        Assert.True(worst <= Tolerance, $"{what}: max |diff| {worst} at {at} (expected {e[at]}, got {a[at]}), tolerance {Tolerance}");
    }

    static void AssertIdsAndMask(Dictionary<string, Tensor> expected, TextEncoderOutput output, HfTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var batch = tokenizer.EncodeBatch(texts);
        Assert.Equal(expected["input_ids"].Data.ToArray().Select(v => (int)v).ToArray(), batch.Ids);
        Assert.Equal(expected["attention_mask"].Data.ToArray(), output.Mask.Data.ToArray());
    }

    [Fact]
    public void BertForMaskedLMCheckpointMatchesTheReference()
    {
        var enc = PretrainedTextEncoder.Load(RepoPaths.Fixture("hf-text/bert"));
        var expected = Expected("bert");
        Assert.Equal(TextEncoderFamily.Bert, enc.Family);
        Assert.Equal("bert.", enc.KeyPrefix);
        Assert.All(enc.IgnoredKeys, k => Assert.StartsWith("cls.predictions.", k));
        Assert.Equal(5, enc.IgnoredKeys.Count);

        var output = enc.Encode(BertTexts);
        AssertIdsAndMask(expected, output, enc.Tokenizer, BertTexts);
        Assert.Equal(3, output.HiddenStates.Count);
        for (int i = 0; i < 3; i++) AssertClose(expected[$"hidden_states.{i}"], output.HiddenStates[i], $"hidden_states.{i}");
        AssertClose(expected["last_hidden_state"], output.LastHiddenState, "last_hidden_state");
        Assert.NotNull(output.PoolerOutput);
        AssertClose(expected["pooler_output"], output.PoolerOutput!, "pooler_output");
        AssertClose(expected["last_hidden_state"].Narrow(1, 0, 1).Reshape(2, 64), output.FirstToken, "first token");
    }

    [Fact]
    public void RobertaCheckpointMatchesTheReferenceWithPaddingOffsetPositions()
    {
        var enc = PretrainedTextEncoder.Load(RepoPaths.Fixture("hf-text/roberta"));
        var expected = Expected("roberta");
        Assert.Equal(TextEncoderFamily.Roberta, enc.Family);
        Assert.Equal("", enc.KeyPrefix);
        Assert.Empty(enc.IgnoredKeys);
        Assert.IsType<RobertaModel>(enc.Model);
        Assert.Equal(40 - 2, enc.Model.MaxTokens);

        var output = enc.Encode(RobertaTexts);
        AssertIdsAndMask(expected, output, enc.Tokenizer, RobertaTexts);
        Assert.Null(output.PoolerOutput);
        for (int i = 0; i < 3; i++) AssertClose(expected[$"hidden_states.{i}"], output.HiddenStates[i], $"hidden_states.{i}");
    }

    [Fact]
    public void PaddingDoesNotChangeARowsRealTokens()
    {
        var enc = PretrainedTextEncoder.Load(RepoPaths.Fixture("hf-text/roberta"));
        var alone = enc.Encode(["Hi!"]).LastHiddenState;                 // (1, 5, D)
        var padded = enc.Encode(RobertaTexts).LastHiddenState.Narrow(0, 1, 1).Narrow(1, 0, alone.Dim(1));
        AssertClose(alone, padded.Reshape(alone.ShapeArray()), "row 1 alone vs in the padded batch");
    }

    [Fact]
    public void TheTextEncoderInterfaceGivesTokensAndFirstToken()
    {
        var enc = PretrainedTextEncoder.Load(RepoPaths.Fixture("hf-text/bert"));
        ITextEncoder encoder = enc.Model;
        var batch = enc.Tokenizer.EncodeBatch(BertTexts);
        var expected = Expected("bert");
        using var _ = Autograd.NoGrad();
        AssertClose(expected["last_hidden_state"], encoder.EncodeTokens(batch), "EncodeTokens");
        Assert.Equal([2, 64], encoder.EncodeFirstToken(batch).ShapeArray());
        Assert.Equal(64, encoder.HiddenSize);
    }

    [Fact]
    public void TooLongTextsAreRejectedOrTruncatedKeepingTheFinalSpecialToken()
    {
        var enc = PretrainedTextEncoder.Load(RepoPaths.Fixture("hf-text/bert"));
        var longText = string.Join(" ", Enumerable.Repeat("sad", 40));   // 40 words + [CLS] [SEP] > 32 positions
        var e = Assert.Throws<ArgumentException>(() => enc.Encode([longText]));
        Assert.Contains("42 tokens", e.Message);
        var output = enc.Encode([longText], truncate: true);
        Assert.Equal(32, output.LastHiddenState.Dim(1));
    }

    [Fact]
    public void MissingOrMisshapenTensorsAndUnknownFamiliesNameTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("sentire-bert-").FullName;
        var source = RepoPaths.Fixture("hf-text/bert");
        foreach (var f in Directory.GetFiles(source)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var tensors = SafeTensors.Read(Path.Combine(source, "model.safetensors"));
        tensors.Remove("bert.encoder.layer.1.output.dense.bias");
        SafeTensors.Write(Path.Combine(dir, "model.safetensors"), tensors);
        var missing = Assert.Throws<InvalidDataException>(() => PretrainedTextEncoder.Load(dir));
        Assert.Contains("model.safetensors", missing.Message);
        Assert.Contains("bert.encoder.layer.1.output.dense.bias", missing.Message);

        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(source, "config.json")).Replace("\"bert\"", "\"distilbert\""));
        var family = Assert.Throws<NotSupportedException>(() => PretrainedTextEncoder.Load(dir));
        Assert.Contains("config.json", family.Message);
        Assert.Contains("distilbert", family.Message);
    }
}
