using Sentire.Tensors.Nn;
using Sentire.Tensors.Optim;

namespace Sentire.Tensors.Tests;

public sealed class TensorArenaTests
{
    static readonly Tensor Weight = Tensor.Normal(new Generator(1), 0, 0.3f, 16, 16);
    static readonly Tensor Bias = Tensor.Normal(new Generator(2), 0, 0.1f, 16);

    /// <summary>A few layers of the ops inference uses: linear, GELU, layer norm, softmax.</summary>
    static Tensor Layer(Tensor x) => x.Linear(Weight, Bias).Gelu().LayerNorm(1).Softmax(-1) + x;

    static Tensor Input() => Tensor.Normal(new Generator(3), 0, 1, 4, 16);

    [Fact]
    public void SteadyStateReusesStorageAndMatchesTheHeap()
    {
        Tensor expected;
        using (Autograd.NoGrad()) expected = Layer(Layer(Input()));

        var arena = new TensorArena();
        var results = new List<Tensor>();
        int createdAfterFirst = 0;
        for (int call = 0; call < 3; call++)
        {
            var x = Input();
            using (var scope = arena.Enter())
                results.Add(scope.Keep(Layer(Layer(x))));
            if (call == 0) createdAfterFirst = arena.ArraysCreated;
        }
        Assert.True(createdAfterFirst > 0);
        Assert.Equal(createdAfterFirst, arena.ArraysCreated); // later calls allocate no storage
        foreach (var r in results) Assert.Equal(expected.Data.ToArray(), r.Data.ToArray()); // kept copies survive later scopes
    }

    [Fact]
    public void ScopeTurnsGradModeOffAndRestoresIt()
    {
        var arena = new TensorArena();
        Assert.True(Autograd.IsEnabled);
        using (arena.Enter())
        {
            Assert.False(Autograd.IsEnabled);
            var w = Tensor.Ones(3);
            w.RequiresGrad = true;
            Assert.False((w * 2f).RequiresGrad); // nothing recorded
        }
        Assert.True(Autograd.IsEnabled);
        Assert.Equal(0, arena.Depth);
    }

    [Fact]
    public void NestedScopesHoldOneLayerNotTheWholeForward()
    {
        var flat = new TensorArena();
        using (var scope = flat.Enter())
        {
            var x = Input();
            for (int i = 0; i < 6; i++) x = Layer(x);
            scope.Keep(x);
        }

        var nested = new TensorArena();
        Tensor result;
        using (var outer = nested.Enter())
        {
            var x = Input();
            for (int i = 0; i < 6; i++)
                using (var inner = nested.Enter())
                    x = inner.Keep(Layer(x));
            result = outer.Keep(x);
        }

        Tensor expected;
        using (Autograd.NoGrad())
        {
            expected = Input();
            for (int i = 0; i < 6; i++) expected = Layer(expected);
        }
        Assert.Equal(expected.Data.ToArray(), result.Data.ToArray());
        Assert.True(nested.FloatsHeld * 2 < flat.FloatsHeld, $"nested scopes hold {nested.FloatsHeld} floats, flat {flat.FloatsHeld}");
    }

    [Fact]
    public void MisuseIsRefused()
    {
        var a = new TensorArena();
        var b = new TensorArena();
        var outer = a.Enter();
        var inner = a.Enter();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose()); // inner first
        Assert.Throws<InvalidOperationException>(() => b.Enter());       // one arena per thread at a time
        Assert.Throws<InvalidOperationException>(() => a.Trim());
        inner.Dispose();
        outer.Dispose();
        Assert.True(Autograd.IsEnabled);
        a.Trim();
        Assert.Equal(0, a.FloatsHeld);
    }

    static float[] TrainSteps(TensorArena? arena)
    {
        var rng = new Generator(4);
        var l1 = new Linear(16, 32, rng);
        var l2 = new Linear(32, 16, rng);
        var opt = new AdamW([ParamGroup.Unnamed(l1.Parameters().Concat(l2.Parameters()))], learningRate: 1e-2);
        var x = Input();
        var losses = new float[5];
        for (int step = 0; step < losses.Length; step++)
        {
            using var scope = arena?.EnterTraining();
            opt.ZeroGrad();
            var loss = Loss.Mse(l2.Forward(l1.Forward(x).Gelu()), x);
            loss.Backward();
            opt.Step();
            losses[step] = loss.Item();
        }
        return losses;
    }

    [Fact]
    public void TrainingStepsInAnArenaMatchTheHeapAndReuseStorage()
    {
        var arena = new TensorArena();
        var pooled = TrainSteps(arena);
        Assert.Equal(TrainSteps(null), pooled);   // bit for bit
        Assert.True(pooled[^1] < pooled[0]);       // it does learn
        int created = arena.ArraysCreated;
        TrainSteps(arena);
        Assert.Equal(created, arena.ArraysCreated); // steady state: no new storage
    }
}
