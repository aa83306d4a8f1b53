using System.Text.Json;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire caption` and `sentire eval-captions` end to end through Program.Main on the shipped secap-small.</summary>
public sealed class CaptionCommandTests
{
    [Fact]
    public void JsonHasFileAndCaptionPerClip()
    {
        var samples = Path.Combine(RepoPaths.Root, "samples");
        var (exit, output, _) = CliRunner.Run("caption", samples, "--json", "--max-tokens", "12");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        foreach (var line in lines)
        {
            var o = JsonDocument.Parse(line).RootElement;
            Assert.EndsWith(".flac", o.GetProperty("file").GetString());
            Assert.Equal("en", o.GetProperty("language").GetString());
            Assert.False(string.IsNullOrWhiteSpace(o.GetProperty("caption").GetString()));
        }
        Assert.Equal(2, CliRunner.Run("caption", samples, "--lang", "fr").Exit);
    }

    [Fact]
    public void SilentAndTooShortFilesGetTheirStatusAndNoInventedSpeaker()
    {
        var folder = Directory.CreateTempSubdirectory("caption-gate-").FullName;
        try
        {
            const int rate = 16000;
            var silence = Path.Combine(folder, "silence.wav");
            var tone = Path.Combine(folder, "tone.wav");
            Audio.Decoding.WavWriter.Write(silence, new Audio.Decoding.AudioClip(new float[2 * rate], rate, 1, silence));
            Audio.Decoding.WavWriter.Write(tone, new Audio.Decoding.AudioClip([.. Enumerable.Range(0, rate / 10).Select(i => 0.5f * MathF.Sin(2 * MathF.PI * 440 * i / rate))], rate, 1, tone));
            var (exit, output, _) = CliRunner.Run("caption", silence, tone, "--json");
            Assert.Equal(0, exit);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(["silent", "too_short"], lines.Select(o => o.GetProperty("status").GetString()));
            Assert.All(lines, o => Assert.False(o.TryGetProperty("caption", out _)));
            (exit, output, _) = CliRunner.Run("caption", silence, tone);
            Assert.Equal(0, exit);
            Assert.Contains("silence.wav (2.00 s): silent, nothing to caption", output);
            Assert.Contains("tone.wav (0.10 s): too short to caption", output);
            // analyze --caption applies the same gate
            (exit, output, _) = CliRunner.Run("analyze", silence, "--json", "--caption");
            Assert.Equal(0, exit);
            var analysis = JsonDocument.Parse(output).RootElement;
            Assert.Equal("silent", analysis.GetProperty("status").GetString());
            Assert.False(analysis.TryGetProperty("caption", out _));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void CaptionsAreOneSentenceInTheLanguageAndStateTheProsodyAnalyzeShows()
    {
        var clip = Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");
        var (exit, output, _) = CliRunner.Run("analyze", clip, "--json", "--caption");
        Assert.Equal(0, exit);
        var o = JsonDocument.Parse(output).RootElement;
        var caption = o.GetProperty("caption").GetString()!;
        var p = o.GetProperty("prosody");
        Audio.Prosody.ProsodyLevel Level(string field) => Enum.Parse<Audio.Prosody.ProsodyLevel>(p.GetProperty(field).GetString()!, ignoreCase: true);
        var shown = new Audio.Prosody.ProsodyLevels(Level("pitch_level"), Audio.Prosody.ProsodyLevel.Medium, Level("loudness_level"), Level("rate_level"), Audio.Prosody.ProsodyLevel.Medium);
        Assert.DoesNotContain(Models.Secap.CaptionProsodyWords.Contradictions(caption, shown), c => c.Measure != Models.Secap.ProsodyMeasure.PitchVariation);
        Assert.Empty(Evaluation.Captioning.CaptionWellFormedness.Problems(caption, "en"));
        (exit, output, _) = CliRunner.Run("caption", clip, "--json", "--lang", "zh");
        Assert.Equal(0, exit);
        Assert.Empty(Evaluation.Captioning.CaptionWellFormedness.Problems(JsonDocument.Parse(output).RootElement.GetProperty("caption").GetString()!, "zh"));
    }

    [Fact]
    public void TheCaptionIsAnalyzesCaptionNamingItsEmotionUnlessToldNone()
    {
        var clip = Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");
        static JsonElement Json(params string[] args)
        {
            var (exit, output, err) = CliRunner.Run(args);
            Assert.True(exit == 0, err);
            return JsonDocument.Parse(output).RootElement;
        }
        var analysis = Json("analyze", clip, "--json", "--caption");
        var top = analysis.GetProperty("emotions")[0].GetProperty("label").GetString()!;
        var held = Json("caption", clip, "--json").GetProperty("caption").GetString()!;
        Assert.Equal(analysis.GetProperty("caption").GetString(), held);
        Assert.Contains(Models.Secap.CaptionEmotionWords.Phrases[top], phrase => held.Contains(phrase, StringComparison.Ordinal));
        // none: the captioner's own sentence, as the library gives it without an emotion
        var free = Models.Secap.EmotionCaptioner.Load(Path.Combine(RepoPaths.Root, "models", "secap-small")).CaptionFile(clip, "en").Caption;
        Assert.Equal(free, Json("caption", clip, "--json", "--emotion-model", "none").GetProperty("caption").GetString());
        Assert.NotEqual(free, held);   // this clip's own guess names another emotion than the analysis
        var (code, _, error) = CliRunner.Run("caption", clip, "--emotion-model", "/no/model");
        Assert.Equal(2, code);
        Assert.Contains("--emotion-model", error);
    }

    [Fact]
    public void ConsensusKeepsOneOfItsSamplesAndCiderPicksTheMostCentral()
    {
        var clip = Path.Combine(RepoPaths.Root, "samples", "03-01-05-02-01-01-18.flac");
        static string Caption(params string[] args)
        {
            var (exit, output, err) = CliRunner.Run(["caption", .. args, "--json"]);
            Assert.True(exit == 0, err);
            return JsonDocument.Parse(output).RootElement.GetProperty("caption").GetString()!;
        }
        // the consensus draws are seeds 0..N-1 at temperature 0.8, top-p 0.9: the same captions plain sampling gives
        var samples = Enumerable.Range(0, 4).Select(k => Caption(clip, "--temperature", "0.8", "--top-p", "0.9", "--seed", $"{k}")).ToList();
        var byCider = Caption(clip, "--consensus", "4", "--consensus-by", "cider");
        Assert.Equal(Sentire.Evaluation.Captioning.CentralCaption.Select(samples, Sentire.Evaluation.Captioning.CaptionLanguage.English).Caption, byCider);
        Assert.Contains(Caption(clip, "--consensus", "4"), samples);                      // SECap's embedding vote
        Assert.Equal(2, CliRunner.Run("caption", clip, "--consensus", "4", "--consensus-by", "bleu").Exit);
    }

    [Fact]
    public void EvalCaptionsScoresIdenticalCaptionsPerfectlyAndNeverInventsSpice()
    {
        var folder = Directory.CreateTempSubdirectory("eval-captions-").FullName;
        try
        {
            var refs = Path.Combine(folder, "refs.jsonl");
            var cands = Path.Combine(folder, "cands.jsonl");
            File.WriteAllLines(refs, ["{\"id\": \"a\", \"references\": [\"A woman sounds very happy.\"]}", "{\"id\": \"b\", \"reference\": \"A man is sad, speaking slowly.\"}"]);
            File.WriteAllLines(cands, ["{\"id\": \"a\", \"caption\": \"A woman sounds very happy.\"}", "{\"id\": \"b\", \"caption\": \"A man is sad, speaking slowly.\"}"]);
            var (exit, output, _) = CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs, "--lang", "en", "--json");
            Assert.Equal(0, exit);
            var o = JsonDocument.Parse(output).RootElement;
            Assert.Equal(1.0, o.GetProperty("bleu1").GetDouble(), 6);
            Assert.Equal(1.0, o.GetProperty("rouge_l").GetDouble(), 6);
            Assert.Equal(JsonValueKind.Null, o.GetProperty("spice").ValueKind);
            Assert.Contains("not computed", o.GetProperty("spice_note").GetString());
            File.WriteAllLines(cands, ["{\"id\": \"a\", \"caption\": \"x\"}"]);
            Assert.Equal(2, CliRunner.Run("eval-captions", "--candidates", cands, "--references", refs).Exit);   // b has no candidate
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void EvalCaptionsFeedsTheReferencesTranscriptToATranscriptModel()
    {
        var folder = Directory.CreateTempSubdirectory("eval-captions-transcript-").FullName;
        try
        {
            // secap-small's weights under a Table 2 "transcript+q" config (the modality adds no parameters).
            var shipped = Path.Combine(RepoPaths.Root, "models", "secap-small");
            var package = Path.Combine(folder, "pkg");
            Directory.CreateDirectory(Path.Combine(package, "language_model"));
            foreach (var f in Directory.GetFiles(Path.Combine(shipped, "language_model"))) File.Copy(f, Path.Combine(package, "language_model", Path.GetFileName(f)));
            File.Copy(Path.Combine(shipped, "model.safetensors"), Path.Combine(package, "model.safetensors"));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(shipped, "config.json")))!;
            config["input_modality"] = "transcript+q";
            config["speech_encoder"] = Path.Combine(RepoPaths.Root, "models", "emotion-clap-small");
            File.WriteAllText(Path.Combine(package, "config.json"), config.ToJsonString());

            var clip = Path.Combine(RepoPaths.Root, "samples", "03-01-01-01-01-01-19.flac");
            const string transcript = "Kids are talking by the door.";
            var refs = Path.Combine(folder, "refs.jsonl");
            var cands = Path.Combine(folder, "cands.jsonl");
            File.WriteAllLines(refs, [JsonSerializer.Serialize(new { id = "s", file = clip, language = "en", reference = "A man sounds calm." })]);
            var (exit, _, error) = CliRunner.Run("eval-captions", "--model", package, "--references", refs, "--candidates", cands, "--lang", "en");
            Assert.Equal(2, exit);
            Assert.Contains("has no 'transcript'", error);

            File.WriteAllLines(refs, [JsonSerializer.Serialize(new { id = "s", file = clip, language = "en", reference = "A man sounds calm.", transcript })]);
            Assert.Equal(0, CliRunner.Run("eval-captions", "--model", package, "--references", refs, "--candidates", cands, "--lang", "en").Exit);
            var scored = JsonDocument.Parse(File.ReadLines(cands).First()).RootElement.GetProperty("caption").GetString();
            // The same caption as `sentire caption --transcript`: both paths put the transcript before the Q-Embedding
            // (eval-captions scores the captioner alone, so its own guess of the emotion: --emotion-model none).
            var (captionExit, output, _) = CliRunner.Run("caption", clip, "--model", package, "--transcript", transcript, "--json", "--emotion-model", "none");
            Assert.Equal(0, captionExit);
            Assert.Equal(JsonDocument.Parse(output.Trim()).RootElement.GetProperty("caption").GetString(), scored);
            Assert.False(string.IsNullOrWhiteSpace(scored));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
