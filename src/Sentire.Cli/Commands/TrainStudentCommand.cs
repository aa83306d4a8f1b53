using System.CommandLine;
using Sentire.Training;
using Sentire.Training.Clap;
using Sentire.Training.Distillation;
using Sentire.Training.Recipes;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary><c>sentire train student --teacher models/emotion-clap-mobilenet --recipe recipes/student-tiny.yaml</c>: distils the
/// teacher into a tiny student (teacher outputs cached by weights hash; the same command resumes an interrupted run).</summary>
public static class TrainStudentCommand
{
    public static Command Create(Option<DirectoryInfo> corpora)
    {
        var teacher = new Option<DirectoryInfo>("--teacher") { Description = "Packaged teacher model folder (default: the default model).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("models", ModelLocator.DefaultModel)) };
        var recipe = new Option<FileInfo>("--recipe") { Description = "Recipe YAML file.", DefaultValueFactory = _ => new FileInfo(Path.Combine("recipes", "student-tiny.yaml")) };
        var overrides = new Option<string[]>("--set") { Description = "Override a recipe value, e.g. --set optim.epochs=5 (repeatable).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Run folder (checkpoint, metrics.csv, best/). Default: runs/<recipe name>." };
        var command = new Command("student", $"Distil a teacher into a log-mel student (Wav2Small-style; {new Models.Student.TinyStudentConfig().ParameterCount().ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} parameters at the default sizes).") { teacher, recipe, overrides, corpora, output };
        command.SetAction((parse, cancel) =>
        {
            var recipePath = parse.GetValue(recipe)!.FullName;
            if (CommonOptions.LoadRecipe<StudentRecipe>(recipePath, parse.GetValue(overrides) ?? [], (r, p) => r.Validate(p), Terminal.Error) is not { } r
                || CommonOptions.CorporaRoot(parse, corpora, Terminal.Error) is not { } corporaRoot) return Task.FromResult(2);
            var teacherFolder = parse.GetValue(teacher)!.FullName;
            var runFolder = parse.GetValue(output)?.FullName ?? Path.Combine("runs", r.Name);
            var relativeRecipe = Path.GetRelativePath(Environment.CurrentDirectory, recipePath);
            var distiller = new StudentDistiller(r, RecipeLoader.ToYaml(r), relativeRecipe, ClapTeacher.Load(teacherFolder), corporaRoot, runFolder);
            AnsiConsole.MarkupLineInterpolated($"distilling {teacherFolder} into [bold]{r.Name}[/] in {runFolder}");
            try
            {
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var features = ctx.AddTask("features");
                        var teacherTask = ctx.AddTask("teacher outputs", autoStart: false);
                        var epochTask = ctx.AddTask("epoch", autoStart: false);
                        distiller.Run(new SynchronousProgress<TrainingProgress>(p =>
                        {
                            switch (p.Phase)
                            {
                                case "features": features.MaxValue = p.Steps; features.Value = p.Step; break;
                                case "teacher":
                                    if (!teacherTask.IsStarted) teacherTask.StartTask();
                                    teacherTask.MaxValue = p.Steps; teacherTask.Value = p.Step; break;
                                case "train":
                                    if (!epochTask.IsStarted) epochTask.StartTask();
                                    epochTask.Description = $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3}";
                                    epochTask.MaxValue = p.Steps; epochTask.Value = p.Step; break;
                                default: AnsiConsole.MarkupLineInterpolated($"{p.Phase}"); break;
                            }
                        }), cancel);
                    });
            }
            catch (OperationCanceledException) { AnsiConsole.MarkupLine("[yellow]stopped; run the same command to resume[/]"); return Task.FromResult(130); }
            catch (RecipeException e) { Terminal.Error(e.Message); return Task.FromResult(2); }
            AnsiConsole.MarkupLineInterpolated($"done: best student in {Path.Combine(runFolder, StudentDistiller.BestFolder)}, metrics in {Path.Combine(runFolder, StudentDistiller.MetricsFile)}");
            return Task.FromResult(0);
        });
        return command;
    }
}
