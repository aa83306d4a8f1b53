using System.Numerics.Tensors;

namespace Sentire.Audio.Prosody;

/// <summary>Settings of <see cref="YinPitchTracker"/>; validated once in <see cref="Validate"/>.</summary>
/// <param name="MinF0Hz">Lowest F0 searched (sets the longest lag, and the integration window when that is longer than <paramref name="WindowSeconds"/>).</param>
/// <param name="MaxF0Hz">Highest F0 searched (sets the shortest lag).</param>
/// <param name="HopSeconds">Frame step; frame i is centred at i * hop.</param>
/// <param name="WindowSeconds">YIN integration window W (de Cheveigné &amp; Kawahara use 25 ms).</param>
/// <param name="Threshold">YIN step 4 absolute threshold on the cumulative mean normalised difference d'.</param>
/// <param name="OctaveRatio">A dip at twice the chosen lag that is deeper than this times the chosen dip wins (half-period guard).</param>
/// <param name="SilenceDb">Frames whose RMS is this many dB below the loudest frame are unvoiced.</param>
/// <param name="MinVoicedFrames">Voiced runs shorter than this are set unvoiced (isolated blips are almost always errors).</param>
public sealed record PitchOptions(
    double MinF0Hz = 60,
    double MaxF0Hz = 750,
    double HopSeconds = 0.01,
    double WindowSeconds = 0.025,
    double Threshold = 0.3,
    double OctaveRatio = 0.4,
    double SilenceDb = 40,
    int MinVoicedFrames = 3)
{
    public void Validate(int sampleRate)
    {
        var errors = FrameGrid.F0SearchErrors(MinF0Hz, MaxF0Hz, HopSeconds, sampleRate);
        if (!(WindowSeconds > 0)) errors.Add($"WindowSeconds must be > 0 (got {WindowSeconds})");
        if (!(Threshold is > 0 and < 1)) errors.Add($"Threshold must be in (0, 1) (got {Threshold})");
        if (!(OctaveRatio is > 0 and < 1)) errors.Add($"OctaveRatio must be in (0, 1) (got {OctaveRatio})");
        if (!(SilenceDb > 0)) errors.Add($"SilenceDb must be > 0 (got {SilenceDb})");
        if (MinVoicedFrames < 1) errors.Add($"MinVoicedFrames must be >= 1 (got {MinVoicedFrames})");
        if (errors.Count > 0) throw new ArgumentException("Invalid PitchOptions: " + string.Join("; ", errors));
    }
}

/// <summary>An F0 contour on the prosody frame grid (frame i at i * <see cref="HopSeconds"/> seconds).</summary>
/// <param name="FrequencyHz">F0 per frame; 0 where the frame is unvoiced.</param>
/// <param name="Aperiodicity">YIN's d' at the chosen lag (0 = perfectly periodic, about 1 = noise); 1 for silent frames.</param>
public sealed record PitchTrack(float[] FrequencyHz, float[] Aperiodicity, double HopSeconds)
{
    public int FrameCount => FrequencyHz.Length;

    public bool IsVoiced(int frame) => FrequencyHz[frame] > 0;
}

/// <summary>One YIN frame before the track-wide decisions: the F0 of its first dip (0 when d' has none below the
/// threshold), d' there (or its minimum), and the mean power of its integration window.</summary>
public readonly record struct YinFrame(float FrequencyHz, float Aperiodicity, double Energy);

/// <summary>YIN fundamental-frequency estimator with voicing decision.
/// Source: A. de Cheveigné and H. Kawahara, "YIN, a fundamental frequency estimator for speech and music",
/// JASA 111(4), 2002. Steps (numbered as in the paper):
/// 2) difference function d_t(τ) = Σ_{j=t}^{t+W-1} (x_j - x_{j+τ})²;
/// 3) cumulative mean normalised difference d'_t(τ) = d_t(τ) / [(1/τ) Σ_{j=1}^{τ} d_t(j)], d'_t(0) = 1;
/// 4) absolute threshold: the smallest τ whose d' dips below the threshold, followed down to its local minimum
///    (taking the first dip, not the global minimum, is what avoids the sub-harmonic "octave too low" errors);
/// 5) parabolic interpolation of d' around that minimum for a sub-sample period.
/// Added here: a frame is voiced only when step 4 finds a dip and the frame is not silent; octave jumps against
/// the median of the neighbouring voiced frames are re-resolved with the dip of d' nearest the neighbours' period
/// (the paper's step 6 uses neighbouring estimates the same way); voiced runs shorter than MinVoicedFrames are dropped.</summary>
public static class YinPitchTracker
{
    /// <summary>Neighbourhood (frames each side) whose median F0 a frame is checked against for octave jumps.</summary>
    const int OctaveCheckRadius = 5;

    /// <summary>First dips shallower than this d' are never replaced by the double lag.</summary>
    const float MinDipForOctaveCheck = 0.05f;

    public static PitchTrack Track(ReadOnlySpan<float> signal, int sampleRate, PitchOptions? options = null) =>
        Track(signal, sampleRate, options, loudestEnergy: null);

    /// <param name="loudestEnergy">the loudest frame energy of the whole recording (<see cref="FrameEnergies"/>) when
    /// <paramref name="signal"/> is a piece of it; null takes the loudest frame of <paramref name="signal"/>.</param>
    internal static PitchTrack Track(ReadOnlySpan<float> signal, int sampleRate, PitchOptions? options, double? loudestEnergy)
    {
        options ??= new PitchOptions();
        options.Validate(sampleRate);
        var frames = new YinFrame[FrameGrid.For(signal.Length, sampleRate, options.HopSeconds).FrameCount];
        AnalyseFrames(signal, sampleRate, options, 0, frames);
        return Decide(frames, signal, sampleRate, options, loudestEnergy);
    }

    /// <summary>The mean-square energy of every frame's centred window W (<see cref="YinFrame"/>'s energy), whose maximum
    /// sets the silence threshold: a long recording's first pass takes the maximum over the whole file before tracking
    /// it piece by piece.</summary>
    internal static double[] FrameEnergies(ReadOnlySpan<float> signal, int sampleRate, PitchOptions options)
    {
        options.Validate(sampleRate);
        var grid = FrameGrid.For(signal.Length, sampleRate, options.HopSeconds);
        var (_, maxLag, window) = Lags(sampleRate, options);
        var span = new float[window + maxLag + 2];
        var energyPrefix = new double[span.Length + 1];
        var energy = new double[grid.FrameCount];
        for (var t = 0; t < energy.Length; t++) energy[t] = CentredEnergy(signal, grid, t, span, energyPrefix, window);
        return energy;
    }

    /// <summary>Copies frame t's span (W + lags + 2 samples centred on the frame) with its energy prefix sums; returns the
    /// mean-square energy of the centred window W.</summary>
    static double CentredEnergy(ReadOnlySpan<float> signal, FrameGrid grid, int t, float[] span, double[] energyPrefix, int window)
    {
        FrameGrid.CopyWindow(signal, grid.CentredStart(t, span.Length), span);
        for (var j = 0; j < span.Length; j++) energyPrefix[j + 1] = energyPrefix[j] + (double)span[j] * span[j];
        var centred = (span.Length - window) / 2;
        return (energyPrefix[centred + window] - energyPrefix[centred]) / window;
    }

    /// <summary>Samples frame t reads: [t × hop − SpanLength / 2, t × hop + SpanLength − SpanLength / 2) of the signal
    /// (the integration window W and the longest lag). A frame's <see cref="YinFrame"/> depends on these samples only,
    /// so a live stream can analyse each frame once and share it between overlapping windows.</summary>
    public static int SpanLength(int sampleRate, PitchOptions options)
    {
        var (_, maxLag, window) = Lags(sampleRate, options);
        return window + maxLag + 2;
    }

    static (int MinLag, int MaxLag, int Window) Lags(int sampleRate, PitchOptions options)
    {
        var minLag = Math.Max(2, (int)Math.Floor(sampleRate / options.MaxF0Hz));
        var maxLag = (int)Math.Ceiling(sampleRate / options.MinF0Hz);
        return (minLag, maxLag, Math.Max(maxLag, (int)Math.Round(options.WindowSeconds * sampleRate)));   // W
    }

    /// <summary>Steps 2-5 of frames <paramref name="first"/> .. first + frames.Length of <paramref name="signal"/> (samples
    /// outside it read as zero), before the decisions that look at the whole track (<see cref="Decide"/>).</summary>
    public static void AnalyseFrames(ReadOnlySpan<float> signal, int sampleRate, PitchOptions options, int first, Span<YinFrame> frames)
    {
        options.Validate(sampleRate);
        var hop = FrameGrid.For(0, sampleRate, options.HopSeconds).HopSamples;
        var (minLag, maxLag, window) = Lags(sampleRate, options);
        var span = new float[window + maxLag + 2];
        var energyPrefix = new double[span.Length + 1];
        var grid = new FrameGrid(sampleRate, hop, first + frames.Length);
        for (var i = 0; i < frames.Length; i++)
        {
            var energy = CentredEnergy(signal, grid, first + i, span, energyPrefix, window);
            var dPrime = CumulativeMeanNormalisedDifference(span, energyPrefix, window, maxLag + 1);   // d'_t(τ), τ = 0..maxLag+1
            var lag = FirstDip(dPrime, minLag, maxLag, options.Threshold);
            if (lag >= 0) lag = PreferDoubleLag(dPrime, lag, maxLag, options.OctaveRatio);
            frames[i] = lag < 0
                ? new YinFrame(0, MinimumAt(dPrime, minLag, maxLag, out _), energy)
                : new YinFrame((float)(sampleRate / RefineLag(dPrime, lag)), dPrime[lag], energy);
        }
    }

    /// <summary>The decisions over the whole track of <paramref name="signal"/> from its frames (<see cref="AnalyseFrames"/>,
    /// one per frame of the signal): silence against the loudest frame, octave jumps against the neighbours (d' of a
    /// suspect frame computed again from the signal), short voiced runs dropped.</summary>
    public static PitchTrack Decide(ReadOnlySpan<YinFrame> frames, ReadOnlySpan<float> signal, int sampleRate, PitchOptions options) =>
        Decide(frames, signal, sampleRate, options, loudestEnergy: null);

    /// <param name="loudestEnergy">the loudest frame energy of the whole recording when <paramref name="signal"/> is a
    /// piece of it; null takes the loudest of <paramref name="frames"/>.</param>
    static PitchTrack Decide(ReadOnlySpan<YinFrame> frames, ReadOnlySpan<float> signal, int sampleRate, PitchOptions options, double? loudestEnergy)
    {
        options.Validate(sampleRate);
        var grid = FrameGrid.For(signal.Length, sampleRate, options.HopSeconds);
        if (frames.Length != grid.FrameCount)
            throw new ArgumentException($"{signal.Length} samples make {grid.FrameCount} pitch frames, got {frames.Length}");
        var (minLag, maxLag, window) = Lags(sampleRate, options);
        var frequency = new float[frames.Length];
        var aperiodicity = new float[frames.Length];
        var energy = new double[frames.Length];
        for (var t = 0; t < frames.Length; t++) (frequency[t], aperiodicity[t], energy[t]) = frames[t];

        // Silence: RMS more than SilenceDb below the loudest frame.
        var loudest = loudestEnergy ?? (energy.Length == 0 ? 0 : energy.Max());
        var silenceEnergy = loudest * Math.Pow(10, -options.SilenceDb / 10);
        for (var t = 0; t < frequency.Length; t++)
            if (energy[t] <= silenceEnergy || energy[t] == 0)
            {
                frequency[t] = 0;
                aperiodicity[t] = 1;
            }

        FixOctaveJumps(frequency, aperiodicity, signal, grid, window, sampleRate, minLag, maxLag, options.Threshold);
        DropShortRuns(frequency, options.MinVoicedFrames);
        return new PitchTrack(frequency, aperiodicity, grid.HopSeconds);
    }

    /// <summary>Steps 2-3 on a span of W + lags + 1 samples whose middle is the frame centre. The compared windows sit
    /// symmetrically about the centre (x_j against x_{j+τ} with j starting ⌊τ/2⌋ before the centred window), so the
    /// estimate belongs to the frame time for every lag instead of lagging by τ/2 on gliding pitch.
    /// Returns d'(τ) for τ = 0..lags.</summary>
    static float[] CumulativeMeanNormalisedDifference(float[] span, double[] energyPrefix, int window, int lags)
    {
        var centredStart = (span.Length - window) / 2;
        var dPrime = new float[lags + 1];
        dPrime[0] = 1;
        double runningSum = 0;
        for (var tau = 1; tau <= lags; tau++)
        {
            // d(τ) = Σ x_j² + Σ x_{j+τ}² - 2 Σ x_j x_{j+τ} (eq. 7 expanded), the energies from prefix sums.
            var left = centredStart - tau / 2;
            var right = left + tau;
            var energyLeft = energyPrefix[left + window] - energyPrefix[left];
            var energyRight = energyPrefix[right + window] - energyPrefix[right];
            var cross = TensorPrimitives.Dot<float>(span.AsSpan(left, window), span.AsSpan(right, window));
            var d = Math.Max(0, energyLeft + energyRight - 2 * cross);
            runningSum += d;
            dPrime[tau] = runningSum > 0 ? (float)(d * tau / runningSum) : 1;
        }
        return dPrime;
    }

    /// <summary>Step 4: smallest τ in [minLag, maxLag] with d' below the threshold, followed to its local minimum; -1 if none.</summary>
    static int FirstDip(float[] dPrime, int minLag, int maxLag, double threshold)
    {
        for (var tau = minLag; tau <= maxLag; tau++)
        {
            if (dPrime[tau] >= threshold) continue;
            while (tau + 1 <= maxLag && dPrime[tau + 1] < dPrime[tau]) tau++;
            return tau;
        }
        return -1;
    }

    /// <summary>Octave-too-high guard: when the signal is dominated by its second harmonic, d' already dips below the
    /// threshold at half the period, but the dip at the true period (twice that lag) is much deeper. For a genuinely
    /// periodic signal d'(2T) is about d'(T) times d(2T)/d(T), i.e. not much smaller than d'(T), so a dip near the double
    /// lag that is deeper than <paramref name="ratio"/> times the first one marks the first as a half-period error.</summary>
    static int PreferDoubleLag(float[] dPrime, int lag, int maxLag, double ratio)
    {
        // Near-perfect periodicity at the first dip leaves nothing to correct (and the ratio of two tiny values is noise).
        if (dPrime[lag] < MinDipForOctaveCheck) return lag;
        var margin = Math.Max(2, lag / 8);
        var from = 2 * lag - margin;
        var to = Math.Min(maxLag, 2 * lag + margin);
        if (from > to) return lag;
        var depth = MinimumAt(dPrime, from, to, out var doubleLag);
        return depth < ratio * dPrime[lag] && doubleLag > from && doubleLag < to ? doubleLag : lag;
    }

    static float MinimumAt(float[] dPrime, int from, int to, out int lag)
    {
        lag = from;
        for (var tau = from + 1; tau <= to; tau++)
            if (dPrime[tau] < dPrime[lag]) lag = tau;
        return dPrime[lag];
    }

    /// <summary>Step 5: vertex of the parabola through d'(τ-1), d'(τ), d'(τ+1).</summary>
    static double RefineLag(float[] dPrime, int lag)
    {
        if (lag < 1 || lag + 1 >= dPrime.Length) return lag;
        double a = dPrime[lag - 1], b = dPrime[lag], c = dPrime[lag + 1];
        var curvature = a - 2 * b + c;
        if (curvature <= 0) return lag;
        return lag + Math.Clamp(0.5 * (a - c) / curvature, -0.5, 0.5);
    }

    /// <summary>A voiced frame about an octave (factor 2 or 1/2, within a quarter octave) away from the median of its
    /// voiced neighbours is re-estimated at the deepest d' dip within ±20 % of the neighbours' period, if that dip is
    /// below twice the threshold; otherwise it is set unvoiced.</summary>
    /// <remarks>d' of a suspect frame is computed again from the signal rather than kept for every frame: the same
    /// arithmetic on the same samples gives the same values, and the track's memory stays a few floats per frame
    /// (every frame's d' held 269 floats at 16 kHz: about 390 MB per hour of audio).</remarks>
    static void FixOctaveJumps(float[] frequency, float[] aperiodicity, ReadOnlySpan<float> signal, FrameGrid grid, int window,
        int sampleRate, int minLag, int maxLag, double threshold)
    {
        var span = new float[window + maxLag + 2];
        var energyPrefix = new double[span.Length + 1];
        float[] Normalised(ReadOnlySpan<float> source, int t)
        {
            FrameGrid.CopyWindow(source, grid.CentredStart(t, span.Length), span);
            for (var i = 0; i < span.Length; i++) energyPrefix[i + 1] = energyPrefix[i] + (double)span[i] * span[i];
            return CumulativeMeanNormalisedDifference(span, energyPrefix, window, maxLag + 1);
        }
        var original = (float[])frequency.Clone();
        var neighbours = new List<float>(2 * OctaveCheckRadius);
        for (var t = 0; t < original.Length; t++)
        {
            if (original[t] <= 0) continue;
            neighbours.Clear();
            for (var k = Math.Max(0, t - OctaveCheckRadius); k <= Math.Min(original.Length - 1, t + OctaveCheckRadius); k++)
                if (k != t && original[k] > 0) neighbours.Add(original[k]);
            if (neighbours.Count < 2) continue;
            neighbours.Sort();
            var median = neighbours[neighbours.Count / 2];
            var octaves = Math.Abs(Math.Log2(original[t] / median));
            if (octaves < 0.75 || octaves > 1.25) continue;

            var expectedLag = sampleRate / median;
            var from = Math.Max(minLag, (int)Math.Floor(expectedLag * 0.8));
            var to = Math.Min(maxLag, (int)Math.Ceiling(expectedLag * 1.2));
            if (from > to) { frequency[t] = 0; continue; }
            var dPrime = Normalised(signal, t);
            var depth = MinimumAt(dPrime, from, to, out var lag);
            if (depth < 2 * threshold && lag > from && lag < to)
            {
                frequency[t] = (float)(sampleRate / RefineLag(dPrime, lag));
                aperiodicity[t] = depth;
            }
            else frequency[t] = 0;
        }
    }

    static void DropShortRuns(float[] frequency, int minFrames)
    {
        var t = 0;
        while (t < frequency.Length)
        {
            if (frequency[t] <= 0) { t++; continue; }
            var end = t;
            while (end < frequency.Length && frequency[end] > 0) end++;
            if (end - t < minFrames) Array.Clear(frequency, t, end - t);
            t = end;
        }
    }
}
