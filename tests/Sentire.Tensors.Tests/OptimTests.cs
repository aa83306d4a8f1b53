using Sentire.Tensors.Optim;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Tensors.Tests;

/// <summary>Optimisers against torch.optim (tools/golden/safetensors_fixture.py): 3 steps on fixed parameters and
/// gradients. Bit-exact (tolerance 0): the updates repeat torch's operation order, float32 rounding and the fused
/// multiply-adds of its vectorised CPU kernels.</summary>
public sealed class OptimTests
{
    const float Tolerance = 0f;
    static readonly Dictionary<string, Tensor> Reference = SafeTensors.Read(RepoPaths.Fixture("engine/optim_reference.safetensors"));

    static (Tensor P0, Tensor P1) FreshParameters() => (Reference["init.p0"].Clone(), Reference["init.p1"].Clone());

    static void SetGradients(Tensor p0, Tensor p1, int step)
    {
        p0.Grad = Reference[$"grad{step}.p0"].Clone();
        p1.Grad = Reference[$"grad{step}.p1"].Clone();
    }

    static void AssertClose(Tensor expected, Tensor actual, string what, float tolerance = Tolerance) =>
        ReferenceAssert.Close(expected, actual, tolerance, what);

    [Fact]
    public void AdamWWithTwoParameterGroupsMatchesTorch()
    {
        var (p0, p1) = FreshParameters();
        var adamw = new AdamW([new ParamGroup([new("p0", p0)], weightDecay: 0.1), new ParamGroup([new("p1", p1)], weightDecay: 0)],
            learningRate: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        for (int step = 0; step < 3; step++)
        {
            SetGradients(p0, p1, step);
            adamw.Step();
            AssertClose(Reference[$"adamw.step{step}.p0"], p0, $"step {step} p0");
            AssertClose(Reference[$"adamw.step{step}.p1"], p1, $"step {step} p1");
        }
        var state = adamw.StateDict();
        AssertClose(Reference["adamw.exp_avg.p0"], state["p0.exp_avg"], "exp_avg");
        AssertClose(Reference["adamw.exp_avg_sq.p1"], state["p1.exp_avg_sq"], "exp_avg_sq");
        Assert.Equal(3f, state["p0.step"].Item());
    }

    [Fact]
    public void AdamWStateExportedAfterTwoStepsResumesToTorchsThirdStep()
    {
        var (p0, p1) = FreshParameters();
        ParamGroup[] Groups(Tensor a, Tensor b) => [new([new("p0", a)], weightDecay: 0.1), new([new("p1", b)], weightDecay: 0)];
        var first = new AdamW(Groups(p0, p1), learningRate: 0.01);
        for (int step = 0; step < 2; step++) { SetGradients(p0, p1, step); first.Step(); }
        var saved = first.StateDict();

        var resumed = new AdamW(Groups(p0, p1), learningRate: 0.01);
        resumed.LoadStateDict(saved);
        SetGradients(p0, p1, 2);
        resumed.Step();
        AssertClose(Reference["adamw.step2.p0"], p0, "resumed p0");
        AssertClose(Reference["adamw.step2.p1"], p1, "resumed p1");

        saved["p0.exp_avg"] = Tensor.Zeros(4, 3);
        var e = Assert.Throws<InvalidDataException>(() => resumed.LoadStateDict(saved));
        Assert.Contains("p0.exp_avg: found [4, 3], expected [3, 4]", e.Message);
    }

    [Theory]
    [InlineData("sgd", 0.9, 0.01, false)]
    [InlineData("sgd_nesterov", 0.9, 0.01, true)]
    [InlineData("sgd_plain", 0.0, 0.0, false)]
    public void SgdMatchesTorch(string name, double momentum, double weightDecay, bool nesterov)
    {
        var (p0, p1) = FreshParameters();
        var sgd = new Sgd(new Dictionary<string, Tensor> { ["p0"] = p0, ["p1"] = p1 }, learningRate: 0.1, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov);
        for (int step = 0; step < 3; step++)
        {
            SetGradients(p0, p1, step);
            sgd.Step();
            AssertClose(Reference[$"{name}.step{step}.p0"], p0, $"{name} step {step} p0");
            AssertClose(Reference[$"{name}.step{step}.p1"], p1, $"{name} step {step} p1");
        }
    }

    [Fact]
    public void ParametersWithoutGradientsAreSkipped()
    {
        var (p0, p1) = FreshParameters();
        var before = p1.Clone();
        var sgd = new Sgd(new Dictionary<string, Tensor> { ["p0"] = p0, ["p1"] = p1 }, learningRate: 0.1);
        p0.Grad = Tensor.Ones(3, 4);
        sgd.Step();
        Assert.Equal(before.Data.ToArray(), p1.Data.ToArray());
        Assert.Equal(Reference["init.p0"].Data[0] - 0.1f, p0.Data[0], 6);
        sgd.ZeroGrad();
        Assert.Null(p0.Grad);
    }

    [Fact]
    public void ClipGlobalNormMatchesTorch()
    {
        var (p0, p1) = FreshParameters();
        SetGradients(p0, p1, 0);
        float norm = GradClip.ClipGlobalNorm([p0, p1], 1f);
        Assert.Equal(Reference["clip.norm"].Item(), norm, 5);
        Assert.True(norm > 1f, $"fixture norm {norm} should need clipping");
        AssertClose(Reference["clip.g_p0"], p0.Grad!, "clipped p0 grad");
        AssertClose(Reference["clip.g_p1"], p1.Grad!, "clipped p1 grad");

        // Below the threshold nothing changes; the norm of (3, 4) is 5.
        var q = Tensor.Zeros(2);
        q.Grad = Tensor.FromArray([3f, 4], 2);
        Assert.Equal(5f, GradClip.ClipGlobalNorm([q], 10f));
        Assert.Equal([3f, 4], q.Grad.Data.ToArray());
    }

    [Fact]
    public void SplitWeightDecayKeepsNormsAndBiasesOutOfDecay()
    {
        var named = new Dictionary<string, Tensor>
        {
            ["proj.weight"] = Tensor.Zeros(3, 4), ["proj.bias"] = Tensor.Zeros(3),
            ["norm.weight"] = Tensor.Zeros(3), ["embed.weight"] = Tensor.Zeros(5, 3),
        };
        var groups = ParamGroup.SplitWeightDecay(named, 0.05);
        var adamw = new AdamW(groups, learningRate: 1e-3);
        Assert.Equal(["proj.weight", "embed.weight"], adamw.Groups[0].Parameters.Select(p => p.Key));
        Assert.Equal(0.05, adamw.Groups[0].WeightDecay);
        Assert.Equal(["proj.bias", "norm.weight"], adamw.Groups[1].Parameters.Select(p => p.Key));
        Assert.Equal(0.0, adamw.Groups[1].WeightDecay);
        adamw.SetLearningRateFactor(0.5);
        Assert.Equal(5e-4, adamw.Groups[1].LearningRate, 12);
    }

    [Theory]
    [InlineData(LrDecay.Cosine, 0.0, 0, 0.0)]
    [InlineData(LrDecay.Cosine, 0.0, 5, 5e-4)]          // half-way through warm-up
    [InlineData(LrDecay.Cosine, 0.0, 10, 1e-3)]         // peak
    [InlineData(LrDecay.Cosine, 0.0, 60, 5e-4)]         // cos(pi/2) = 0: half the peak
    [InlineData(LrDecay.Cosine, 0.0, 35, 8.535533905932737e-4)]   // (1 + cos(pi/4)) / 2 * 1e-3
    [InlineData(LrDecay.Cosine, 1e-4, 60, 5.5e-4)]      // min + (peak - min) / 2
    [InlineData(LrDecay.Cosine, 1e-4, 110, 1e-4)]
    [InlineData(LrDecay.Cosine, 1e-4, 500, 1e-4)]       // stays at min after the end
    [InlineData(LrDecay.Linear, 0.0, 35, 7.5e-4)]
    [InlineData(LrDecay.Linear, 2e-4, 85, 4e-4)]        // 2e-4 + 8e-4 * 0.25
    [InlineData(LrDecay.Constant, 0.0, 5, 5e-4)]
    [InlineData(LrDecay.Constant, 0.0, 1000, 1e-3)]
    public void LrScheduleAtKnownSteps(LrDecay decay, double minLr, long step, double expected)
    {
        var schedule = new LrSchedule(1e-3, warmupSteps: 10, totalSteps: 110, decay, minLr);
        Assert.Equal(expected, schedule.LearningRate(step), 12);
        Assert.Equal(expected / 1e-3, schedule.Factor(step), 9);
    }
}
