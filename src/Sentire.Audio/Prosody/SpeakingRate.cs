namespace Sentire.Audio.Prosody;

/// <summary>Settings of <see cref="SpeakingRate"/>; defaults are de Jong &amp; Wempe's.</summary>
/// <param name="IntensityWindowSeconds">RMS window of the intensity contour: 64 ms is Praat's effective window for a
/// 50 Hz minimum pitch (3.2 / 50 s), long enough to smooth out the pitch periods but not the syllables.</param>
/// <param name="SilenceDb">Intensity threshold relative to the 0.99 quantile of the contour (negative).</param>
/// <param name="MinDipDb">A peak counts only if the contour fell at least this far between it and the previous nucleus.</param>
public sealed record SpeakingRateOptions(
    double IntensityWindowSeconds = 0.064,
    double SilenceDb = -25,
    double MinDipDb = 2)
{
    public void Validate()
    {
        var errors = new List<string>();
        if (!(IntensityWindowSeconds > 0)) errors.Add($"IntensityWindowSeconds must be > 0 (got {IntensityWindowSeconds})");
        if (!(SilenceDb < 0)) errors.Add($"SilenceDb must be < 0 dB (got {SilenceDb})");
        if (!(MinDipDb >= 0)) errors.Add($"MinDipDb must be >= 0 dB (got {MinDipDb})");
        if (errors.Count > 0) throw new ArgumentException("Invalid SpeakingRateOptions: " + string.Join("; ", errors));
    }
}

/// <summary>Syllable nuclei and the rates derived from them.</summary>
/// <param name="NucleusTimes">Times (s) of the intensity peaks counted as syllable nuclei.</param>
/// <param name="DurationSeconds">Whole clip.</param>
/// <param name="PhonationSeconds">Time with the intensity above the silence threshold.</param>
public sealed record SyllableNuclei(double[] NucleusTimes, double DurationSeconds, double PhonationSeconds)
{
    /// <summary>Nuclei per second of the whole clip (de Jong &amp; Wempe's "speech rate").</summary>
    public double SpeechRate => DurationSeconds > 0 ? NucleusTimes.Length / DurationSeconds : 0;

    /// <summary>Nuclei per second of phonation time (pauses left out).</summary>
    public double ArticulationRate => PhonationSeconds > 0 ? NucleusTimes.Length / PhonationSeconds : 0;
}

/// <summary>Speaking rate from syllable nuclei, after N. H. de Jong and T. Wempe, "Praat script to detect syllable nuclei
/// and measure speech rate automatically", Behavior Research Methods 41(2), 2009:
/// 1) intensity contour in dB (RMS over a 64 ms window, 10 ms hop);
/// 2) silence threshold = 0.99 quantile of the contour + SilenceDb (-25 dB), not below the contour's minimum;
/// 3) candidates are local maxima of the contour above the threshold;
/// 4) a candidate is kept if the contour dips at least MinDipDb (2 dB) below it between it and the previous kept peak
///    (so one vowel with a wobbly contour is one nucleus);
/// 5) a kept peak must be voiced in the pitch track (unvoiced peaks are fricatives or bursts, not nuclei).</summary>
public static class SpeakingRate
{
    public static SyllableNuclei Detect(ReadOnlySpan<float> signal, int sampleRate, PitchTrack pitch, SpeakingRateOptions? options = null)
    {
        options ??= new SpeakingRateOptions();
        options.Validate();
        // 1)
        var intensity = FrameEnergy.RmsDb(signal, sampleRate, pitch.HopSeconds, options.IntensityWindowSeconds);
        return Detect(intensity, (double)signal.Length / sampleRate, pitch.HopSeconds, pitch.FrameCount, pitch.IsVoiced, options);
    }

    /// <summary>Steps 2-5 on the intensity contour of step 1 (<paramref name="intensity"/>, one value per frame of the
    /// pitch track's grid) and the track's voicing.</summary>
    internal static SyllableNuclei Detect(IReadOnlyList<float> intensity, double duration, double hopSeconds, int pitchFrames, Func<int, bool> isVoiced, SpeakingRateOptions options)
    {
        if (intensity.Count < 3) return new SyllableNuclei([], duration, 0);
        // 2)
        var threshold = Math.Max(OrderStatistic.Select(intensity, 0), OrderStatistic.Select(intensity, (int)Math.Floor(0.99 * (intensity.Count - 1))) + options.SilenceDb);
        var phonation = intensity.Count(v => v > threshold) * hopSeconds;

        var nuclei = new List<double>();
        var previous = -1; // index of the last kept peak
        var dip = float.MaxValue; // minimum of the contour from the previous nucleus (or the start) to the frame before t
        for (var t = 1; t + 1 < intensity.Count; t++)
        {
            if (t - 1 >= previous) dip = Math.Min(dip, intensity[t - 1]);
            // 3) local maximum (a plateau counts once, at its first frame) above the threshold.
            if (!(intensity[t] > threshold && intensity[t] > intensity[t - 1] && intensity[t] >= intensity[t + 1])) continue;
            // 4) dip since the previous nucleus (or since the start of the clip).
            if (previous >= 0 && intensity[t] - dip < options.MinDipDb)
            {
                // Same nucleus: keep whichever of the two peaks is higher as its location.
                if (intensity[t] > intensity[previous]) { previous = t; nuclei[^1] = t * hopSeconds; dip = float.MaxValue; }
                continue;
            }
            // 5)
            if (t >= pitchFrames || !isVoiced(t)) continue;
            nuclei.Add(t * hopSeconds);
            previous = t;
            dip = float.MaxValue;
        }
        return new SyllableNuclei(nuclei.ToArray(), duration, phonation);
    }
}
