using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sentire.Audio.Corpus;
using Sentire.Audio.Dsp;
using Sentire.Evaluation.Classification;
using Sentire.Evaluation.Emotion;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Training.Baselines;
using Sentire.Training.Data;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;

namespace Sentire.Training.Clap;

/// <summary>UAR, WAR and clip count of one model on one corpus's test clips of one split.</summary>
public sealed record CorpusScore(double Uar, double War, long Clips)
{
    public static CorpusScore Of(ConfusionMatrix m) => new(m.Uar, m.War, m.Total);
}

/// <summary>One model trained and tested on one split. <see cref="AsedCommonLength"/>: the model on ASED test clips all
/// cut to one common length (their central window); <see cref="AsedDurationOnly"/>: the duration-only classifier.</summary>
public sealed record SplitResult(string Model, string Split, double Seconds, IReadOnlyDictionary<string, CorpusScore> Corpora,
    CorpusScore? AsedCommonLength = null, CorpusScore? AsedDurationOnly = null);

/// <summary>
/// The comparison of docs/results.md: the classical baseline, the three GEmo-CLAP variants and, when the recipe names a
/// teacher (a <c>distill</c> section with a weight &gt; 0), the teacher probe and Emo-CLAP distilled from it, each trained once
/// per split on every corpus together and tested per corpus, over N speaker-disjoint folds (each fold holds out
/// about 1/N of the speakers of every corpus, <see cref="ClapTrainer.Split"/>) and the fixed RAVDESS actor 17-20
/// split, and on request leave-one-corpus-out (each corpus tested by the models trained on all the others). The CLAP models are tested after their last epoch (the test speakers never pick an epoch). Every
/// (model, split) writes result.json in its own folder and is skipped when that file exists, so an interrupted
/// run resumes where it stopped, and while another process holds its folder's lock, so several processes share the runs;
/// the corpora are decoded once per invocation.
/// </summary>
/// <param name="baselineCache">the clips' prosodic functionals and MFCC statistics (<see cref="BaselineTable.ClipFeatures"/>), for the teacher probe.</param>
public sealed class EmotionResults(string recipePath, IReadOnlyList<string> overrides, string corporaRoot, string folder, string? baselineCache = null)
{
    public const string BaselineModel = "baseline", ResultFile = "result.json", LockFile = "run.lock", Ased = "ased";
    public static IReadOnlyList<string> Variants { get; } = ["emo-clap", "sl-gemo-clap", "ml-gemo-clap"];

    /// <summary>Emo-CLAP with encoder.prosody off and the rest of the recipe unchanged: run when the recipe turns prosody on,
    /// so the table shows what the prosody channels add over the paper's audio tower.</summary>
    public const string NoProsodyAblation = "emo-clap-no-prosody";

    /// <summary>The second baseline of issue 18: logistic regression on the teacher's clip embedding and MFCC statistics
    /// (<see cref="BaselineTable.Probe"/>, the same fit as <c>sentire train baseline-table</c>).</summary>
    public const string TeacherProbe = "teacher-probe";

    /// <summary>Emo-CLAP trained with the recipe's <c>distill</c> section (the teacher's embedding and AudioSet logits as
    /// auxiliary targets); every other CLAP row trains with both distillation weights 0.</summary>
    public const string Distilled = "emo-clap-distil";

    /// <summary>Emo-CLAP whose audio encoder is first pre-trained on the teacher's targets alone (distill.stage = pretrain:
    /// the training clips and distill.pretrain_corpora), then trained on the CLAP objective alone.</summary>
    public const string Pretrained = "emo-clap-pretrain";

    /// <summary>The pre-training stage of <see cref="Pretrained"/>, then the CLAP objective with the distillation loss beside
    /// it as in <see cref="Distilled"/> (distill.stage = both).</summary>
    public const string PretrainedDistilled = "emo-clap-pretrain-distil";

    /// <summary><see cref="Pretrained"/> with the teacher's own architecture as the audio encoder (encoder.architecture =
    /// mobilenet: EfficientAT's MobileNetV3 at the teacher's width over our 80-bin log-mel, random weights), so the
    /// pre-training stage asks for a function the student can represent.</summary>
    public const string MobileNetPretrained = "emo-clap-mobilenet-pretrain";

    /// <summary>Every row the command can train, for <c>--models</c>.</summary>
    public static IReadOnlyList<string> Models { get; } = [BaselineModel, TeacherProbe, .. Variants, NoProsodyAblation, Distilled, Pretrained, PretrainedDistilled, MobileNetPretrained];

    /// <summary>The rows trained when <c>--models</c> is not given: the classical baseline and the three variants; the
    /// no-prosody ablation when the recipe turns prosody on; the teacher probe and the three distilled models (auxiliary loss,
    /// pre-training stage, pre-trained teacher-shaped MobileNet) when it names a teacher (distill weights &gt; 0).
    /// <see cref="PretrainedDistilled"/> runs on request.</summary>
    public static IReadOnlyList<string> DefaultModels(ClapRecipe recipe) =>
        [BaselineModel, .. recipe.Distill.Enabled ? [TeacherProbe] : Array.Empty<string>(), .. Variants,
         .. recipe.Encoder.Prosody ? [NoProsodyAblation] : Array.Empty<string>(), .. recipe.Distill.Enabled ? [Distilled, Pretrained, MobileNetPretrained] : Array.Empty<string>()];

    /// <summary>The rows of a run or a table: those of <paramref name="only"/> (<c>--models</c>) in the order of <see cref="Models"/>,
    /// or the default ones (<see cref="DefaultModels"/>).</summary>
    public static IReadOnlyList<string> Rows(ClapRecipe recipe, IReadOnlyCollection<string>? only) =>
        only is null ? DefaultModels(recipe) : [.. Models.Where(only.Contains)];

    /// <summary>Why the rows asked for cannot run with this recipe: a teacher row (probe, distilled, pre-trained, both) without a distill
    /// section that names the teacher; null when they can.</summary>
    public static string? MissingTeacher(ClapRecipe recipe, IReadOnlyCollection<string>? only, string recipePath) =>
        !recipe.Distill.Enabled && only?.FirstOrDefault(m => m is TeacherProbe or Distilled or Pretrained or PretrainedDistilled or MobileNetPretrained) is { } needsTeacher
            ? $"--models {needsTeacher} needs the teacher: {recipePath} has no distill section with embedding_weight or logits_weight > 0 (see recipes/emotion-results.yaml)"
            : null;

    static bool IsClap(string model) => model is not (BaselineModel or TeacherProbe);

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static IReadOnlyList<string> Splits(int folds) => [.. Enumerable.Range(1, folds).Select(k => $"fold:{k}/{folds}"), "ravdess-17-20"];

    /// <summary>The leave-one-corpus-out splits of <paramref name="corpora"/>: "without:X" for each.</summary>
    public static IReadOnlyList<string> LocoSplits(IReadOnlyList<string> corpora) => [.. corpora.Select(HeldOutSpeakers.WithoutCorpus)];

    static bool IsLoco(string split) => HeldOutSpeakers.Parse(split)?.Corpus is not null;

    ClapRecipe Recipe(string model, string split)
    {
        string[] noDistill = ["distill.embedding_weight=0", "distill.logits_weight=0"];
        string[] run = model switch
        {
            NoProsodyAblation => ["variant=emo-clap", "encoder.prosody=false", .. noDistill],
            Distilled => ["variant=emo-clap", "distill.stage=auxiliary"],
            Pretrained => ["variant=emo-clap", "distill.stage=pretrain"],
            PretrainedDistilled => ["variant=emo-clap", "distill.stage=both"],
            MobileNetPretrained => ["variant=emo-clap", "distill.stage=pretrain", "encoder.architecture=mobilenet"],
            _ => [$"variant={model}", .. noDistill],
        };
        var recipe = RecipeLoader.Load<ClapRecipe>(recipePath, [.. overrides, .. run, $"data.validation={split}"]);
        recipe.Validate(recipePath);
        return recipe;
    }

    readonly string baselineCache = baselineCache ?? BaselineTable.DefaultCache;

    string RunFolder(string model, string split) => Path.Combine(folder, model, split.Replace(':', '-').Replace('/', '-'));

    /// <summary>Results already on disk for these folds, and for leaving out each of <paramref name="locoCorpora"/> when
    /// given (finished runs only), of every model or of <paramref name="only"/> those.</summary>
    public IReadOnlyList<SplitResult> Load(int folds, IReadOnlyList<string>? locoCorpora = null, IReadOnlyCollection<string>? only = null) =>
        [.. Models.Where(m => only is null || only.Contains(m))
            .SelectMany(m => Splits(folds).Concat(LocoSplits(locoCorpora ?? [])).Select(s => Path.Combine(RunFolder(m, s), ResultFile)))
            .Where(File.Exists).Select(p => JsonSerializer.Deserialize<SplitResult>(File.ReadAllText(p), Json)!)];

    /// <summary>Trains and tests whatever (model, split) has no result yet: the folds and the RAVDESS split, then, when
    /// <paramref name="loco"/>, one run per model leaving out each corpus of the recipe; every model, or <paramref name="only"/> those.</summary>
    public void Run(int folds, IProgress<TrainingProgress>? progress, CancellationToken cancel, bool loco = false, IReadOnlyCollection<string>? only = null)
    {
        // Split by split, so an interrupted run leaves whole rows of folds rather than whole models missing.
        var baseRecipe = Recipe(Distilled, Splits(folds)[0]);   // the recipe as written, distill section included
        if (MissingTeacher(baseRecipe, only, recipePath) is { } missing) throw new RecipeException(missing);
        IReadOnlyList<string> splits = loco ? [.. Splits(folds), .. LocoSplits(baseRecipe.Data.Corpora)] : Splits(folds);
        var models = Rows(baseRecipe, only);
        var todo = splits.SelectMany(s => models.Select(m => (Model: m, Split: s)))
            .Where(x => !File.Exists(Path.Combine(RunFolder(x.Model, x.Split), ResultFile))).ToList();
        if (todo.Count == 0) return;
        // The teacher's targets of whole corpora (as `train teacher-targets` caches them), opened only when a probe run is due.
        using var teacher = todo.Any(x => x.Model == TeacherProbe)
            ? TeacherEmbeddings.Open(baseRecipe.Distill.TeacherCache, baseRecipe.Distill.Teacher ?? TeacherEmbeddings.DefaultTeacher(corporaRoot),
                CorpusSet.Load(baseRecipe.Data.Corpora.Select(c => Path.Combine(corporaRoot, c))),
                new SynchronousProgress<(string Corpus, int Done, int Total)>(p => progress?.Report(new TrainingProgress("features", 0, 0, p.Done, p.Total, 0, 0))), cancel)
            : null;
        var clips = ClapTrainer.LoadClips(baseRecipe, corporaRoot, new SynchronousProgress<int>(n => progress?.Report(new TrainingProgress("features", 0, 0, n, 0, 0, 0))));
        var labels = baseRecipe.Data.Labels;
        // Each corpus is scored over the labels it has (URDU: 4, ASED: 5, EMOVO: 7, RAVDESS: 8), as per-dataset benchmarks do.
        var corpusLabels = clips.Clips.GroupBy(c => c.Utterance.Corpus).ToDictionary(g => g.Key,
            g => (IReadOnlyList<string>)[.. labels.Where((_, i) => g.Any(c => c.Label == i))], StringComparer.Ordinal);
        double[][]? prosody = null;
        Dictionary<string, float[]>? probeFeatures = null;
        EmotionClipSet? melOnly = null;
        foreach (var (model, split) in todo)
        {
            cancel.ThrowIfCancellationRequested();
            var runFolder = RunFolder(model, split);
            using var claim = Claim(runFolder);
            if (claim is null || File.Exists(Path.Combine(runFolder, ResultFile))) continue;   // another process runs it, or has finished it
            progress?.Report(new TrainingProgress($"{model} {split}", 0, 0, 0, 0, 0, 0));
            var clock = Stopwatch.StartNew();
            // The no-prosody ablation reads the mel bins of the same decoded frames.
            var modelClips = model == NoProsodyAblation ? melOnly ??= clips.LeadingColumns(baseRecipe.Encoder.NMels) : clips;
            var dataSplit = ClapTrainer.Split(modelClips.Clips.Select(c => c.Utterance).ToList(), split, baseRecipe.Seed);
            var test = modelClips.Subset(dataSplit.Test);
            SplitResult result;
            if (model == BaselineModel)
            {
                prosody ??= ProsodyBaseline.Extract(clips.Clips.Select(c => c.Utterance).ToList());
                var row = clips.Clips.Select((c, i) => (c.Utterance.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
                var train = clips.Subset(dataSplit.Train);
                var fit = ProsodyBaseline.Fit(train.Clips.Select(c => prosody[row[c.Utterance.Id]]).ToList(), train.Clips.Select(c => c.Label).ToList(), labels);
                var items = test.Clips.GroupBy(c => c.Utterance.Corpus).SelectMany(g =>
                {
                    var allowed = corpusLabels[g.Key].Select(l => labels.IndexOf(l)).ToHashSet();
                    var predicted = fit.Predict(g.Select(c => prosody[row[c.Utterance.Id]]).ToList(), allowed);
                    return g.Select((c, i) => Hard(c.Utterance, labels[predicted[i]]));
                }).ToList();
                var asedTrain = train.Clips.Where(c => c.Utterance.Corpus == Ased).Select(c => (c.Utterance.DurationSeconds, labels[c.Label])).ToList();
                var asedTest = test.Clips.Where(c => c.Utterance.Corpus == Ased).ToList();
                CorpusScore? durationOnly = null;
                if (asedTrain.Count > 0 && asedTest.Count > 0)
                {
                    var guess = DurationBaseline.Predict(asedTrain, asedTest.Select(c => c.Utterance.DurationSeconds).ToList());
                    durationOnly = CorpusScore.Of(EmotionEvaluator.Confusion(asedTest.Select((c, i) => Hard(c.Utterance, guess[i])).ToList(), labels));
                }
                // The same common-length check as the CLAP models get: the ASED test clips' functionals taken over their
                // central window only (the trained classifier is unchanged).
                CorpusScore? common = null;
                if (asedTest.Count > 0)
                {
                    var cut = ProsodyBaseline.Extract(asedTest.Select(c => c.Utterance).ToList(), centralSeconds: baseRecipe.Data.CropSeconds);
                    var predicted = fit.Predict(cut, corpusLabels[Ased].Select(l => labels.IndexOf(l)).ToHashSet());
                    common = CorpusScore.Of(EmotionEvaluator.Confusion(asedTest.Select((c, i) => Hard(c.Utterance, labels[predicted[i]])).ToList(), labels));
                }
                result = new SplitResult(model, split, clock.Elapsed.TotalSeconds, PerCorpus(items, labels), AsedCommonLength: common, AsedDurationOnly: durationOnly);
            }
            else if (model == TeacherProbe)
            {
                probeFeatures ??= BaselineTable.ClipFeatures(clips.Clips.Select(c => c.Utterance).ToList(), baselineCache);
                var allowed = corpusLabels.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<int>)kv.Value.Select(l => labels.IndexOf(l)).ToHashSet(), StringComparer.Ordinal);
                var predicted = BaselineTable.FitPredict(BaselineTable.Probe, dataSplit.Train, dataSplit.Test, labels, allowed, probeFeatures, id => teacher!.Embedding(id).ToArray());
                var items = test.Clips.Select(c => Hard(c.Utterance, predicted[c.Utterance.Id])).ToList();
                result = new SplitResult(model, split, clock.Elapsed.TotalSeconds, PerCorpus(items, labels));
            }
            else
            {
                var recipe = Recipe(model, split);
                var trainer = new ClapTrainer(recipe, RecipeLoader.ToYaml(recipe), corporaRoot, runFolder);
                trainer.Run(progress, cancel, modelClips);
                var recognizer = EmotionRecognizer.Load(Path.Combine(runFolder, ClapTrainer.FinalFolder));
                var items = test.Clips.GroupBy(c => c.Utterance.Corpus)
                    .SelectMany(g => EmotionEvaluator.Predict(recognizer, g.Select(c => (c.Utterance, c.LogMel)).ToList(), corpusLabels[g.Key])).ToList();
                // Duration ablation: every ASED test clip cut to its central window, so all have one length.
                int window = recognizer.WindowFrames;
                var asedCut = test.Clips.Where(c => c.Utterance.Corpus == Ased).Select(c => (c.Utterance, Central(c.LogMel, window))).ToList();
                CorpusScore? common = asedCut.Count == 0 ? null : CorpusScore.Of(EmotionEvaluator.Confusion(EmotionEvaluator.Predict(recognizer, asedCut, corpusLabels[Ased]), labels));
                result = new SplitResult(model, split, clock.Elapsed.TotalSeconds, PerCorpus(items, labels), AsedCommonLength: common);
            }
            EmotionReport.WriteText(Path.Combine(runFolder, ResultFile), JsonSerializer.Serialize(result, Json));
        }
    }

    /// <summary>An exclusive lock on a run folder (<see cref="LockFile"/>, released when disposed or when the process ends),
    /// so several processes given the same command (two on two cores, or the tasks of a cluster job on a shared folder)
    /// share its runs instead of repeating them; null while another process holds it.</summary>
    static FileStream? Claim(string runFolder)
    {
        Directory.CreateDirectory(runFolder);
        try { return new FileStream(Path.Combine(runFolder, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) { return null; }
    }

    /// <summary>The leave-one-corpus-out table: corpus X scored by the model trained on every other corpus.</summary>
    static void AppendLoco(StringBuilder sb, IReadOnlyList<SplitResult> loco, IReadOnlyList<string> corpora, Func<double, string> pct)
    {
        sb.AppendLine("## Leave one corpus out").AppendLine();
        sb.AppendLine("Each column: the model trained on every clip of the other corpora (one run, the same recipe and seed), tested on every " +
            "clip of that corpus over its labels: a language and recording set-up never heard. UAR in %; a label no other corpus has " +
            "(RAVDESS's calm) is never trained on when its corpus is left out, so it counts against every model.").AppendLine();
        sb.Append("| model |").Append(string.Concat(corpora.Select(c => $" {c} UAR |"))).AppendLine(" mean |");
        sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", corpora.Count + 1))).AppendLine();
        foreach (var (model, name) in Names)
        {
            var rows = loco.Where(r => r.Model == model).ToList();
            if (rows.Count == 0) continue;
            var cells = corpora.Select(c => rows.FirstOrDefault(r => r.Split == HeldOutSpeakers.WithoutCorpus(c))?.Corpora.GetValueOrDefault(c)?.Uar).ToList();
            var done = cells.Where(v => v is not null).Select(v => v!.Value).ToList();
            string mean = done.Count == corpora.Count ? pct(done.Average()) : done.Count == 0 ? "-" : $"{pct(done.Average())} ({done.Count}/{corpora.Count} corpora)";
            sb.AppendLine($"| {name} |{string.Concat(cells.Select(v => $" {(v is { } x ? pct(x) : "-")} |"))} {mean} |");
        }
        sb.AppendLine();
    }

    /// <summary>Per corpus of <paramref name="utterances"/>: how many of <paramref name="labels"/> its clips carry, and
    /// its hours of audio, over the clips the models train on (a label of the vocabulary and a gender).</summary>
    public static Dictionary<string, (int Labels, double Hours)> CorpusFacts(IReadOnlyList<Utterance> utterances, IReadOnlyList<string> labels) =>
        utterances.Where(u => u.Emotion is { } e && labels.Contains(e) && u.Gender is not null).GroupBy(u => u.Corpus)
            .ToDictionary(g => g.Key, g => (g.Select(u => u.Emotion).Distinct().Count(), g.Sum(u => u.DurationSeconds) / 3600), StringComparer.Ordinal);

    static ItemPrediction Hard(Utterance u, string label) => new(u, new EmotionPrediction(0, u.DurationSeconds, [new EmotionScore(label, 1)]));

    static Dictionary<string, CorpusScore> PerCorpus(IReadOnlyList<ItemPrediction> items, IReadOnlyList<string> labels) =>
        EmotionEvaluator.By(items, u => u.Corpus, labels).ToDictionary(kv => kv.Key, kv => CorpusScore.Of(kv.Value), StringComparer.Ordinal);

    /// <summary>The central <paramref name="frames"/> frames (the whole clip when shorter).</summary>
    public static FeatureMatrix Central(FeatureMatrix features, int frames)
    {
        if (features.Rows <= frames) return features;
        int start = (features.Rows - frames) / 2;
        return new FeatureMatrix(frames, features.Columns, features.Data.AsSpan(start * features.Columns, frames * features.Columns).ToArray());
    }

    static readonly (string Model, string Name)[] Names =
        [(BaselineModel, "classical baseline (prosodic functionals + logistic regression)"),
         (TeacherProbe, "teacher probe (AudioSet teacher's embedding + MFCC statistics, logistic regression)"), ("emo-clap", "Emo-CLAP"), ("sl-gemo-clap", "SL-GEmo-CLAP"), ("ml-gemo-clap", "ML-GEmo-CLAP"),
         (NoProsodyAblation, "ablation: Emo-CLAP without prosody (encoder.prosody off, otherwise the same recipe)"),
         (Distilled, "Emo-CLAP + distillation from the teacher (distill.*; the shipped model runs without the teacher)"),
         (Pretrained, "Emo-CLAP, encoder pre-trained on the teacher's targets (distill.stage pretrain)"),
         (PretrainedDistilled, "Emo-CLAP, encoder pre-trained on the teacher's targets, + distillation (distill.stage both)"),
         (MobileNetPretrained, "Emo-CLAP, teacher-shaped MobileNet encoder pre-trained on the teacher's targets (encoder.architecture mobilenet)")];

    /// <summary>docs/results.md from the finished results.</summary>
    /// <param name="shipped">the shipped default model scored on RAVDESS actors 17-20 (its own validation split), when given.</param>
    /// <param name="models">the models the command was asked for (<c>--models</c>), which sets how many runs make the table
    /// complete; null: every model.</param>
    /// <param name="withLoco">whether the leave-one-corpus-out runs were asked for (<c>--loco</c>): they then count towards a complete table.</param>
    /// <param name="facts">per corpus, the labels it has (of the vocabulary) and its hours of usable audio (<see cref="CorpusFacts"/>), for the chance levels and the data size in the text.</param>
    public static string Markdown(IReadOnlyList<SplitResult> results, int folds, IReadOnlyList<string> corpora, string command, string recipeSummary,
        (string Name, CorpusScore Ravdess)? shipped = null, IReadOnlyCollection<string>? models = null, IReadOnlyDictionary<string, (int Labels, double Hours)>? facts = null,
        bool withLoco = false)
    {
        var c = CultureInfo.InvariantCulture;
        string Pct(double v) => double.IsNaN(v) ? "-" : (100 * v).ToString("0.0", c);
        string MeanSd(IReadOnlyList<double> v)
        {
            var x = v.Where(double.IsFinite).ToList();
            if (x.Count == 0) return "-";
            double mean = x.Average(), sd = x.Count > 1 ? Math.Sqrt(x.Sum(y => (y - mean) * (y - mean)) / (x.Count - 1)) : double.NaN;
            return x.Count == folds ? $"{Pct(mean)} ± {Pct(sd)}" : $"{Pct(mean)} ± {Pct(sd)} ({x.Count}/{folds} folds)";
        }
        var loco = results.Where(r => IsLoco(r.Split)).ToList();
        results = [.. results.Where(r => !IsLoco(r.Split))];
        var foldSplits = Splits(folds).Take(folds).ToHashSet(StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.AppendLine("# Emotion recognition results").AppendLine();
        sb.AppendLine("Speech emotion captioning (SECap: test metrics per language, the stage-1 ablations and the paper's Table 2 input rows) " +
            "is reported in [results-captioning.md](results-captioning.md), generated by `scripts/secap-ablations.sh`.").AppendLine();
        sb.AppendLine($"Generated by `{command}` (resumable: finished runs are kept and skipped; several processes of the same command on one `--runs` folder share the runs, each run locked by the one training it). Do not edit by hand.").AppendLine();
        sb.AppendLine($"UAR / WAR in %, mean ± standard deviation over {folds} speaker-disjoint folds, and on the fixed RAVDESS split " +
            "(actors 17-20 tested, everything else trained). 8-class label vocabulary (neutral, calm, happy, sad, angry, fearful, disgust, " +
            "surprised) in training; each corpus is tested over the labels it has, zero-shot for the CLAP models and by restricting the " +
            "baselines' arg max" + (facts is null ? "." : $" ({string.Join("; ", corpora.Where(facts.ContainsKey).Select(k => string.Create(c, $"{k} {facts[k].Labels}, chance UAR {100.0 / facts[k].Labels:0.0}")))}).")).AppendLine();
        sb.Append("| model |");
        foreach (var corpus in corpora) sb.Append(c, $" {corpus} UAR | {corpus} WAR |");
        sb.AppendLine(" RAVDESS 17-20 UAR | RAVDESS 17-20 WAR |");
        sb.Append("|---|").Append(string.Concat(Enumerable.Repeat("---:|", 2 * corpora.Count + 2))).AppendLine();
        foreach (var (model, name) in Names)
        {
            var rows = results.Where(r => r.Model == model).ToList();
            if (rows.Count == 0) continue;
            sb.Append($"| {name} |");
            foreach (var corpus in corpora)
            {
                var scores = rows.Where(r => foldSplits.Contains(r.Split) && r.Corpora.ContainsKey(corpus)).Select(r => r.Corpora[corpus]).ToList();
                sb.Append($" {MeanSd(scores.Select(s => s.Uar).ToList())} | {MeanSd(scores.Select(s => s.War).ToList())} |");
            }
            var fixedSplit = rows.FirstOrDefault(r => r.Split == "ravdess-17-20")?.Corpora.GetValueOrDefault("ravdess");
            sb.AppendLine(fixedSplit is null ? " - | - |" : $" {Pct(fixedSplit.Uar)} | {Pct(fixedSplit.War)} |");
        }
        if (shipped is var (shippedName, score))
        {
            sb.Append($"| {shippedName} |").Append(string.Concat(Enumerable.Repeat(" - | - |", corpora.Count)));
            sb.AppendLine($" {Pct(score.Uar)} | {Pct(score.War)} |");
        }
        sb.Append("| *published: emotion2vec+ large (EmoBox), 4 classes, large SSL encoder* |");
        foreach (var corpus in corpora) sb.Append(corpus == "ravdess" ? " *86 (4-class UA)* | - |" : " - | - |");
        sb.AppendLine(" - | - |");
        sb.Append("| *published: GEmo-CLAP with large SSL encoders: WAR about 80 on IEMOCAP (4 classes)* |");
        sb.Append(string.Concat(Enumerable.Repeat(" - | - |", corpora.Count))).AppendLine(" - | - |");
        sb.AppendLine().AppendLine("The published anchors are not comparable cell for cell: emotion2vec+ large reaches 4-class UA 86 on RAVDESS in " +
            "EmoBox, and GEmo-CLAP reports WAR about 80 on IEMOCAP (4 classes), both with large self-supervised encoders pre-trained on " +
            "thousands of hours. Ours are trained from scratch on " +
            (facts is null ? "these corpora" : string.Create(c, $"about {facts.Values.Sum(f => f.Hours):0.0} hours (all of these corpora; each split trains on most of it)")) + ", with 8 classes.").AppendLine();

        sb.AppendLine("## ASED: can the models use clip length?").AppendLine();
        sb.AppendLine("ASED clips were cut to emotion-specific lengths (every happy clip is 2.9 s; see ../shared/corpora/README.md). " +
            "The CLAP models only ever see fixed 2 s windows (training crops, inference windows averaged; shorter clips tiled), so " +
            "length is not an input. Check: each fold's model (and the classical baseline's classifier, given the functionals of the central 2 s only, which answers whether its ASED lead comes from clip length) scored on the ASED test clips as they are, and on the same clips all cut " +
            "to their central 2 s (one common length); beside it, a duration-only classifier (nearest training duration, majority label) " +
            "shows what length alone gives. If a model used length, cutting to one length would cost it much of its accuracy.").AppendLine();
        sb.AppendLine($"| model | ASED UAR as is | ASED UAR, all clips cut to 2 s | ASED WAR as is | ASED WAR, cut to 2 s |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (model, name) in Names)
        {
            var rows = results.Where(r => r.Model == model && foldSplits.Contains(r.Split) && r.AsedCommonLength is not null && r.Corpora.ContainsKey(Ased)).ToList();
            if (rows.Count == 0) continue;
            sb.AppendLine($"| {name} | {MeanSd(rows.Select(r => r.Corpora[Ased].Uar).ToList())} | {MeanSd(rows.Select(r => r.AsedCommonLength!.Uar).ToList())} | " +
                $"{MeanSd(rows.Select(r => r.Corpora[Ased].War).ToList())} | {MeanSd(rows.Select(r => r.AsedCommonLength!.War).ToList())} |");
        }
        var duration = results.Where(r => r.Model == BaselineModel && foldSplits.Contains(r.Split) && r.AsedDurationOnly is not null).ToList();
        if (duration.Count > 0)
            sb.AppendLine($"| duration only (no audio) | {MeanSd(duration.Select(r => r.AsedDurationOnly!.Uar).ToList())} | - | {MeanSd(duration.Select(r => r.AsedDurationOnly!.War).ToList())} | - |");
        sb.AppendLine();

        if (loco.Count > 0) AppendLoco(sb, loco, corpora, Pct);

        sb.AppendLine("## How these were made").AppendLine();
        sb.AppendLine($"- Folds: {folds} speaker-disjoint folds made within each corpus (scikit-learn StratifiedGroupKFold-style, seed of the recipe) " +
            "and joined, so fold k holds out about 1/5 of the speakers of every corpus. One multi-corpus model is trained per fold and " +
            "scored per corpus: much cheaper than a model per corpus and fold, and the same design for every row.");
        sb.AppendLine("- CLAP models are scored after their last training step (no early stopping: the test speakers never choose an epoch), " +
            "zero-shot with the training prompt \"The emotion is {label}.\" over the corpus's labels.");
        sb.AppendLine($"- {recipeSummary}");
        int modelCount = models?.Count ?? Variants.Count + 1 + (results.Any(r => r.Model == NoProsodyAblation) ? 1 : 0);
        int expected = modelCount * (folds + 1) + (withLoco ? modelCount * corpora.Count : 0), finished = results.Count + (withLoco ? loco.Count : 0);
        if (finished < expected)
            sb.AppendLine($"- **Incomplete: {finished} of {expected} runs finished.** A cell marked (k/{folds} folds) averages the folds done so far, a left-out corpus marked - is not run yet; the command above resumes the rest.");
        // Runs re-tested from a saved model record only the testing time; the median is over runs that trained.
        var trained = results.Where(r => IsClap(r.Model) && r.Seconds > 60).Select(r => r.Seconds).Order().ToList();
        if (trained.Count > 0)
            sb.AppendLine(string.Create(c, $"- One CLAP run (training + testing) took a median {trained[trained.Count / 2] / 60:0.0} min of wall time on the shared 2-core machine (beside other jobs)."));
        sb.AppendLine("- The classical baseline is the one of `sentire train baseline`: 27 eGeMAPS-style prosodic functionals, standardised, and multinomial logistic regression, on the same folds.");
        if (results.Concat(loco).Any(r => r.Model == TeacherProbe))
            sb.AppendLine("- The teacher probe is the one of `sentire train baseline-table`: the AudioSet teacher's (EfficientAT mn04) 384-d clip embedding and 40 MFCC means and standard deviations, standardised, multinomial logistic regression, on the same splits.");
        if (results.Concat(loco).Any(r => r.Model == Distilled))
            sb.AppendLine("- Emo-CLAP + distillation: the Emo-CLAP row's training with the recipe's `distill` weights on two training-only heads from the pooled encoder output to the teacher's standardised embedding (MSE) and its AudioSet logits (binary cross-entropy); every other CLAP row trains with both weights 0.");
        if (results.Concat(loco).Any(r => r.Model == Pretrained))
            sb.AppendLine("- Emo-CLAP, encoder pre-trained on the teacher's targets: first `distill.pretrain_steps` steps of the same two distillation losses alone on the audio encoder, over the split's training clips and every clip of `distill.pretrain_corpora` (corpora without categories; never a test clip), then the Emo-CLAP row's training without them.");
        if (results.Concat(loco).Any(r => r.Model == PretrainedDistilled))
            sb.AppendLine("- Emo-CLAP, encoder pre-trained on the teacher's targets, + distillation: the same pre-training, then the Emo-CLAP + distillation row's training (the losses beside the CLAP objective).");
        if (results.Concat(loco).Any(r => r.Model == MobileNetPretrained))
            sb.AppendLine("- Emo-CLAP, teacher-shaped MobileNet encoder: the pre-trained row with the transformer replaced by the teacher's own network (EfficientAT's MobileNetV3 at width 0.4 with batch norm, less its AudioSet head) over our 80-bin log-mel, from random weights; its pooled output has the teacher's embedding layout.");
        return sb.ToString();
    }
}
