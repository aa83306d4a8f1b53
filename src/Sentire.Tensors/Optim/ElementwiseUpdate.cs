using System.Numerics;
using System.Runtime.InteropServices;

namespace Sentire.Tensors.Optim;

/// <summary>An optimiser's per-element rule on one vector of lanes: parameter, gradient and up to two state buffers.</summary>
internal interface IElementwiseUpdate
{
    void Apply(ref Vector<float> parameter, Vector<float> gradient, ref Vector<float> state0, ref Vector<float> state1);
}

/// <summary>
/// Runs an <see cref="IElementwiseUpdate"/> over whole spans in one pass (the update is memory-bound, so one pass
/// beats a chain of TensorPrimitives calls). The tail that does not fill a vector goes through a zero-padded copy,
/// so each rule is written once, for vectors only. Generic over a struct so the JIT inlines the rule.
/// </summary>
internal static class ElementwiseUpdate
{
    public static void Run<TUpdate>(in TUpdate update, Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> state0, Span<float> state1)
        where TUpdate : struct, IElementwiseUpdate
    {
        int width = Vector<float>.Count, n = parameter.Length, vectors = n / width;
        if (gradient.Length != n || (!state0.IsEmpty && state0.Length != n) || (!state1.IsEmpty && state1.Length != n))
            throw new ArgumentException($"spans of {n} parameters, {gradient.Length} gradients, {state0.Length} and {state1.Length} state values");
        var p = MemoryMarshal.Cast<float, Vector<float>>(parameter);
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradient);
        var s0 = MemoryMarshal.Cast<float, Vector<float>>(state0);
        var s1 = MemoryMarshal.Cast<float, Vector<float>>(state1);
        Vector<float> unused0 = default, unused1 = default;
        for (int k = 0; k < vectors; k++)
            update.Apply(ref p[k], g[k], ref s0.IsEmpty ? ref unused0 : ref s0[k], ref s1.IsEmpty ? ref unused1 : ref s1[k]);

        int done = vectors * width, tail = n - done;
        if (tail == 0) return;
        Span<float> pt = stackalloc float[width], gt = stackalloc float[width], s0t = stackalloc float[width], s1t = stackalloc float[width];
        parameter[done..].CopyTo(pt);
        gradient[done..].CopyTo(gt);
        if (!state0.IsEmpty) state0[done..].CopyTo(s0t);
        if (!state1.IsEmpty) state1[done..].CopyTo(s1t);
        update.Apply(ref MemoryMarshal.Cast<float, Vector<float>>(pt)[0], MemoryMarshal.Cast<float, Vector<float>>(gt)[0],
            ref MemoryMarshal.Cast<float, Vector<float>>(s0t)[0], ref MemoryMarshal.Cast<float, Vector<float>>(s1t)[0]);
        pt[..tail].CopyTo(parameter[done..]);
        if (!state0.IsEmpty) s0t[..tail].CopyTo(state0[done..]);
        if (!state1.IsEmpty) s1t[..tail].CopyTo(state1[done..]);
    }
}
