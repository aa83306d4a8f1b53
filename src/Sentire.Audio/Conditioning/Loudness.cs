namespace Sentire.Audio.Conditioning;

/// <summary>
/// Gain normalisation: to a peak level (max |x| = target) or an RMS level (√(Σx²/N) = target), targets in
/// dBFS (0 dBFS = full scale 1.0). Silent input (all zeros) is left unchanged rather than amplified to infinity.
/// </summary>
public static class Loudness
{
    public static double ToLinear(double dbfs) => Math.Pow(10, dbfs / 20);

    public static double ToDbfs(double linear) => 20 * Math.Log10(linear);

    public static float Peak(ReadOnlySpan<float> signal) =>
        signal.IsEmpty ? 0f : Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(signal));

    public static double Rms(ReadOnlySpan<float> signal)
    {
        if (signal.IsEmpty) return 0;
        double sum = 0;
        foreach (var x in signal) sum += (double)x * x;
        return Math.Sqrt(sum / signal.Length);
    }

    /// <summary>Scales in place so the peak is <paramref name="targetDbfs"/>; returns the gain applied.</summary>
    public static float NormalizePeak(Span<float> signal, double targetDbfs = 0)
    {
        var peak = Peak(signal);
        if (peak == 0) return 1f;
        var gain = (float)(ToLinear(targetDbfs) / peak);
        System.Numerics.Tensors.TensorPrimitives.Multiply(signal, gain, signal);
        return gain;
    }

    /// <summary>
    /// Scales in place so the RMS is <paramref name="targetDbfs"/>, but never so far that the peak passes
    /// <paramref name="peakLimitDbfs"/> (a quiet clip with one click is not allowed to clip); returns the gain applied.
    /// </summary>
    public static float NormalizeRms(Span<float> signal, double targetDbfs = -20, double peakLimitDbfs = 0)
    {
        var rms = Rms(signal);
        if (rms == 0) return 1f;
        var gain = ToLinear(targetDbfs) / rms;
        var peak = Peak(signal);
        gain = Math.Min(gain, ToLinear(peakLimitDbfs) / peak);
        System.Numerics.Tensors.TensorPrimitives.Multiply(signal, (float)gain, signal);
        return (float)gain;
    }
}
