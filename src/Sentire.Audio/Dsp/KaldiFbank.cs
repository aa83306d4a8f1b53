namespace Sentire.Audio.Dsp;

/// <summary>Settings of torchaudio.compliance.kaldi.fbank (Kaldi's compute-fbank-feats), same names and defaults.</summary>
public sealed record KaldiFbankOptions
{
    public double SampleFrequency { get; init; } = 16000;
    /// <summary>Milliseconds.</summary>
    public double FrameLength { get; init; } = 25.0;
    /// <summary>Milliseconds.</summary>
    public double FrameShift { get; init; } = 10.0;
    /// <summary>Only 0 (no dither) is supported: Kaldi's dither is random and would make features irreproducible.</summary>
    public double Dither { get; init; }
    public double PreemphasisCoefficient { get; init; } = 0.97;
    public bool RemoveDcOffset { get; init; } = true;
    public WindowKind WindowType { get; init; } = WindowKind.Povey;
    public double BlackmanCoeff { get; init; } = Window.KaldiBlackmanCoefficient;
    public bool RoundToPowerOfTwo { get; init; } = true;
    /// <summary>Only frames that fit inside the signal; false: frames centred on multiples of the shift, edges mirrored.</summary>
    public bool SnipEdges { get; init; } = true;
    public int NumMelBins { get; init; } = 23;
    public double LowFreq { get; init; } = 20.0;
    /// <summary>≤ 0: offset from the Nyquist frequency.</summary>
    public double HighFreq { get; init; }
    /// <summary>Prepend (htk_compat: append) the log energy of each frame.</summary>
    public bool UseEnergy { get; init; }
    /// <summary>Energy before pre-emphasis and windowing.</summary>
    public bool RawEnergy { get; init; } = true;
    public double EnergyFloor { get; init; } = 1.0;
    public bool UsePower { get; init; } = true;
    public bool UseLogFbank { get; init; } = true;
    public bool HtkCompat { get; init; }
    public bool SubtractMean { get; init; }
}

/// <summary>
/// Kaldi filterbank features, step for step as torchaudio.compliance.kaldi.fbank (itself a port of Kaldi's
/// FbankComputer): per frame 1) remove the DC offset, 2) log energy log(max(Σx², ε)) (raw), 3) pre-emphasis
/// x[i] −= c·x[i−1] with x[−1] = x[0], 4) window (povey = symmetric Hann^0.85), 5) zero-pad to the FFT size
/// (next power of two), 6) power spectrum, 7) Kaldi mel banks, 8) log(max(·, ε)); ε = float32 epsilon.
/// Output frames × bins (+1 energy column), the layout kaldi.fbank returns.
/// </summary>
public sealed class KaldiFbank
{
    const float Epsilon = 1.1920928955078125e-07f; // torch.finfo(torch.float32).eps
    readonly float[] _window;
    readonly RealFft _fft;

    public KaldiFbank(KaldiFbankOptions options)
    {
        if (options.Dither != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Dither, "Kaldi fbank supports dither = 0 only (dither is random noise).");
        Options = options;
        // int(sample_frequency · ms · 0.001) as torchaudio truncates.
        WindowSize = (int)(options.SampleFrequency * options.FrameLength * 0.001);
        WindowShift = (int)(options.SampleFrequency * options.FrameShift * 0.001);
        if (WindowSize < 2 || WindowShift < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Kaldi frames need ≥ 2 samples and a shift ≥ 1, got {WindowSize} and {WindowShift}.");
        PaddedWindowSize = options.RoundToPowerOfTwo ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)WindowSize) : WindowSize;
        _window = Window.Create(options.WindowType, WindowSize, periodic: false, options.BlackmanCoeff);
        _fft = new RealFft(PaddedWindowSize);
        Banks = MelFilterbank.Kaldi(options.NumMelBins, PaddedWindowSize, options.SampleFrequency, options.LowFreq, options.HighFreq);
    }

    public KaldiFbankOptions Options { get; }
    public int WindowSize { get; }
    public int WindowShift { get; }
    public int PaddedWindowSize { get; }
    public MelFilterbank Banks { get; }

    /// <summary>Output columns: mel bins, plus one for the energy when used.</summary>
    public int FeatureCount => Options.NumMelBins + (Options.UseEnergy ? 1 : 0);

    /// <summary>snip_edges: 1 + (L − size)/shift (0 if shorter than a frame); else (L + shift/2)/shift.</summary>
    public int FrameCount(int sampleCount) =>
        Options.SnipEdges
            ? sampleCount < WindowSize ? 0 : 1 + (sampleCount - WindowSize) / WindowShift
            : (sampleCount + WindowShift / 2) / WindowShift;

    public FeatureMatrix Compute(ReadOnlyMemory<float> signal)
    {
        var frames = FrameCount(signal.Length);
        var result = new FeatureMatrix(frames, FeatureCount);
        FrameParallel.Run(frames, (first, end) => RunFrames(signal.Span, first, end, result));
        if (Options.SubtractMean && frames > 0)
            for (var c = 0; c < result.Columns; c++)
            {
                double sum = 0;
                for (var t = 0; t < frames; t++) sum += result[t, c];
                var mean = (float)(sum / frames);
                for (var t = 0; t < frames; t++) result[t, c] -= mean;
            }
        return result;
    }

    void RunFrames(ReadOnlySpan<float> signal, int firstFrame, int endFrame, FeatureMatrix result)
    {
        var options = Options;
        var buffers = new Stft.FrameSpectrum(_fft);
        var frame = buffers.Frame;
        var samples = frame[..WindowSize];
        var melOffset = options.UseEnergy && !options.HtkCompat ? 1 : 0;
        var energyColumn = options.HtkCompat ? options.NumMelBins : 0;
        var logEnergyFloor = options.EnergyFloor > 0 ? (float)Math.Log(options.EnergyFloor) : float.NegativeInfinity;
        for (var t = firstFrame; t < endFrame; t++)
        {
            FillFrame(signal, t, samples);
            if (options.RemoveDcOffset)
            {
                var mean = System.Numerics.Tensors.TensorPrimitives.Sum<float>(samples) / WindowSize;
                System.Numerics.Tensors.TensorPrimitives.Subtract(samples, mean, samples);
            }
            var logEnergy = 0f;
            if (options.RawEnergy) logEnergy = LogEnergy(samples, logEnergyFloor);
            if (options.PreemphasisCoefficient != 0)
            {
                var c = (float)options.PreemphasisCoefficient;
                for (var i = WindowSize - 1; i > 0; i--) samples[i] -= c * samples[i - 1];
                samples[0] -= c * samples[0];
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(samples, _window, samples);
            frame[WindowSize..].Clear();
            if (!options.RawEnergy) logEnergy = LogEnergy(frame, logEnergyFloor);
            var spectrum = buffers.Power(options.UsePower ? 2f : 1f);
            var row = result.Row(t);
            var mel = row.Slice(melOffset, options.NumMelBins);
            Banks.Apply(spectrum, mel);
            if (options.UseLogFbank)
                for (var m = 0; m < mel.Length; m++) mel[m] = MathF.Log(MathF.Max(mel[m], Epsilon));
            if (options.UseEnergy) row[energyColumn] = logEnergy;
        }
    }

    static float LogEnergy(ReadOnlySpan<float> samples, float logEnergyFloor) =>
        MathF.Max(MathF.Log(MathF.Max(System.Numerics.Tensors.TensorPrimitives.Dot(samples, samples), Epsilon)), logEnergyFloor);

    /// <summary>Samples of frame t: from t·shift (snip_edges), else from t·shift − (size/2 − shift/2) with Kaldi's
    /// edge mirroring x[−1−j] = x[j], x[L+j] = x[L−1−j].</summary>
    void FillFrame(ReadOnlySpan<float> signal, int t, Span<float> samples)
    {
        var start = t * WindowShift - (Options.SnipEdges ? 0 : WindowSize / 2 - WindowShift / 2);
        if (start >= 0 && start + WindowSize <= signal.Length)
        {
            signal.Slice(start, WindowSize).CopyTo(samples);
            return;
        }
        var length = signal.Length;
        for (var i = 0; i < WindowSize; i++)
        {
            var j = start + i;
            // Mirror repeatedly so even a signal shorter than a frame has an index.
            while (j < 0 || j >= length) j = j < 0 ? -j - 1 : 2 * length - 1 - j;
            samples[i] = signal[j];
        }
    }
}
