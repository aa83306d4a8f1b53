using Sentire.Tensors;
using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;

namespace Sentire.Training.Tests;

/// <summary>The one epoch loop on a one-weight regression (y = 2x, x drawn from the epoch's generator): an interrupted
/// and resumed run ends byte for byte where an uninterrupted one does, and early stopping counts epochs without a
/// better score.</summary>
public sealed class TrainingLoopTests
{
    static TrainingOutcome Train(string folder, int epochs, Func<int, double>? score = null, int? patience = null, List<int>? saved = null)
    {
        var model = new Linear(1, 1, new Generator(1));
        return new TrainingLoop
        {
            Folder = folder,
            Seed = 5,
            RecipeText = "toy",
            Model = model,
            Optimizer = new AdamW(model.NamedParameters(), 0.05),
            Schedule = new LrSchedule(0.05, 2, 4L * 3, LrDecay.Cosine, 0.001),
            Epochs = epochs,
            StepsPerEpoch = 3,
            GradClip = 1.0,
            ClippedParameters = [.. model.Parameters()],
            Columns = ["valid_loss"],
            Best = score is null ? null : new BestEpoch("best/score", HigherIsBetter: true, epoch => saved!.Add(epoch)),
            EarlyStopPatience = patience,
            Step = (rng, _) =>
            {
                var x = Tensor.Normal(rng, 0, 1, 4, 1);
                return Loss.Mse(model.Forward(x), x * 2f);
            },
            Validate = end =>
            {
                using var _ = Autograd.NoGrad();
                var x = new Tensor([1f, -1f], 2, 1);
                double valid = Loss.Mse(model.Forward(x), x * 2f).Item();
                return new EpochReport([valid], new Dictionary<string, double> { ["valid/loss"] = valid }, $"epoch {end.Epoch}", Score: score?.Invoke(end.Epoch) ?? double.NaN);
            },
        }.Run(null, CancellationToken.None);
    }

    /// <summary>metrics.csv without its seconds column (column 5 here).</summary>
    static string[] WithoutSeconds(string folder) =>
        [.. File.ReadAllLines(Path.Combine(folder, TrainingLoop.MetricsFile)).Select(l => string.Join(',', l.Split(',').Where((_, i) => i != 5)))];

    [Fact]
    public void AResumedRunEndsByteForByteWhereAnUninterruptedOneDoes()
    {
        var root = Directory.CreateTempSubdirectory("sentire-loop-").FullName;
        try
        {
            string whole = Path.Combine(root, "whole"), parts = Path.Combine(root, "parts");
            var all = Train(whole, 4);
            Assert.True(all.Trained);
            Assert.Equal(4, all.Rows.Count);
            Assert.True(all.Rows[^1][3] < all.Rows[0][3], "valid loss falls");
            Train(parts, 2);
            var rest = Train(parts, 4);
            Assert.Equal(4, rest.Rows.Count);
            Assert.Equal(WithoutSeconds(whole), WithoutSeconds(parts));
            Assert.Equal(File.ReadAllBytes(Path.Combine(whole, TrainingLoop.CheckpointFile)), File.ReadAllBytes(Path.Combine(parts, TrainingLoop.CheckpointFile)));
            Assert.False(Train(parts, 4).Trained);                                              // nothing left to do
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void EarlyStoppingCountsEpochsWithoutABetterScoreAcrossAResume()
    {
        var root = Directory.CreateTempSubdirectory("sentire-loop-").FullName;
        try
        {
            // the score peaks at epoch 2: with patience 2 epochs 3 and 4 run, epoch 5 does not
            static double Score(int epoch) => epoch == 2 ? 1 : 0;
            var saved = new List<int>();
            Assert.Equal(2, Train(root, 2, Score, patience: 2, saved).Rows.Count);
            var outcome = Train(root, 10, Score, patience: 2, saved);
            Assert.Equal(4, outcome.Rows.Count);
            Assert.Equal([1, 2], saved);                                                        // best/ written when the score rose
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
