namespace Sentire.Tensors;

/// <summary>
/// A pool of storage arrays for steady-state inference. While a scope from <see cref="Enter"/> is open on a
/// thread, every tensor the engine creates for an op result on that thread takes its storage from this
/// arena; when the scope ends, that storage goes back to the pool, so the next forward pass of the same
/// shapes reuses the same arrays: the heap stops growing and large (LOH) arrays stop triggering full
/// garbage collections.
/// <code>
/// var arena = new TensorArena();              // one per inference worker, kept across calls
/// using (var scope = arena.Enter())           // also turns grad mode off
///     result = scope.Keep(model.Forward(x));  // copied out: outlives the scope
/// </code>
/// Scopes nest, which bounds the memory an arena holds: with one inner scope per layer,
/// <c>using (var s = arena.Enter()) x = s.Keep(layer.Forward(x));</c>, a layer's intermediates are recycled
/// as soon as the layer is done and the arena holds one layer's worth, not the whole forward's. An inner
/// scope's <see cref="Scope.Keep"/> copies into storage that belongs to the enclosing scope; the outermost
/// scope's copies go to ordinary memory.
/// Contract: nothing created inside a scope may be used after it ends, except what <see cref="Scope.Keep"/>
/// returned (tensors made inside are recycled and will be overwritten). Grad mode is off inside (a tape
/// would hold recycled storage); parameters and other long-lived tensors must be made outside.
/// Free lists are keyed by exact length, so a pooled array is exactly as long as its tensor.
/// Not thread-safe: one thread at a time (kernel worker threads do not see the arena; their allocations go
/// to the ordinary heap).
/// </summary>
public sealed class TensorArena
{
    // The arena open on this thread: ambient like the grad-mode flag in Autograd, and for the same reason
    // (ops deep inside modules allocate through Tensor.Empty without a context argument).
    [ThreadStatic] static TensorArena? current;

    readonly Dictionary<int, Stack<float[]>> free = new();
    readonly List<float[]> lent = new();          // rented by open scopes, innermost last
    readonly Stack<(int Mark, List<float[]> Kept)> scopes = new();

    /// <summary>The arena with an open scope on this thread, if any.</summary>
    internal static TensorArena? Current => current;

    /// <summary>Arrays this arena has created (misses of the pool); constant once inference is in steady state.</summary>
    public int ArraysCreated { get; private set; }

    /// <summary>Floats held by this arena (lent and free).</summary>
    public long FloatsHeld { get; private set; }

    /// <summary>Open scopes (nesting depth).</summary>
    public int Depth => scopes.Count;

    /// <summary>Opens a (possibly nested) scope on this thread: op results draw storage from this arena until it
    /// is disposed. Grad mode is off inside.</summary>
    public Scope Enter() => Open(training: false);

    /// <summary>
    /// Opens a scope for one whole training step (forward, backward, optimiser step) with grad mode left as it
    /// is: activations, the tape's intermediate gradients and all temporaries come from the pool and are
    /// recycled when the step ends. Parameter gradients (<see cref="Tensor.Grad"/>) are ordinary memory.
    /// Read the loss (or anything else) before the scope ends; nothing else made inside survives it.
    /// </summary>
    public Scope EnterTraining() => Open(training: true);

    Scope Open(bool training)
    {
        if (current is not null && current != this)
            throw new InvalidOperationException("another TensorArena has an open scope on this thread");
        if (scopes.Count > 0 && current != this)
            throw new InvalidOperationException("this TensorArena has an open scope on another thread");
        scopes.Push((lent.Count, new List<float[]>()));
        current = this;
        return new Scope(this, scopes.Count, training ? null : Autograd.NoGrad());
    }

    internal float[] Rent(int length)
    {
        var array = Take(length);
        lent.Add(array);
        return array;
    }

    float[] Take(int length)
    {
        if (free.TryGetValue(length, out var stack) && stack.TryPop(out var array)) return array;
        ArraysCreated++;
        FloatsHeld += length;
        return GC.AllocateUninitializedArray<float>(length);
    }

    void Give(float[] array)
    {
        if (!free.TryGetValue(array.Length, out var stack)) free[array.Length] = stack = new Stack<float[]>();
        stack.Push(array);
    }

    Tensor Keep(int depth, Tensor t)
    {
        CheckInnermost(depth, "Keep");
        if (depth == 1) return new Tensor(t.Data.ToArray(), t.ShapeArray());
        var array = Take(t.Length);
        t.Data.CopyTo(array);
        scopes.Peek().Kept.Add(array);
        return new Tensor(array, t.ShapeArray());
    }

    void Exit(int depth)
    {
        CheckInnermost(depth, "Dispose");
        var (mark, kept) = scopes.Pop();
        for (int i = mark; i < lent.Count; i++) Give(lent[i]);
        lent.RemoveRange(mark, lent.Count - mark);
        lent.AddRange(kept); // now owned by the enclosing scope
        if (scopes.Count == 0) current = null;
    }

    void CheckInnermost(int depth, string what)
    {
        if (depth != scopes.Count || current != this)
            throw new InvalidOperationException($"TensorArena scope {what}: scope at depth {depth} is not the innermost open scope (depth {scopes.Count}) on this thread");
    }

    /// <summary>Drops every pooled array (lets the GC take them back), for a worker going idle.</summary>
    public void Trim()
    {
        if (scopes.Count > 0) throw new InvalidOperationException("TensorArena.Trim() while a scope is open");
        free.Clear();
        FloatsHeld = 0;
    }

    /// <summary>An open arena scope; dispose it (innermost first) to recycle its storage and restore grad mode.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly TensorArena arena;
        readonly int depth;
        readonly Autograd.Scope? noGrad;

        internal Scope(TensorArena arena, int depth, Autograd.Scope? noGrad)
        {
            this.arena = arena;
            this.depth = depth;
            this.noGrad = noGrad;
        }

        /// <summary>A copy of <paramref name="t"/> that stays valid after this scope ends: in the enclosing
        /// scope's storage, or in ordinary memory when this is the outermost scope.</summary>
        public Tensor Keep(Tensor t) => arena.Keep(depth, t);

        public void Dispose()
        {
            arena.Exit(depth);
            noGrad?.Dispose();
        }
    }
}
