using System.Text.Json.Nodes;
using Sentire.Audio.Dsp;
using Sentire.Models.Decoders;
using Sentire.Models.Generation;
using Sentire.Models.Secap;
using Sentire.Tensors;
using Sentire.Tests.Common;
using Sentire.Training.Captions;
using Sentire.Training.Secap;

namespace Sentire.Training.Tests.Secap;

/// <summary>SECap stage 2 with a Hugging Face checkpoint folder as the frozen decoder (issue #6): the tiny LLaMA and
/// Qwen2 fixtures, given a character-level tokenizer.json written here (the fixtures have none), are loaded through
/// TokenizerLoader, kept frozen, and the packaged captioner reloads them by itself.</summary>
public sealed class SecapHfDecoderTests
{
    static readonly string[] Captions = ["a happy voice.", "a sad voice."];

    /// <summary>Copies a fixture checkpoint and writes a character-level BPE tokenizer.json (no merges, Metaspace)
    /// covering the captions and every English instruction; ids 0-2 are &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt; as in the
    /// fixture's config.json.</summary>
    static string DecoderWithTokenizer(string fixture, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(RepoPaths.Fixture(Path.Combine("llama", fixture))))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        var chars = Captions.Concat(CaptionInstructions.English).SelectMany(s => s.Replace(' ', '\u2581')).Append('\u2581')
            .Distinct().Order().Select(c => c.ToString()).ToList();
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        foreach (var c in chars) vocab[c] = vocab.Count;
        Assert.True(vocab.Count <= 96, $"{vocab.Count} tokens do not fit the fixture's vocab_size 96");
        static JsonObject Special(int id, string content) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(Special(0, "<unk>"), Special(1, "<s>"), Special(2, "</s>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "\u2581", ["prepend_scheme"] = "always", ["split"] = true },
            ["model"] = new JsonObject { ["type"] = "BPE", ["unk_token"] = "<unk>", ["vocab"] = vocab, ["merges"] = new JsonArray() },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), root.ToJsonString());
        return folder;
    }

    [Theory]
    [InlineData("llama_tied", LanguageModelPrecision.F32)]
    [InlineData("qwen2_bf16", LanguageModelPrecision.Bf16)]
    public void Stage2TrainsThroughAFrozenHuggingFaceDecoderAndThePackageCaptionsWithIt(string fixture, LanguageModelPrecision precision)
    {
        var folder = Directory.CreateTempSubdirectory("secap-hf-").FullName;
        try
        {
            var decoder = DecoderWithTokenizer(fixture, Path.Combine(folder, "decoder"));
            var (lm, tokenizer) = CaptionLanguageModel.Load(decoder, precision);
            Assert.Equal(64, lm.Config.HiddenSize);
            Assert.Equal((1, 2), (tokenizer.BosId, tokenizer.EosId));
            Assert.Equal(Captions[0], tokenizer.Decode(tokenizer.Encode(Captions[0])));
            Assert.All(lm.Parameters(), p => Assert.False(p.RequiresGrad));
            var before = lm.Forward(lm.EmbedTokens([[1, .. tokenizer.Encode(Captions[1])]])).Data.ToArray();

            var rng = new Generator(5);
            var frames = new Dictionary<string, FeatureMatrix>();
            var clips = new List<CaptionClip>();
            for (int i = 0; i < 2; i++)
            {
                var m = new FeatureMatrix(6, 192);
                rng.FillNormal(m.Data, i == 0 ? 1f : -1f, 0.1f);
                frames[$"c{i}"] = m;
                foreach (var split in new[] { CaptionDataset.Train, CaptionDataset.Valid })
                    clips.Add(new CaptionClip($"c{i}", "", "toy", "en", split, "x", "derived", Captions[i], [Captions[i]], null));
            }
            var recipe = new SecapRecipe
            {
                Seed = 1,
                LanguageModel = decoder,
                LanguageModelPrecision = precision,
                Qformer = new SecapQFormerRecipe { NumQueryTokens = 2, HiddenSize = 32, Heads = 2, Layers = 1, IntermediateSize = 64, Dropout = 0, MaxTokens = 48 },
                Stage2 = new SecapStage2Recipe { Epochs = 3, StepsPerEpoch = 12, BatchSize = 4, LearningRate = 3e-3, WarmupSteps = 3, Init = Stage2Init.Scratch },
            };
            recipe.Validate("test");
            var context = new SecapContext(clips, tokenizer, frames, 192);
            var encoder = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
            new SecapStage2Trainer(recipe, "", context, lm, decoder, encoder, Path.Combine(folder, "stage1"), Path.Combine(folder, "stage2")).Run(null, CancellationToken.None);

            var lines = File.ReadAllLines(Path.Combine(folder, "stage2", "metrics.csv"));
            Assert.True(lines.Length == 4, string.Join("\n", lines));                                  // header + 3 epochs
            double Column(string line, int c) => double.Parse(line.Split(',')[c], System.Globalization.CultureInfo.InvariantCulture);
            var train = lines[1..].Select(l => Column(l, 2)).ToArray();
            var valid = lines[1..].Select(l => Column(l, 3)).ToArray();
            Assert.All(train.Concat(valid), x => Assert.True(double.IsFinite(x), string.Join("\n", lines)));
            Assert.True(train[0] > train[2] && valid[0] > valid[2], string.Join("\n", lines));       // the caption loss falls
            // The decoder stayed frozen: same logits after training.
            Assert.Equal(before, lm.Forward(lm.EmbedTokens([[1, .. tokenizer.Encode(Captions[1])]])).Data.ToArray());

            var package = Path.Combine(folder, "stage2", SecapStage2Trainer.BestFolder);
            var config = SecapPackage.ReadConfig(package);
            Assert.Equal((SecapPackage.LanguageModelFolder, precision), (config.LanguageModel, config.LanguageModelPrecision));
            Assert.Contains($"\"language_model_precision\": \"{Sentire.IO.OptionNames.Of(precision)}\"", File.ReadAllText(Path.Combine(package, SecapPackage.ConfigFile)));
            Directory.Delete(decoder, recursive: true);                                                 // the package holds its own copy
            var options = new CaptionOptions { Decoding = new GenerationOptions { MaxNewTokens = 10 } };
            var first = EmotionCaptioner.Load(package);
            Assert.Equal(lm.Precision, first.LanguageModel.Precision);
            var caption = first.CaptionFrames(frames["c0"], "en", options);
            Assert.Equal(caption, EmotionCaptioner.Load(package).CaptionFrames(frames["c0"], "en", options));   // greedy: deterministic
            Assert.DoesNotContain("<unk>", caption);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AMissingDecoderFolderIsAnErrorNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-decoder-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => CaptionLanguageModel.Load(missing));
        Assert.Contains(missing, e.Message);
        var folder = Directory.CreateTempSubdirectory("secap-hf-notok-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepoPaths.Fixture(Path.Combine("llama", "llama3_rope"))))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var noTokenizer = Assert.Throws<FileNotFoundException>(() => CaptionLanguageModel.Load(folder));
            Assert.Contains(folder, noTokenizer.Message);
            Assert.Contains("tokenizer", noTokenizer.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
