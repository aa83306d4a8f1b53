using Sentire.Training.Clap;

namespace Sentire.Training.Tests.Clap;

/// <summary>docs/results.md's tables from hand-made results: fold means and sample standard deviations, the fixed
/// RAVDESS split, and the ASED common-length rows (the baseline's included) beside the duration-only classifier.</summary>
public sealed class EmotionResultsTests
{
    static SplitResult Result(string model, string split, double ravdessUar, double asedUar, double? asedCut = null, double? durationOnly = null) =>
        new(model, split, 120, new Dictionary<string, CorpusScore> { ["ravdess"] = new(ravdessUar, ravdessUar + 0.01, 100), ["ased"] = new(asedUar, asedUar, 50) },
            asedCut is double c ? new CorpusScore(c, c, 50) : null, durationOnly is double d ? new CorpusScore(d, d, 50) : null);

    [Fact]
    public void TablesGiveFoldMeansAndSpreadsAndTheAsedLengthCheckForEveryModel()
    {
        var results = new List<SplitResult>
        {
            Result("baseline", "fold:1/2", 0.30, 0.50, asedCut: 0.48, durationOnly: 0.70),
            Result("baseline", "fold:2/2", 0.40, 0.60, asedCut: 0.52, durationOnly: 0.80),
            Result("baseline", "ravdess-17-20", 0.333, 0.0),
            Result("emo-clap", "fold:1/2", 0.20, 0.25, asedCut: 0.24),
            Result("emo-clap", "fold:2/2", 0.30, 0.35, asedCut: 0.26),
        };
        var md = EmotionResults.Markdown(results, 2, ["ravdess", "ased"], "cmd", "recipe summary");
        var lines = md.Split('\n');
        // Main table: RAVDESS UAR 35.0 ± 7.1 (sd of 0.30, 0.40 = 0.0707), WAR +1 point; ASED 55.0 ± 7.1; fixed split 33.3 / 34.3.
        Assert.Contains("| classical baseline (prosodic functionals + logistic regression) | 35.0 ± 7.1 | 36.0 ± 7.1 | 55.0 ± 7.1 | 55.0 ± 7.1 | 33.3 | 34.3 |", lines);
        Assert.Contains("| Emo-CLAP | 25.0 ± 7.1 | 26.0 ± 7.1 | 30.0 ± 7.1 | 30.0 ± 7.1 | - | - |", lines);
        // ASED check: as is vs cut to 2 s, baseline first, then the duration-only classifier.
        Assert.Contains("| classical baseline (prosodic functionals + logistic regression) | 55.0 ± 7.1 | 50.0 ± 2.8 | 55.0 ± 7.1 | 50.0 ± 2.8 |", lines);
        Assert.Contains("| Emo-CLAP | 30.0 ± 7.1 | 25.0 ± 1.4 | 30.0 ± 7.1 | 25.0 ± 1.4 |", lines);
        Assert.Contains("| duration only (no audio) | 75.0 ± 7.1 | - | 75.0 ± 7.1 | - |", lines);
        Assert.Contains(lines, l => l.Contains("Incomplete: 5 of 12 runs finished"));
    }

    [Fact]
    public void TheNoProsodyAblationGetsItsOwnRowsAndCountsAsAModel()
    {
        var results = new List<SplitResult>
        {
            Result("emo-clap", "fold:1/2", 0.40, 0.60, asedCut: 0.58),
            Result("emo-clap", "fold:2/2", 0.40, 0.60, asedCut: 0.58),
            Result(EmotionResults.NoProsodyAblation, "fold:1/2", 0.20, 0.30, asedCut: 0.28),
        };
        var lines = EmotionResults.Markdown(results, 2, ["ravdess", "ased"], "cmd", "recipe summary").Split('\n');
        const string name = "ablation: Emo-CLAP without prosody (encoder.prosody off, otherwise the same recipe)";
        // One fold of two: the cell says how many folds it averages.
        Assert.Contains($"| {name} | 20.0 ± - (1/2 folds) | 21.0 ± - (1/2 folds) | 30.0 ± - (1/2 folds) | 30.0 ± - (1/2 folds) | - | - |", lines);
        Assert.Contains($"| {name} | 30.0 ± - (1/2 folds) | 28.0 ± - (1/2 folds) | 30.0 ± - (1/2 folds) | 28.0 ± - (1/2 folds) |", lines);
        Assert.Contains(lines, l => l.Contains("Incomplete: 3 of 15 runs finished"));       // (3 variants + baseline + ablation) x (2 folds + 1)
    }

    [Fact]
    public void LeaveOneCorpusOutGetsItsOwnTableAndDoesNotCountAsAFold()
    {
        var results = new List<SplitResult>
        {
            Result("baseline", "fold:1/2", 0.30, 0.50),
            Result("baseline", "fold:2/2", 0.40, 0.60),
            // Each LOCO run scores only the corpus it left out; the other corpus's cell of that run is never read.
            new("baseline", "without:ravdess", 60, new Dictionary<string, CorpusScore> { ["ravdess"] = new(0.21, 0.22, 100) }),
            new("baseline", "without:ased", 60, new Dictionary<string, CorpusScore> { ["ased"] = new(0.43, 0.44, 50) }),
            new("emo-clap", "without:ased", 60, new Dictionary<string, CorpusScore> { ["ased"] = new(0.5, 0.5, 50) }),
        };
        var lines = EmotionResults.Markdown(results, 2, ["ravdess", "ased"], "cmd", "recipe summary").Split('\n');
        // The fold table is unchanged by the LOCO runs: baseline RAVDESS 35.0 ± 7.1 over the two folds.
        Assert.Contains("| classical baseline (prosodic functionals + logistic regression) | 35.0 ± 7.1 | 36.0 ± 7.1 | 55.0 ± 7.1 | 55.0 ± 7.1 | - | - |", lines);
        Assert.Contains(lines, l => l.Contains("Incomplete: 2 of 12 runs finished"));
        int loco = Array.IndexOf(lines, "## Leave one corpus out");
        Assert.True(loco > 0);
        Assert.Equal("| model | ravdess UAR | ased UAR | mean |", lines[loco + 4]);
        Assert.Equal("| classical baseline (prosodic functionals + logistic regression) | 21.0 | 43.0 | 32.0 |", lines[loco + 6]);
        Assert.Equal("| Emo-CLAP | - | 50.0 | 50.0 (1/2 corpora) |", lines[loco + 7]);
        Assert.Equal(["without:ravdess", "without:ased"], EmotionResults.LocoSplits(["ravdess", "ased"]));
        // Asked for two models (--models baseline,emo-clap): 2 x (2 folds + RAVDESS 17-20) runs make the fold table whole.
        var two = EmotionResults.Markdown(results, 2, ["ravdess", "ased"], "cmd", "recipe summary", models: ["baseline", "emo-clap"]).Split('\n');
        Assert.Contains(two, l => l.Contains("Incomplete: 2 of 6 runs finished"));
        // With --loco the left-out runs count too: 2 x (2 folds + RAVDESS 17-20 + 2 corpora left out) = 10, 2 + 3 finished.
        var withLoco = EmotionResults.Markdown(results, 2, ["ravdess", "ased"], "cmd", "recipe summary", models: ["baseline", "emo-clap"], withLoco: true).Split('\n');
        Assert.Contains(withLoco, l => l.Contains("Incomplete: 5 of 10 runs finished"));
    }
}
