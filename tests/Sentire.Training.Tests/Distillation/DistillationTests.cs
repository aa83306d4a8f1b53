using Sentire.Audio.Dsp;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Tests.Common;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;

namespace Sentire.Training.Tests.Distillation;

public sealed class DistillationTests
{
    [Fact]
    public void CategoryLossIsTemperedKlTimesTSquaredWithHandComputedGradient()
    {
        // q = [0.2, 0.8], T = 2: q_T ∝ sqrt(q) = [1/3, 2/3]; z = [0, 0]: p_T = [1/2, 1/2].
        // L = T^2 (1/3 ln(2/3) + 2/3 ln(4/3)) = 0.2265326; dL/dz = T (p_T - q_T) = [1/3, -1/3].
        var logits = Tensor.Zeros(1, 2);
        logits.RequiresGrad = true;
        var loss = DistillationLoss.Category(logits, new Tensor([0.2f, 0.8f], 1, 2), temperature: 2f);
        Assert.Equal(4 * (Math.Log(2.0 / 3) / 3 + 2 * Math.Log(4.0 / 3) / 3), loss.Item(), 5);
        loss.Backward();
        Assert.Equal(1f / 3, logits.Grad!.Data[0], 5);
        Assert.Equal(-1f / 3, logits.Grad!.Data[1], 5);
    }

    [Fact]
    public void SoftenedTargetsAtTemperatureOneAreTheTeachersProbabilities()
    {
        var q = new Tensor([0.1f, 0.6f, 0.3f], 1, 3);
        var t = DistillationLoss.SoftenedTargets(q, 1f);
        for (int i = 0; i < 3; i++) Assert.Equal(q.Data[i], t.Data[i], 6);
    }

    sealed class FakeTeacher(int calls, bool prosody = false) : IEmotionTeacher
    {
        public int Calls { get; private set; } = calls;
        public IReadOnlyList<string> Labels => ["a", "b"];
        public LogMelFrontEndConfig FrontEnd => new(NMels: 80, Prosody: prosody);
        public string WeightsHash => "00ff00ff00ff00ff";
        public string Name => "fake";
        public TeacherOutput Predict(FeatureMatrix logMel)
        {
            Calls++;
            float p = logMel.Rows / 10f;
            return new TeacherOutput([p, 1 - p], [0.25f, 0.5f, 0.75f]);
        }
    }

    [Fact]
    public void TeacherCacheComputesOnlyMissingClipsAndRoundTrips()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-teacher").FullName;
        var teacher = new FakeTeacher(0);
        var clips = new List<(string, FeatureMatrix)> { ("c/1", new FeatureMatrix(2, 1)), ("c/2", new FeatureMatrix(3, 1)) };
        var first = TeacherCache.Ensure(folder, teacher, clips, null, CancellationToken.None);
        Assert.Equal(2, teacher.Calls);
        clips.Add(("c/3", new FeatureMatrix(7, 1)));
        var second = TeacherCache.Ensure(folder, teacher, clips, null, CancellationToken.None);
        Assert.Equal(3, teacher.Calls);                                     // the cached two were read, not recomputed
        Assert.Equal([0.3f, 0.7f], second["c/2"].Probabilities);
        Assert.Equal([0.25f, 0.5f, 0.75f], second["c/3"].Dimensions!);
        Assert.Equal(Path.Combine(folder, "teacher-00ff00ff00ff00ff.csv"), TeacherCache.PathFor(folder, teacher));
        var lines = File.ReadAllLines(TeacherCache.PathFor(folder, teacher));
        Assert.Equal("id,p_a,p_b,arousal,valence,dominance", lines[0]);
        Assert.Equal("c/1,0.2,0.8,0.25,0.5,0.75", lines[1]);
        var e = Assert.Throws<InvalidDataException>(() => TeacherCache.Read(TeacherCache.PathFor(folder, teacher), ["a", "c"]));
        Assert.Contains("expected 'id,p_a,p_c", e.Message);
    }

    [Fact]
    public void HashCoversFileContents()
    {
        var folder = Directory.CreateTempSubdirectory("sentire-hash").FullName;
        var a = Path.Combine(folder, "a");
        File.WriteAllText(a, "abc");
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        Assert.Equal("ba7816bf8f01cfea", TeacherCache.HashFiles(a));
    }

    [Fact]
    public void StudentOfATeacherWithProsodyChannelsReadsTheMelBinsOnly()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", "student-tiny.yaml");
        var config = new StudentDistiller(RecipeLoader.Load<StudentRecipe>(path), "", path, new FakeTeacher(0, prosody: true), "corpora", "run").ModelConfig();
        Assert.False(config.FrontEnd.Prosody);
        Assert.Equal(80, config.FrontEnd.Columns);
        Assert.Equal(80, config.Model.NMels);
        // and the frames it is given keep exactly the teacher's mel bins
        var frames = new FeatureMatrix(3, 82, [.. Enumerable.Range(0, 3 * 82).Select(i => (float)i)]);
        var mel = frames.LeadingColumns(80);
        Assert.Equal(80, mel.Columns);
        Assert.Equal(frames[2, 79], mel[2, 79]);
        Assert.Equal(frames[1, 0], mel[1, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => frames.LeadingColumns(83));
    }

    [Fact]
    public void ShippedRecipeLoadsAndBadValuesAreAllReported()
    {
        var path = Path.Combine(RepoPaths.Root, "recipes", "student-tiny.yaml");
        var recipe = RecipeLoader.Load<StudentRecipe>(path);
        recipe.Validate(path);
        Assert.Equal([1, 2, 4, 1, 2], recipe.Model.Dilations);
        Assert.Contains("secap", recipe.Data.Corpora);
        Assert.Equal(DistillationExclude.RavdessActors17To20, recipe.Data.Exclude);
        Assert.Equal(DistillationExclude.None, RecipeLoader.Load<StudentRecipe>(path, ["data.exclude=none"]).Data.Exclude);
        var bad = RecipeLoader.Load<StudentRecipe>(path, ["loss.temperature=0", "optim.batch_size=1"]);
        var e = Assert.Throws<RecipeException>(() => bad.Validate(path));
        Assert.Contains("loss.temperature", e.Message);
        Assert.Contains("optim.batch_size", e.Message);
        var exclude = Assert.Throws<RecipeException>(() => RecipeLoader.Load<StudentRecipe>(path, ["data.exclude=some"]));
        Assert.Contains("data.exclude 'some' is not one of ravdess-17-20, none", exclude.Message);
    }

    /// <summary>A teacher over the four sample clips' labels whose outputs follow the clip's mean log-mel.</summary>
    sealed class MeanTeacher : IEmotionTeacher
    {
        public IReadOnlyList<string> Labels => ["neutral", "happy", "sad", "angry"];
        public LogMelFrontEndConfig FrontEnd => new();
        public string WeightsHash => "0123456789abcdef";
        public string Name => "mean";
        public TeacherOutput Predict(FeatureMatrix logMel)
        {
            float m = MathF.Tanh(logMel.Data.ToArray().Average() / 10);
            return new TeacherOutput([0.4f, 0.3f, 0.2f, 0.1f], [m, -m, 0.5f]);
        }
    }

    [Fact]
    public void ALoneClipAtTheEndOfTheLengthSortedBatchesJoinsTheBatchBefore()
    {
        // 4 held-out clips (the samples, actors 17-20) and 5 distillation clips: 2 validation, 3 training. At a batch
        // size of 2 the length-sorted batches would be [2, 1], and the CCC term needs 2 clips: the lone one joins the
        // batch before it, so an epoch is one step of 3 clips.
        var root = Directory.CreateTempSubdirectory("sentire-distil").FullName;
        try
        {
            var corpus = Directory.CreateDirectory(Path.Combine(root, "corpora", "ravdess", "audio")).Parent!.FullName;
            var names = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal)
                .Select(p => { File.Copy(p, Path.Combine(corpus, "audio", Path.GetFileName(p))); return Path.GetFileNameWithoutExtension(p); }).ToArray();
            static string Line(string id, string name, string speaker, string emotion) =>
                $$"""{"id": "ravdess/{{id}}", "path": "audio/{{name}}.flac", "duration": 2.389, "corpus": "ravdess", "language": "en", "speaker": "ravdess/{{speaker}}", "emotion": "{{emotion}}"}""";
            string[] emotions = ["neutral", "happy", "sad", "angry"];      // samples in name order: 01, 03, 04, 05
            var lines = names.Select((name, i) => Line(name, name, name[^2..], emotions[i]))
                .Concat(Enumerable.Range(0, 5).Select(i => Line($"train-{i}", names[i % 4], "01", emotions[i % 4])));
            File.WriteAllLines(Path.Combine(corpus, "manifest.jsonl"), lines);

            var path = Path.Combine(RepoPaths.Root, "recipes", "student-tiny.yaml");
            var recipe = RecipeLoader.Load<StudentRecipe>(path, ["data.corpora=[ravdess]", "data.validation_fraction=0.4", "data.max_seconds=1.0",
                $"data.teacher_cache={Path.Combine(root, "cache")}", "model.channels=8", "model.dilations=[1]", "optim.batch_size=2", "optim.epochs=1", "optim.warmup_steps=1"]);
            recipe.Validate(path);
            var steps = new List<(int Step, int Steps)>();
            var run = Path.Combine(root, "run");
            new StudentDistiller(recipe, "", path, new MeanTeacher(), Path.Combine(root, "corpora"), run)
                .Run(new SynchronousProgress<TrainingProgress>(p => { if (p.Phase == "train") steps.Add((p.Step, p.Steps)); }), CancellationToken.None);

            Assert.Equal([(1, 1)], steps.Distinct());
            var metrics = File.ReadAllLines(Path.Combine(run, StudentDistiller.MetricsFile));
            Assert.Equal(2, metrics.Length);                                // header and epoch 1
            Assert.DoesNotContain("NaN", metrics[1]);
            Assert.True(File.Exists(Path.Combine(run, StudentDistiller.BestFolder, Sentire.Models.Student.StudentPackage.WeightsFile)));

            // one validation clip (5 x 0.1 rounds to 0, kept at 1) cannot carry the CCC term: a clear error, not a crash
            var tooFew = RecipeLoader.Load<StudentRecipe>(path, ["data.corpora=[ravdess]", "data.validation_fraction=0.1", $"data.teacher_cache={Path.Combine(root, "cache")}"]);
            var e = Assert.Throws<RecipeException>(() => new StudentDistiller(tooFew, "", path, new MeanTeacher(), Path.Combine(root, "corpora"), Path.Combine(root, "run2")).Run(null, CancellationToken.None));
            Assert.Contains("4 training and 1 validation clips, but the dimension CCC term needs at least 2 of each", e.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
