using System.Numerics.Tensors;

namespace Sentire.Audio.Prosody;

/// <summary>Short-time RMS energy in dB relative to full scale (a full-scale sine reads -3.01 dBFS),
/// on the prosody frame grid: rectangular window centred on each frame, samples outside the signal count as zero.</summary>
public static class FrameEnergy
{
    /// <summary>Floor for silent frames: 10^-5 RMS, -100 dBFS.</summary>
    public const float FloorDb = -100f;

    /// <summary>Energy per frame, RMS dB = 10 log10((1/N) Σ x²), at least <see cref="FloorDb"/>.</summary>
    public static float[] RmsDb(ReadOnlySpan<float> signal, int sampleRate, double hopSeconds = 0.01, double windowSeconds = 0.025)
    {
        var grid = FrameGrid.For(signal.Length, sampleRate, hopSeconds);
        var length = (int)Math.Round(windowSeconds * sampleRate);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(windowSeconds), windowSeconds, $"window must be at least one sample at {sampleRate} Hz");
        var window = new float[length];
        var db = new float[grid.FrameCount];
        for (var t = 0; t < db.Length; t++)
        {
            FrameGrid.CopyWindow(signal, grid.CentredStart(t, length), window);
            var meanSquare = TensorPrimitives.Dot<float>(window, window) / length;
            db[t] = Math.Max(FloorDb, (float)(10 * Math.Log10(Math.Max(meanSquare, 1e-30))));
        }
        return db;
    }
}
