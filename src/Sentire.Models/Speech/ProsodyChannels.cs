using Sentire.Audio.Dsp;
using Sentire.Audio.Prosody;
using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Speech;

/// <summary>
/// Frame-level pitch beside the log-mel frames: two extra columns on the same 10 ms grid,
///   f0_st = 12 log2(F0 / 27.5 Hz) on voiced frames, 0 on unvoiced ones (YIN, <see cref="YinPitchTracker"/>);
///   voicing = 1 - d'(τ*) on voiced frames (YIN's periodicity), 0 on unvoiced ones.
/// 80 mel bins resolve F0 only through the low harmonics, and a small encoder trained on two hours does not learn to
/// read it; the eGeMAPS functionals that beat it are mostly pitch statistics. These columns give it the pitch directly.
/// </summary>
public static class ProsodyChannels
{
    public const int Count = 2;

    /// <summary>The YIN settings of the channels: default ones on the log-mel hop.</summary>
    public static PitchOptions PitchOptions(int sampleRate, int hopLength) => new(HopSeconds: (double)hopLength / sampleRate);

    /// <summary>(frames, n_mels + 2): the log-mel frames with f0_st and voicing appended, frame i of both centred at i x hop.</summary>
    public static FeatureMatrix Append(FeatureMatrix logMel, ReadOnlySpan<float> samples, int sampleRate, int hopLength) =>
        Append(logMel, YinPitchTracker.Track(samples, sampleRate, PitchOptions(sampleRate, hopLength)));

    /// <summary>As above, from a pitch track of the same samples made with <see cref="PitchOptions"/>.</summary>
    public static FeatureMatrix Append(FeatureMatrix logMel, PitchTrack pitch)
    {
        int rows = logMel.Rows, mels = logMel.Columns, columns = mels + Count;
        var result = new FeatureMatrix(rows, columns);
        for (int t = 0; t < rows; t++)
        {
            var row = result.Row(t);
            logMel.Row(t).CopyTo(row);
            if (t < pitch.FrameCount && pitch.IsVoiced(t))
            {
                row[mels] = (float)(12 * Math.Log2(pitch.FrequencyHz[t] / ProsodyAnalyzer.SemitoneReferenceHz));
                row[mels + 1] = Math.Clamp(1 - pitch.Aperiodicity[t], 0f, 1f);
            }
        }
        return result;
    }
}

/// <summary>
/// Statistics pooling of one window's prosody (x-vector-style pooling over hand-made descriptors): from frames
/// [log-mel | f0_st | voicing] (<see cref="ProsodyChannels"/>), with the frame log power e_t = ln Σ_b exp(mel_tb),
///   mean, std and mean |Δ| of e;  voiced fraction;  mean, std, p80 - p20 and mean |Δ| (consecutive voiced frames) of
///   f0_st over voiced frames;  mean voicing over voiced frames,
/// standardised with the training windows' mean and deviation (buffers), a statistic that is undefined (no voiced
/// frame) becoming 0, the training mean. They are the eGeMAPS-style functionals the classical baseline classifies,
/// taken per window, so a CLAP audio tower sees them beside its pooled encoder output.
/// </summary>
public sealed class ProsodyStatistics : Module
{
    public const int Count = 9;

    public static IReadOnlyList<string> Names { get; } =
        ["log_power_mean", "log_power_std", "log_power_delta", "voiced_fraction", "f0_st_mean", "f0_st_std", "f0_st_range20_80", "f0_st_delta", "voicing_mean"];

    public Tensor Mean { get; }
    public Tensor Std { get; }

    public ProsodyStatistics()
    {
        Mean = RegisterBuffer("mean", Tensor.Zeros(Count));
        Std = RegisterBuffer("std", Tensor.Ones(Count));
    }

    /// <summary>Raw statistics (NaN where undefined) of frames (T x C, row-major), the last two columns f0_st and voicing.</summary>
    public static void Compute(ReadOnlySpan<float> frames, int rows, int columns, Span<float> stats)
    {
        int mels = columns - ProsodyChannels.Count;
        if (mels <= 0) throw new ArgumentException($"{columns} columns cannot hold log-mel bins and the {ProsodyChannels.Count} prosody channels");
        Span<float> power = rows <= 4096 ? stackalloc float[rows] : new float[rows];
        var f0 = new List<float>(rows);
        double voicing = 0, f0Delta = 0;
        int f0Pairs = 0;
        for (int t = 0; t < rows; t++)
        {
            var row = frames.Slice(t * columns, columns);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row[..mels]);
            double sum = 0;
            foreach (var v in row[..mels]) sum += Math.Exp(v - max);
            power[t] = max + (float)Math.Log(sum);
            if (row[mels] > 0)
            {
                if (t > 0 && frames[(t - 1) * columns + mels] > 0) { f0Delta += Math.Abs(row[mels] - frames[(t - 1) * columns + mels]); f0Pairs++; }
                f0.Add(row[mels]);
                voicing += row[mels + 1];
            }
        }
        var energy = Functionals.Of(power.ToArray());
        double powerDelta = 0;
        for (int t = 1; t < rows; t++) powerDelta += Math.Abs(power[t] - power[t - 1]);
        stats[0] = (float)energy.Mean;
        stats[1] = (float)energy.StandardDeviation;
        stats[2] = rows > 1 ? (float)(powerDelta / (rows - 1)) : float.NaN;
        stats[3] = rows > 0 ? (float)f0.Count / rows : float.NaN;
        if (f0.Count == 0) { stats[4..].Fill(float.NaN); return; }
        var pitch = Functionals.Of(f0);
        stats[4] = (float)pitch.Mean;
        stats[5] = (float)pitch.StandardDeviation;
        stats[6] = (float)pitch.Range20To80;
        stats[7] = f0Pairs > 0 ? (float)(f0Delta / f0Pairs) : float.NaN;
        stats[8] = (float)(voicing / f0.Count);
    }

    /// <summary>Sets the standardisation from training frame matrices (each one window or clip).</summary>
    public void Fit(IEnumerable<FeatureMatrix> windows)
    {
        var rows = windows.Select(w => { var s = new float[Count]; Compute(w.Data, w.Rows, w.Columns, s); return s; }).ToList();
        for (int j = 0; j < Count; j++)
        {
            var column = rows.Select(r => (double)r[j]).Where(double.IsFinite).ToList();
            double mean = column.Count > 0 ? column.Average() : 0;
            double variance = column.Count > 1 ? column.Sum(x => (x - mean) * (x - mean)) / column.Count : 1;
            Mean.Data[j] = (float)mean;
            Std.Data[j] = (float)Math.Sqrt(Math.Max(variance, 1e-8));
        }
    }

    /// <summary>Standardised statistics (B, 9) of a batch of windows (B, T, C); no gradient flows into the input.</summary>
    public Tensor Forward(Tensor frames)
    {
        if (frames.Rank != 3) throw new ArgumentException($"expected frames (B, T, C), got {frames.ShapeString}");
        int b = frames.Dim(0), t = frames.Dim(1), c = frames.Dim(2);
        var result = Tensor.Zeros(b, Count);
        Span<float> stats = stackalloc float[Count];
        var data = frames.Data;
        for (int i = 0; i < b; i++)
        {
            Compute(data.Slice(i * t * c, t * c), t, c, stats);
            for (int j = 0; j < Count; j++)
                result.Data[i * Count + j] = float.IsFinite(stats[j]) ? (stats[j] - Mean.Data[j]) / Std.Data[j] : 0f;
        }
        return result;
    }
}
