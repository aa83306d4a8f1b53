namespace Sentire.Tensors;

/// <summary>One entry of the dynamic tape: the inputs of an op and the closure that turns the
/// gradient of its output into gradient contributions to those inputs (via <see cref="Tensor.AccumulateGrad"/>).</summary>
internal sealed class Node(string op, Tensor[] inputs, Action<Tensor> backward)
{
    public string Op { get; } = op;
    public Tensor[] Inputs { get; } = inputs;
    public Action<Tensor> Backward { get; } = backward;
}

/// <summary>
/// Grad mode. The tape is recorded only while grad mode is on; <see cref="NoGrad"/> turns it off for
/// the current thread (inference records nothing). The flag is per thread, like PyTorch's, so that
/// an inference thread never disturbs a training thread; it is the engine's only static state.
/// </summary>
public static class Autograd
{
    [ThreadStatic] static int noGradDepth;

    public static bool IsEnabled => noGradDepth == 0;

    /// <summary><c>using (Autograd.NoGrad()) { ... }</c>: nothing inside is recorded.</summary>
    public static Scope NoGrad()
    {
        noGradDepth++;
        return new Scope();
    }

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => noGradDepth--;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Reverse-mode differentiation from this tensor. With no <paramref name="gradient"/>, the tensor
    /// must hold one element and its gradient is 1. Leaves that require grad accumulate into
    /// <see cref="Grad"/> (call <c>ZeroGrad</c> between steps); gradients of intermediate tensors are
    /// dropped as soon as they have been propagated, and the tape is released.
    /// </summary>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad) throw new InvalidOperationException("Backward() on a tensor that does not require grad");
        if (gradient is null)
        {
            if (Length != 1) throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor, got shape {ShapeString}");
            gradient = Ones(shape);
        }
        else if (!gradient.Shape.SequenceEqual(Shape))
            throw new ArgumentException($"gradient shape {gradient.ShapeString} does not match tensor shape {ShapeString}");

        var order = TopologicalOrder(this);
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [this] = gradient };
        using (Autograd.NoGrad())
        {
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var t = order[i];
                if (!pending.Remove(t, out var g)) continue;
                if (t.Node is null) { AccumulateInto(t, g); continue; }
                t.Node.Backward(g);
                foreach (var x in t.Node.Inputs)
                {
                    if (x.incoming is not { } inc) continue;
                    x.incoming = null;
                    // A gradient tensor may be shared by several inputs (e.g. add passes g to both sides),
                    // so sums always go to fresh storage, never into an operand.
                    pending[x] = pending.TryGetValue(x, out var prev) ? AddNew(prev, inc) : inc;
                }
                t.Node = null; // release the tape as we go: the graph is used once
            }
        }
    }

    Tensor? incoming;

    /// <summary>Adds <paramref name="grad"/> (already reduced to this tensor's shape) to the gradient being propagated.
    /// Op backward closures call this for each input.</summary>
    internal void AccumulateGrad(Tensor grad)
    {
        if (!RequiresGrad) return;
        if (!grad.Shape.SequenceEqual(Shape))
            throw new InvalidOperationException($"internal error: gradient of shape {grad.ShapeString} for a tensor of shape {ShapeString}");
        incoming = incoming is null ? grad : AddNew(incoming, grad);
    }

    // Leaves own their Grad storage (a copy), so optimisers and later accumulation never touch a shared buffer.
    // The copy is ordinary memory even inside a TensorArena training scope: gradients outlive the step's scope.
    static void AccumulateInto(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null) leaf.Grad = new Tensor(g.Data.ToArray(), g.shape);
        else System.Numerics.Tensors.TensorPrimitives.Add(leaf.Grad.Data, g.Data, leaf.Grad.Data);
    }

    static Tensor AddNew(Tensor a, Tensor b)
    {
        var r = Empty(a.shape);
        System.Numerics.Tensors.TensorPrimitives.Add(a.Data, b.Data, r.Data);
        return r;
    }

    static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.Node?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var x = inputs[next];
                if (x.RequiresGrad && visited.Add(x)) stack.Push((x, 0));
            }
            else order.Add(t);
        }
        return order;
    }

    /// <summary>Clears the accumulated gradient.</summary>
    public void ZeroGrad() => Grad = null;
}
