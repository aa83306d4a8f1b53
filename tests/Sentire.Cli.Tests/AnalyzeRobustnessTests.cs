using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire analyze` on audio with nothing or little to analyse, in every output format (issue 15, items 1, 5,
/// 6, 7 and 10): no NaN or infinity ever printed, no file stopping a batch, one voice-activity policy for every length,
/// a CSV with status and error columns, truncated files said to be truncated.</summary>
public sealed class AnalyzeRobustnessTests
{
    static string Sample => Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");

    static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>RFC 4180 records (quoted fields may hold commas, doubled quotes and line breaks).</summary>
    static List<List<string>> CsvRecords(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { record.Add(field.ToString()); field.Clear(); records.Add(record); record = []; }
            else if (c != '\r') field.Append(c);
        }
        return records;
    }

    /// <summary>Silence, noise, tones, clicks, DC, whisper-like noise bursts and very short clips, of several lengths,
    /// with a broken file and a missing one among them.</summary>
    static (List<string> Inputs, string Broken, string Missing) AwkwardBatch()
    {
        var audio = new TestAudio();
        var inputs = new List<string>
        {
            audio.Write("silence-2s.wav", TestAudio.Silence(2)),
            audio.Write("noise-2s.wav", TestAudio.WhiteNoise(2)),
            audio.Write("noise-bursts-2s.wav", TestAudio.NoiseBursts(2)),
            audio.Write("tone-2s.wav", TestAudio.Tone(2)),
            audio.Write("tone-0.1s.wav", TestAudio.Tone(0.1)),
            audio.Write("clicks-2s.wav", TestAudio.Clicks(2)),
            audio.Write("dc-2s.wav", TestAudio.Dc(2)),
            audio.Write("one-sample.wav", [0.5f]),
            audio.Write("short-0.31s.wav", TestAudio.NoiseBursts(0.31)),
        };
        var broken = Path.Combine(audio.Folder, "broken.wav");
        File.WriteAllBytes(broken, "RIFF\u0004\u0000\u0000\u0000WAVE"u8.ToArray());
        var missing = Path.Combine(audio.Folder, "missing.wav");
        inputs.Insert(3, broken);
        inputs.Insert(6, missing);
        return (inputs, broken, missing);
    }

    [Fact]
    public void NoNaNOrInfinityInAnyFormatAndNoFileStopsTheBatch()
    {
        var (inputs, broken, missing) = AwkwardBatch();
        var (exit, json, _) = CliRunner.Run(["analyze", "--json", .. inputs]);
        Assert.Equal(1, exit);                                                      // the broken and the missing file
        var objects = JsonLines(json);
        Assert.Equal(inputs.Order(), objects.Select(o => o.GetProperty("file").GetString()!).Order());
        Assert.Equal("error", objects.Single(o => o.GetProperty("file").GetString() == broken).GetProperty("status").GetString());
        Assert.Equal("error", objects.Single(o => o.GetProperty("file").GetString() == missing).GetProperty("status").GetString());

        var (csvExit, csv, _) = CliRunner.Run(["analyze", "--csv", .. inputs]);
        Assert.Equal(1, csvExit);
        var records = CsvRecords(csv);
        Assert.All(records, r => Assert.Equal(12, r.Count));
        Assert.Equal(inputs.Order(), records.Skip(1).Select(r => r[0]).Distinct().Order());

        var (textExit, text, errors) = CliRunner.Run(["analyze", .. inputs]);
        Assert.Equal(1, textExit);
        foreach (var output in new[] { json, csv, text, errors })
        {
            Assert.DoesNotContain("NaN", output);
            Assert.DoesNotContain("Infinity", output);
            Assert.DoesNotContain("∞", output);
        }
        // every file is accounted for in text mode too: analysed on stdout or an error on stderr
        foreach (var input in inputs) Assert.True(text.Contains(input + " (") || errors.Contains(input + ": error:"), input);
    }

    /// <summary>One random signal of a kind: silence, white noise, a tone (any pitch and phase), clicks (random spacing
    /// and sign), DC (either sign), noise bursts (random on/off lengths) or a mixture of tone, noise and DC.</summary>
    static float[] RandomSignal(Random random, string kind, int length, float amplitude)
    {
        var x = new float[length];
        float Noise() => amplitude * (2 * random.NextSingle() - 1);
        switch (kind)
        {
            case "noise":
                for (int i = 0; i < length; i++) x[i] = Noise();
                break;
            case "tone":
            case "mixed":
                double hz = 50 + 950 * random.NextDouble(), phase = 2 * Math.PI * random.NextDouble();
                float dc = kind == "mixed" ? amplitude * (random.NextSingle() - 0.5f) : 0;
                for (int i = 0; i < length; i++)
                    x[i] = Math.Clamp(amplitude * (float)Math.Sin(2 * Math.PI * hz * i / TestAudio.Rate + phase) + (kind == "mixed" ? 0.3f * Noise() + dc : 0), -1, 1);
                break;
            case "clicks":
                for (int i = random.Next(Math.Max(length, 1)); i < length; i += random.Next(20, TestAudio.Rate / 2)) x[i] = random.Next(2) == 0 ? amplitude : -amplitude;
                break;
            case "dc":
                Array.Fill(x, random.Next(2) == 0 ? amplitude : -amplitude);
                break;
            case "bursts":
                for (int start = 0, on = 1; start < length; start += random.Next(TestAudio.Rate / 50, TestAudio.Rate / 2), on ^= 1)
                    for (int i = start; i < Math.Min(length, start + TestAudio.Rate / 2); i++) x[i] = on == 1 ? Noise() : 0;
                break;
        }
        return x;
    }

    /// <summary>Property over seeded random awkward audio (issue 15, item 1): 7 kinds x 6 clips with random lengths (a
    /// few samples, under the 0.3 s gate, up to 3 s) and random amplitudes (1e-4 to full scale). In JSON, CSV and text no
    /// NaN or infinity appears, every file is reported once, and an analysed file's pitch fields are null exactly when
    /// the pitch tracker finds no voiced frame in the audio the model hears (the file conditioned to its rate).</summary>
    [Fact]
    public void RandomAwkwardAudioNeverPrintsNaNAndHasNoPitchExactlyWithoutVoicedFrames()
    {
        var random = new Random(20261206);
        var audio = new TestAudio();
        var inputs = new List<string>();
        foreach (var kind in new[] { "silence", "noise", "tone", "clicks", "dc", "bursts", "mixed" })
            for (int k = 0; k < 6; k++)
            {
                int length = k switch
                {
                    0 => random.Next(1, 10),                                                      // a few samples
                    1 => random.Next(10, (int)(Models.FileSegmentation.MinSeconds * TestAudio.Rate)),     // under the gate
                    _ => (int)(TestAudio.Rate * 0.3 * Math.Pow(10, random.NextDouble())),         // 0.3-3 s, log-uniform
                };
                float amplitude = random.Next(4) == 0 ? 1f : (float)Math.Pow(10, -4 * random.NextDouble());
                inputs.Add(audio.Write($"{kind}-{k}.wav", RandomSignal(random, kind, length, amplitude)));
            }

        var (jsonExit, json, jsonErrors) = CliRunner.Run(["analyze", "--json", .. inputs]);
        var (csvExit, csv, csvErrors) = CliRunner.Run(["analyze", "--csv", .. inputs]);
        var (textExit, text, textErrors) = CliRunner.Run(["analyze", .. inputs]);
        Assert.Equal([0, 0, 0], new[] { jsonExit, csvExit, textExit });
        foreach (var output in new[] { json, jsonErrors, csv, csvErrors, text, textErrors })
            foreach (var bad in new[] { "NaN", "Infinity", "∞" })
                Assert.DoesNotContain(bad, output);

        var model = Models.EmotionModels.Load(ModelLocator.Resolve(null));
        var conditioner = new Audio.Conditioning.Conditioner(new Audio.Conditioning.ConditioningOptions { SampleRate = model.SampleRate });
        var objects = JsonLines(json).ToDictionary(o => o.GetProperty("file").GetString()!);
        Assert.Equal(inputs.Order(), objects.Keys.Order());
        var csvStatus = CsvRecords(csv).Skip(1).GroupBy(r => r[0]).ToDictionary(g => g.Key, g => g.Select(r => r[2]).Distinct().Single());
        Assert.Equal(inputs.Order(), csvStatus.Keys.Order());
        // text: one block per file, its first line "FILE (D s): ...", the rest indented
        var blocks = new Dictionary<string, string>();
        string? current = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (!line.StartsWith(' ')) blocks[current = inputs.Single(i => line.StartsWith(i + " (", StringComparison.Ordinal))] = line;
            else blocks[current!] += "\n" + line;
        Assert.Equal(inputs.Order(), blocks.Keys.Order());

        int ok = 0, voicedFiles = 0;
        foreach (var input in inputs)
        {
            var o = objects[input];
            string status = o.GetProperty("status").GetString()!;
            Assert.Equal(status, csvStatus[input]);
            if (status != "ok")
            {
                Assert.False(o.TryGetProperty("prosody", out _), $"{input}: {status} but has prosody");
                Assert.DoesNotContain("  pitch ", blocks[input]);
                continue;
            }
            ok++;
            var samples = conditioner.Apply(Audio.Decoding.AudioFile.Read(input));
            var pitch = Audio.Prosody.YinPitchTracker.Track(samples, model.SampleRate);
            bool voiced = Enumerable.Range(0, pitch.FrameCount).Any(pitch.IsVoiced);
            voicedFiles += voiced ? 1 : 0;
            var prosody = o.GetProperty("prosody");
            foreach (var field in new[] { "pitch_hz", "pitch_level" })
                Assert.True(voiced == (prosody.GetProperty(field).ValueKind != JsonValueKind.Null), $"{input}: voiced frames {voiced}, {field} {prosody.GetProperty(field)}");
            if (!voiced) Assert.Equal(JsonValueKind.Null, prosody.GetProperty("pitch_variation_semitones").ValueKind);
            Assert.True(voiced != blocks[input].Contains("pitch none (no voiced frames)"), $"{input}: voiced frames {voiced}, text {blocks[input]}");
        }
        // the property was tested on both sides: analysed files with and without voiced frames, and gated ones
        Assert.InRange(ok, 10, inputs.Count - 10);
        Assert.InRange(voicedFiles, 3, ok - 3);
    }

    [Fact]
    public void AFileWithNoVoicedFrameHasNoPitchInEveryFormat()
    {
        var bursts = new TestAudio().Write("whisper-like.wav", TestAudio.NoiseBursts(2));
        var (exit, json, _) = CliRunner.Run("analyze", "--json", bursts);
        Assert.Equal(0, exit);
        var o = JsonLines(json).Single();
        Assert.Equal("ok", o.GetProperty("status").GetString());                  // energy comes and goes: speech to the VAD
        var prosody = o.GetProperty("prosody");
        Assert.Equal(JsonValueKind.Null, prosody.GetProperty("pitch_hz").ValueKind);
        Assert.Equal(JsonValueKind.Null, prosody.GetProperty("pitch_level").ValueKind);
        Assert.Equal(JsonValueKind.Null, prosody.GetProperty("pitch_variation_semitones").ValueKind);
        Assert.DoesNotContain("pitched", prosody.GetProperty("words").EnumerateArray().Select(w => w.GetString()!).SelectMany(w => w.Split('-')));

        var (_, text, _) = CliRunner.Run("analyze", bursts);
        Assert.Contains("pitch none (no voiced frames)", text);
    }

    [Fact]
    public void NoSpeechIsSilentWhateverTheDuration()
    {
        var audio = new TestAudio();
        var files = new[]
        {
            audio.Write("noise-5s.wav", TestAudio.WhiteNoise(5)),
            audio.Write("noise-35s.wav", TestAudio.WhiteNoise(35)),
            audio.Write("dc-5s.wav", TestAudio.Dc(5)),
            audio.Write("silence-35s.wav", TestAudio.Silence(35)),
        };
        var (exit, json, _) = CliRunner.Run(["analyze", "--json", .. files]);
        Assert.Equal(0, exit);
        foreach (var o in JsonLines(json))
        {
            Assert.Equal("silent", o.GetProperty("status").GetString());
            Assert.Empty(o.GetProperty("emotions").EnumerateArray());
            Assert.False(o.TryGetProperty("arousal", out _));
        }
        // speech is still speech, and a voiced sound without pauses (a hum, speech over loud background) is heard too
        var voiced = audio.Write("hum-5s.wav", TestAudio.Tone(5));
        Assert.All(JsonLines(CliRunner.Run("analyze", "--json", Sample, voiced).Out), o => Assert.Equal("ok", o.GetProperty("status").GetString()));
    }

    [Fact]
    public void CsvHasStatusAndErrorColumnsQuotedAsRfc4180()
    {
        var audio = new TestAudio();
        var odd = Path.Combine(audio.Folder, "a, \"quoted\" name.flac");
        File.Copy(Sample, odd);
        var silent = audio.Write("silence.wav", TestAudio.Silence(1));
        var missing = Path.Combine(audio.Folder, "gone,\nmissing.wav");
        var (exit, csv, _) = CliRunner.Run("analyze", "--csv", "--labels", "sad,happy", odd, silent, missing);
        Assert.Equal(1, exit);
        var records = CsvRecords(csv);
        Assert.Equal(["file", "duration", "status", "start", "end", "label", "probability", "arousal", "valence", "dominance", "error", "warning"], records[0]);
        var error = records.Single(r => r[0] == missing);
        Assert.Equal("error", error[2]);
        Assert.Equal("", error[6]);                                                 // never in the probability column
        Assert.Equal("no such file, folder or matching glob", error[10]);
        var ok = records.Where(r => r[0] == odd).ToList();
        Assert.Equal(2, ok.Count);
        Assert.All(ok, r => Assert.Equal("ok", r[2]));
        Assert.Equal(1.0, ok.Sum(r => double.Parse(r[6], System.Globalization.CultureInfo.InvariantCulture)), 3);
        var quiet = records.Single(r => r[0] == silent);
        Assert.Equal("silent", quiet[2]);
        Assert.Equal("", quiet[10]);
    }

    [Fact]
    public void ATruncatedWavIsSaidToBeTruncatedAndWhatIsThereIsAnalysed()
    {
        var audio = new TestAudio();
        // the header claims 97,487 frames; 1,000 bytes of samples (500 frames) are present
        var cut = audio.WriteTruncated("cut.wav", TestAudio.Tone(97487.0 / TestAudio.Rate), presentFrames: 500);
        var (exit, json, _) = CliRunner.Run("analyze", "--json", cut);
        Assert.Equal(0, exit);
        var o = JsonLines(json).Single();
        Assert.True(o.GetProperty("truncated").GetBoolean());
        Assert.Equal("truncated: the header claims 97,487 frames, 500 are present", o.GetProperty("warning").GetString());
        Assert.Equal("too_short", o.GetProperty("status").GetString());
        Assert.Equal(500.0 / TestAudio.Rate, o.GetProperty("duration").GetDouble(), 3);

        var (_, text, err) = CliRunner.Run("analyze", cut);
        Assert.Contains($"{cut}: warning: truncated: the header claims 97,487 frames, 500 are present", err);
        Assert.Contains("too short", text);
        var (_, csv, _) = CliRunner.Run("analyze", "--csv", cut);
        Assert.Equal("truncated: the header claims 97,487 frames, 500 are present", CsvRecords(csv)[1][11]);
        var (_, info, _) = CliRunner.Run("audio", "info", "--json", cut);
        Assert.Equal(500, JsonDocument.Parse(info).RootElement[0].GetProperty("frames").GetInt32());
        Assert.True(JsonDocument.Parse(info).RootElement[0].GetProperty("truncated").GetBoolean());

        // a longer cut file is analysed from what it holds
        var longer = audio.WriteTruncated("cut-long.wav", TestAudio.NoiseBursts(10), presentFrames: 2 * TestAudio.Rate);
        o = JsonLines(CliRunner.Run("analyze", "--json", longer).Out).Single();
        Assert.Equal("ok", o.GetProperty("status").GetString());
        Assert.Equal(2.0, o.GetProperty("duration").GetDouble(), 3);
        Assert.True(o.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public void TheRateShownIsTheArticulationRateItsLevelIsBasedOn()
    {
        var summary = Models.EmotionModels.Load(Path.Combine(RepoPaths.Root, "models", "emotion-clap-small")).AnalyzeFile(Sample).Prosody!;
        Assert.NotEqual(Math.Round(summary.SyllablesPerSecond, 1), Math.Round(summary.ArticulationRate, 1));   // they differ on this clip
        var (_, text, _) = CliRunner.Run("analyze", Sample);
        Assert.Contains(FormattableString.Invariant($"articulation rate {summary.ArticulationRate:F1} syllables/s ("), text);
        var prosody = JsonLines(CliRunner.Run("analyze", "--json", Sample).Out).Single().GetProperty("prosody");
        Assert.Equal(Math.Round(summary.ArticulationRate, 2), prosody.GetProperty("articulation_rate").GetDouble(), 2);
        Assert.False(prosody.TryGetProperty("syllables_per_second", out _));
    }
}
