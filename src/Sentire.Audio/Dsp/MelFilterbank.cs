namespace Sentire.Audio.Dsp;

/// <summary>Hz ↔ mel mapping.</summary>
public enum MelScale
{
    /// <summary>HTK: m = 2595·log10(1 + f/700).</summary>
    Htk,
    /// <summary>Slaney (Auditory Toolbox, librosa's default): linear 3 mel per 200 Hz below 1 kHz, logarithmic above (step ln 6.4 / 27).</summary>
    Slaney,
    /// <summary>Kaldi: m = 1127·ln(1 + f/700).</summary>
    Kaldi,
}

/// <summary>Filter normalisation (torchaudio's <c>norm</c>).</summary>
public enum MelNorm
{
    /// <summary>Triangles peak at 1.</summary>
    None,
    /// <summary>Each triangle divided by half its width in Hz, 2/(f[m+2] − f[m]): equal area.</summary>
    Slaney,
}

/// <summary>
/// Triangular mel filters over the bins of a one-sided spectrum, as torchaudio.functional.melscale_fbanks
/// (<see cref="Torchaudio"/>) or torchaudio.compliance.kaldi.get_mel_banks (<see cref="Kaldi"/>).
/// Each filter keeps only its non-zero span, so applying it is one short dot product per mel band.
/// </summary>
public sealed class MelFilterbank
{
    readonly float[] _weights; // [mel, bin]
    readonly int[] _first, _count;

    MelFilterbank(int melCount, int binCount, float[] weights)
    {
        MelCount = melCount;
        BinCount = binCount;
        _weights = weights;
        _first = new int[melCount];
        _count = new int[melCount];
        for (var m = 0; m < melCount; m++)
        {
            var row = weights.AsSpan(m * binCount, binCount);
            var first = row.IndexOfAnyExcept(0f);
            if (first < 0) continue;
            _first[m] = first;
            _count[m] = row.LastIndexOfAnyExcept(0f) - first + 1;
        }
    }

    public int MelCount { get; }
    public int BinCount { get; }

    /// <summary>Weight of spectrum bin <paramref name="bin"/> in mel band <paramref name="mel"/>.</summary>
    public float this[int mel, int bin] => _weights[mel * BinCount + bin];

    public static double HzToMel(double hz, MelScale scale)
    {
        switch (scale)
        {
            case MelScale.Htk: return 2595.0 * Math.Log10(1.0 + hz / 700.0);
            case MelScale.Kaldi: return 1127.0 * Math.Log(1.0 + hz / 700.0);
            default:
                const double fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp;
                var logStep = Math.Log(6.4) / 27.0;
                return hz >= minLogHz ? minLogMel + Math.Log(hz / minLogHz) / logStep : hz / fSp;
        }
    }

    public static double MelToHz(double mel, MelScale scale)
    {
        switch (scale)
        {
            case MelScale.Htk: return 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);
            case MelScale.Kaldi: return 700.0 * (Math.Exp(mel / 1127.0) - 1.0);
            default:
                const double fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp;
                var logStep = Math.Log(6.4) / 27.0;
                return mel >= minLogMel ? minLogHz * Math.Exp(logStep * (mel - minLogMel)) : fSp * mel;
        }
    }

    /// <summary>
    /// torchaudio.functional.melscale_fbanks: bin frequencies linspace(0, sr // 2, n_freqs); n_mels + 2 points
    /// equally spaced in mel between f_min and f_max; filter m rises from f[m] to f[m+1] and falls to f[m+2].
    /// </summary>
    public static MelFilterbank Torchaudio(int nFreqs, double fMin, double fMax, int nMels, int sampleRate,
        MelNorm norm = MelNorm.None, MelScale scale = MelScale.Htk)
    {
        if (nFreqs < 2 || nMels < 1) throw new ArgumentOutOfRangeException(nameof(nMels), $"Mel filterbank needs n_freqs ≥ 2 and n_mels ≥ 1, got {nFreqs} and {nMels}.");
        if (!(fMin >= 0 && fMax > fMin)) throw new ArgumentOutOfRangeException(nameof(fMax), $"Mel filterbank needs 0 ≤ f_min < f_max, got f_min={fMin}, f_max={fMax}.");
        if (scale == MelScale.Kaldi) throw new ArgumentException("Kaldi's mel scale goes with MelFilterbank.Kaldi.", nameof(scale));
        double melMin = HzToMel(fMin, scale), melMax = HzToMel(fMax, scale);
        var points = new double[nMels + 2];
        for (var i = 0; i < points.Length; i++) points[i] = MelToHz(melMin + (melMax - melMin) * i / (nMels + 1), scale);
        var weights = new float[nMels * nFreqs];
        var nyquist = sampleRate / 2; // integer division, as torchaudio's sample_rate // 2
        for (var f = 0; f < nFreqs; f++)
        {
            var hz = (double)nyquist * f / (nFreqs - 1);
            for (var m = 0; m < nMels; m++)
            {
                var down = (hz - points[m]) / (points[m + 1] - points[m]);
                var up = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
                var w = Math.Max(0.0, Math.Min(down, up));
                if (norm == MelNorm.Slaney) w *= 2.0 / (points[m + 2] - points[m]);
                weights[m * nFreqs + f] = (float)w;
            }
        }
        return new MelFilterbank(nMels, nFreqs, weights);
    }

    /// <summary>
    /// Kaldi's MelBanks (no VTLN) over the padded_window/2 + 1 bins of an FFT of size <paramref name="paddedWindowSize"/>:
    /// centres equally spaced on 1127·ln(1 + f/700) between low_freq and high_freq (≤ 0 means Nyquist + high_freq),
    /// triangles evaluated in mel; the Nyquist bin gets weight 0.
    /// </summary>
    public static MelFilterbank Kaldi(int numBins, int paddedWindowSize, double sampleFrequency, double lowFreq = 20, double highFreq = 0)
    {
        if (numBins < 3) throw new ArgumentOutOfRangeException(nameof(numBins), numBins, "Kaldi mel banks need at least 3 bins.");
        var nyquist = 0.5 * sampleFrequency;
        if (highFreq <= 0) highFreq += nyquist;
        if (!(lowFreq >= 0 && lowFreq < nyquist && highFreq > 0 && highFreq <= nyquist && highFreq > lowFreq))
            throw new ArgumentOutOfRangeException(nameof(highFreq), $"Kaldi mel banks need 0 ≤ low_freq < high_freq ≤ Nyquist ({nyquist} Hz), got low_freq={lowFreq}, high_freq={highFreq}.");
        var fftBins = paddedWindowSize / 2;
        var binWidth = sampleFrequency / paddedWindowSize;
        double melLow = HzToMel(lowFreq, MelScale.Kaldi), melHigh = HzToMel(highFreq, MelScale.Kaldi);
        var delta = (melHigh - melLow) / (numBins + 1);
        var binCount = fftBins + 1;
        var weights = new float[numBins * binCount];
        for (var m = 0; m < numBins; m++)
        {
            double left = melLow + m * delta, center = melLow + (m + 1) * delta, right = melLow + (m + 2) * delta;
            for (var f = 0; f < fftBins; f++)
            {
                var mel = HzToMel(binWidth * f, MelScale.Kaldi);
                var w = Math.Max(0.0, Math.Min((mel - left) / (center - left), (right - mel) / (right - center)));
                weights[m * binCount + f] = (float)w;
            }
        }
        return new MelFilterbank(numBins, binCount, weights);
    }

    /// <summary>mel[m] = Σ_k W[m, k]·spectrum[k].</summary>
    public void Apply(ReadOnlySpan<float> spectrum, Span<float> mel)
    {
        if (spectrum.Length != BinCount || mel.Length != MelCount)
            throw new ArgumentException($"Mel filterbank maps {BinCount} bins to {MelCount} bands, got {spectrum.Length} bins and {mel.Length} bands.");
        for (var m = 0; m < MelCount; m++)
        {
            int first = _first[m], count = _count[m];
            mel[m] = count == 0 ? 0f
                : System.Numerics.Tensors.TensorPrimitives.Dot(_weights.AsSpan(m * BinCount + first, count), spectrum.Slice(first, count));
        }
    }
}
