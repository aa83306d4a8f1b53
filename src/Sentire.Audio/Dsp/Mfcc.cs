namespace Sentire.Audio.Dsp;

/// <summary>Settings of torchaudio.transforms.MFCC: same names and defaults (40 coefficients, DCT-II ortho, dB mels with top_db 80).</summary>
public sealed record MfccOptions
{
    public int SampleRate { get; init; } = 16000;
    public int NMfcc { get; init; } = 40;
    /// <summary>Orthonormal DCT-II ("ortho"); false: torchaudio's norm=None (unnormalised, ×2).</summary>
    public bool OrthoNorm { get; init; } = true;
    /// <summary>log(mel + 1e-6) instead of dB with top_db 80.</summary>
    public bool LogMels { get; init; }
    /// <summary>melkwargs; its SampleRate is replaced by <see cref="SampleRate"/>.</summary>
    public MelSpectrogramOptions Mel { get; init; } = new();
}

/// <summary>
/// torchaudio.transforms.MFCC: c[t, k] = Σ_m L[t, m]·D[m, k], L the log-mel (10·log10(max(mel, 1e-10)) floored
/// at max − 80 dB, or ln(mel + 1e-6) with log_mels) and D the DCT-II, D[m, k] = cos(π/M·(m + ½)·k),
/// scaled by √(2/M) and column 0 by 1/√2 for "ortho" (torchaudio.functional.create_dct).
/// </summary>
public sealed class Mfcc
{
    const float TopDb = 80f;
    const float LogOffset = 1e-6f;
    readonly MelSpectrogram _mel;
    readonly float[] _dct; // [k, m]: one contiguous row per coefficient

    public Mfcc(MfccOptions options)
    {
        Options = options;
        _mel = new MelSpectrogram(options.Mel with { SampleRate = options.SampleRate });
        var nMels = options.Mel.NMels;
        if (options.NMfcc < 1 || options.NMfcc > nMels)
            throw new ArgumentOutOfRangeException(nameof(options), $"n_mfcc must be in [1, n_mels={nMels}], got {options.NMfcc}.");
        _dct = new float[options.NMfcc * nMels];
        for (var k = 0; k < options.NMfcc; k++)
            for (var m = 0; m < nMels; m++)
            {
                var value = Math.Cos(Math.PI / nMels * (m + 0.5) * k);
                value *= options.OrthoNorm ? Math.Sqrt(2.0 / nMels) * (k == 0 ? 1 / Math.Sqrt(2.0) : 1.0) : 2.0;
                _dct[k * nMels + m] = (float)value;
            }
    }

    public MfccOptions Options { get; }

    /// <summary>frames × n_mfcc (torchaudio returns n_mfcc × frames).</summary>
    public FeatureMatrix Compute(ReadOnlyMemory<float> signal)
    {
        var mel = _mel.Compute(signal);
        if (Options.LogMels)
            for (var i = 0; i < mel.Data.Length; i++) mel.Data[i] = MathF.Log(mel.Data[i] + LogOffset);
        else
            AmplitudeToDb.Apply(mel.Data, isPower: true, TopDb);
        var nMels = mel.Columns;
        var result = new FeatureMatrix(mel.Rows, Options.NMfcc);
        for (var t = 0; t < mel.Rows; t++)
        {
            var row = mel.Row(t);
            var output = result.Row(t);
            for (var k = 0; k < output.Length; k++)
                output[k] = System.Numerics.Tensors.TensorPrimitives.Dot(_dct.AsSpan(k * nMels, nMels), row);
        }
        return result;
    }
}
