using Sentire.Models.Secap;
using Sentire.Tensors;

namespace Sentire.Models.Tests.Secap;

public sealed class SpeechCaptionContrastiveLossTests
{
    [Fact]
    public void MatchesHandComputedTerms()
    {
        // B = 3: clips 0 and 1 share category 0, clip 2 is category 1. Unit vectors in 2-D:
        // e = [ (1,0), (0,1), (1,0) ], d = [ (1,0), (0.6,0.8), (0.8,0.6) ].
        var e = Tensor.FromArray([1, 0, 0, 1, 1, 0], 3, 2);
        var d = Tensor.FromArray([1, 0, 0.6f, 0.8f, 0.8f, 0.6f], 3, 2);
        var loss = new SpeechCaptionContrastiveLoss(W1: 1, W2: 0.5f, W3: 2, Margin: 0.5f).Compute(e, d, [0, 0, 1]).Item();
        // S = e d^T = [[1, .6, .8], [0, .8, .6], [1, .6, .8]]
        // L0 = 1*(1-1) + .5*(1-.6) + 2*relu(.8-.5) = 0 + .2 + .6 = .8
        // L1 = 1*(1-.8) + .5*(1-0) + 2*relu(.6-.5) = .2 + .5 + .2 = .9
        // L2 = 1*(1-.8) + 0 + 2*(relu(1-.5) + relu(.6-.5)) = .2 + 1.2 = 1.4
        Assert.Equal((0.8 + 0.9 + 1.4) / 3, loss, 5);
    }

    [Fact]
    public void BatchesTakeKFromEachOfNCategories()
    {
        int[] categories = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2];
        var batches = SpeechCaptionContrastiveLoss.Batches(categories, n: 2, k: 2, new Generator(1)).ToList();
        Assert.NotEmpty(batches);
        foreach (var batch in batches)
        {
            Assert.Equal(4, batch.Length);
            var groups = batch.GroupBy(i => categories[i]).ToList();
            Assert.Equal(2, groups.Count);
            Assert.All(groups, g => Assert.Equal(2, g.Count()));
        }
        Assert.Equal(batches.SelectMany(b => b).Count(), batches.SelectMany(b => b).Distinct().Count());   // no clip twice in an epoch
    }
}

public sealed class VClubTests
{
    // y = rho x + sqrt(1 - rho^2) eps, x, eps ~ N(0, I_D): I(X; Y) = -D/2 log(1 - rho^2).
    // With the true conditional as q, E[U] = D rho^2 / (1 - rho^2) >= I.
    static (Tensor X, Tensor Y) Correlated(float rho, int n, int d, ulong seed)
    {
        var rng = new Generator(seed);
        var x = Tensor.Normal(rng, 0, 1, n, d);
        var eps = Tensor.Normal(rng, 0, 1, n, d);
        return (x, x * rho + eps * MathF.Sqrt(1 - rho * rho));
    }

    /// <summary>Fits q(y|x) = N(x W + b, diag(exp(s))) by gradient descent on the negative log-likelihood,
    /// then returns the vCLUB estimate on fresh samples.</summary>
    static float FittedEstimate(float rho, int d = 4)
    {
        var (x, y) = Correlated(rho, 512, d, seed: 11);
        var w = Tensor.Zeros(d, d); w.RequiresGrad = true;
        var b = Tensor.Zeros(d); b.RequiresGrad = true;
        var s = Tensor.Zeros(d); s.RequiresGrad = true;
        for (int step = 0; step < 300; step++)
        {
            var mu = x.MatMul(w) + b;
            var logVar = s.Reshape(1, d).Expand(x.Dim(0), d);
            var nll = VClub.NegativeLogLikelihood(mu, logVar, y);
            foreach (var p in new[] { w, b, s }) p.ZeroGrad();
            nll.Backward();
            using (Autograd.NoGrad())
                foreach (var p in new[] { w, b, s })
                    for (int i = 0; i < p.Length; i++) p.Data[i] -= 0.1f * p.Grad!.Data[i];
        }
        var (xt, yt) = Correlated(rho, 2048, d, seed: 99);
        using var _ = Autograd.NoGrad();
        return VClub.UpperBound(xt.MatMul(w) + b, s.Reshape(1, d).Expand(xt.Dim(0), d), yt).Item();
    }

    [Theory]
    [InlineData(0.3f)]
    [InlineData(0.6f)]
    [InlineData(0.8f)]
    public void FittedEstimateUpperBoundsTheAnalyticMutualInformation(float rho)
    {
        const int d = 4;
        double mi = -d / 2.0 * Math.Log(1 - rho * rho);
        double club = d * rho * rho / (1 - rho * rho);   // the bound's value at the true conditional
        float estimate = FittedEstimate(rho, d);
        Assert.True(estimate >= mi * 0.95, $"estimate {estimate} below I = {mi}");
        Assert.InRange(estimate, club * 0.8, club * 1.2);
    }

    [Fact]
    public void EstimateTracksDependenceAndVanishesForIndependentData()
    {
        float none = FittedEstimate(0f), weak = FittedEstimate(0.3f), strong = FittedEstimate(0.8f);
        Assert.InRange(none, -0.05f, 0.05f);
        Assert.True(none < weak && weak < strong);
    }

    [Fact]
    public void UpperBoundMatchesTheDoubleSumDefinition()
    {
        var rng = new Generator(3);
        var mu = Tensor.Normal(rng, 0, 1, 5, 3);
        var logVar = Tensor.Normal(rng, 0, 0.3f, 5, 3);
        var y = Tensor.Normal(rng, 0, 1, 5, 3);
        double LogQ(int i, int j)   // log q(y_j | x_i) without constants
        {
            double s = 0;
            for (int k = 0; k < 3; k++) s += -Math.Pow(y[j, k] - mu[i, k], 2) / (2 * Math.Exp(logVar[i, k])) - 0.5 * logVar[i, k];
            return s;
        }
        double positive = 0, negative = 0;
        for (int i = 0; i < 5; i++)
        {
            positive += LogQ(i, i) / 5;
            for (int j = 0; j < 5; j++) negative += LogQ(i, j) / 25;
        }
        Assert.Equal(positive - negative, VClub.UpperBound(mu, logVar, y).Item(), 4);
    }

    [Fact]
    public void Eq7ScoresOnlyTheCaptionTokensOfLeftPaddedRows()
    {
        // Two rows of T = 5 positions: row 0 ends in a caption of 2 tokens (ids 3, 1), row 1 in one of 3 (2, 0, 1).
        // Position p predicts token p + 1, so row 0 is scored at positions 2, 3 and row 1 at 1, 2, 3.
        var logits = Tensor.Normal(new Generator(4), 0, 1, 2, 5, 4);
        var loss = SecapObjectives.CaptionCrossEntropy(logits, [[3, 1], [2, 0, 1]]).Item();
        double expected = 0;
        foreach (var (row, position, token) in new[] { (0, 2, 3), (0, 3, 1), (1, 1, 2), (1, 2, 0), (1, 3, 1) })
        {
            var z = Enumerable.Range(0, 4).Select(v => (double)logits[row, position, v]).ToArray();
            expected += Math.Log(z.Sum(Math.Exp)) - z[token];
        }
        Assert.Equal(expected / 5, loss, 5);

        // Eq. 6 is the weighted sum of the terms that are on.
        Assert.Equal(0.1f * 2f + 1f * 3f, SecapObjectives.Stage1(Tensor.Scalar(2f), Tensor.Scalar(3f), wT1: 0.1f, wT2: 1f).Item(), 6);
        Assert.Equal(3f, SecapObjectives.Stage1(null, Tensor.Scalar(3f), wT1: 0.1f, wT2: 1f).Item(), 6);
    }
}
