using Sentire.Audio.Dsp;
using Sentire.Models.Speech;
using Sentire.Tensors;
using Sentire.Training.Recipes;

namespace Sentire.Training.Data;

/// <summary>
/// Training augmentation on log-mel windows (frames x columns, the first <c>mels</c> columns natural-log mel power,
/// any further columns prosody channels), in place: 1) random gain g dB: x += ln(10^(g/10)); 1b) when eq_db &gt; 0, random
/// channel equalisation: x_b += ln(10^(e(b)/10)) with e a piecewise-linear curve over the mel bins through eq_points
/// random gains in +-eq_db dB (<see cref="EqualisationCurve"/>); 2) white noise at a random SNR: x = ln(e^x + N) with N
/// the window's mean power / 10^(SNR/10); 3) SpecAugment (Park et al., 2019):
/// frequency and time masks set to the window mean. Gain, noise and frequency masks touch the mel bins only (pitch
/// does not change with level); a time mask also clears the prosody channels (0: unvoiced).
/// </summary>
public sealed class LogMelAugment(ClapAugmentRecipe recipe)
{
    /// <summary>A random training crop of <paramref name="window"/> frames into <paramref name="destination"/>: plain
    /// (<see cref="FixedLengthWindows.Copy"/>), or with <c>speed_probability</c> speed-perturbed. Playing audio r times
    /// faster maps output frame i to source frame s + r i and a component at f Hz to r f, so output mel band b reads
    /// the source at the band of Hz(b) / r (both axes linearly interpolated; 16 kHz HTK mel bands) and F0 in
    /// semitones rises by 12 log2 r. Shorter clips wrap round as in <see cref="FixedLengthWindows"/>.</summary>
    public void Crop(FeatureMatrix features, int window, int mels, int sampleRate, Span<float> destination, Generator rng)
    {
        if (recipe.SpeedProbability <= 0 || rng.NextFloat() >= recipe.SpeedProbability)
        {
            int start = features.Rows > window ? rng.NextInt(features.Rows - window + 1) : 0;
            FixedLengthWindows.Copy(features, start, window, destination);
            return;
        }
        float r = 1 + (rng.NextFloat() * 2 - 1) * recipe.SpeedRange;
        int span = (int)Math.Ceiling(window * r) + 1;
        SpeedPerturbed(features, features.Rows > span ? rng.NextInt(features.Rows - span + 1) : 0, r, window, mels, sampleRate, destination);
    }

    /// <summary>The crop of <see cref="Crop"/> at speed <paramref name="r"/> from source frame <paramref name="first"/>.</summary>
    public static void SpeedPerturbed(FeatureMatrix features, int first, float r, int window, int mels, int sampleRate, Span<float> destination)
    {
        int columns = features.Columns, rows = features.Rows;
        if (rows == 0) throw new ArgumentException("cannot take a window of a clip with no frames");
        if (mels <= 0 || mels > columns || destination.Length != window * columns)
            throw new ArgumentException($"a window of {window} x {columns} with {mels} mel bins does not fit {destination.Length} values");
        double melTop = MelFilterbank.HzToMel(sampleRate / 2.0, MelScale.Htk);
        Span<float> band = mels <= 256 ? stackalloc float[mels] : new float[mels];
        for (int b = 0; b < mels; b++)
        {
            double hz = MelFilterbank.MelToHz(melTop * (b + 1) / (mels + 1), MelScale.Htk) / r;
            band[b] = (float)Math.Clamp(MelFilterbank.HzToMel(hz, MelScale.Htk) * (mels + 1) / melTop - 1, 0, mels - 1);
        }
        float semitones = 12 * MathF.Log2(r);
        for (int i = 0; i < window; i++)
        {
            float x = first + i * r;
            int t0 = (int)x;
            float w = x - t0;
            var a = features.Row(t0 % rows);
            var c = features.Row((t0 + 1) % rows);
            var row = destination.Slice(i * columns, columns);
            for (int b = 0; b < mels; b++)
            {
                int k = (int)band[b], k1 = Math.Min(k + 1, mels - 1);
                float v = band[b] - k;
                row[b] = (1 - w) * ((1 - v) * a[k] + v * a[k1]) + w * ((1 - v) * c[k] + v * c[k1]);
            }
            if (columns == mels) continue;
            // prosody channels (f0_st, voicing): the nearer source frame; voiced F0 shifted
            var near = w < 0.5f ? a : c;
            near[mels..].CopyTo(row[mels..]);
            if (row[mels] > 0) row[mels] += semitones;
        }
    }

    /// <summary>A random equalisation curve in natural-log power per mel bin: <paramref name="points"/> gains g_k uniform in
    /// +-<paramref name="db"/> dB at bins k (M - 1) / (points - 1), linearly interpolated between them (M = curve length).</summary>
    public static void EqualisationCurve(float db, int points, Generator rng, Span<float> curve)
    {
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "an equalisation curve needs at least 2 control points");
        Span<float> gain = points <= 64 ? stackalloc float[points] : new float[points];
        for (int k = 0; k < points; k++) gain[k] = (rng.NextFloat() * 2 - 1) * db / 10f * MathF.Log(10f);
        int mels = curve.Length;
        for (int b = 0; b < mels; b++)
        {
            float x = mels == 1 ? 0 : (float)b * (points - 1) / (mels - 1);
            int k = Math.Min((int)x, points - 2);
            float w = x - k;
            curve[b] = (1 - w) * gain[k] + w * gain[k + 1];
        }
    }

    public void Apply(Span<float> window, int frames, int columns, int mels, Generator rng)
    {
        if (mels <= 0 || mels > columns || window.Length != frames * columns)
            throw new ArgumentException($"a window of {frames} x {columns} with {mels} mel bins does not fit {window.Length} values");
        // 1) gain
        if (recipe.GainDb > 0)
        {
            float db = (rng.NextFloat() * 2 - 1) * recipe.GainDb;
            for (int t = 0; t < frames; t++)
            {
                var bins = window.Slice(t * columns, mels);
                System.Numerics.Tensors.TensorPrimitives.Add(bins, db / 10f * MathF.Log(10f), bins);
            }
        }
        // 1b) channel equalisation
        if (recipe.EqDb > 0)
        {
            Span<float> curve = mels <= 256 ? stackalloc float[mels] : new float[mels];
            EqualisationCurve(recipe.EqDb, recipe.EqPoints, rng, curve);
            for (int t = 0; t < frames; t++)
            {
                var bins = window.Slice(t * columns, mels);
                System.Numerics.Tensors.TensorPrimitives.Add(bins, curve, bins);
            }
        }
        // 2) noise
        if (recipe.NoiseProbability > 0 && rng.NextFloat() < recipe.NoiseProbability)
        {
            float snr = recipe.NoiseSnrMinDb + rng.NextFloat() * (recipe.NoiseSnrMaxDb - recipe.NoiseSnrMinDb);
            double meanPower = 0;
            for (int t = 0; t < frames; t++)
                foreach (var v in window.Slice(t * columns, mels)) meanPower += Math.Exp(v);
            float noise = (float)(meanPower / (frames * mels) / Math.Pow(10, snr / 10));
            for (int t = 0; t < frames; t++)
            {
                var bins = window.Slice(t * columns, mels);
                for (int i = 0; i < mels; i++) bins[i] = MathF.Log(MathF.Exp(bins[i]) + noise);
            }
        }
        // 3) SpecAugment
        float fill = 0;
        for (int t = 0; t < frames; t++) fill += System.Numerics.Tensors.TensorPrimitives.Sum(window.Slice(t * columns, mels));
        fill /= frames * mels;
        for (int m = 0; m < recipe.FreqMasks; m++)
        {
            int width = rng.NextInt(recipe.FreqMaskBins + 1), start = rng.NextInt(Math.Max(1, mels - width));
            for (int t = 0; t < frames; t++) window.Slice(t * columns + start, Math.Min(width, mels - start)).Fill(fill);
        }
        for (int m = 0; m < recipe.TimeMasks; m++)
        {
            int width = rng.NextInt(Math.Min(recipe.TimeMaskFrames, frames / 4) + 1), start = rng.NextInt(Math.Max(1, frames - width));
            for (int t = start; t < start + width; t++)
            {
                window.Slice(t * columns, mels).Fill(fill);
                window.Slice(t * columns + mels, columns - mels).Clear();
            }
        }
    }
}
