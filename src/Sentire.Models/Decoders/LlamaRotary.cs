using Sentire.Tensors;

namespace Sentire.Models.Decoders;

/// <summary>
/// RoPE tables of a LLaMA-family decoder (Su et al. 2021, in the rotate_half layout): inv_freq[i] = theta^(-2i/D),
/// stretched as the config's rope_scaling says (transformers' ROPE_INIT_FUNCTIONS), and cos/sin of position x
/// inv_freq computed as float32 products. Tables grow on demand and are reused while the frequencies stay the same
/// (they change only under dynamic NTK scaling, with the sequence length).
/// </summary>
public sealed class LlamaRotary
{
    readonly LlamaConfig config;

    internal LlamaRotary(LlamaConfig config) => this.config = config;

    Tensor? cos, sin;
    float[]? tableFrequencies;

    /// <summary>Tables covering positions 0..<paramref name="seqLen"/>-1, for a forward whose largest position is seqLen - 1.</summary>
    internal (Tensor Cos, Tensor Sin) Tables(int seqLen)
    {
        var invFreq = InverseFrequencies(config, seqLen);
        if (cos is null || cos.Dim(0) < seqLen || !invFreq.AsSpan().SequenceEqual(tableFrequencies))
        {
            int positions = Math.Max(seqLen, Math.Min(config.MaxPositionEmbeddings, 4096));
            if (cos is not null && invFreq.AsSpan().SequenceEqual(tableFrequencies)) positions = Math.Max(positions, 2 * cos.Dim(0));
            (cos, sin) = Build(invFreq, positions);
            tableFrequencies = invFreq;
        }
        return (cos, sin!);
    }

    /// <summary>inv_freq (D/2) for a forward over <paramref name="seqLen"/> positions, as transformers computes it.</summary>
    public static float[] InverseFrequencies(LlamaConfig config, int seqLen)
    {
        int dim = config.HeadDim, half = dim / 2;
        double theta = config.RopeTheta;
        var s = config.RopeScaling;
        if (s is { Type: RopeScalingType.Dynamic } && seqLen > config.MaxPositionEmbeddings)
            // Dynamic NTK (transformers _compute_dynamic_ntk_parameters): base *= (factor L / L0 - (factor - 1))^(D / (D - 2))
            theta *= Math.Pow(s.Factor * seqLen / config.MaxPositionEmbeddings - (s.Factor - 1), (double)dim / (dim - 2));
        var inv = new float[half];
        for (int i = 0; i < half; i++) inv[i] = 1f / (float)Math.Pow(theta, (float)(2 * i) / dim);
        if (s is { Type: RopeScalingType.Linear })
            for (int i = 0; i < half; i++) inv[i] = (float)(inv[i] / s.Factor);
        if (s is { Type: RopeScalingType.Llama3 })
        {
            // Llama 3.1 (transformers _compute_llama3_parameters): wavelengths longer than L0 / low_freq_factor are divided
            // by factor, those shorter than L0 / high_freq_factor kept, and the band between interpolated.
            double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor, highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
            for (int i = 0; i < half; i++)
            {
                double f = inv[i], wavelen = 2 * Math.PI / f;
                if (wavelen > lowWavelen) f /= s.Factor;
                else if (wavelen >= highWavelen)
                {
                    double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - smooth) * f / s.Factor + smooth * f;
                }
                inv[i] = (float)f;
            }
        }
        return inv;
    }

    static (Tensor Cos, Tensor Sin) Build(float[] invFreq, int positions)
    {
        int half = invFreq.Length, dim = 2 * half;
        var cosT = Tensor.Zeros(positions, dim);
        var sinT = Tensor.Zeros(positions, dim);
        var cd = cosT.Data; var sd = sinT.Data;
        for (int p = 0; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];  // float32 product, as HF's inv_freq @ position_ids
                cd[p * dim + i] = cd[p * dim + half + i] = (float)Math.Cos(angle);
                sd[p * dim + i] = sd[p * dim + half + i] = (float)Math.Sin(angle);
            }
        return (cosT, sinT);
    }
}
