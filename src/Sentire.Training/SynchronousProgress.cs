namespace Sentire.Training;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, serialised, in order
/// (System.Progress posts to the thread pool, so reports can arrive late and out of order).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    readonly Lock gate = new();

    public void Report(T value)
    {
        lock (gate) report(value);
    }
}
