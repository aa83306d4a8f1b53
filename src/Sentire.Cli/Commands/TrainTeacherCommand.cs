using System.CommandLine;
using System.Globalization;
using Sentire.Audio.Corpus;
using Sentire.Evaluation.Classification;
using Sentire.Training;
using Sentire.Training.Baselines;
using Sentire.Training.Clap;
using Sentire.Training.Distillation;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary>
/// The AudioSet teacher (EfficientAT mn04_as) as a training input:
/// <c>sentire train teacher-targets</c> caches its embedding and logits for every clip of the corpora (resumable per corpus),
/// <c>sentire train probe</c> evaluates the baseline "logistic regression on teacher embedding + MFCC statistics" on a
/// speaker-disjoint split, per corpus.
/// </summary>
public static class TrainTeacherCommand
{
    public static IEnumerable<Command> Create(Option<DirectoryInfo> corpora)
    {
        yield return Targets(corpora);
        yield return Probe(corpora);
        yield return Table(corpora);
    }

    static Option<FileInfo?> TeacherOption() => new("--teacher") { Description = "Teacher checkpoint (default: ../teachers/efficientat-mn04/mn04_as_mAP_432.pt beside the corpora folder)." };
    static Option<DirectoryInfo> CacheOption() => new("--cache") { Description = "Cache folder of the teacher targets.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("cache", "teacher")) };

    static Command Targets(Option<DirectoryInfo> corpora)
    {
        var teacher = TeacherOption();
        var cache = CacheOption();
        var corpusNames = new Option<string?>("--corpus-list") { Description = "Comma-separated corpus folders (default: every corpus in --corpora)." };
        var command = new Command("teacher-targets", "Cache the AudioSet teacher's clip embedding (384) and logits (527) for every clip, as distillation targets.") { corpora, teacher, cache, corpusNames };
        command.SetAction((parse, cancel) =>
        {
            if (!Open(parse, corpora, teacher, cache, corpusNames, out var set, out var teacherPath, out var cacheFolder)) return Task.FromResult(2);
            return Guarded(() =>
            {
                using var targets = Compute(set, teacherPath, cacheFolder, cancel);
                foreach (var path in targets.FilePaths) Console.WriteLine(path);
                AnsiConsole.MarkupLineInterpolated($"done: teacher targets of {targets.Count} clips in {cacheFolder}");
                return 0;
            });
        });
        return command;
    }

    static Command Probe(Option<DirectoryInfo> corpora)
    {
        var teacher = TeacherOption();
        var cache = CacheOption();
        var validation = new Option<string>("--validation") { Description = "ravdess-17-20 or fold:K/N (speaker-disjoint, per corpus).", DefaultValueFactory = _ => "ravdess-17-20" };
        var corpusNames = new Option<string?>("--corpus-list") { Description = "Comma-separated corpus folders.", DefaultValueFactory = _ => "ravdess,emovo,ased,urdu,nemo,tess" };
        var labels = new Option<string>("--labels") { Description = "Comma-separated label vocabulary.", DefaultValueFactory = _ => "neutral,calm,happy,sad,angry,fearful,disgust,surprised" };
        var command = new Command("probe", "Baseline: logistic regression on the teacher's embedding + MFCC statistics, UAR per corpus on a speaker-disjoint split.")
            { corpora, teacher, cache, validation, corpusNames, labels };
        command.SetAction((parse, cancel) =>
        {
            if (!Open(parse, corpora, teacher, cache, corpusNames, out var set, out var teacherPath, out var cacheFolder)) return Task.FromResult(2);
            var labelList = parse.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var index = labelList.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
            var usable = set.Utterances.Where(u => u.Emotion is { } e && index.ContainsKey(e)).ToList();
            DataSplit split;
            try { split = ClapTrainer.Split(usable, parse.GetValue(validation)!, seed: 1234); }
            catch (Training.Recipes.RecipeException e) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return Task.FromResult(2); }
            return Guarded(() =>
            {
                using var targets = Compute(new CorpusSet(usable), teacherPath, cacheFolder, cancel);
                double[][] train = [], test = [];
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("MFCC statistics", maxValue: usable.Count);
                    var report = new SynchronousProgress<int>(_ => task.Increment(1));
                    train = TeacherProbeBaseline.Extract(split.Train, targets, report);
                    test = TeacherProbeBaseline.Extract(split.Test, targets, report);
                });
                var model = TeacherProbeBaseline.Fit(train, split.Train.Select(u => index[u.Emotion!]).ToList(), labelList);
                Console.WriteLine($"validation {split.Name}: {split.Train.Count} training and {split.Test.Count} test clips");
                Console.WriteLine("| corpus | test clips | classes | UAR | WAR |");
                Console.WriteLine("|---|---|---|---|---|");
                // each corpus is scored over the labels it has, as docs/results.md does
                foreach (var group in split.Test.Select((u, i) => (u, i)).GroupBy(x => x.u.Corpus).OrderBy(g => g.Key, StringComparer.Ordinal))
                {
                    var allowed = usable.Where(u => u.Corpus == group.Key).Select(u => index[u.Emotion!]).ToHashSet();
                    var predicted = model.Predict(group.Select(x => test[x.i]).ToList(), allowed);
                    var matrix = ConfusionMatrix.From(labelList, group.Select((x, k) => (x.u.Emotion!, labelList[predicted[k]])));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {group.Key} | {matrix.Total} | {allowed.Count} | {matrix.Uar:F3} | {matrix.War:F3} |"));
                }
                return 0;
            });
        });
        return command;
    }

    /// <summary><c>sentire train baseline-table</c>: both baselines (classical, teacher probe) under k-fold and
    /// leave-one-corpus-out, as markdown (<see cref="BaselineTable"/>).</summary>
    static Command Table(Option<DirectoryInfo> corpora)
    {
        var teacher = TeacherOption();
        var cache = CacheOption();
        var corpusNames = new Option<string?>("--corpus-list") { Description = "Comma-separated corpus folders.", DefaultValueFactory = _ => "ravdess,emovo,ased,urdu,nemo,tess" };
        var labels = new Option<string>("--labels") { Description = "Comma-separated label vocabulary.", DefaultValueFactory = _ => "neutral,calm,happy,sad,angry,fearful,disgust,surprised" };
        var folds = new Option<int>("--folds") { Description = "Speaker-disjoint folds per corpus for the k-fold table (0: leave-one-corpus-out only).", DefaultValueFactory = _ => 5 };
        var featureCache = new Option<DirectoryInfo>("--feature-cache") { Description = "Cache folder of the clips' prosodic functionals and MFCC statistics.", DefaultValueFactory = _ => new DirectoryInfo(BaselineTable.DefaultCache) };
        var output = new Option<FileInfo?>("--out") { Description = "Also write the tables to this markdown file (replaced atomically)." };
        var normalise = new Option<string>("--normalise")
        {
            Description = "training: features standardised with the training clips' statistics; corpus: each corpus first with its own (the test corpus's audio, never its labels).",
            DefaultValueFactory = _ => "training",
        };
        normalise.AcceptOnlyFromAmong("training", "corpus");
        var command = new Command("baseline-table", "Both baselines (prosodic functionals; teacher embedding + MFCC statistics) per corpus: k-fold mean UAR and leave-one-corpus-out UAR.")
            { corpora, teacher, cache, corpusNames, labels, folds, featureCache, output, normalise };
        command.SetAction((parse, cancel) =>
        {
            if (!Open(parse, corpora, teacher, cache, corpusNames, out var set, out var teacherPath, out var cacheFolder)) return Task.FromResult(2);
            int k = parse.GetValue(folds);
            if (k is < 0 or 1) { Terminal.Error($"--folds must be 0 or at least 2, got {k}"); return Task.FromResult(2); }
            var labelList = parse.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var known = labelList.ToHashSet(StringComparer.Ordinal);
            var usable = set.Utterances.Where(u => u.Emotion is { } e && known.Contains(e)).ToList();
            return Guarded(() =>
            {
                using var targets = Compute(set, teacherPath, cacheFolder, cancel);   // whole corpora, as `train teacher-targets` caches them
                var normalisation = Enum.Parse<FeatureNormalisation>(parse.GetValue(normalise)!, ignoreCase: true);
                Dictionary<string, float[]> features = [];
                AnsiConsole.Progress().Start(ctx =>
                {
                    var task = ctx.AddTask("prosodic functionals + MFCC statistics", maxValue: usable.Count);
                    features = BaselineTable.ClipFeatures(usable, parse.GetValue(featureCache)!.FullName, new SynchronousProgress<int>(n => task.Value = n));
                });
                var classes = usable.GroupBy(u => u.Corpus).ToDictionary(g => g.Key, g => g.Select(u => u.Emotion).Distinct().Count(), StringComparer.Ordinal);
                var text = new System.Text.StringBuilder();
                if (k > 0)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"{k}-fold (speaker-disjoint within each corpus, seed 1234), mean UAR over the folds, each corpus over its own labels:").AppendLine();
                    text.AppendLine(BaselineTable.Markdown(BaselineTable.Run(usable, labelList, k, features, id => targets.Embedding(id).ToArray(), cancel, normalisation), classes));
                }
                text.AppendLine("Leave-one-corpus-out (trained on every clip of the other corpora, tested on every clip of the corpus), UAR over its own labels:").AppendLine();
                text.Append(BaselineTable.Markdown(BaselineTable.Run(usable, labelList, 0, features, id => targets.Embedding(id).ToArray(), cancel, normalisation), classes));
                Console.Write(text.ToString());
                if (parse.GetValue(output) is { } file)
                    Sentire.IO.AtomicFile.Write(file.FullName, stream => { using var w = new StreamWriter(stream, leaveOpen: true); w.Write(text.ToString()); });
                return 0;
            });
        });
        return command;
    }

    /// <summary>Runs a subcommand's work: a stop by the user is the stopped exit code, unreadable data a one-line error
    /// (exit 2), never a stack trace.</summary>
    static Task<int> Guarded(Func<int> work)
    {
        try { return Task.FromResult(work()); }
        catch (OperationCanceledException) { return Task.FromResult(TrainingProgressView.Stopped(AnsiConsole.Console)); }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or FormatException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return Task.FromResult(2);
        }
    }

    static bool Open(ParseResult parse, Option<DirectoryInfo> corpora, Option<FileInfo?> teacher, Option<DirectoryInfo> cache, Option<string?> corpusNames,
        out CorpusSet set, out string teacherPath, out string cacheFolder)
    {
        set = new CorpusSet([]);
        var root = parse.GetValue(corpora)!.FullName;
        teacherPath = parse.GetValue(teacher)?.FullName ?? TeacherEmbeddings.DefaultTeacher(root);
        cacheFolder = parse.GetValue(cache)!.FullName;
        if (!Directory.Exists(root)) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] corpora folder {root} not found (--corpora)"); return false; }
        if (!File.Exists(teacherPath)) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] teacher checkpoint {teacherPath} not found (--teacher)"); return false; }
        var names = parse.GetValue(corpusNames);
        try
        {
            set = names is null ? CorpusSet.LoadRoot(root) : CorpusSet.Load(names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => Path.Combine(root, c)));
            return true;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return false;
        }
    }

    static TeacherEmbeddings Compute(CorpusSet set, string teacherPath, string cacheFolder, CancellationToken cancel)
    {
        TeacherEmbeddings? result = null;
        AnsiConsole.Progress().Start(ctx =>
        {
            var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
            var report = new SynchronousProgress<(string Corpus, int Done, int Total)>(p =>
            {
                if (!tasks.TryGetValue(p.Corpus, out var task)) tasks[p.Corpus] = task = ctx.AddTask($"teacher: {p.Corpus}", maxValue: p.Total);
                task.Value = p.Done;
            });
            result = TeacherEmbeddings.Open(cacheFolder, teacherPath, set, report, cancel);
        });
        return result!;
    }
}
