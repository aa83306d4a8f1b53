using System.Text.Json.Nodes;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tests.Common;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests.Clap;

/// <summary>Emo-CLAP with the frozen tiny random wav2vec2 fixture (tests/fixtures/hf-speech/wav2vec2-base) on synthetic
/// clips: "happy" is a harmonic tone, "sad" is noise, so a working pipeline separates them.</summary>
public sealed class PretrainedClapTests
{
    static readonly string Encoder = RepoPaths.Fixture(Path.Combine("hf-speech", "wav2vec2-base"));

    static float[] Synthetic(int label, int seed, double seconds)
    {
        var rng = new Random(seed);
        var x = new float[(int)(seconds * 16000)];
        double f0 = 180 + 40 * rng.NextDouble();
        for (int i = 0; i < x.Length; i++)
            x[i] = label == 0
                ? (float)(0.3 * Math.Sin(2 * Math.PI * f0 * i / 16000) + 0.15 * Math.Sin(4 * Math.PI * f0 * i / 16000))
                : (float)(0.2 * (rng.NextDouble() * 2 - 1));
        return x;
    }

    /// <summary>4 speakers (2 female, 2 male) x 2 labels x 2 clips of 0.6-1.3 s, written as WAV files under <paramref name="folder"/>.</summary>
    internal static List<Utterance> ToyCorpus(string folder)
    {
        var list = new List<Utterance>();
        string[] labels = ["happy", "sad"];
        for (int speaker = 0; speaker < 4; speaker++)
            for (int label = 0; label < 2; label++)
                for (int take = 0; take < 2; take++)
                {
                    int seed = speaker * 100 + label * 10 + take;
                    double seconds = 0.6 + 0.7 * new Random(seed).NextDouble();
                    var path = Path.Combine(folder, $"s{speaker}-{labels[label]}-{take}.wav");
                    WavWriter.Write(path, AudioClip.FromMono(Synthetic(label, seed, seconds), 16000), WavEncoding.Float32);
                    list.Add(new Utterance($"toy/s{speaker}-{labels[label]}-{take}", path, seconds, "toy", "en", $"toy/{speaker}",
                        speaker % 2 == 0 ? Gender.Female : Gender.Male, labels[label]));
                }
        return list;
    }

    static ClapRecipe Recipe(string cache) => new()
    {
        Name = "toy-pretrained",
        Seed = 7,
        Data = new ClapDataRecipe { Corpora = ["toy"], Labels = ["happy", "sad"], Validation = "fold:1/2", CropSeconds = 0.5, MaxSeconds = 2 },
        Encoder = new ClapEncoderRecipe { Pretrained = Encoder, Layer = "all", FeatureCache = cache },
        Text = new ClapTextRecipe { HiddenSize = 16, Heads = 2, Layers = 1, FfnSize = 32, Dropout = 0, MaxTokens = 16 },
        Head = new ClapHeadRecipe { ProjectionSize = 16 },
        Optim = new ClapOptimRecipe { LearningRate = 3e-3, BatchSize = 8, WarmupSteps = 0, Epochs = 3, StepsPerEpoch = 15, EarlyStopPatience = 10 },
    };

    [Fact]
    public void ExampleRecipeNamesAPretrainedEncoderAndTheOverrideReplacesIt()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", "emotion-pretrained-example.yaml");
        var recipe = RecipeLoader.Load<ClapRecipe>(path);
        recipe.Validate(path);
        Assert.Equal("models/pretrained/wav2vec2-base", recipe.Encoder.Pretrained);
        Assert.Equal("all", recipe.Encoder.Layer);
        var overridden = RecipeLoader.Load<ClapRecipe>(path, ["encoder.pretrained=/data/hubert-base", "encoder.layer=6"]);
        Assert.Equal("/data/hubert-base", overridden.Encoder.Pretrained);
        Assert.Equal(6, new PretrainedAudioEncoderConfig(overridden.Encoder.Pretrained!, overridden.Encoder.Layer).LayerIndex);
        var bad = RecipeLoader.Load<ClapRecipe>(path, ["encoder.layer=last"]);
        Assert.Contains("encoder.layer 'last'", Assert.Throws<RecipeException>(() => bad.Validate(path)).Message);
        Assert.Null(RecipeLoader.Load<ClapRecipe>(Path.Combine(RepoPaths.Root, "recipes", "emotion-clap-small.yaml")).Encoder.Pretrained);
    }

    [Fact]
    public void CachedPooledLayersEqualADirectEncodeAndMeanOverFrames()
    {
        var tower = PretrainedAudioTower.Load(new PretrainedAudioEncoderConfig(Encoder));
        var features = new PretrainedFeatures(tower, new LogMelFrontEndConfig(), windowSeconds: 0.5, hopFraction: 0.5);
        var samples = Synthetic(0, 3, 1.1);
        var windows = features.Extract(samples);
        Assert.Equal(4, windows.Rows);                                          // 17600 samples: starts 0, 4000, 8000, 9600 (the last aligned to the end)
        int states = tower.LayerCount + 1, d = tower.HiddenSize;
        Assert.Equal(states * d, windows.Columns);
        int[] starts = [0, 4000, 8000, 9600];
        for (int w = 0; w < 4; w++)
        {
            var direct = tower.Encoder.Encode(Tensor.FromArray(samples.AsSpan(starts[w], 8000).ToArray(), 1, 8000), null);
            for (int l = 0; l < states; l++)
            {
                var h = direct.HiddenStates[l];                                   // (1, T, D)
                int frames = h.Dim(1);
                for (int j = 0; j < d; j++)
                {
                    double sum = 0;
                    for (int t = 0; t < frames; t++) sum += h.Data[t * d + j];
                    Assert.Equal(sum / frames, windows.Row(w)[l * d + j], tolerance: 1e-5);
                }
            }
        }

        // through the on-disk cache: same values, and a second load reads the file instead of encoding again
        var folder = Directory.CreateTempSubdirectory("sentire-pretrained").FullName;
        var corpus = ToyCorpus(folder).Take(3).ToList();
        var cacheFolder = Path.Combine(folder, "cache");
        var first = features.Load(corpus, cacheFolder);
        var file = Assert.Single(Directory.GetFiles(cacheFolder, "toy.*.features"));
        var written = File.GetLastWriteTimeUtc(file);
        var second = features.Load(corpus, cacheFolder);
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        foreach (var u in corpus)
        {
            var direct = features.Extract(new LogMelFrontEnd(new LogMelFrontEndConfig()).Condition(AudioFile.Read(u.AudioPath)));
            Assert.Equal(direct.Data, first[u.Id].Data);
            Assert.Equal(direct.Data, second[u.Id].Data);
        }
    }

    [Fact]
    public void TrainingLowersTheLossAndTheSavedPackageRunsTheEncoderFromItsFolder()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-pretrained").FullName;
        var corpus = ToyCorpus(folder);
        var recipe = Recipe(Path.Combine(folder, "cache"));
        recipe.Validate("toy");
        var run = Path.Combine(folder, "run");
        var trainer = new ClapTrainer(recipe, "toy", folder, run);
        new PretrainedClapTraining(trainer, recipe, run).Run(corpus, null, CancellationToken.None);

        var metrics = File.ReadAllLines(Path.Combine(run, ClapTrainer.MetricsFile)).Skip(1)
            .Select(l => l.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        var losses = metrics.Select(m => m[2]).ToList();
        Assert.Equal(3, losses.Count);
        Assert.True(losses[^1] < losses[0] - 0.1, $"loss {string.Join(" -> ", losses)}");
        // validation on the held-out speakers' clips, zero-shot from the cached windows: tone vs noise is easy
        Assert.True(metrics.Max(m => m[3]) >= 0.75, $"valid UAR {string.Join(", ", metrics.Select(m => m[3]))}");

        var package = Path.Combine(run, ClapTrainer.FinalFolder);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(package, EmotionModelPackage.ConfigFile)))!;
        Assert.Equal(Encoder, (string?)config["audio_encoder"]!["pretrained"]);
        Assert.Equal("all", (string?)config["audio_encoder"]!["layer"]);
        Assert.Equal(2, config["audio_encoder"]!.AsObject().Count);

        // from audio through the reloaded package = from the cached features through the in-memory layers and heads
        var recognizer = EmotionRecognizer.Load(package);
        var clip = corpus[0];
        var fromAudio = recognizer.AnalyzeFile(clip.AudioPath).Overall!.Emotions.OrderBy(e => e.Label, StringComparer.Ordinal).Select(e => e.Probability).ToArray();
        var again = EmotionRecognizer.Load(package).AnalyzeFile(clip.AudioPath).Overall!.Emotions.OrderBy(e => e.Label, StringComparer.Ordinal).Select(e => e.Probability).ToArray();
        Assert.Equal(fromAudio, again);
        var (loadedConfig, model, _) = EmotionModelPackage.Load(package);
        var features = new PretrainedFeatures((PretrainedAudioTower)model.AudioEncoder, loadedConfig.FrontEnd, loadedConfig.WindowSeconds, loadedConfig.WindowHopFraction);
        var cached = features.Load([clip], recipe.Encoder.FeatureCache)[clip.Id];
        var fromCache = recognizer.Score(PretrainedClapTraining.Embed(model, features, cached), ["happy", "sad"], loadedConfig.PromptTemplate);
        Assert.Equal(fromCache[0], fromAudio[0], tolerance: 1e-5);
        Assert.Equal(fromCache[1], fromAudio[1], tolerance: 1e-5);
        Assert.True(fromAudio[0] > 0.5, $"a happy training clip scores happy {fromAudio[0]:F3}");

        // the encoder folder is not part of the package: moved away, loading names it
        var moved = Path.Combine(folder, "moved");
        Directory.CreateDirectory(moved);
        foreach (var f in Directory.GetFiles(package)) File.Copy(f, Path.Combine(moved, Path.GetFileName(f)));
        var missing = Path.Combine(folder, "no-such-encoder");
        config["audio_encoder"]!["pretrained"] = missing;
        File.WriteAllText(Path.Combine(moved, EmotionModelPackage.ConfigFile), config.ToJsonString());
        var error = Assert.Throws<PretrainedEncoderMissingException>(() => EmotionRecognizer.Load(moved));
        Assert.Contains(missing, error.Message);
    }

    [Fact]
    public void WithWeightAveragingTheAverageIsPackagedAndTheTrainingWeightsAreCheckpointed()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-pretrained-ema").FullName;
        var corpus = ToyCorpus(folder);
        float[] Projection(string file, string key) => Sentire.Tensors.Serialization.SafeTensors.Read(file)[key].Data.ToArray();
        (float[] Packaged, float[] Checkpointed) Train(float emaDecay)
        {
            var recipe = Recipe(Path.Combine(folder, "cache"));
            recipe = new ClapRecipe { Name = recipe.Name, Seed = recipe.Seed, Data = recipe.Data, Encoder = recipe.Encoder, Text = recipe.Text, Head = recipe.Head,
                Optim = new ClapOptimRecipe { LearningRate = 3e-3, BatchSize = 8, WarmupSteps = 0, Epochs = 1, StepsPerEpoch = 15, EarlyStopPatience = 10, EmaDecay = emaDecay } };
            recipe.Validate("toy");
            var run = Path.Combine(folder, $"run-{emaDecay}");
            new PretrainedClapTraining(new ClapTrainer(recipe, "toy", folder, run), recipe, run).Run(corpus, null, CancellationToken.None);
            return (Projection(Path.Combine(run, ClapTrainer.FinalFolder, EmotionModelPackage.WeightsFile), "audio_projection.0.weight"),
                Projection(Path.Combine(run, ClapTrainer.CheckpointFile), "model.audio_projection.0.weight"));
        }
        var plain = Train(0f);
        Assert.Equal(plain.Packaged, plain.Checkpointed);            // off: the last weights are both packaged and checkpointed
        var averaged = Train(0.9f);
        Assert.Equal(plain.Checkpointed, averaged.Checkpointed);      // averaging does not change training
        Assert.NotEqual(averaged.Checkpointed, averaged.Packaged);    // the package holds the average, not the last weights
    }
}
