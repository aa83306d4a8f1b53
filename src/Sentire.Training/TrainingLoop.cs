using System.Diagnostics;
using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;

namespace Sentire.Training;

/// <summary>Where an epoch ended, as the loop hands it to a trainer's validation.</summary>
public readonly record struct EpochSummary(int Epoch, long Step, double TrainLoss, double LearningRate);

/// <summary>
/// A trainer's validation of one epoch: its metrics.csv values (<see cref="TrainingLoop.Columns"/>, between train_loss
/// and learning_rate, and <see cref="TrainingLoop.TrailingColumns"/>, after seconds), the metrics its checkpoint
/// records, the score that picks the best epoch (<see cref="TrainingLoop.Best"/>; unused without one) and the
/// progress line.
/// </summary>
public sealed record EpochReport(IReadOnlyList<double> Columns, IReadOnlyDictionary<string, double> Checkpoint, string Message,
    double Score = double.NaN, IReadOnlyList<double>? TrailingColumns = null);

/// <summary>How the best epoch is picked and kept: its score is saved in the checkpoint as <paramref name="Metric"/>
/// ("best/uar", "best/valid_loss"), and <paramref name="Save"/> packages the model (holding the weights that were
/// validated) whenever an epoch (its argument) beats it.</summary>
public sealed record BestEpoch(string Metric, bool HigherIsBetter, Action<int> Save);

/// <summary>What a run did: whether this call trained an epoch, and metrics.csv's rows (loaded and added).</summary>
public sealed record TrainingOutcome(bool Trained, IReadOnlyList<double[]> Rows);

/// <summary>
/// The one epoch loop of every trainer. A trainer supplies the model (what the checkpoint holds), its optimiser and
/// learning-rate schedule, a <see cref="Step"/> (the epoch's generator and the step index -> the batch's loss) and a
/// <see cref="Validate"/>; the loop does the rest, in this order:
///  1) resume: restore model and optimiser from <see cref="CheckpointFile"/> in <see cref="Folder"/> when it exists,
///     start after its epoch at its optimiser step, keep metrics.csv's rows up to that epoch and the best score so far;
///  2) each epoch: a generator seeded by (seed, epoch) only (<see cref="EpochGenerator"/>), so a resumed run draws the
///     same batches an uninterrupted one would; <see cref="BeginEpoch"/>; model.Train();
///  3) each step: the schedule's factor at the step, the loss, zero grad, backward, gradients clipped to
///     <see cref="GradClip"/> (global norm over <see cref="ClippedParameters"/>), optimiser step, <see cref="AfterStep"/>,
///     the weight average updated, a "train" progress report with the running mean loss;
///  4) after the steps: model.Eval(); with <see cref="Average"/> the averaged weights are swapped in and validated;
///     a better score packages the model (<see cref="Best"/>); the training weights are swapped back; metrics.csv gets
///     the row [epoch, step, train_loss, columns..., learning_rate, seconds, trailing columns...]; the checkpoint is
///     replaced atomically (training weights, optimiser state, step, the report's metrics and the best score);
///  5) early stopping after <see cref="EarlyStopPatience"/> epochs without a better score; at the end the averaged
///     weights are left in the model, as the result.
/// </summary>
public sealed class TrainingLoop
{
    public const string CheckpointFile = "checkpoint.safetensors", MetricsFile = "metrics.csv";

    /// <summary>Run folder holding <see cref="CheckpointFile"/> and <see cref="MetricsFile"/>.</summary>
    public required string Folder { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>The recipe as text, recorded in every checkpoint.</summary>
    public required string RecipeText { get; init; }
    /// <summary>What the checkpoint holds and what is put in training / evaluation mode.</summary>
    public required Module Model { get; init; }
    public required Optimizer Optimizer { get; init; }
    public required LrSchedule Schedule { get; init; }
    public required int Epochs { get; init; }
    /// <summary>Optimiser steps per epoch (0: validation only).</summary>
    public required int StepsPerEpoch { get; init; }
    public required double GradClip { get; init; }
    public required IReadOnlyList<Tensor> ClippedParameters { get; init; }
    /// <summary>metrics.csv columns between train_loss and learning_rate.</summary>
    public required IReadOnlyList<string> Columns { get; init; }
    /// <summary>metrics.csv columns after seconds.</summary>
    public IReadOnlyList<string> TrailingColumns { get; init; } = [];
    /// <summary>Exponential moving average of the weights that is validated and packaged (null: the last weights).</summary>
    public WeightAverage? Average { get; init; }
    public BestEpoch? Best { get; init; }
    /// <summary>Epochs without a better score before stopping (needs <see cref="Best"/>; the checkpoint then records
    /// "best/epoch" too); null trains every epoch.</summary>
    public int? EarlyStopPatience { get; init; }

    /// <summary>Called at the start of each epoch with its generator (before any step), e.g. to shuffle.</summary>
    public Action<int, Generator>? BeginEpoch { get; init; }
    /// <summary>The loss of one step: (epoch generator, step index in the epoch) -> scalar loss (before backward).</summary>
    public required Func<Generator, int, Tensor> Step { get; init; }
    /// <summary>Called after each optimiser step (e.g. to clamp a parameter).</summary>
    public Action? AfterStep { get; init; }
    /// <summary>Scores the model after an epoch (in evaluation mode, with the averaged weights when averaging).</summary>
    public required Func<EpochSummary, EpochReport> Validate { get; init; }

    /// <summary>The generator of one epoch's data order and augmentation: a function of (seed, epoch) only.</summary>
    public static Generator EpochGenerator(ulong seed, int epoch) => new(seed * 1_000_003UL + (ulong)epoch);

    public IReadOnlyList<string> AllColumns => ["epoch", "step", "train_loss", .. Columns, "learning_rate", "seconds", .. TrailingColumns];

    public TrainingOutcome Run(IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        if (EarlyStopPatience is not null && Best is null) throw new InvalidOperationException("early stopping needs a best-epoch selection");
        Directory.CreateDirectory(Folder);
        var checkpointPath = Path.Combine(Folder, CheckpointFile);
        var resume = TrainingResume.From(checkpointPath, Model, Optimizer);
        long step = resume.Step;
        double best = Best is null ? double.NaN : resume.Metric(Best.Metric, Best.HigherIsBetter ? double.NegativeInfinity : double.PositiveInfinity);
        int bestEpoch = (int)resume.Metric("best/epoch", 0);
        var metrics = new MetricsCsv(Path.Combine(Folder, MetricsFile), AllColumns);
        metrics.LoadUpTo(resume.StartEpoch - 1);

        bool trained = false;
        for (int epoch = resume.StartEpoch; epoch <= Epochs && (EarlyStopPatience is not int patience || epoch - bestEpoch <= patience); epoch++)
        {
            var clock = Stopwatch.StartNew();
            trained = true;
            var rng = EpochGenerator(Seed, epoch);
            BeginEpoch?.Invoke(epoch, rng);
            Model.Train();
            double lossSum = 0;
            for (int s = 0; s < StepsPerEpoch; s++)
            {
                cancel.ThrowIfCancellationRequested();
                Optimizer.SetLearningRateFactor(Schedule.Factor(step));
                var loss = Step(rng, s);
                Optimizer.ZeroGrad();
                loss.Backward();
                Tensors.Optim.GradClip.ClipGlobalNorm(ClippedParameters, (float)GradClip);
                Optimizer.Step();
                AfterStep?.Invoke();
                Average?.Update();
                step++;
                lossSum += loss.Item();
                progress?.Report(new TrainingProgress("train", epoch, Epochs, s + 1, StepsPerEpoch, lossSum / (s + 1), Schedule.LearningRate(step)));
            }

            Model.Eval();
            Average?.Swap();   // the averaged weights are what is validated and packaged
            double trainLoss = lossSum / StepsPerEpoch, learningRate = Schedule.LearningRate(step);
            var report = Validate(new EpochSummary(epoch, step, trainLoss, learningRate));
            if (report.Columns.Count != Columns.Count || (report.TrailingColumns?.Count ?? 0) != TrailingColumns.Count)
                throw new InvalidOperationException($"the validation gave {report.Columns.Count} + {report.TrailingColumns?.Count ?? 0} metrics for {Columns.Count} + {TrailingColumns.Count} columns");
            var saved = new Dictionary<string, double>(report.Checkpoint);
            if (Best is not null)
            {
                if (Best.HigherIsBetter ? report.Score > best : report.Score < best)
                {
                    best = report.Score;
                    bestEpoch = epoch;
                    Best.Save(epoch);
                }
                saved[Best.Metric] = best;
                if (EarlyStopPatience is not null) saved["best/epoch"] = bestEpoch;
            }
            Average?.Swap();   // the training weights go to the checkpoint (a resumed run restarts the average from them)
            metrics.Add([epoch, step, trainLoss, .. report.Columns, learningRate, clock.Elapsed.TotalSeconds, .. report.TrailingColumns ?? []]);
            Checkpoint.Save(checkpointPath, Model, Optimizer, new TrainingState
            {
                Epoch = epoch,
                Step = step,
                RngSeeds = new Dictionary<string, ulong> { ["seed"] = Seed },
                Metrics = saved,
                Recipe = RecipeText,
            });
            progress?.Report(new TrainingProgress(report.Message, epoch, Epochs, StepsPerEpoch, StepsPerEpoch, trainLoss, learningRate));
        }
        Average?.Swap();
        return new TrainingOutcome(trained, metrics.Rows);
    }
}
