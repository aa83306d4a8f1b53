namespace Sentire.Tensors;

/// <summary>
/// A pool of storage arrays for steady-state inference. While a scope from <see cref="Enter"/> is open on a
/// thread, every tensor the engine creates for an op result on that thread takes its storage from this
/// arena; when the scope ends, all of that storage goes back to the pool, so the next forward pass of the
/// same shapes reuses the same arrays: the heap stops growing and large (LOH) arrays stop triggering
/// full garbage collections.
/// <code>
/// var arena = new TensorArena();              // one per inference worker, kept across calls
/// using (var scope = arena.Enter())           // also turns grad mode off
/// {
///     var logits = model.Forward(input);
///     result = scope.Keep(logits);            // copied to ordinary memory: outlives the scope
/// }
/// </code>
/// Contract: nothing created inside the scope may be used after it ends, except what <see cref="Scope.Keep"/>
/// returned (tensors made inside are recycled and will be overwritten). Grad mode is off inside (a tape
/// would hold recycled storage); parameters and other long-lived tensors must be made outside.
/// Buckets are keyed by exact length, so a pooled array is exactly as long as its tensor.
/// Not thread-safe: one arena per thread at a time (scopes on worker threads do not see it, and their
/// allocations go to the ordinary heap).
/// </summary>
public sealed class TensorArena
{
    // The scope active on this thread: ambient like the grad-mode flag in Autograd, and for the same
    // reason (ops deep inside modules allocate through Tensor.Empty without a context argument).
    [ThreadStatic] static TensorArena? current;

    readonly Dictionary<int, Stack<float[]>> free = new();
    readonly List<float[]> lent = new();
    bool open;

    /// <summary>The arena whose scope is open on this thread, if any.</summary>
    internal static TensorArena? Current => current;

    /// <summary>Arrays created by this arena since it was made (misses of the pool).</summary>
    public int ArraysCreated { get; private set; }

    /// <summary>Floats held by this arena (lent and free).</summary>
    public long FloatsHeld { get; private set; }

    /// <summary>Opens a scope on this thread: op results draw storage from this arena until it is disposed.</summary>
    public Scope Enter()
    {
        if (open) throw new InvalidOperationException("this TensorArena already has an open scope");
        if (current is not null) throw new InvalidOperationException("another TensorArena scope is already open on this thread");
        open = true;
        current = this;
        return new Scope(this, Autograd.NoGrad());
    }

    internal float[] Rent(int length)
    {
        if (!free.TryGetValue(length, out var stack) || !stack.TryPop(out var array))
        {
            array = GC.AllocateUninitializedArray<float>(length);
            ArraysCreated++;
            FloatsHeld += length;
        }
        lent.Add(array);
        return array;
    }

    void Exit()
    {
        current = null;
        open = false;
        foreach (var array in lent)
        {
            if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
        }
        lent.Clear();
    }

    /// <summary>Drops every pooled array (lets the GC take them back), for a worker going idle.</summary>
    public void Trim()
    {
        if (open) throw new InvalidOperationException("Trim() inside an open scope");
        free.Clear();
        FloatsHeld = 0;
    }

    /// <summary>An open arena scope; dispose it to return the storage and restore grad mode.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly TensorArena arena;
        readonly Autograd.Scope noGrad;

        internal Scope(TensorArena arena, Autograd.Scope noGrad) { this.arena = arena; this.noGrad = noGrad; }

        /// <summary>A copy of <paramref name="t"/> in ordinary memory, valid after the scope ends.</summary>
        public Tensor Keep(Tensor t) => new(t.Data.ToArray(), t.ShapeArray());

        public void Dispose()
        {
            arena.Exit();
            noGrad.Dispose();
        }
    }
}
