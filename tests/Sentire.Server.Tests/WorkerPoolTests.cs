namespace Sentire.Server.Tests;

/// <summary>The worker budget on its own: admission past capacity, and live stream windows ahead of waiting uploads.</summary>
public sealed class WorkerPoolTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LiveItemsGoBeforeWaitingBatchItems()
    {
        using var pool = new WorkerPool(workers: 1, queueLength: 4);
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var order = new List<string>();
        var busy = pool.Run(() => { started.SetResult(); release.Task.Wait(TimeSpan.FromSeconds(30)); return 0; }, Cancel);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        // the one worker is busy: two uploads wait, then a stream window arrives
        var work = new[]
        {
            pool.Run(() => { lock (order) order.Add("batch 1"); return 1; }, Cancel),
            pool.Run(() => { lock (order) order.Add("batch 2"); return 2; }, Cancel),
            pool.Run(() => { lock (order) order.Add("live"); return 3; }, Cancel, WorkerPool.Priority.Live),
        };
        Assert.Equal(3, pool.QueueDepth);
        release.SetResult();
        var results = await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal([1, 2, 3], results);
        await busy;
        Assert.Equal(["live", "batch 1", "batch 2"], order);
        Assert.Equal(0, pool.QueueDepth);
    }

    [Fact]
    public void AdmissionsStopAtWorkersPlusQueue()
    {
        using var pool = new WorkerPool(workers: 2, queueLength: 1);
        var held = Enumerable.Range(0, 3).Select(_ => pool.TryAdmit()).ToList();
        Assert.All(held, Assert.NotNull);
        Assert.Null(pool.TryAdmit());
        held[0]!.Dispose();
        held[0]!.Dispose();   // once only
        Assert.Equal(2, pool.Admitted);
        Assert.NotNull(pool.TryAdmit());
        Assert.Null(pool.TryAdmit());
    }
}
