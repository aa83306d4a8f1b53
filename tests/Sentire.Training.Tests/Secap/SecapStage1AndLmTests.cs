using System.Globalization;
using System.Text.Json;
using Sentire.Audio.Dsp;
using Sentire.Models.Decoders;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;
using Sentire.Text;
using Sentire.Training.Captions;
using Sentire.Training.Secap;

namespace Sentire.Training.Tests.Secap;

/// <summary>SECap stage 1 (eq. 6), the stage-1 -> stage-2 hand-off of the Q-Former, and the caption-LM pre-training,
/// each end to end on a tiny synthetic set (two categories whose frames differ in mean and whose captions differ).</summary>
public sealed class SecapStage1AndLmTests
{
    const int Hidden = 192;
    static readonly string[] Categories = ["happy", "sad"];

    /// <summary>Clips per split and category with frames of mean +1 (happy) or -1 (sad) and two paraphrased captions;
    /// transcripts alternate independently of the category (STMIL has rows to work on).</summary>
    static (List<CaptionClip> Clips, Dictionary<string, FeatureMatrix> Frames) ToySet(string language, int perCategory)
    {
        var rng = new Generator(7);
        var clips = new List<CaptionClip>();
        var frames = new Dictionary<string, FeatureMatrix>();
        foreach (var split in new[] { CaptionDataset.Train, CaptionDataset.Valid })
            for (int c = 0; c < Categories.Length; c++)
                for (int i = 0; i < perCategory; i++)
                {
                    string id = $"{language}-{split}-{Categories[c]}-{i}";
                    var m = new FeatureMatrix(6, Hidden);
                    rng.FillNormal(m.Data, c == 0 ? 1f : -1f, 0.3f);
                    frames[id] = m;
                    string[] captions = language == "zh"
                        ? [$"说话人听起来{(c == 0 ? "很开心" : "很难过")}。", $"声音{(c == 0 ? "开心" : "悲伤")}。"]
                        : [$"The speaker sounds {Categories[c]}.", $"A {Categories[c]} voice."];
                    clips.Add(new CaptionClip(id, "", "toy", language, split, Categories[c], "derived", captions[0], captions, i % 2 == 0 ? "hello there" : "good morning"));
                }
        return (clips, frames);
    }

    static SecapRecipe Recipe(SecapStage2Recipe? stage2 = null) => new()
    {
        Seed = 1,
        Qformer = new SecapQFormerRecipe { NumQueryTokens = 2, HiddenSize = 32, Heads = 2, Layers = 1, IntermediateSize = 64, Dropout = 0, MaxTokens = 32 },
        Stage1 = new SecapStage1Recipe { Epochs = 3, StepsPerEpoch = 8, Categories = 2, SamplesPerCategory = 2, LearningRate = 3e-3, ClubHiddenSize = 16 },
        Stage2 = stage2 ?? new SecapStage2Recipe(),
    };

    static SecapContext Context(out Dictionary<string, FeatureMatrix> frames, out BpeTokenizer tokenizer)
    {
        var (clips, f) = ToySet("en", 4);
        frames = f;
        tokenizer = BpeTokenizer.Train([.. clips.SelectMany(c => c.TrainingCaptions), "hello there", "good morning", CaptionInstructions.English[0]], 300);
        return new SecapContext(clips, CaptionTokenizer.For(tokenizer), frames, Hidden);
    }

    static double[] Column(string metricsCsv, int column) =>
        [.. File.ReadAllLines(metricsCsv)[1..].Select(l => double.Parse(l.Split(',')[column], CultureInfo.InvariantCulture))];

    [Fact]
    public void Stage1LossFallsAndTheQFormerIsWritten()
    {
        var folder = Directory.CreateTempSubdirectory("secap-stage1-").FullName;
        try
        {
            var recipe = Recipe();
            recipe.Validate("test");
            new SecapStage1Trainer(recipe, "", Context(out _, out _), folder).Run(null, CancellationToken.None);
            var metrics = Path.Combine(folder, "metrics.csv");
            var train = Column(metrics, 2);                                                 // train_loss = w_T1 U + w_T2 L_SCCL
            Assert.True(train.Length == 3, string.Join("\n", File.ReadAllLines(metrics)));
            Assert.True(train[2] < train[0], string.Join("\n", File.ReadAllLines(metrics)));
            Assert.All(train, v => Assert.True(double.IsFinite(v)));
            Assert.True(File.Exists(Path.Combine(folder, SecapStage1Trainer.QFormerFile)));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Stage2StartsFromTheStage1QFormerBitForBit()
    {
        var folder = Directory.CreateTempSubdirectory("secap-handoff-").FullName;
        try
        {
            // Stage 2 with the Q-Former frozen: its packaged Q-Former must be exactly the stage-1 file, every tensor.
            var recipe = Recipe(new SecapStage2Recipe { Epochs = 1, StepsPerEpoch = 2, BatchSize = 2, LearningRate = 1e-3, WarmupSteps = 0, Init = Stage2Init.Stage1, FreezeQformer = true, ValidDecodeClips = 0 });
            recipe.Validate("test");
            var context = Context(out _, out var tokenizer);
            string stage1 = Path.Combine(folder, "stage1"), stage2 = Path.Combine(folder, "stage2"), lmFolder = Path.Combine(folder, "lm");
            new SecapStage1Trainer(recipe, "", context, stage1).Run(null, CancellationToken.None);

            var lm = new LlamaForCausalLM(new LlamaConfig
            {
                VocabSize = tokenizer.VocabSize, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1,
                HeadDim = 16, MaxPositionEmbeddings = 96, TieWordEmbeddings = true, BosTokenId = tokenizer.BosId, EosTokenIds = [tokenizer.EosId],
            }, new Generator(3));
            lm.Freeze();
            lm.Eval();
            CaptionLanguageModel.Save(lmFolder, lm, tokenizer);
            var encoder = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
            new SecapStage2Trainer(recipe, "", context, lm, lmFolder, encoder, stage1, stage2).Run(null, CancellationToken.None);

            var fromStage1 = SafeTensors.Read(Path.Combine(stage1, SecapStage1Trainer.QFormerFile));
            var packaged = SafeTensors.Read(Path.Combine(stage2, SecapStage2Trainer.BestFolder, SecapPackage.WeightsFile))
                .Where(kv => kv.Key.StartsWith("qformer.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key["qformer.".Length..], kv => kv.Value);
            Assert.Equal(fromStage1.Keys.Order(StringComparer.Ordinal), packaged.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, tensor) in fromStage1)
            {
                Assert.Equal(tensor.ShapeArray(), packaged[name].ShapeArray());
                Assert.True(tensor.Data.SequenceEqual(packaged[name].Data), $"qformer.{name} differs between stage 1 and stage 2");
            }
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void CaptionLmPreTrainingLossFalls()
    {
        var folder = Directory.CreateTempSubdirectory("secap-lm-").FullName;
        try
        {
            var recipe = new SecapLmRecipe
            {
                Seed = 2,
                VocabSize = 450,
                Model = new SecapLmModelRecipe { HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1, MaxPositionEmbeddings = 96 },
                Optim = new SecapLmOptimRecipe { Epochs = 3, StepsPerEpoch = 10, BatchSize = 4, LearningRate = 3e-3, MinLearningRate = 1e-4, WarmupSteps = 2 },
            };
            recipe.Validate("test");
            // The caption data file the trainer would build from corpora, written in its place (no corpora needed).
            var clips = ToySet("en", 3).Clips.Concat(ToySet("zh", 3).Clips).ToList();
            var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
            File.WriteAllText(Path.Combine(folder, CaptionDataset.FileName(recipe.Data, recipe.Seed)), string.Join("\n", clips.Select(c => JsonSerializer.Serialize(c, json))) + "\n");

            new SecapLmTrainer(recipe, "", Path.Combine(folder, "no-corpora"), folder).Run(null, CancellationToken.None);
            var metrics = Path.Combine(folder, "metrics.csv");
            var train = Column(metrics, 2);                                                 // next-token cross-entropy
            var validEn = Column(metrics, 3);
            Assert.True(train.Length == 3 && train[2] < train[0] && validEn[2] < validEn[0], string.Join("\n", File.ReadAllLines(metrics)));
            var (lm, tokenizer) = CaptionLanguageModel.Load(Path.Combine(folder, SecapLmTrainer.ModelFolder));
            Assert.Equal(32, lm.Config.HiddenSize);
            Assert.Equal(tokenizer.VocabSize, lm.Config.VocabSize);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
