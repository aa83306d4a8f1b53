namespace Sentire.Audio.Dsp;

/// <summary>How <see cref="Stft"/> extends the signal by n_fft/2 on each side when centring (torch.nn.functional.pad modes).</summary>
public enum PadMode
{
    /// <summary>Zeros.</summary>
    Constant,
    /// <summary>Mirror without repeating the edge sample: x[−j] = x[j] (torch's default for STFT).</summary>
    Reflect,
    /// <summary>Repeat the edge sample.</summary>
    Replicate,
}

/// <summary>Short-time Fourier transform settings, named and defaulted as torch.stft / torchaudio.transforms.Spectrogram.</summary>
public sealed record StftOptions
{
    /// <summary>FFT size; the transform has n_fft/2 + 1 bins. Any size (400 is an exact 400-point DFT).</summary>
    public int NFft { get; init; } = 400;

    /// <summary>Window length (default n_fft); a shorter window is zero-padded to n_fft, centred.</summary>
    public int? WinLength { get; init; }

    /// <summary>Hop between frames (default win_length / 2).</summary>
    public int? HopLength { get; init; }

    public WindowKind Window { get; init; } = WindowKind.Hann;

    /// <summary>torch.hann_window's periodic flag: true (torch.stft's usual window) divides by the length, false gives the
    /// symmetric window (periodic=False) some models were trained with.</summary>
    public bool PeriodicWindow { get; init; } = true;

    /// <summary>Pad n_fft/2 on both sides so frame t is centred on sample t·hop.</summary>
    public bool Center { get; init; } = true;

    public PadMode PadMode { get; init; } = PadMode.Reflect;
}

/// <summary>
/// torch.stft (onesided, not normalized; periodic window unless <see cref="StftOptions.PeriodicWindow"/> is false): frame t of the (padded) signal starts at t·hop,
/// X_t[k] = Σ_n w[n]·x[t·hop + n]·e^{−2πi·kn/n_fft}; <see cref="Spectrogram"/> returns |X|^power as
/// torchaudio.transforms.Spectrogram. Window and FFT plan are built once per settings; frames are
/// transformed in place in per-thread buffers (no allocation per frame), in parallel for long signals.
/// </summary>
public sealed class Stft
{
    readonly float[] _window;      // win_length coefficients
    readonly int _windowOffset;    // (n_fft − win_length)/2: where the window sits inside the frame
    readonly RealFft _fft;

    public Stft(StftOptions options)
    {
        NFft = options.NFft;
        WinLength = options.WinLength ?? NFft;
        HopLength = options.HopLength ?? WinLength / 2;
        if (NFft < 1) throw new ArgumentOutOfRangeException(nameof(options), $"n_fft must be at least 1, got {NFft}.");
        if (WinLength < 1 || WinLength > NFft)
            throw new ArgumentOutOfRangeException(nameof(options), $"win_length must be in [1, n_fft={NFft}], got {WinLength}.");
        if (HopLength < 1) throw new ArgumentOutOfRangeException(nameof(options), $"hop_length must be at least 1, got {HopLength}.");
        Center = options.Center;
        PadMode = options.PadMode;
        _window = Window.Create(options.Window, WinLength, options.PeriodicWindow);
        _windowOffset = (NFft - WinLength) / 2;
        _fft = new RealFft(NFft);
    }

    public int NFft { get; }
    public int WinLength { get; }
    public int HopLength { get; }
    public bool Center { get; }
    public PadMode PadMode { get; }

    /// <summary>n_fft/2 + 1.</summary>
    public int BinCount => _fft.BinCount;

    /// <summary>Frames for a signal of <paramref name="sampleCount"/> samples: 1 + L/hop when centred, else 1 + (L − n_fft)/hop.</summary>
    public int FrameCount(int sampleCount)
    {
        var padded = Center ? sampleCount + 2 * (NFft / 2) : sampleCount;
        return padded < NFft ? 0 : 1 + (padded - NFft) / HopLength;
    }

    /// <summary>Receives one frame's spectrum; called concurrently for different frames.</summary>
    public delegate void SpectrumSink(int frame, ReadOnlySpan<float> spectrum);

    /// <summary>|X_t[k]|^power for every frame, frames × (n_fft/2 + 1).</summary>
    public FeatureMatrix Spectrogram(ReadOnlyMemory<float> signal, float power = 2f)
    {
        var result = new FeatureMatrix(FrameCount(signal.Length), BinCount);
        ForEachFrame(signal, power, (frame, spectrum) => spectrum.CopyTo(result.Row(frame)));
        return result;
    }

    /// <summary>Real and imaginary parts of X_t[k], each frames × (n_fft/2 + 1).</summary>
    public (FeatureMatrix Real, FeatureMatrix Imaginary) Complex(ReadOnlySpan<float> signal)
    {
        CheckPadding(signal.Length);
        var frames = FrameCount(signal.Length);
        var real = new FeatureMatrix(frames, BinCount);
        var imaginary = new FeatureMatrix(frames, BinCount);
        var frame = new float[NFft];
        var scratch = new float[_fft.ScratchLength];
        for (var t = 0; t < frames; t++)
        {
            FillFrame(signal, t, frame);
            _fft.Forward(frame, real.Row(t), imaginary.Row(t), scratch);
        }
        return (real, imaginary);
    }

    /// <summary>Computes |X_t|^power frame by frame and hands each to <paramref name="sink"/> (power 1: magnitude, 2: power).</summary>
    public void ForEachFrame(ReadOnlyMemory<float> signal, float power, SpectrumSink sink)
    {
        if (!(power > 0)) throw new ArgumentOutOfRangeException(nameof(power), power, "Spectrogram power must be positive.");
        CheckPadding(signal.Length);
        FrameParallel.Run(FrameCount(signal.Length), (first, end) => RunFrames(signal.Span, first, end, power, sink));
    }

    void RunFrames(ReadOnlySpan<float> signal, int firstFrame, int endFrame, float power, SpectrumSink sink)
    {
        var buffers = new FrameSpectrum(_fft);
        for (var t = firstFrame; t < endFrame; t++)
        {
            FillFrame(signal, t, buffers.Frame);
            sink(t, buffers.Power(power));
        }
    }

    /// <summary>One thread's working memory for the spectra of frames of one FFT size, allocated once per run of frames:
    /// fill <see cref="Frame"/>, then <see cref="Power"/> gives |X|^power of its <see cref="RealFft.BinCount"/> bins.</summary>
    internal sealed class FrameSpectrum(RealFft fft)
    {
        readonly float[] frame = new float[fft.Size], re = new float[fft.BinCount], im = new float[fft.BinCount], spectrum = new float[fft.BinCount],
            scratch = new float[fft.ScratchLength];

        /// <summary>The frame to transform, <see cref="RealFft.Size"/> samples.</summary>
        public Span<float> Frame => frame;

        /// <summary>|FFT(Frame)|^power (1: magnitude, 2: power); valid until the next call.</summary>
        public Span<float> Power(float power)
        {
            fft.Forward(frame, re, im, scratch);
            SpectralPower(re, im, spectrum, power);
            return spectrum;
        }
    }

    /// <summary>|X|^power from real and imaginary parts.</summary>
    internal static void SpectralPower(ReadOnlySpan<float> re, ReadOnlySpan<float> im, Span<float> result, float power)
    {
        for (var k = 0; k < result.Length; k++)
        {
            var squared = re[k] * re[k] + im[k] * im[k];
            result[k] = power == 2f ? squared : power == 1f ? MathF.Sqrt(squared) : MathF.Pow(squared, 0.5f * power);
        }
    }

    void CheckPadding(int sampleCount)
    {
        if (Center && PadMode == PadMode.Reflect && sampleCount <= NFft / 2)
            throw new ArgumentException(
                $"Reflect padding by n_fft/2 = {NFft / 2} needs more than {NFft / 2} samples, got {sampleCount} (as torch.stft).");
    }

    /// <summary>Windowed frame t: samples (t·hop − pad + offset + n)·w[n] in the window's span, zeros elsewhere.</summary>
    void FillFrame(ReadOnlySpan<float> signal, int t, Span<float> frame)
    {
        var pad = Center ? NFft / 2 : 0;
        var start = t * HopLength - pad + _windowOffset;
        if (_windowOffset > 0)
        {
            frame[.._windowOffset].Clear();
            frame[(_windowOffset + WinLength)..].Clear();
        }
        var target = frame.Slice(_windowOffset, WinLength);
        if (start >= 0 && start + WinLength <= signal.Length)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(signal.Slice(start, WinLength), _window, target);
            return;
        }
        for (var n = 0; n < WinLength; n++)
            target[n] = PaddedSample(signal, start + n) * _window[n];
    }

    float PaddedSample(ReadOnlySpan<float> signal, int index)
    {
        if ((uint)index < (uint)signal.Length) return signal[index];
        var last = signal.Length - 1;
        return PadMode switch
        {
            PadMode.Reflect => signal[index < 0 ? -index : 2 * last - index],
            PadMode.Replicate => signal[index < 0 ? 0 : last],
            _ => 0f,
        };
    }
}
