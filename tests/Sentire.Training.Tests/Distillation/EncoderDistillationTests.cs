using Sentire.Audio.Corpus;
using Sentire.Tensors;
using Sentire.Training.Baselines;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests.Distillation;

/// <summary>The auxiliary teacher-distillation loss of the CLAP trainer, its recipe section, and the baselines' k-fold and
/// leave-one-corpus-out protocols.</summary>
public sealed class EncoderDistillationTests
{
    static float[] Constant(int n, float v) => Enumerable.Repeat(v, n).ToArray();

    /// <summary>Two training clips whose teacher embeddings differ in the first 96 dimensions only (so those standardise to
    /// -1 and +1, the rest to 0), and logits 0 (p = 0.5) and ln 3 (p = 0.75).</summary>
    static EncoderDistillation TwoClips(float embeddingWeight, float logitsWeight)
    {
        var e0 = Constant(TeacherEmbeddings.EmbeddingSize, 2f);
        var e1 = Constant(TeacherEmbeddings.EmbeddingSize, 2f);
        for (int k = 0; k < 96; k++) { e0[k] = 1f; e1[k] = 5f; }
        var recipe = new ClapDistillRecipe { EmbeddingWeight = embeddingWeight, LogitsWeight = logitsWeight };
        var head = new EncoderDistillation(3, recipe, [e0, e1], [Constant(TeacherEmbeddings.LogitCount, 0f), Constant(TeacherEmbeddings.LogitCount, MathF.Log(3f))], new Generator(1));
        foreach (var p in head.Parameters()) p.Data.Clear();   // zero heads: predictions are the biases
        return head;
    }

    [Fact]
    public void LossIsTheWeightedSumOfStandardisedMseAndSoftBce()
    {
        var head = TwoClips(embeddingWeight: 2f, logitsWeight: 0.5f);
        var pooled = Tensor.Zeros(2, 3);
        // zero predictions: MSE = mean(z^2) = 96/384 (z = -1, +1 on 96 dims); BCE of logit 0 = ln 2 whatever the target
        Assert.Equal(2f * 0.25f + 0.5f * MathF.Log(2f), head.Loss(pooled, [0, 1]).Item(), 5);
        // logit bias c: BCE = softplus(c) - c p, p = 0.75 for clip 1; embedding bias 1 on dim 0: (1 - z)^2 there
        head.Logits!.Bias!.Data.Fill(1f);
        head.Embedding!.Bias!.Data[0] = 1f;
        float softplus1 = MathF.Log(1f + MathF.E);
        float mse = (96f - 1f + 0f) / 384f;                     // clip 1 (z = +1): dim 0 now exact, 95 dims of 1
        Assert.Equal(2f * mse + 0.5f * (softplus1 - 0.75f), head.Loss(pooled, [1, 1]).Item(), 5);
        float mseClip0 = (95f + 4f) / 384f;                     // clip 0 (z = -1): dim 0 (1 - -1)^2 = 4
        Assert.Equal(2f * mseClip0 + 0.5f * (softplus1 - 0.5f), head.Loss(pooled, [0, 0]).Item(), 5);
    }

    [Fact]
    public void GradientReachesTheEncoderOutputAndAZeroWeightHeadIsNotBuilt()
    {
        var head = TwoClips(embeddingWeight: 1f, logitsWeight: 0f);
        Assert.Null(head.Logits);
        Assert.Equal(["embedding.bias", "embedding.weight"], head.NamedParameters().Select(p => p.Key).Order(StringComparer.Ordinal));
        head.Embedding!.Weight.Data.Fill(0.01f);
        var pooled = Tensor.Normal(new Generator(4), 0, 1, 2, 3);
        pooled.RequiresGrad = true;
        head.Loss(pooled, [0, 1]).Backward();
        Assert.NotNull(pooled.Grad);
        Assert.Contains(pooled.Grad!.Data.ToArray(), g => g != 0f);
        Assert.Throws<ArgumentException>(() => head.Loss(pooled, [0]));
        Assert.Throws<ArgumentException>(() => new EncoderDistillation(3, new ClapDistillRecipe(), [new float[384]], [new float[527]], new Generator(1)));
        Assert.Throws<ArgumentException>(() => new EncoderDistillation(3, new ClapDistillRecipe { EmbeddingWeight = 1 }, [new float[10]], [new float[527]], new Generator(1)));
    }

    [Fact]
    public void RecipeSectionDefaultsToOffAndRejectsNegativeWeights()
    {
        var off = RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml");
        Assert.False(off.Distill.Enabled);
        Assert.Equal("cache/teacher", off.Distill.TeacherCache);
        var on = RecipeLoader.Parse<ClapRecipe>("distill:\n  embedding_weight: 0.5\n  logits_weight: 0\n", "t.yaml");
        Assert.True(on.Distill.Enabled);
        Assert.Equal(0.5f, on.Distill.EmbeddingWeight);
        var bad = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.logits_weight=-1"]).Validate("t.yaml"));
        Assert.Contains("distill.logits_weight", bad.Message);
        var pretrained = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.embedding_weight=1", "encoder.pretrained=x"]).Validate("t.yaml"));
        Assert.Contains("frozen", pretrained.Message);
    }

    [Fact]
    public void PretrainStageIsAClosedOptionWithStepsAndCorporaOutsideTheTrainingSet()
    {
        var off = RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml");
        Assert.Equal(DistillStage.Auxiliary, off.Distill.Stage);
        Assert.Equal(["baved", "secap"], off.Distill.PretrainCorpora);
        var on = RecipeLoader.Parse<ClapRecipe>("distill:\n  embedding_weight: 1\n  stage: pretrain\n  pretrain_steps: 7\n", "t.yaml");
        on.Validate("t.yaml");
        Assert.Equal((DistillStage.Pretrain, 7), (on.Distill.Stage, on.Distill.PretrainSteps));
        Assert.Equal((true, false), (on.Distill.Pretrains, on.Distill.Auxiliary));
        var both = RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.logits_weight=1", "distill.stage=both"]);
        Assert.Equal((true, true), (both.Distill.Pretrains, both.Distill.Auxiliary));
        Assert.Equal((false, true), (off.Distill.Pretrains, RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.logits_weight=1"]).Distill.Auxiliary));
        Assert.False(RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.stage=both"]).Distill.Pretrains);   // both weights 0: no teacher at all
        var unknown = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("distill:\n  stage: before\n", "t.yaml"));
        Assert.Contains("distill.stage 'before' is not one of", unknown.Message);
        var noSteps = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.stage=pretrain", "distill.pretrain_steps=0"]).Validate("t.yaml"));
        Assert.Contains("distill.pretrain_steps must be at least 1", noSteps.Message);
        // A corpus with categories would put its test speakers' audio into pre-training.
        var overlap = Assert.Throws<RecipeException>(() => RecipeLoader.Parse<ClapRecipe>("name: t\n", "t.yaml", ["distill.stage=pretrain", "distill.pretrain_corpora=[baved, ravdess]"]).Validate("t.yaml"));
        Assert.Contains("distill.pretrain_corpora names 'ravdess', which is in data.corpora", overlap.Message);
    }

    [Fact]
    public void CorpusNormalisationRemovesARecordingSetUpsOffset()
    {
        // The cue is the feature's sign in every corpus, but corpus c's set-up adds 5 to it. Fitted on a and b, c left out is
        // "happy" throughout under the training clips' statistics (UAR 0.5); standardised within each corpus, it is all right.
        var utterances = new List<Utterance>();
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int width = ProsodyBaseline.FeatureNames.Count + 2 * TeacherProbeBaseline.MfccCount;
        foreach (var (corpus, offset) in new[] { ("a", 0f), ("b", 0f), ("c", 5f) })
            for (int s = 0; s < 2; s++)
                for (int i = 0; i < 10; i++)
                {
                    bool happy = i % 2 == 0;
                    var id = $"{corpus}/{s}-{i}";
                    utterances.Add(new Utterance(id, "", 1, corpus, "en", $"{corpus}/{s}", Gender.Female, happy ? "happy" : "sad"));
                    var row = new float[width];
                    row[0] = row[ProsodyBaseline.FeatureNames.Count] = offset + (happy ? 1f : -1f) * (1 + 0.1f * i);
                    features[id] = row;
                }
        string[] labels = ["happy", "sad"];
        float[] NoTeacher(string _) => new float[TeacherEmbeddings.EmbeddingSize];
        var plain = BaselineTable.Run(utterances, labels, 0, features, NoTeacher, TestContext.Current.CancellationToken);
        var normalised = BaselineTable.Run(utterances, labels, 0, features, NoTeacher, TestContext.Current.CancellationToken, FeatureNormalisation.Corpus);
        foreach (var s in plain) Assert.Equal(0.5, s.Uar["c"], 6);
        foreach (var s in normalised)
            foreach (var corpus in new[] { "a", "b", "c" }) Assert.Equal(1.0, s.Uar[corpus], 6);
    }

    [Fact]
    public void LeaveOneCorpusOutNeverTrainsOnTheHeldOutCorpus()
    {
        // Corpora a and b map the feature's sign +/- to happy/sad; corpus c, six times larger, has the mapping reversed. Any fit
        // that sees c's clips follows c: k-fold gets c right (and a, b wrong); left out (LOCO), c is scored by a fit on a and b
        // alone and is all wrong, as are a and b (each left out, the fit follows c).
        var utterances = new List<Utterance>();
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
        int prosody = ProsodyBaseline.FeatureNames.Count, stats = 2 * TeacherProbeBaseline.MfccCount;
        foreach (var (corpus, clips) in new[] { ("a", 10), ("b", 10), ("c", 60) })
            for (int s = 0; s < 4; s++)
                for (int i = 0; i < clips; i++)
                {
                    bool happy = i % 2 == 0;
                    var id = $"{corpus}/{s}-{i}";
                    utterances.Add(new Utterance(id, "", 1, corpus, "en", $"{corpus}/{s}", Gender.Female, happy ? "happy" : "sad"));
                    var row = new float[prosody + stats];
                    row[0] = row[prosody] = (happy ? 1f : -1f) * (corpus == "c" ? -1f : 1f) * (1 + 0.1f * (i % 10));   // the probe's MFCC part carries the same cue
                    features[id] = row;
                }
        string[] labels = ["happy", "sad"];
        var loco = BaselineTable.Run(utterances, labels, 0, features, _ => new float[TeacherEmbeddings.EmbeddingSize], TestContext.Current.CancellationToken);
        var folds = BaselineTable.Run(utterances, labels, 2, features, _ => new float[TeacherEmbeddings.EmbeddingSize], TestContext.Current.CancellationToken);
        Assert.Equal([BaselineTable.Classical, BaselineTable.Probe], loco.Select(s => s.Baseline));
        foreach (var s in loco)
            foreach (var corpus in new[] { "a", "b", "c" }) { Assert.Equal(0.0, s.Uar[corpus], 6); Assert.Single(s.PerFold[corpus]); }
        foreach (var s in folds)
        {
            Assert.Equal(1.0, s.Uar["c"], 6);
            Assert.Equal(0.0, s.Uar["a"], 6);
            Assert.Equal(2, s.PerFold["c"].Length);
        }
        var table = BaselineTable.Markdown(folds, new Dictionary<string, int> { ["a"] = 2, ["b"] = 2, ["c"] = 2 });
        Assert.Contains("| baseline | a (2) | b (2) | c (2) | mean |", table);
        Assert.Contains("| classical baseline (prosodic functionals) | 0.000 | 0.000 | 1.000 | 0.333 |", table);
    }
}
