using Sentire.Tensors;
using Sentire.Training.Recipes;

namespace Sentire.Training.Data;

/// <summary>
/// Training augmentation on log-mel windows (frames x bins, natural-log power), in place:
/// 1) random gain g dB: x += ln(10^(g/10)); 2) white noise at a random SNR: x = ln(e^x + N) with N the window's
/// mean power / 10^(SNR/10); 3) SpecAugment (Park et al., 2019): frequency and time masks set to the window mean.
/// </summary>
public sealed class LogMelAugment(ClapAugmentRecipe recipe)
{
    public void Apply(Span<float> window, int frames, int bins, Generator rng)
    {
        // 1) gain
        if (recipe.GainDb > 0)
        {
            float db = (rng.NextFloat() * 2 - 1) * recipe.GainDb;
            System.Numerics.Tensors.TensorPrimitives.Add(window, db / 10f * MathF.Log(10f), window);
        }
        // 2) noise
        if (recipe.NoiseProbability > 0 && rng.NextFloat() < recipe.NoiseProbability)
        {
            float snr = recipe.NoiseSnrMinDb + rng.NextFloat() * (recipe.NoiseSnrMaxDb - recipe.NoiseSnrMinDb);
            double meanPower = 0;
            foreach (var v in window) meanPower += Math.Exp(v);
            float noise = (float)(meanPower / window.Length / Math.Pow(10, snr / 10));
            for (int i = 0; i < window.Length; i++) window[i] = MathF.Log(MathF.Exp(window[i]) + noise);
        }
        // 3) SpecAugment
        float fill = System.Numerics.Tensors.TensorPrimitives.Sum(window) / window.Length;
        for (int m = 0; m < recipe.FreqMasks; m++)
        {
            int width = rng.NextInt(recipe.FreqMaskBins + 1), start = rng.NextInt(Math.Max(1, bins - width));
            for (int t = 0; t < frames; t++) window.Slice(t * bins + start, Math.Min(width, bins - start)).Fill(fill);
        }
        for (int m = 0; m < recipe.TimeMasks; m++)
        {
            int width = rng.NextInt(Math.Min(recipe.TimeMaskFrames, frames / 4) + 1), start = rng.NextInt(Math.Max(1, frames - width));
            window.Slice(start * bins, width * bins).Fill(fill);
        }
    }
}
