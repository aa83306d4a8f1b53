using Sentire.Tensors;
using Sentire.Training.Recipes;

namespace Sentire.Training.Data;

/// <summary>
/// Training augmentation on log-mel windows (frames x columns, the first <c>mels</c> columns natural-log mel power,
/// any further columns prosody channels), in place: 1) random gain g dB: x += ln(10^(g/10)); 2) white noise at a
/// random SNR: x = ln(e^x + N) with N the window's mean power / 10^(SNR/10); 3) SpecAugment (Park et al., 2019):
/// frequency and time masks set to the window mean. Gain, noise and frequency masks touch the mel bins only (pitch
/// does not change with level); a time mask also clears the prosody channels (0: unvoiced).
/// </summary>
public sealed class LogMelAugment(ClapAugmentRecipe recipe)
{
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
