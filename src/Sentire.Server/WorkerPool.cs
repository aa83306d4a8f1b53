using Sentire.Models;
using Sentire.Tensors;

namespace Sentire.Server;

/// <summary>
/// The bounded budget every analysis goes through. <see cref="Workers"/> dedicated threads run the work, each item start
/// to end on one thread, inside a scope of that thread's own <see cref="TensorArena"/> (grad mode off) where it fits
/// (every stream window, an upload analysed whole; not a long file or a caption: <see cref="Analyse"/>): the engine's
/// per-thread state (the open arena, the grad-mode flag) is never shared by concurrent requests, and a steady stream of
/// same-shaped analyses reuses its tensor storage instead of loading the garbage collector (an arena that has gathered
/// more than <see cref="ArenaLimitFloats"/> from requests of many shapes is trimmed after its item). At most <see cref="Capacity"/> = workers + queue length callers hold an <see cref="Admission"/> at a time. A
/// request holds one while it waits and runs; a live stream holds one for its whole life and runs its windows one
/// after another, so it never has more than one item queued. Past the capacity <see cref="TryAdmit"/> fails at once:
/// the caller answers 503 instead of piling up memory. A live stream's windows are <see cref="Priority.Live"/>: a free
/// worker takes them before any waiting upload, so a stream's latency is one analysis at most behind, not a queue.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    readonly object gate = new();   // guards the two queues and closed; workers wait on it
    readonly Queue<Action<TensorArena>> live = new(), batch = new();
    readonly Thread[] threads;
    readonly TensorArena[] arenas;
    int admitted, busy;
    bool closed;

    /// <summary>Which queue an item waits in: every <see cref="Live"/> item goes before any <see cref="Batch"/> one.</summary>
    public enum Priority { Batch, Live }

    /// <summary>Floats (64 MB) a worker's arena may keep pooled between items; past it the pool is dropped.</summary>
    public const long ArenaLimitFloats = 16 << 20;

    public WorkerPool(int workers, int queueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        Workers = workers;
        Capacity = workers + queueLength;
        threads = new Thread[workers];
        arenas = new TensorArena[workers];
        for (int i = 0; i < workers; i++)
        {
            var arena = arenas[i] = new TensorArena();
            threads[i] = new Thread(() => Work(arena)) { IsBackground = true, Name = $"sentire-worker-{i}" };
            threads[i].Start();
        }
    }

    public int Workers { get; }
    public int Capacity { get; }
    /// <summary>Admissions held now (requests waiting or running, open streams).</summary>
    public int Admitted => Volatile.Read(ref admitted);
    /// <summary>Items waiting for a worker.</summary>
    public int QueueDepth
    {
        get { lock (gate) return live.Count + batch.Count; }
    }
    /// <summary>Workers running an item.</summary>
    public int Busy => Volatile.Read(ref busy);

    /// <summary>Takes one admission, or returns null when all <see cref="Capacity"/> are held.</summary>
    public Admission? TryAdmit()
    {
        if (Interlocked.Increment(ref admitted) <= Capacity) return new Admission(this);
        Interlocked.Decrement(ref admitted);
        return null;
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread, inside a scope of its arena: nothing made of the engine's
    /// tensors may outlive <paramref name="work"/> (return plain values, such as the JSON of an analysis); skipped (cancelled) when <paramref name="cancel"/> fires
    /// before a worker takes it. A running item is not interrupted: the engine has no safe point to stop at.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancel = default, Priority priority = Priority.Batch) =>
        Run(arena =>
        {
            using (arena.Enter()) return work();
        }, cancel, priority);

    /// <summary>Runs <paramref name="work"/> on a worker thread, handing it the worker's arena to open a scope of where it
    /// fits (<see cref="Analyse"/>); otherwise as <see cref="Run{T}(Func{T}, CancellationToken, Priority)"/>.</summary>
    public Task<T> Run<T>(Func<TensorArena, T> work, CancellationToken cancel = default, Priority priority = Priority.Batch)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Item(TensorArena arena)
        {
            if (cancel.IsCancellationRequested) { done.TrySetCanceled(cancel); return; }
            try { done.TrySetResult(work(arena)); }
            catch (Exception e) { done.TrySetException(e); }
        }
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(closed, this);
            (priority == Priority.Live ? live : batch).Enqueue(Item);
            Monitor.Pulse(gate);
        }
        return done.Task;
    }

    /// <summary><paramref name="analysis"/> of <paramref name="seconds"/> of audio, inside a scope of the worker's
    /// <paramref name="arena"/> when it is no longer than one segment of a long file (<see cref="FileSegmentation.SegmentSeconds"/>),
    /// else on the ordinary heap. An arena scope keeps every intermediate of the analysis until it ends (about 3.5 MB per
    /// second of audio with the default model): that pays for short clips, which recur in the same shapes, but a 20 s
    /// analysis would hold 70 MB at once and a long file's segments would pile up, where on the heap each can go.</summary>
    public static T Analyse<T>(TensorArena arena, double seconds, Func<T> analysis)
    {
        if (seconds > FileSegmentation.SegmentSeconds) return analysis();
        using (arena.Enter()) return analysis();
    }

    /// <summary>The next item, live ones first; null once the pool is closed and both queues are empty.</summary>
    Action<TensorArena>? Next()
    {
        lock (gate)
        {
            while (live.Count == 0 && batch.Count == 0 && !closed) Monitor.Wait(gate);
            return live.TryDequeue(out var item) || batch.TryDequeue(out item) ? item : null;
        }
    }

    /// <summary>Bytes the workers' arenas hold (pooled and in use), read without stopping them.</summary>
    public long ArenaBytes => arenas.Sum(a => a.FloatsHeld) * sizeof(float);

    void Work(TensorArena arena)
    {
        while (Next() is { } item)
        {
            Interlocked.Increment(ref busy);
            try
            {
                item(arena);
                if (arena.FloatsHeld > ArenaLimitFloats) arena.Trim();
            }
            finally { Interlocked.Decrement(ref busy); }
        }
    }

    /// <summary>Takes no more items; the workers finish those queued and stop.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            closed = true;
            Monitor.PulseAll(gate);
        }
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>One place in the budget, given back by <see cref="Dispose"/> (once).</summary>
    public sealed class Admission(WorkerPool pool) : IDisposable
    {
        int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) Interlocked.Decrement(ref pool.admitted);
        }
    }
}
