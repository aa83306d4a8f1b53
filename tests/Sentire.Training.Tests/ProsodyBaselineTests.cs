using Sentire.Training.Baselines;

namespace Sentire.Training.Tests;

public sealed class ProsodyBaselineTests
{
    [Fact]
    public void SeparatesClassesThatDifferInOneFeatureAndTreatsMissingValuesAsTheMean()
    {
        // Three classes differ in feature 0 (-5, 0, 5) on unrelated scales; feature 1 is noise and sometimes NaN.
        var rng = new Sentire.Tensors.Generator(4);
        var features = new List<double[]>();
        var targets = new List<int>();
        for (int i = 0; i < 90; i++)
        {
            int c = i % 3;
            features.Add([1000 + (c - 1) * 5 + rng.NextNormal(), i % 7 == 0 ? double.NaN : rng.NextNormal() * 100]);
            targets.Add(c);
        }
        var model = ProsodyBaseline.Fit(features, targets, ["low", "mid", "high"], steps: 300);
        var m = model.Evaluate(features, targets);
        Assert.Equal(1.0, m.Uar, 6);
        Assert.Equal([0, 1, 2], model.Predict([[995, double.NaN], [1000, 0], [1005, 50]]));
    }

    [Fact]
    public void FeatureVectorMatchesItsNames()
    {
        var summary = Sentire.Audio.Prosody.ProsodyAnalyzer.Summarize(
            Enumerable.Range(0, 16000).Select(i => (float)(0.3 * Math.Sin(2 * Math.PI * 200 * i / 16000.0))).ToArray(), 16000);
        var f = ProsodyBaseline.Features(summary);
        Assert.Equal(ProsodyBaseline.FeatureNames.Count, f.Length);
        // a steady 200 Hz tone: median F0 12 log2(200 / 27.5) = 34.35 semitones above 27.5 Hz, with no variation
        double expected = 12 * Math.Log2(200 / 27.5);
        Assert.InRange(f[3], expected - 0.02, expected + 0.02);
        Assert.True(f[1] < 0.1);
    }
}
