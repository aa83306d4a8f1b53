using System.Text.Json.Nodes;
using Sentire.Audio.Corpus;
using Sentire.Models.Clap;
using Sentire.Models.HuggingFace.Text;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;
using Sentire.Training.Clap;
using Sentire.Training.Data;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests.Clap;

/// <summary>Emo-CLAP with a frozen pretrained text tower (the tiny random BERT/RoBERTa fixtures in tests/fixtures/hf-text),
/// beside our log-mel audio encoder and beside the frozen wav2vec2 fixture, on the synthetic tone-vs-noise clips of
/// <see cref="PretrainedClapTests"/>.</summary>
public sealed class PretrainedTextClapTests
{
    static string Text(string family) => RepoPaths.Fixture(Path.Combine("hf-text", family));
    static readonly string Speech = RepoPaths.Fixture(Path.Combine("hf-speech", "wav2vec2-base"));

    static ClapRecipe Recipe(string textEncoder, string? speechEncoder, string cache) => new()
    {
        Name = "toy-pretrained-text",
        Seed = 11,
        Data = new ClapDataRecipe { Corpora = ["toy"], Labels = ["happy", "sad"], Validation = "fold:1/2", CropSeconds = 0.5, MaxSeconds = 2 },
        Augment = new ClapAugmentRecipe { TimeMasks = 0, FreqMasks = 0, GainDb = 0, NoiseProbability = 0 },
        Encoder = speechEncoder is null
            ? new ClapEncoderRecipe { NMels = 32, HiddenSize = 16, Heads = 2, Layers = 1, FfnSize = 32, Dropout = 0 }
            : new ClapEncoderRecipe { Pretrained = speechEncoder, Layer = "all", FeatureCache = cache },
        Text = new ClapTextRecipe { Pretrained = textEncoder },
        Head = new ClapHeadRecipe { ProjectionSize = 16 },
        Optim = new ClapOptimRecipe { LearningRate = 3e-3, BatchSize = 8, WarmupSteps = 0, Epochs = 3, StepsPerEpoch = 12, EarlyStopPatience = 10 },
    };

    /// <summary>softmax_l(exp(s_a) a . t_l) by hand, with t_l = normalize(P_t(firsttoken(encoder(prompt_l)))) from the encoder itself.</summary>
    static double[] ByHand(ClapModel model, string folder, Tensor audio, IReadOnlyList<string> prompts)
    {
        using var _ = Autograd.NoGrad();
        var text = model.TextProjection.Forward(PretrainedTextEncoder.Load(folder).Encode(prompts).FirstToken).Normalize(dim: -1);
        int p = audio.Dim(1);
        var logits = Enumerable.Range(0, prompts.Count).Select(l =>
        {
            double dot = 0;
            for (int j = 0; j < p; j++) dot += audio.Data[j] * text.Data[l * p + j];
            return Math.Exp(model.LogitScaleAudio.Data[0]) * dot;
        }).ToArray();
        double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
        return logits.Select(z => Math.Exp(z - max) / sum).ToArray();
    }

    [Fact]
    public void TheOverrideSetsTheTextEncoderFolderAndTheDefaultIsOurOwn()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", "emotion-clap-small.yaml");
        Assert.Null(RecipeLoader.Load<ClapRecipe>(path).Text.Pretrained);
        var recipe = RecipeLoader.Load<ClapRecipe>(path, ["text.pretrained=/data/roberta-base"]);
        recipe.Validate(path);
        Assert.Equal("/data/roberta-base", recipe.Text.Pretrained);
        Assert.Equal("/data/roberta-base", new ClapTrainer(recipe, "", "", "").ModelConfig(10).TextEncoder.Pretrained);
    }

    [Theory]
    [InlineData("bert")]
    [InlineData("roberta")]
    public void PromptEmbeddingsAreTheEncodersFirstTokenThroughTheProjection(string family)
    {
        var recipe = Recipe(Text(family), null, "unused");
        var trainer = new ClapTrainer(recipe, "toy", "unused", "unused");
        var tokenizer = trainer.TrainTokenizer();
        var config = trainer.ModelConfig(tokenizer.VocabSize);
        Assert.Equal(Text(family), config.TextEncoder.Pretrained);
        var model = EmotionModelPackage.Build(config, new Generator(1), new Generator(2));
        var tower = Assert.IsType<PretrainedTextTower>(model.TextEncoder);
        // the encoder is not part of the state dict: only P_t (and the audio side) are saved and trained
        Assert.DoesNotContain(model.StateDict().Keys, k => k.StartsWith("text_encoder.", StringComparison.Ordinal));
        Assert.Contains("text_projection.0.weight", model.StateDict().Keys);

        string[] prompts = ["The emotion is happy.", "The emotion is sad.", "The emotion is bored."];
        var ids = prompts.Select(p => model.PromptIds(p, tokenizer)).ToArray();
        Assert.Equal(tower.Encoder.Tokenizer.Encode(prompts[0]), ids[0]);        // the checkpoint's tokenizer, not the package's BPE
        var expected = model.TextProjection.Forward(PretrainedTextEncoder.Load(Text(family)).Encode(prompts).FirstToken).Normalize(dim: -1);
        var once = model.EmbedText(ids);
        var cached = model.EmbedText([ids[2], ids[0]]);                           // from the cache, one row at a time order
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected.Data[i], once.Data[i], tolerance: 1e-5);
        int p = config.Head.ProjectionSize;
        for (int j = 0; j < p; j++)
        {
            Assert.Equal(expected.Data[2 * p + j], cached.Data[j], tolerance: 1e-5);
            Assert.Equal(expected.Data[j], cached.Data[p + j], tolerance: 1e-5);
        }

        // zero-shot over any labels through the recognizer = the same computation by hand
        var audio = Tensor.FromArray(Enumerable.Range(0, p).Select(j => MathF.Sin(j + 1f)).ToArray(), 1, p).Normalize(dim: -1);
        var scores = EmotionRecognizer.FromModel(config, model, tokenizer).Score(audio, ["happy", "sad", "bored"], config.PromptTemplate);
        var hand = ByHand(model, Text(family), audio, prompts);
        for (int l = 0; l < 3; l++) Assert.Equal(hand[l], scores[l], tolerance: 1e-5);
    }

    [Fact]
    public void LogMelAudioWithAFrozenBertTrainsOnlyTheProjectionAndTheReloadedPackageMatches()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-pretrained-text").FullName;
        var corpus = PretrainedClapTests.ToyCorpus(folder);
        var recipe = Recipe(Text("bert"), null, Path.Combine(folder, "cache"));
        recipe.Validate("toy");
        var run = Path.Combine(folder, "run");
        var clips = EmotionClipSet.Load(corpus, recipe.Data.Labels, new LogMelFrontEnd(new LogMelFrontEndConfig(NMels: recipe.Encoder.NMels)));
        new ClapTrainer(recipe, "toy", folder, run).Run(null, CancellationToken.None, clips);

        var losses = Losses(run);
        Assert.Equal(3, losses.Count);
        Assert.True(losses[^1] < losses[0] - 0.1, $"loss {string.Join(" -> ", losses)}");
        CheckPackage(run, corpus, Text("bert"), speechEncoder: null);
    }

    [Fact]
    public void FrozenWav2Vec2AndFrozenRobertaTrainTogetherAndAMissingTextFolderIsNamed()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-pretrained-text").FullName;
        var corpus = PretrainedClapTests.ToyCorpus(folder);
        var recipe = Recipe(Text("roberta"), Speech, Path.Combine(folder, "cache"));
        recipe.Validate("toy");
        var run = Path.Combine(folder, "run");
        var trainer = new ClapTrainer(recipe, "toy", folder, run);
        new PretrainedClapTraining(trainer, recipe, run).Run(corpus, null, CancellationToken.None);

        var losses = Losses(run);
        Assert.True(losses[^1] < losses[0] - 0.1, $"loss {string.Join(" -> ", losses)}");
        var package = CheckPackage(run, corpus, Text("roberta"), Speech);

        // the text encoder folder is not part of the package: moved away, loading names it
        var moved = Path.Combine(folder, "moved");
        Directory.CreateDirectory(moved);
        foreach (var f in Directory.GetFiles(package)) File.Copy(f, Path.Combine(moved, Path.GetFileName(f)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(package, EmotionModelPackage.ConfigFile)))!;
        var missing = Path.Combine(folder, "no-such-text-encoder");
        config["text_encoder"]!["pretrained"] = missing;
        File.WriteAllText(Path.Combine(moved, EmotionModelPackage.ConfigFile), config.ToJsonString());
        var error = Assert.Throws<PretrainedEncoderMissingException>(() => EmotionRecognizer.Load(moved));
        Assert.Contains(missing, error.Message);
        Assert.Contains("text encoder", error.Message);
        Assert.Equal(missing, error.Folder);
    }

    static List<double> Losses(string run) => File.ReadAllLines(Path.Combine(run, ClapTrainer.MetricsFile)).Skip(1)
        .Select(l => double.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>final/ records the text folder as given, holds no encoder weights, reloads to the probabilities of the
    /// last checkpoint's weights, and scores any label list as the encoder computes it by hand.</summary>
    static string CheckPackage(string run, List<Utterance> corpus, string textEncoder, string? speechEncoder)
    {
        var package = Path.Combine(run, ClapTrainer.FinalFolder);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(package, EmotionModelPackage.ConfigFile)))!;
        Assert.Equal(textEncoder, (string?)json["text_encoder"]!["pretrained"]);
        Assert.Equal(speechEncoder, (string?)json["audio_encoder"]?["pretrained"]);
        using (var weights = SafeTensors.OpenModel(Path.Combine(package, EmotionModelPackage.WeightsFile)))
            Assert.DoesNotContain(weights.Keys, k => k.StartsWith("text_encoder.", StringComparison.Ordinal));

        var clip = corpus[0];                                                      // a happy clip of a training speaker
        var recognizer = EmotionRecognizer.Load(package);
        var loaded = recognizer.AnalyzeFile(clip.AudioPath).Overall!.Emotions.OrderBy(e => e.Label, StringComparer.Ordinal).ToList();
        var (config, model, tokenizer) = EmotionModelPackage.Load(package);
        var fresh = EmotionModelPackage.Build(config, new Generator(0), rngForInit: null);
        Checkpoint.Restore(Path.Combine(run, ClapTrainer.CheckpointFile), fresh, null);
        fresh.Eval();
        var fromCheckpoint = EmotionRecognizer.FromModel(config, fresh, tokenizer).AnalyzeFile(clip.AudioPath).Overall!.Emotions
            .OrderBy(e => e.Label, StringComparer.Ordinal).ToList();
        Assert.Equal(fromCheckpoint.Select(e => e.Probability), loaded.Select(e => e.Probability));
        Assert.True(loaded[0].Probability > 0.5, $"a happy training clip scores happy {loaded[0].Probability:F3}");

        // any labels, zero-shot: the package's prompts go through the checkpoint's tokenizer and encoder
        var audio = recognizer.EmbedFeatures(speechEncoder is null
            ? new LogMelFrontEnd(config.FrontEnd).LogMel(new LogMelFrontEnd(config.FrontEnd).Condition(Audio.Decoding.AudioFile.Read(clip.AudioPath)))
            : Samples(config, clip));
        string[] labels = ["happy", "sad", "bored"];
        var scores = recognizer.Score(audio, labels, "The speaker sounds {label}.");
        var hand = ByHand(model, textEncoder, audio, labels.Select(l => $"The speaker sounds {l}.").ToList());
        for (int l = 0; l < labels.Length; l++) Assert.Equal(hand[l], scores[l], tolerance: 1e-5);
        return package;
    }

    static Audio.Dsp.FeatureMatrix Samples(EmotionModelConfig config, Utterance clip)
    {
        var samples = new LogMelFrontEnd(config.FrontEnd).Condition(Audio.Decoding.AudioFile.Read(clip.AudioPath));
        return new Audio.Dsp.FeatureMatrix(samples.Length, 1, samples);
    }
}
