using System.Collections.Concurrent;

namespace Sentire.Server;

/// <summary>
/// The bounded budget every analysis goes through. <see cref="Workers"/> dedicated threads run the work (the engine's
/// grad-mode flag is per thread, and a work item runs start to end on one thread, so concurrent requests never share
/// it); at most <see cref="Capacity"/> = workers + queue length callers hold an <see cref="Admission"/> at a time. A
/// request holds one while it waits and runs; a live stream holds one for its whole life and runs its windows one
/// after another, so it never has more than one item queued. Past the capacity <see cref="TryAdmit"/> fails at once:
/// the caller answers 503 instead of piling up memory.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    readonly BlockingCollection<Action> queue = new(new ConcurrentQueue<Action>());
    readonly Thread[] threads;
    int admitted, busy;

    public WorkerPool(int workers, int queueLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(queueLength);
        Workers = workers;
        Capacity = workers + queueLength;
        threads = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            threads[i] = new Thread(Work) { IsBackground = true, Name = $"sentire-worker-{i}" };
            threads[i].Start();
        }
    }

    public int Workers { get; }
    public int Capacity { get; }
    /// <summary>Admissions held now (requests waiting or running, open streams).</summary>
    public int Admitted => Volatile.Read(ref admitted);
    /// <summary>Items waiting for a worker.</summary>
    public int QueueDepth => queue.Count;
    /// <summary>Workers running an item.</summary>
    public int Busy => Volatile.Read(ref busy);

    /// <summary>Takes one admission, or returns null when all <see cref="Capacity"/> are held.</summary>
    public Admission? TryAdmit()
    {
        if (Interlocked.Increment(ref admitted) <= Capacity) return new Admission(this);
        Interlocked.Decrement(ref admitted);
        return null;
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread; skipped (cancelled) when <paramref name="cancel"/> fires
    /// before a worker takes it. A running item is not interrupted: the engine has no safe point to stop at.</summary>
    public Task<T> Run<T>(Func<T> work, CancellationToken cancel = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Add(() =>
        {
            if (cancel.IsCancellationRequested) { done.TrySetCanceled(cancel); return; }
            try { done.TrySetResult(work()); }
            catch (Exception e) { done.TrySetException(e); }
        });
        return done.Task;
    }

    void Work()
    {
        foreach (var item in queue.GetConsumingEnumerable())
        {
            Interlocked.Increment(ref busy);
            try { item(); }
            finally { Interlocked.Decrement(ref busy); }
        }
    }

    public void Dispose()
    {
        queue.CompleteAdding();
        foreach (var t in threads) t.Join(TimeSpan.FromSeconds(5));
        queue.Dispose();
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
