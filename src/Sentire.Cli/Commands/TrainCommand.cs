using System.CommandLine;
using Sentire.IO;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train clap --recipe recipes/X.yaml [--set key=value ...]</c>: trains with progress; Ctrl+C stops
/// after saving nothing half-written, and the same command resumes from the last finished epoch.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var train = new Command("train", "Train a model from a recipe.");
        var recipe = new Option<FileInfo>("--recipe") { Description = "Recipe YAML file (recipes/*.yaml).", Required = true };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value, e.g. --set optim.epochs=5 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var corpora = CommonOptions.Corpora();
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder (checkpoint, metrics.csv, best/). Default: runs/<recipe name>." };

        var audioEncoder = new Option<DirectoryInfo?>("--audio-encoder") { Description = "Hugging Face speech-encoder folder (wav2vec2/HuBERT/data2vec-audio/WavLM) used frozen as the audio tower (same as --set encoder.pretrained=PATH)." };
        var textEncoder = new Option<DirectoryInfo?>("--text-encoder") { Description = "Hugging Face BERT/RoBERTa folder used frozen as the text tower, with its own tokenizer (same as --set text.pretrained=PATH)." };
        var clap = new Command("clap", "Emo-CLAP / SL-GEmo-CLAP / ML-GEmo-CLAP emotion recognition (recipe variant).");
        foreach (var o in new Option[] { recipe, overrides, corpora, output, audioEncoder, textEncoder }) clap.Options.Add(o);
        clap.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!.FullName;
            var sets = parse.GetValue(overrides) ?? [];
            if (parse.GetValue(audioEncoder) is { } encoderFolder) sets = [.. sets, $"encoder.pretrained={encoderFolder}"];
            if (parse.GetValue(textEncoder) is { } textFolder) sets = [.. sets, $"text.pretrained={textFolder}"];
            if (CommonOptions.LoadRecipe<ClapRecipe>(recipePath, sets, (r, p) => r.Validate(p), Terminal.Error) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } corporaRoot) return Task.FromResult(2);
            var runFolder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            var trainer = new ClapTrainer(r, RecipeLoader.ToYaml(r), corporaRoot, runFolder);
            AnsiConsole.MarkupLineInterpolated($"training [bold]{r.Name}[/] ({OptionNames.Of(r.Variant)}) into {runFolder}");
            try
            {
                TrainingProgressView.Run(AnsiConsole.Console, "features", p => trainer.Run(p, cancel));
            }
            catch (OperationCanceledException) { return Task.FromResult(TrainingProgressView.Stopped(AnsiConsole.Console)); }
            catch (RecipeException e) { Terminal.Error(e.Message); return Task.FromResult(2); }
            catch (Exception e) when ((r.Encoder.Pretrained ?? r.Text.Pretrained) is not null && e is IOException or InvalidDataException or NotSupportedException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error:[/] pretrained encoder: {e.Message}");   // a missing or unreadable checkpoint folder
                return Task.FromResult(2);
            }
            AnsiConsole.MarkupLineInterpolated($"done: best model in {Path.Combine(runFolder, ClapTrainer.BestFolder)}, metrics in {Path.Combine(runFolder, ClapTrainer.MetricsFile)}");
            return Task.FromResult(0);
        });
        train.Subcommands.Add(clap);
        train.Subcommands.Add(Baseline(corpora));
        train.Subcommands.Add(TrainStudentCommand.Create(corpora));
        train.Subcommands.Add(TrainDimsCommand.Create(corpora));
        train.Subcommands.Add(TrainReferenceCommand.Create(corpora));
        foreach (var command in TrainSecapCommand.Create(corpora)) train.Subcommands.Add(command);
        foreach (var command in TrainTeacherCommand.Create(corpora)) train.Subcommands.Add(command);
        return train;
    }

    /// <summary><c>sentire train baseline</c>: prosodic functionals + logistic regression on the same split as the recipes.</summary>
    static Command Baseline(Option<DirectoryInfo> corpora)
    {
        var validation = new Option<string>("--validation") { Description = "ravdess-17-20 or fold:K/N (speaker-disjoint).", DefaultValueFactory = _ => "ravdess-17-20" };
        var corpusNames = new Option<string>("--corpus-list") { Description = "Comma-separated corpus folders.", DefaultValueFactory = _ => "ravdess,emovo,ased,urdu" };
        var labels = new Option<string>("--labels") { Description = "Comma-separated label vocabulary.", DefaultValueFactory = _ => "neutral,calm,happy,sad,angry,fearful,disgust,surprised" };
        var command = new Command("baseline", "Classical baseline: eGeMAPS-style prosodic functionals + multinomial logistic regression.") { corpora, validation, corpusNames, labels };
        command.SetAction(parse =>
        {
            if (CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } root) return 2;
            var labelList = parse.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var index = labelList.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
            var set = Audio.Corpus.CorpusSet.Load(parse.GetValue(corpusNames)!.Split(',', StringSplitOptions.TrimEntries).Select(c => Path.Combine(root, c)));
            var usable = set.Utterances.Where(u => u.Emotion is { } e && index.ContainsKey(e)).ToList();
            Audio.Corpus.DataSplit split;
            try { split = ClapTrainer.Split(usable, parse.GetValue(validation)!, seed: 1234); }
            catch (RecipeException e) { AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return 2; }
            double[][] train = [], test = [];
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask("prosodic features", maxValue: usable.Count);
                var report = new SynchronousProgress<int>(_ => task.Increment(1));
                train = Training.Baselines.ProsodyBaseline.Extract(split.Train, report);
                test = Training.Baselines.ProsodyBaseline.Extract(split.Test, report);
            });
            var model = Training.Baselines.ProsodyBaseline.Fit(train, split.Train.Select(u => index[u.Emotion!]).ToList(), labelList);
            var matrix = model.Evaluate(test, split.Test.Select(u => index[u.Emotion!]).ToList());
            Console.WriteLine($"validation {split.Name}: {split.Train.Count} training and {split.Test.Count} test clips");
            Console.Write(matrix.ToTable());
            return 0;
        });
        return command;
    }
}
