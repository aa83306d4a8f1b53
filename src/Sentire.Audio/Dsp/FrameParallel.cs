namespace Sentire.Audio.Dsp;

/// <summary>
/// Splits a frame loop into chunks that run in parallel once there are enough frames to pay for it
/// (each chunk allocates its buffers once, then reuses them for every frame).
/// </summary>
internal static class FrameParallel
{
    /// <summary>Below this many frames the loop stays on the calling thread (at a 10 ms hop: 20 s of audio).</summary>
    public const int Threshold = 2000;
    const int FramesPerChunk = 256;

    public static void Run(int frames, Action<int, int> runChunk)
    {
        if (frames < Threshold)
        {
            runChunk(0, frames);
            return;
        }
        var chunks = (frames + FramesPerChunk - 1) / FramesPerChunk;
        Parallel.For(0, chunks, chunk =>
        {
            var start = chunk * FramesPerChunk;
            runChunk(start, Math.Min(frames, start + FramesPerChunk));
        });
    }
}
