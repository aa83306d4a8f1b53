using System.CommandLine;
using System.Globalization;
using System.Text;
using Sentire.Audio;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Audio.Prosody;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;

namespace Sentire.Cli.Commands;

/// <summary>
/// <c>sentire features FILE --kind mel|logmel|mfcc|fbank|prosody --out X.npy|.csv|.safetensors</c>: acoustic
/// features with torchaudio's parameter names and defaults (MelSpectrogram, AmplitudeToDB, MFCC,
/// compliance.kaldi.fbank), computed on the file mixed down to mono and resampled to --sample-rate.
/// .npy and .safetensors keep torchaudio's layout ((features, frames); fbank (frames, bins); prosody (frames, tracks));
/// .csv has one row per frame.
/// </summary>
public static class FeaturesCommand
{
    static readonly string[] Kinds = ["mel", "logmel", "mfcc", "fbank", "prosody"];

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Audio file (WAV, FLAC, or anything ffmpeg reads)." };
        var kind = new Option<string>("--kind") { Description = "mel | logmel | mfcc | fbank | prosody", Required = true };
        kind.AcceptOnlyFromAmong(Kinds);
        var output = new Option<string>("--out") { Description = "Output file: .npy, .csv or .safetensors.", Required = true };
        var sampleRate = Opt("--sample-rate", 16000, "Resample the input to this rate first (Hz).");
        // MelSpectrogram / MFCC melkwargs
        var nFft = Opt("--n-fft", 400, "FFT size (any size; 400 is an exact 400-point DFT).");
        var winLength = new Option<int?>("--win-length") { Description = "Window length (default n_fft)." };
        var hopLength = new Option<int?>("--hop-length") { Description = "Hop (default win_length // 2)." };
        var fMin = Opt("--f-min", 0.0, "Lowest mel filter edge (Hz).");
        var fMax = new Option<double?>("--f-max") { Description = "Highest mel filter edge (default sample_rate // 2)." };
        var nMels = Opt("--n-mels", 128, "Mel bands.");
        var window = Opt("--window", "hann", "STFT window: hann | hamming | povey | blackman | rectangular.");
        var power = Opt("--power", 2.0f, "Exponent of the magnitude (2: power, 1: magnitude).");
        var center = Opt("--center", true, "Pad n_fft // 2 on both sides so frames are centred.");
        var padMode = Opt("--pad-mode", "reflect", "constant | reflect | replicate.");
        var norm = Opt("--norm", "none", "Mel filter norm: none | slaney.");
        var melScale = Opt("--mel-scale", "htk", "htk | slaney.");
        // AmplitudeToDB / MFCC
        var topDb = new Option<float?>("--top-db") { Description = "logmel: floor at max − top_db dB (default none)." };
        var nMfcc = Opt("--n-mfcc", 40, "MFCC coefficients.");
        var dctNorm = Opt("--dct-norm", "ortho", "MFCC DCT-II norm: ortho | none.");
        var logMels = Opt("--log-mels", false, "MFCC from ln(mel + 1e-6) instead of dB (top_db 80).");
        // kaldi.fbank
        var numMelBins = Opt("--num-mel-bins", 23, "fbank: mel bins.");
        var frameLength = Opt("--frame-length", 25.0, "fbank: frame length (ms).");
        var frameShift = Opt("--frame-shift", 10.0, "fbank: frame shift (ms).");
        var windowType = Opt("--window-type", "povey", "fbank: povey | hamming | hanning | rectangular | blackman.");
        var preemphasis = Opt("--preemphasis-coefficient", 0.97, "fbank: pre-emphasis.");
        var removeDc = Opt("--remove-dc-offset", true, "fbank: subtract each frame's mean.");
        var roundPow2 = Opt("--round-to-power-of-two", true, "fbank: zero-pad frames to a power-of-two FFT.");
        var snipEdges = Opt("--snip-edges", true, "fbank: only frames that fit in the signal.");
        var lowFreq = Opt("--low-freq", 20.0, "fbank: lowest mel edge (Hz).");
        var highFreq = Opt("--high-freq", 0.0, "fbank: highest mel edge (Hz, ≤ 0: offset from Nyquist).");
        var useEnergy = Opt("--use-energy", false, "fbank: add the log-energy column.");
        var rawEnergy = Opt("--raw-energy", true, "fbank: energy before pre-emphasis and window.");
        var energyFloor = Opt("--energy-floor", 1.0, "fbank: energy floor (linear).");
        var htkCompat = Opt("--htk-compat", false, "fbank: energy column last.");
        var useLogFbank = Opt("--use-log-fbank", true, "fbank: log of the mel energies.");
        var usePower = Opt("--use-power", true, "fbank: power (else magnitude) spectrum.");
        var subtractMean = Opt("--subtract-mean", false, "fbank: subtract each column's mean.");
        var waveformScale = Opt("--waveform-scale", 1.0f, "Multiply samples (in [-1, 1)) by this first; 32768 gives Kaldi's int16 scale.");

        var command = new Command("features", "Compute mel / log-mel / MFCC / Kaldi fbank features as torchaudio does, into .npy, .csv or .safetensors.");
        command.Arguments.Add(file);
        foreach (var option in new Option[]
                 {
                     kind, output, sampleRate, nFft, winLength, hopLength, fMin, fMax, nMels, window, power, center, padMode, norm, melScale,
                     topDb, nMfcc, dctNorm, logMels, numMelBins, frameLength, frameShift, windowType, preemphasis, removeDc, roundPow2,
                     snipEdges, lowFreq, highFreq, useEnergy, rawEnergy, energyFloor, htkCompat, useLogFbank, usePower, subtractMean, waveformScale,
                 })
            command.Options.Add(option);

        command.SetAction(parse =>
        {
            try
            {
                var rate = parse.GetValue(sampleRate);
                var chosen = parse.GetValue(kind)!;
                var outPath = parse.GetValue(output)!;
                var format = OutputFormat(outPath);
                var clip = AudioFile.Read(parse.GetValue(file)!);
                var samples = new Conditioner(new ConditioningOptions { SampleRate = rate }).Apply(clip);
                var scale = parse.GetValue(waveformScale);
                if (scale != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(samples, scale, samples);

                var mel = new MelSpectrogramOptions
                {
                    SampleRate = rate, NFft = parse.GetValue(nFft), WinLength = parse.GetValue(winLength), HopLength = parse.GetValue(hopLength),
                    FMin = parse.GetValue(fMin), FMax = parse.GetValue(fMax), NMels = parse.GetValue(nMels),
                    Window = Window.Parse(parse.GetValue(window)!), Power = parse.GetValue(power), Center = parse.GetValue(center),
                    PadMode = ParsePadMode(parse.GetValue(padMode)!), Norm = ParseNorm(parse.GetValue(norm)!), MelScale = ParseMelScale(parse.GetValue(melScale)!),
                };
                FeatureMatrix features; // frames × features
                var hop = 0;
                string[]? columnNames = null;
                switch (chosen)
                {
                    case "prosody":
                        (features, columnNames) = Prosody(samples, rate);
                        hop = (int)Math.Round(0.01 * rate);
                        break;
                    case "mel":
                        var melSpectrogram = new MelSpectrogram(mel);
                        features = melSpectrogram.Compute(samples);
                        hop = melSpectrogram.HopLength;
                        break;
                    case "logmel":
                        var logMel = new LogMelSpectrogram(mel, parse.GetValue(topDb));
                        features = logMel.Compute(samples);
                        hop = logMel.Mel.HopLength;
                        break;
                    case "mfcc":
                        var mfccOptions = new MfccOptions
                        {
                            SampleRate = rate, NMfcc = parse.GetValue(nMfcc), LogMels = parse.GetValue(logMels), Mel = mel,
                            OrthoNorm = parse.GetValue(dctNorm) switch
                            {
                                "ortho" => true, "none" => false,
                                var other => throw new ArgumentException($"--dct-norm '{other}': expected ortho or none."),
                            },
                        };
                        features = new Mfcc(mfccOptions).Compute(samples);
                        hop = new MelSpectrogram(mel).HopLength;
                        break;
                    default:
                        var fbank = new KaldiFbank(new KaldiFbankOptions
                        {
                            SampleFrequency = rate, FrameLength = parse.GetValue(frameLength), FrameShift = parse.GetValue(frameShift),
                            NumMelBins = parse.GetValue(numMelBins), WindowType = Window.Parse(parse.GetValue(windowType)!),
                            PreemphasisCoefficient = parse.GetValue(preemphasis), RemoveDcOffset = parse.GetValue(removeDc),
                            RoundToPowerOfTwo = parse.GetValue(roundPow2), SnipEdges = parse.GetValue(snipEdges),
                            LowFreq = parse.GetValue(lowFreq), HighFreq = parse.GetValue(highFreq), UseEnergy = parse.GetValue(useEnergy),
                            RawEnergy = parse.GetValue(rawEnergy), EnergyFloor = parse.GetValue(energyFloor), HtkCompat = parse.GetValue(htkCompat),
                            UseLogFbank = parse.GetValue(useLogFbank), UsePower = parse.GetValue(usePower), SubtractMean = parse.GetValue(subtractMean),
                        });
                        features = fbank.Compute(samples);
                        hop = fbank.WindowShift;
                        break;
                }
                // torchaudio's transforms return (features, frames); kaldi.fbank returns (frames, bins).
                var featuresFirst = chosen is not ("fbank" or "prosody");
                Write(outPath, format, chosen, features, featuresFirst, rate, hop, columnNames);
                Console.WriteLine($"{outPath}: {chosen}, {features.Rows} frames × {features.Columns} features at {rate} Hz (hop {hop} samples)");
                return 0;
            }
            catch (ArgumentException e)
            {
                // a bad option value (--n-fft 0, --window nope): a usage error
                Console.Error.WriteLine($"sentire features: {UsageMessages.Of(e)}");
                return Program.UsageExit;
            }
            catch (Exception e) when (e is IOException or NotSupportedException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"sentire features: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>An option with a default; help shows the default once (System.CommandLine's "[default: ...]", which it
    /// leaves out for flags, so a flag's default goes in its description).</summary>
    static Option<T> Opt<T>(string name, T defaultValue, string description) =>
        new(name) { Description = defaultValue is bool ? $"{description} Default: {Format(defaultValue)}." : description, DefaultValueFactory = _ => defaultValue };

    static string Format<T>(T value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };

    static string OutputFormat(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension is ".npy" or ".csv" or ".safetensors"
            ? extension
            : throw new ArgumentException($"--out {path}: unknown extension '{extension}'; expected .npy, .csv or .safetensors.");
    }

    static PadMode ParsePadMode(string name) => name switch
    {
        "constant" => PadMode.Constant, "reflect" => PadMode.Reflect, "replicate" => PadMode.Replicate,
        _ => throw new ArgumentException($"--pad-mode '{name}': expected constant, reflect or replicate."),
    };

    static MelNorm ParseNorm(string name) => name switch
    {
        "none" => MelNorm.None, "slaney" => MelNorm.Slaney,
        _ => throw new ArgumentException($"--norm '{name}': expected none or slaney."),
    };

    static MelScale ParseMelScale(string name) => name switch
    {
        "htk" => MelScale.Htk, "slaney" => MelScale.Slaney,
        _ => throw new ArgumentException($"--mel-scale '{name}': expected htk or slaney."),
    };

    /// <summary>
    /// Frame-level prosody tracks of <see cref="ProsodyAnalyzer.Track"/> on its 10 ms grid (frame i centred at i·10 ms),
    /// one column per track: F0 (Hz, 0 unvoiced), YIN aperiodicity, RMS energy (dBFS), harmonics-to-noise ratio (dB, NaN
    /// where silent or aperiodic), alpha ratio, Hammarberg index and the 0–500 / 500–1500 Hz spectral slopes.
    /// </summary>
    static (FeatureMatrix Features, string[] Names) Prosody(float[] samples, int sampleRate)
    {
        var tracks = ProsodyAnalyzer.Track(samples, sampleRate);
        float[][] columns =
        [
            tracks.Pitch.FrequencyHz, tracks.Pitch.Aperiodicity, tracks.EnergyDb, tracks.HnrDb, tracks.Spectral.AlphaRatioDb,
            tracks.Spectral.HammarbergIndexDb, tracks.Spectral.Slope0To500DbPerHz, tracks.Spectral.Slope500To1500DbPerHz,
        ];
        string[] names =
        [
            "f0_hz", "aperiodicity", "rms_dbfs", "hnr_db", "alpha_ratio_db", "hammarberg_index_db", "slope_0_500_db_per_hz",
            "slope_500_1500_db_per_hz",
        ];
        var frames = tracks.Pitch.FrameCount;
        if (columns.Any(c => c.Length != frames))
            throw new InvalidOperationException(
                $"prosody tracks disagree on the frame count: {string.Join(", ", names.Zip(columns, (n, c) => $"{n} {c.Length}"))}");
        var features = new FeatureMatrix(frames, names.Length);
        for (var t = 0; t < frames; t++)
            for (var c = 0; c < columns.Length; c++)
                features[t, c] = columns[c][t];
        return (features, names);
    }

    static void Write(string path, string format, string kind, FeatureMatrix features, bool featuresFirst, int sampleRate, int hop,
        string[]? columnNames)
    {
        var array = featuresFirst ? features.Transpose() : features;
        switch (format)
        {
            case ".npy":
                Npy.Write(path, array.Data, array.Rows, array.Columns);
                break;
            case ".safetensors":
                var metadata = new Dictionary<string, string>
                {
                    ["kind"] = kind, ["sample_rate"] = sampleRate.ToString(CultureInfo.InvariantCulture),
                    ["hop_length"] = hop.ToString(CultureInfo.InvariantCulture), ["layout"] = featuresFirst ? "features,frames" : "frames,features",
                };
                if (columnNames is not null) metadata["columns"] = string.Join(",", columnNames);
                SafeTensors.Write(path, new Dictionary<string, Tensor> { [kind] = new(array.Data, array.Rows, array.Columns) }, metadata);
                break;
            default:
                // One row per frame: its centre time (start time for uncentred Kaldi frames) and the features.
                var text = new StringBuilder();
                text.Append("time_s");
                for (var c = 0; c < features.Columns; c++) text.Append(',').Append(columnNames?[c] ?? $"{kind}_{c}");
                text.Append('\n');
                for (var t = 0; t < features.Rows; t++)
                {
                    text.Append(((double)t * hop / sampleRate).ToString("0.######", CultureInfo.InvariantCulture));
                    foreach (var value in features.Row(t)) text.Append(',').Append(value.ToString("R", CultureInfo.InvariantCulture));
                    text.Append('\n');
                }
                File.WriteAllText(path, text.ToString());
                break;
        }
    }
}
