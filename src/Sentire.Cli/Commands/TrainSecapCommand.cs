using System.CommandLine;
using Sentire.Models.Secap;
using Sentire.Training;
using Sentire.Training.Captions;
using Sentire.Training.Clap;
using Sentire.Training.Recipes;
using Sentire.Training.Secap;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train secap-lm</c> (the frozen caption LM) and <c>sentire train secap --stage 1|2</c> (SECap's
/// Bridge-Net stages); both resumable: the same command continues after the last finished epoch.</summary>
public static class TrainSecapCommand
{
    public static IEnumerable<Command> Create(Option<DirectoryInfo> corpora)
    {
        var recipe = new Option<FileInfo>("--recipe") { Description = "Recipe YAML file (recipes/secap-*.yaml).", Required = true };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value, e.g. --set stage2.epochs=2 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder. Default: runs/<recipe name>." };
        var decoder = new Option<string?>("--decoder") { Description = "Frozen caption LM folder, overriding the recipe's language_model: a `sentire train secap-lm` model or a Hugging Face LLaMA/Qwen2 checkpoint with its tokenizer (precision: --set language_model_precision=bf16)." };
        var stage = new Option<int>("--stage") { Description = "SECap training stage: 1 (STMIL + SCCL) or 2 (caption loss through the frozen LM).", Required = true };

        var lm = new Command("secap-lm", "Pre-train the small caption LM (LLaMA architecture) and its BPE tokenizer that SECap keeps frozen.") { recipe, overrides, corpora, output };
        lm.SetAction((parse, cancel) =>
        {
            var lmRecipe = parse.GetValue(recipe)!;
            if (CommonOptions.LoadRecipe<SecapLmRecipe>(lmRecipe.FullName, parse.GetValue(overrides) ?? [], (r, p) => r.Validate(p), Terminal.Error) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } root) return Task.FromResult(2);
            var run = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            AnsiConsole.MarkupLineInterpolated($"training caption LM [bold]{r.Name}[/] into {run}");
            var trainer = new SecapLmTrainer(r, RecipeLoader.ToYaml(r), root, run);
            return Task.FromResult(WithProgress(p => trainer.Run(p, cancel), $"done: LM in {Path.Combine(run, SecapLmTrainer.ModelFolder)}"));
        });

        var secap = new Command("secap", "Train SECap's Q-Former and projection (stage 1: STMIL + SCCL; stage 2: caption loss).") { recipe, overrides, corpora, output, stage, decoder };
        secap.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!;
            int s = parse.GetValue(stage);
            if (s is not (1 or 2)) return Task.FromResult(Fail($"--stage must be 1 or 2, got {s}"));
            var sets = parse.GetValue(overrides) ?? [];
            if (parse.GetValue(decoder) is { } decoderPath) sets = [.. sets, $"language_model={decoderPath}"];
            if (CommonOptions.LoadRecipe<SecapRecipe>(recipePath.FullName, sets, (r, p) => r.Validate(p), Terminal.Error) is not { } r) return Task.FromResult(2);
            if (!Directory.Exists(r.LanguageModel)) return Task.FromResult(Fail($"language_model folder {r.LanguageModel} not found: run `sentire train secap-lm --recipe recipes/secap-lm.yaml` first, or pass --decoder with a Hugging Face checkpoint folder"));
            if (CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } root) return Task.FromResult(2);
            var run = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            var yaml = RecipeLoader.ToYaml(r);
            AnsiConsole.MarkupLineInterpolated($"SECap stage {s} of [bold]{r.Name}[/] into {run}");
            return Task.FromResult(WithProgress(p =>
            {
                var context = Context(r, root, run, p);
                if (s == 1)
                    new SecapStage1Trainer(r, yaml, context, Path.Combine(run, "stage1")).Run(p, cancel);
                else
                {
                    var (model, _) = CaptionLanguageModel.Load(r.LanguageModel, r.LanguageModelPrecision);
                    new SecapStage2Trainer(r, yaml, context, model, r.LanguageModel, Path.GetFullPath(r.SpeechEncoder), Path.Combine(run, "stage1"), Path.Combine(run, "stage2")).Run(p, cancel);
                }
            }, s == 1 ? $"done: {Path.Combine(run, "stage1", SecapStage1Trainer.QFormerFile)}" : $"done: captioner in {Path.Combine(run, "stage2", SecapStage2Trainer.BestFolder)}"));
        });
        return [lm, secap];
    }

    /// <summary>Caption data (the LM run's file when it is there, so both use one split), the LM's tokenizer and the cached frames.</summary>
    static SecapContext Context(SecapRecipe r, string corporaRoot, string run, IProgress<TrainingProgress> progress)
    {
        var dataFile = CaptionDataset.FileName(r.Data, r.Seed);
        var lmRun = Path.GetDirectoryName(Path.GetFullPath(r.LanguageModel))!;
        var dataFolder = File.Exists(Path.Combine(lmRun, dataFile)) ? lmRun : run;
        var clips = CaptionDataset.LoadOrBuild(dataFolder, corporaRoot, r.Data, r.Seed,
            new SynchronousProgress<(int Done, int Total)>(p => progress.Report(new TrainingProgress("features", 0, 0, p.Done, p.Total, 0, 0))));
        var tokenizer = CaptionLanguageModel.LoadTokenizer(r.LanguageModel);
        // Frames live beside the caption data, so every run on that data (stages, ablations) shares one cache.
        var frames = SpeechFrameCache.Load(Path.Combine(dataFolder, "frames-cache"), r.SpeechEncoder, clips, r.Data.MaxSeconds,
            new SynchronousProgress<(int Done, int Total)>(p => progress.Report(new TrainingProgress("features", 0, 0, p.Done, p.Total, 0, 0))));
        return new SecapContext(clips, tokenizer, frames, frames.Values.First().Columns);
    }

    static int Fail(string message)
    {
        Terminal.Error(message);
        return 2;
    }

    static int WithProgress(Action<IProgress<TrainingProgress>> run, string done)
    {
        try
        {
            TrainingProgressView.Run(AnsiConsole.Console, "data and features", run);
        }
        catch (OperationCanceledException) { return TrainingProgressView.Stopped(AnsiConsole.Console); }
        catch (RecipeException e) { return Fail(e.Message); }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException) { return Fail(e.Message); }
        AnsiConsole.MarkupLineInterpolated($"{done}");
        return 0;
    }
}
