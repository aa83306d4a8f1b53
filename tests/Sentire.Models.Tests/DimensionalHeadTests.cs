using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;
using Sentire.Tensors;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests;

public sealed class DimensionalHeadTests
{
    static string ShippedModel => Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");

    /// <summary>A copy of the shipped package without its dimensional head.</summary>
    internal static string PackageWithoutHead()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-package").FullName;
        foreach (var name in new[] { EmotionModelPackage.WeightsFile, EmotionModelPackage.TokenizerFile })
            File.Copy(Path.Combine(ShippedModel, name), Path.Combine(folder, name));
        var (config, model, tokenizer) = EmotionModelPackage.Load(ShippedModel);
        EmotionModelPackage.Save(folder, config with { Dimensions = null }, model, tokenizer);
        return folder;
    }

    [Fact]
    public void Forward_is_tanh_then_sigmoid_of_the_two_linear_layers()
    {
        var head = new DimensionalHead(new DimensionalHeadConfig(InputSize: 2, HiddenSize: 1, Dropout: 0), new Generator(0), new Generator(1));
        head.Eval();
        head.Dense.Weight.Data[0] = 1; head.Dense.Weight.Data[1] = -1; head.Dense.Bias!.Data[0] = 0;
        float[] w2 = [1, 2, 0], b2 = [0, 0, 0.5f];
        w2.CopyTo(head.OutProj.Weight.Data); b2.CopyTo(head.OutProj.Bias!.Data);
        var y = head.Forward(Tensor.FromArray([0.5f, 0.5f, 1, 0], 2, 2)).Data.ToArray();
        // x = (0.5, 0.5): h = tanh(0) = 0 -> (sigmoid 0, sigmoid 0, sigmoid 0.5); x = (1, 0): h = tanh 1 = 0.761594, sigmoid(h) = 0.681700, sigmoid(2h) = 0.821007
        double[] expected = [0.5, 0.5, 0.622459, 0.681700, 0.821007, 0.622459];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], y[i], 5);
    }

    [Fact]
    public void Shipped_model_reports_dimensions_in_the_unit_interval()
    {
        var recognizer = EmotionRecognizer.Load(ShippedModel);
        Assert.NotNull(recognizer.DimensionalHead);
        var result = recognizer.AnalyzeFile(Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac"));
        var d = result.Dimensions!;
        Assert.Same(result.Overall!.Dimensions, d);
        foreach (var v in new[] { d.Arousal, d.Valence, d.Dominance }) Assert.InRange(v, 0, 1);
        // The public one-clip API gives the same numbers (what a student model distils from).
        var again = recognizer.Analyze(AudioFile.Read(Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac")));
        Assert.Equal(d.Arousal, again.Dimensions!.Arousal, 5);
    }

    [Fact]
    public void Package_without_a_head_loads_and_a_saved_head_round_trips()
    {
        var folder = PackageWithoutHead();
        Assert.False(File.Exists(Path.Combine(folder, EmotionModelPackage.DimensionsFile)));
        var plain = EmotionRecognizer.Load(folder);
        Assert.Null(plain.DimensionalHead);
        Assert.Null(plain.Analyze(AudioFile.Read(Path.Combine(RepoPaths.Root, "samples", "03-01-01-01-01-01-19.flac"))).Dimensions);

        var head = new DimensionalHead(new DimensionalHeadConfig(192, 16), new Generator(0), new Generator(5));
        EmotionModelPackage.SaveDimensionalHead(folder, head);
        var loaded = EmotionRecognizer.Load(folder);
        Assert.Equal(16, loaded.Config.Dimensions!.HiddenSize);
        Assert.Equal(head.OutProj.Weight.Data.ToArray(), loaded.DimensionalHead!.OutProj.Weight.Data.ToArray());
    }

    /// <summary>A copy of the shipped package whose config names a head trained on other encoder weights.</summary>
    internal static string PackageWithStaleHead()
    {
        var folder = PackageWithoutHead();
        EmotionModelPackage.SaveDimensionalHead(folder, new DimensionalHead(new DimensionalHeadConfig(192, 16), new Generator(0), new Generator(5)));
        var (config, model, tokenizer) = EmotionModelPackage.Load(folder);
        model.LogitScaleAudio.Data[0] += 0.5f;                                     // "retrained" weights, config still names the head
        EmotionModelPackage.Save(folder, config with { Dimensions = new DimensionalHeadConfig(192, 16) }, model, tokenizer);
        return folder;
    }

    [Fact]
    public void Head_beside_a_retrained_encoder_is_reported_stale_not_used()
    {
        var folder = PackageWithStaleHead();
        var (config, model, tokenizer) = EmotionModelPackage.Load(folder);
        var recognizer = EmotionRecognizer.Load(folder);
        Assert.Null(recognizer.DimensionalHead);
        Assert.Contains("another speech encoder", recognizer.DimensionsProblem);
        // Saving a package without a head removes the stale file.
        EmotionModelPackage.Save(folder, config with { Dimensions = null }, model, tokenizer);
        Assert.False(File.Exists(Path.Combine(folder, EmotionModelPackage.DimensionsFile)));
    }
}
