using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Sentire.Models;
using Sentire.Models.Analysis;

namespace Sentire.Server.Tests;

/// <summary><c>POST /v1/analyze</c>, <c>/v1/caption</c> and <c>/v1/models</c> on the shipped models, against the command line.</summary>
public sealed class AnalyzeRouteTests(TeacherServer server) : IClassFixture<TeacherServer>
{
    static readonly Lock ConsoleLock = new();

    /// <summary><c>sentire analyze ARGS --json</c> run in-process: its stdout lines.</summary>
    static string[] RunCli(params string[] args)
    {
        lock (ConsoleLock)
        {
            var (saved, capture) = (Console.Out, new StringWriter());
            Console.SetOut(capture);
            try { Cli.Program.Main(["analyze", .. args, "--json"]); }
            finally { Console.SetOut(saved); }
            return capture.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    static JsonObject WithoutFile(JsonObject o)
    {
        var copy = o.DeepClone().AsObject();
        copy.Remove("file");
        return copy;
    }

    [Fact]
    public async Task AnswerIsTheCommandLinesJsonForEverySampleClip()
    {
        var clips = TestServers.SampleClips;
        Assert.Equal(4, clips.Length);
        var cli = RunCli(clips).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        for (int i = 0; i < clips.Length; i++)
        {
            using var response = await server.Client.PostAsync("/v1/analyze", TestServers.Audio(clips[i]), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Json();
            Assert.Equal("upload", body["file"]!.GetValue<string>());
            Assert.Equal(WithoutFile(cli[i]).ToJsonString(), WithoutFile(body).ToJsonString());
        }
    }

    [Fact]
    public async Task ALongRecordingGetsTheCommandLinesSegmentsTimeline()
    {
        // the four sample clips three times over with a second of silence after each: 40.7 s, past the 30 s at which a
        // file is cut into speech segments
        var conditioner = new Audio.Conditioning.Conditioner(new Audio.Conditioning.ConditioningOptions { SampleRate = 16000 });
        var speech = TestServers.SampleClips.Select(f => conditioner.Apply(Audio.Decoding.AudioFile.Read(f))).ToList();
        var samples = Enumerable.Range(0, 3).SelectMany(_ => speech.SelectMany(c => c.Concat(new float[16000]))).ToArray();
        var path = Path.Combine(Directory.CreateTempSubdirectory("sentire-serve-long-").FullName, "long.wav");
        try
        {
            Audio.Decoding.WavWriter.Write(path, new Audio.Decoding.AudioClip(samples, 16000, 1, path));
            var cli = JsonNode.Parse(RunCli(path).Single())!.AsObject();
            using var response = await server.Client.PostAsync("/v1/analyze", TestServers.Audio(path, "audio/wav"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Json();
            Assert.InRange(body["duration"]!.GetValue<double>(), 40, 41.5);
            Assert.True(body["segments"]!.AsArray().Count >= 4, body["segments"]!.ToJsonString());
            Assert.Equal(WithoutFile(cli).ToJsonString(), WithoutFile(body).ToJsonString());
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public async Task MultipartZeroShotAndCaptionMatchTheCommandLine()
    {
        var clip = TestServers.SampleClips[2];
        var cli = JsonNode.Parse(RunCli(clip, "--labels", "happy,sad,bored", "--template", "A {label} voice.", "--caption", "--caption-model", TestServers.CaptionModel).Single())!.AsObject();
        using var form = new MultipartFormDataContent { { TestServers.Audio(clip), "file", "clip.flac" } };
        using var response = await server.Client.PostAsync("/v1/analyze?labels=happy,sad,bored&template=A%20%7Blabel%7D%20voice.&caption=true", form, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Json();
        Assert.Equal("clip.flac", body["file"]!.GetValue<string>());
        Assert.Equal(3, body["emotions"]!.AsArray().Count);
        Assert.False(string.IsNullOrWhiteSpace(body["caption"]!.GetValue<string>()));
        Assert.Equal(WithoutFile(cli).ToJsonString(), WithoutFile(body).ToJsonString());

        using var top = await server.Client.PostAsync("/v1/analyze?top=2", TestServers.Audio(clip), TestContext.Current.CancellationToken);
        var topBody = await top.Json();
        Assert.Equal(2, topBody["emotions"]!.AsArray().Count);
        Assert.Equal(JsonNode.Parse(RunCli(clip).Single())!["emotions"]![0]!.ToJsonString(), topBody["emotions"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task ManyConcurrentRequestsEachGetTheCommandLinesAnswer()
    {
        // the command line's answers, made outside any worker; the zero-shot labels are this test's own, so their prompt
        // embeddings are first made by a request inside a worker's TensorArena scope and must survive its recycling
        var clips = TestServers.SampleClips;
        const string labels = "tired,excited,bored,surprised";
        var expected = new Dictionary<(int Clip, bool ZeroShot), string>();
        var plain = RunCli(clips);
        var zeroShot = RunCli([.. clips, "--labels", labels]);
        for (int i = 0; i < clips.Length; i++)
        {
            expected[(i, false)] = WithoutFile(JsonNode.Parse(plain[i])!.AsObject()).ToJsonString();
            expected[(i, true)] = WithoutFile(JsonNode.Parse(zeroShot[i])!.AsObject()).ToJsonString();
        }
        // 48 requests over 4 workers: every worker thread serves several clips and both label sets in turn, interleaved
        var answers = await Task.WhenAll(Enumerable.Range(0, 48).Select(async k =>
        {
            var key = (Clip: k % clips.Length, ZeroShot: k / clips.Length % 2 == 1);
            using var r = await server.Client.PostAsync(key.ZeroShot ? "/v1/analyze?labels=" + labels : "/v1/analyze",
                TestServers.Audio(clips[key.Clip]), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return (key, Body: WithoutFile(await r.Json()).ToJsonString());
        }));
        foreach (var (key, body) in answers) Assert.Equal(expected[key], body);
    }

    [Fact]
    public async Task CaptionRouteIsTheCaptionersSentence()
    {
        var clip = TestServers.SampleClips[0];
        var expected = Models.Secap.EmotionCaptioner.Load(TestServers.CaptionModel).CaptionFile(clip, "zh").Caption;
        using var response = await server.Client.PostAsync("/v1/caption?lang=zh", TestServers.Audio(clip), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Json();
        Assert.Equal(expected, body["caption"]!.GetValue<string>());
        Assert.Equal("zh", body["language"]!.GetValue<string>());
        Assert.Equal("ok", body["status"]!.GetValue<string>());
        // the gate of analyze and `sentire caption`: two seconds of silence get their status and no invented speaker
        var silence = new ByteArrayContent(Audio.Decoding.WavWriter.ToBytes(new Audio.Decoding.AudioClip(new float[32000], 16000, 1, "silence.wav")));
        silence.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("audio/wav");
        var silent = await (await server.Client.PostAsync("/v1/caption", silence, TestContext.Current.CancellationToken)).Json();
        Assert.Equal("silent", silent["status"]!.GetValue<string>());
        Assert.Null(silent["caption"]);
        using var bad = await server.Client.PostAsync("/v1/caption?beam=0", TestServers.Audio(clip), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // English: the caption /v1/analyze gives beside its emotions, naming the top one
        var english = await (await server.Client.PostAsync("/v1/caption", TestServers.Audio(clip), TestContext.Current.CancellationToken)).Json();
        var analysed = await (await server.Client.PostAsync("/v1/analyze?caption=true", TestServers.Audio(clip), TestContext.Current.CancellationToken)).Json();
        Assert.Equal(analysed["caption"]!.GetValue<string>(), english["caption"]!.GetValue<string>());
        var top = analysed["emotions"]![0]!["label"]!.GetValue<string>();
        Assert.Contains(Models.Secap.CaptionEmotionWords.Phrases[top], phrase => english["caption"]!.GetValue<string>().Contains(phrase, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ModelsRouteListsTheLoadedModels()
    {
        var body = await (await server.Client.GetAsync("/v1/models", TestContext.Current.CancellationToken)).Json();
        var model = EmotionModels.Load(TestServers.TeacherModel);
        var emotion = body["emotion"]!;
        Assert.Equal(model.Labels, emotion["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("zero-shot", emotion["kind"]!.GetValue<string>());
        Assert.Equal(["arousal", "valence", "dominance"], emotion["dimensions"]!.AsArray().Select(l => l!.GetValue<string>()));
        // the model card's 684,212 weights, the dimensional head's 49,667 (384 x 128 + 128 + 128 x 3 + 3) and 10,050 stored
        // statistics (the MobileNet's batch-norm running means and variances, the input's mean and deviation)
        Assert.Equal(684_212 + 49_667 + 10_050, emotion["parameters"]!.GetValue<long>());
        Assert.StartsWith("The default emotion model", emotion["card"]!.GetValue<string>());
        Assert.Equal(["en", "zh"], body["caption"]!["languages"]!.AsArray().Select(l => l!.GetValue<string>()));
    }

    [Fact]
    public async Task BadOptionsAndBadAudioGetTheCommandLinesWords()
    {
        var clip = TestServers.SampleClips[0];
        async Task<(HttpStatusCode, JsonObject)> Post(string query, HttpContent content)
        {
            using var r = await server.Client.PostAsync("/v1/analyze" + query, content, TestContext.Current.CancellationToken);
            return (r.StatusCode, await r.Json());
        }
        var (status, body) = await Post("?colour=red", TestServers.Audio(clip));
        Assert.Equal((HttpStatusCode.BadRequest, "unknown_option"), (status, body["error"]!.GetValue<string>()));
        (status, body) = await Post("?labels=,", TestServers.Audio(clip));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AnalysisOptions.Parse(",", null, null, out var problem, out _);
        Assert.Equal(problem, body["detail"]!.GetValue<string>());
        (status, body) = await Post("?template=no%20placeholder", TestServers.Audio(clip));
        Assert.Equal("--template 'no placeholder' has no {label} placeholder", body["detail"]!.GetValue<string>());
        (status, body) = await Post("?lang=fr", TestServers.Audio(clip));
        Assert.Equal("--lang must be en or zh, got 'fr'", body["detail"]!.GetValue<string>());
        (status, body) = await Post("?top=0", TestServers.Audio(clip));
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // unreadable audio: the CLI's message for the same bytes, with the upload's name for the path
        var folder = Directory.CreateTempSubdirectory("sentire-serve-test-");
        try
        {
            var bytes = File.ReadAllBytes(clip);
            foreach (var (name, data) in new[] { ("truncated.flac", bytes[..200]), ("noise.mp3", "not audio at all"u8.ToArray()), ("empty.wav", Array.Empty<byte>()) })
            {
                var path = Path.Combine(folder.FullName, name);
                File.WriteAllBytes(path, data);
                var cliError = JsonNode.Parse(RunCli(path).Single())!["error"]!.GetValue<string>();
                using var form = new MultipartFormDataContent { { new ByteArrayContent(data), "file", name } };
                (status, body) = await Post("", form);
                Assert.Equal((HttpStatusCode.BadRequest, "unreadable_audio"), (status, body["error"]!.GetValue<string>()));
                Assert.Equal(cliError.Replace(path, name, StringComparison.Ordinal), body["detail"]!.GetValue<string>());
            }
        }
        finally { folder.Delete(recursive: true); }

        (status, body) = await Post("", new StringContent("hello"));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"), (status, body["error"]!.GetValue<string>()));
        Assert.DoesNotContain("   at ", body.ToJsonString());
    }

    [Fact]
    public async Task UnknownRoutesAndMethodsAreJsonErrors()
    {
        using var missing = await server.Client.GetAsync("/v2/nothing", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("not_found", (await missing.Json())["error"]!.GetValue<string>());
        using var wrong = await server.Client.GetAsync("/v1/analyze", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Equal("method_not_allowed", (await wrong.Json())["error"]!.GetValue<string>());
    }
}
