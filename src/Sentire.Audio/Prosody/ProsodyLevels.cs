using Sentire.Audio.Corpus;

namespace Sentire.Audio.Prosody;

/// <summary>Where a clip falls among reference clips: below the lower tercile, between, or above the upper tercile.</summary>
public enum ProsodyLevel
{
    Low,
    Medium,
    High,
}

/// <summary>Tercile boundaries (33rd and 67th percentiles) of one measure over reference clips.</summary>
public sealed record Terciles(double Lower, double Upper)
{
    /// <summary>The level of <paramref name="value"/>; null when there is no value (NaN: a pitch measure of a clip with
    /// no voiced frame), never a made-up "medium".</summary>
    public ProsodyLevel? Classify(double value) =>
        !double.IsFinite(value) ? null : value < Lower ? ProsodyLevel.Low : value > Upper ? ProsodyLevel.High : ProsodyLevel.Medium;

    public static Terciles Of(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("terciles need at least one finite value", nameof(values));
        return new Terciles(Functionals.Percentile(sorted, 1.0 / 3), Functionals.Percentile(sorted, 2.0 / 3));
    }
}

/// <summary>Reference distributions the plain-language levels are relative to. Pitch is judged against the speaker's
/// gender when it is known (a "high" male voice is not a high female voice).</summary>
/// <param name="PitchFemaleHz">Median F0 (Hz) of female speakers' clips.</param>
/// <param name="PitchMaleHz">Median F0 (Hz) of male speakers' clips.</param>
/// <param name="PitchAnyHz">Median F0 (Hz) of all clips.</param>
/// <param name="PitchVariationSemitones">Standard deviation of F0 in semitones.</param>
/// <param name="LoudnessDb">80th percentile of frame energy (dBFS): the level of the loud parts, unaffected by pauses.</param>
/// <param name="ArticulationRate">Syllable nuclei per second of phonation: unlike nuclei per second of the clip, it does
/// not call a clip slow because it starts or ends with silence.</param>
/// <param name="HnrDb">Mean HNR over voiced frames.</param>
public sealed record ProsodyNorms(
    Terciles PitchFemaleHz,
    Terciles PitchMaleHz,
    Terciles PitchAnyHz,
    Terciles PitchVariationSemitones,
    Terciles LoudnessDb,
    Terciles ArticulationRate,
    Terciles HnrDb)
{
    /// <summary>Terciles measured with the default settings over all 3384 clips of the development corpora (RAVDESS, EMOVO,
    /// URDU, ASED, SECap; gendered pitch from the 2884 clips with a gender) by <c>sentire corpus norms ../shared/corpora</c>.
    /// Acted emotional speech: "medium" here is livelier than conversation.</summary>
    public static ProsodyNorms Default { get; } = new(
        PitchFemaleHz: new Terciles(237.0, 305.4),
        PitchMaleHz: new Terciles(139.3, 206.3),
        PitchAnyHz: new Terciles(189.7, 274.3),
        PitchVariationSemitones: new Terciles(2.53, 4.09),
        LoudnessDb: new Terciles(-33.7, -22.5),
        ArticulationRate: new Terciles(3.92, 4.94),
        HnrDb: new Terciles(9.73, 11.86));

    /// <summary>Terciles of <paramref name="clips"/> (each with its speaker's gender, when known).</summary>
    public static ProsodyNorms Fit(IReadOnlyCollection<(ProsodySummary Summary, Gender? Gender)> clips) => new(
        Terciles.Of(clips.Where(c => c.Gender == Gender.Female).Select(c => c.Summary.F0Hz.P50)),
        Terciles.Of(clips.Where(c => c.Gender == Gender.Male).Select(c => c.Summary.F0Hz.P50)),
        Terciles.Of(clips.Select(c => c.Summary.F0Hz.P50)),
        Terciles.Of(clips.Select(c => c.Summary.F0Semitones.StandardDeviation)),
        Terciles.Of(clips.Select(c => c.Summary.EnergyDb.P80)),
        Terciles.Of(clips.Select(c => c.Summary.ArticulationRate)),
        Terciles.Of(clips.Select(c => c.Summary.HnrDb.Mean)));
}

/// <summary>Plain-language prosody of one clip, for captions ("high-pitched, fast, loud") and for people who want words
/// rather than numbers. Each level is relative to <see cref="ProsodyNorms"/>; a level is null when its measure has no
/// value (pitch, pitch variation and harmonicity of a clip without a voiced frame: whisper, noise).</summary>
/// <param name="Rate">from the articulation rate (<see cref="ProsodySummary.ArticulationRate"/>).</param>
public sealed record ProsodyLevels(
    ProsodyLevel? Pitch,
    ProsodyLevel? PitchVariation,
    ProsodyLevel? Loudness,
    ProsodyLevel? Rate,
    ProsodyLevel? Harmonicity)
{
    public static ProsodyLevels Of(ProsodySummary summary, Gender? gender = null, ProsodyNorms? norms = null)
    {
        norms ??= ProsodyNorms.Default;
        var pitchNorm = gender switch
        {
            Gender.Female => norms.PitchFemaleHz,
            Gender.Male => norms.PitchMaleHz,
            _ => norms.PitchAnyHz,
        };
        return new ProsodyLevels(
            pitchNorm.Classify(summary.F0Hz.P50),
            norms.PitchVariationSemitones.Classify(summary.F0Semitones.StandardDeviation),
            norms.LoudnessDb.Classify(summary.EnergyDb.P80),
            norms.ArticulationRate.Classify(summary.ArticulationRate),
            norms.HnrDb.Classify(summary.HnrDb.Mean));
    }

    /// <summary>The non-medium levels as words, e.g. "high-pitched, fast, loud"; empty when everything is medium.</summary>
    public IReadOnlyList<string> Words()
    {
        var words = new List<string>();
        void Add(ProsodyLevel? level, string low, string high)
        {
            if (level == ProsodyLevel.Low) words.Add(low);
            else if (level == ProsodyLevel.High) words.Add(high);
        }
        Add(Pitch, "low-pitched", "high-pitched");
        Add(PitchVariation, "monotone", "expressive");
        Add(Rate, "slow", "fast");
        Add(Loudness, "soft", "loud");
        Add(Harmonicity, "rough", "clear");
        return words;
    }

    public override string ToString() => string.Join(", ", Words());
}
