using Sentire.Training;
using Sentire.Training.Clap;
using Spectre.Console;

namespace Sentire.Cli.Commands;

/// <summary>The progress display of the training commands: a bar for data loading and feature extraction, one for
/// the steps of the current epoch, and every other phase (an epoch summary) printed as a line.</summary>
static class TrainingProgressView
{
    /// <param name="dataLabel">name of the data bar, which the "features" and "captions" phases fill.</param>
    /// <param name="describeEpoch">text of the epoch bar for a "train" report.</param>
    public static T Run<T>(IAnsiConsole console, string dataLabel, Func<TrainingProgress, string> describeEpoch, Func<IProgress<TrainingProgress>, T> run) =>
        console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var features = ctx.AddTask(dataLabel);
                var epochTask = ctx.AddTask("epoch", autoStart: false);
                return run(new SynchronousProgress<TrainingProgress>(p =>
                {
                    if (p.Phase is "features" or "captions") { features.MaxValue = Math.Max(1, p.Steps); features.Value = p.Step; return; }
                    features.Value = features.MaxValue;
                    if (p.Phase == "train")
                    {
                        if (!epochTask.IsStarted) epochTask.StartTask();
                        epochTask.Description = describeEpoch(p);
                        epochTask.MaxValue = p.Steps;
                        epochTask.Value = p.Step;
                    }
                    else console.MarkupLineInterpolated($"{p.Phase}");
                }));
            });

    /// <summary><see cref="Run{T}"/> for a run with no result, its epoch bar showing loss and learning rate.</summary>
    public static void Run(IAnsiConsole console, string dataLabel, Action<IProgress<TrainingProgress>> run) =>
        Run(console, dataLabel, p => $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4} lr {p.LearningRate:G3}", p => { run(p); return 0; });

    /// <summary>Tells the user a cancelled run resumes; returns the exit code of an interrupted command.</summary>
    public static int Stopped(IAnsiConsole console)
    {
        console.MarkupLine("[yellow]stopped; run the same command to resume from the last finished epoch[/]");
        return 130;
    }
}
