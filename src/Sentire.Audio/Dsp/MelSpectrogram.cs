namespace Sentire.Audio.Dsp;

/// <summary>Settings of torchaudio.transforms.MelSpectrogram, same names and defaults (hop = win_length/2, 128 HTK mels, no norm).</summary>
public sealed record MelSpectrogramOptions
{
    public int SampleRate { get; init; } = 16000;
    public int NFft { get; init; } = 400;
    public int? WinLength { get; init; }
    public int? HopLength { get; init; }
    public double FMin { get; init; }
    /// <summary>Default: sample_rate // 2.</summary>
    public double? FMax { get; init; }
    public int NMels { get; init; } = 128;
    public WindowKind Window { get; init; } = WindowKind.Hann;
    /// <summary>Exponent of the magnitude: 2 power, 1 magnitude.</summary>
    public float Power { get; init; } = 2f;
    public bool Center { get; init; } = true;
    public PadMode PadMode { get; init; } = PadMode.Reflect;
    public MelNorm Norm { get; init; } = MelNorm.None;
    public MelScale MelScale { get; init; } = MelScale.Htk;

    internal StftOptions Stft => new()
    {
        NFft = NFft, WinLength = WinLength, HopLength = HopLength, Window = Window, Center = Center, PadMode = PadMode,
    };
}

/// <summary>
/// torchaudio.transforms.MelSpectrogram: mel[t, m] = Σ_k W[m, k]·|STFT_t[k]|^power. The STFT plan and the
/// filterbank are built once; the spectrum of each frame goes straight into its mel row (no spectrogram kept).
/// </summary>
public sealed class MelSpectrogram
{
    readonly Stft _stft;

    public MelSpectrogram(MelSpectrogramOptions options)
    {
        Options = options;
        _stft = new Stft(options.Stft);
        Filterbank = MelFilterbank.Torchaudio(_stft.BinCount, options.FMin, options.FMax ?? options.SampleRate / 2,
            options.NMels, options.SampleRate, options.Norm, options.MelScale);
    }

    public MelSpectrogramOptions Options { get; }
    public MelFilterbank Filterbank { get; }
    public int HopLength => _stft.HopLength;

    public int FrameCount(int sampleCount) => _stft.FrameCount(sampleCount);

    /// <summary>frames × n_mels (torchaudio returns the transpose, n_mels × frames).</summary>
    public FeatureMatrix Compute(ReadOnlyMemory<float> signal)
    {
        var result = new FeatureMatrix(_stft.FrameCount(signal.Length), Filterbank.MelCount);
        _stft.ForEachFrame(signal, Options.Power, (frame, spectrum) => Filterbank.Apply(spectrum, result.Row(frame)));
        return result;
    }
}
