using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models;
using Sentire.Models.Analysis;

namespace Sentire.Server.Tests;

/// <summary><c>WS /v1/stream</c> against the recognizer run directly on the same samples.</summary>
public sealed class StreamTests(TeacherServer server) : IClassFixture<TeacherServer>
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A sample clip three times over, at 16 kHz, quantised to 16 bits as a client sends it.</summary>
    static float[] Speech(out byte[] pcm)
    {
        var clip = new Conditioner(new ConditioningOptions { SampleRate = 16000 }).Apply(AudioFile.Read(TestServers.SampleClips[3]));
        var samples = clip.Concat(clip).Concat(clip).ToArray();
        pcm = new byte[samples.Length * 2];
        for (int i = 0; i < samples.Length; i++)
        {
            short s = (short)Math.Clamp(Math.Round(samples[i] * 32768), short.MinValue, short.MaxValue);
            BitConverter.TryWriteBytes(pcm.AsSpan(2 * i), s);
            samples[i] = s / 32768f;
        }
        return samples;
    }

    async Task<WebSocket> Connect() => await server.App.GetTestServer().CreateWebSocketClient().ConnectAsync(new Uri("ws://localhost/v1/stream"), Cancel);

    static Task SendText(WebSocket socket, string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Cancel);

    static async Task<JsonObject?> Receive(WebSocket socket)
    {
        var buffer = new byte[1 << 20];
        int n = 0;
        WebSocketReceiveResult r;
        do
        {
            r = await socket.ReceiveAsync(buffer.AsMemory(n), Cancel) is var m ? new WebSocketReceiveResult(m.Count, m.MessageType, m.EndOfMessage) : null!;
            n += r.Count;
        } while (!r.EndOfMessage);
        return r.MessageType == WebSocketMessageType.Close ? null : JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, n))!.AsObject();
    }

    [Fact]
    public async Task EveryWindowAndTheSummaryEqualTheRecognizersAnswer()
    {
        var samples = Speech(out var pcm);
        using var socket = await Connect();
        await SendText(socket, """{"type": "start", "format": "s16le", "sample_rate": 16000}""");
        var ready = await Receive(socket);
        Assert.Equal("ready", ready!["type"]!.GetValue<string>());
        Assert.Equal(2.0, ready["window"]!.GetValue<double>());
        // odd chunk sizes split samples across messages
        for (int offset = 0; offset < pcm.Length; offset += 1001)
            await socket.SendAsync(pcm.AsMemory(offset, Math.Min(1001, pcm.Length - offset)), WebSocketMessageType.Binary, true, Cancel);
        await SendText(socket, """{"type": "end"}""");

        var analyzer = EmotionModels.Load(TestServers.TeacherModel);
        int window = 32000, hop = 8000, expectedWindows = (samples.Length - window) / hop + 1;
        Assert.Equal(11, expectedWindows);
        for (int k = 0; k < expectedWindows; k++)
        {
            var message = await Receive(socket);
            Assert.Equal("window", message!["type"]!.GetValue<string>());
            Assert.Equal(k, message["index"]!.GetValue<int>());
            Assert.True(message["voice"]!.GetValue<bool>());
            var slice = samples.AsSpan(k * hop, window).ToArray();
            var expected = analyzer.Analyze(AudioClip.FromMono(slice, 16000));
            var json = FileAnalysisJson.Segment(expected with { StartSeconds = k * 0.5, EndSeconds = k * 0.5 + 2 });
            foreach (var key in new[] { "start", "end", "emotions", "arousal", "valence", "dominance" })
                Assert.Equal(json[key]!.ToJsonString(), message[key]!.ToJsonString());
        }
        var summary = await Receive(socket);
        Assert.Equal("summary", summary!["type"]!.GetValue<string>());
        var whole = FileAnalysisJson.ToJson(analyzer.AnalyzeClip(AudioClip.FromMono(samples, 16000, "stream")));
        summary.Remove("type");
        Assert.Equal(whole.ToJsonString(), summary.ToJsonString());
        Assert.Null(await Receive(socket));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task SilenceIsNoVoiceAndFloatSamplesWork()
    {
        using var socket = await Connect();
        await SendText(socket, """{"format": "f32le", "window": 1, "hop": 1, "labels": ["happy", "sad"]}""");
        Assert.Equal(["happy", "sad"], (await Receive(socket))!["labels"]!.AsArray().Select(l => l!.GetValue<string>()));
        await socket.SendAsync(new byte[16000 * 4], WebSocketMessageType.Binary, true, Cancel);   // 1 s of digital silence
        var message = await Receive(socket);
        Assert.False(message!["voice"]!.GetValue<bool>());
        Assert.Empty(message["emotions"]!.AsArray());
        await SendText(socket, """{"type": "end"}""");
        Assert.Equal("silent", (await Receive(socket))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ABadStartMessageIsAnErrorAndAClose()
    {
        foreach (var (start, error, detail) in new[]
                 {
                     ("""{"format": "mp3"}""", "invalid_option", "format must be s16le or f32le, got 'mp3'"),
                     ("""{"format": "s16le", "sample_rate": 44100}""", "invalid_option", "sample_rate must be 16000 (resample before sending), got 44100"),
                     ("""{"format": "s16le", "colour": 1}""", "unknown_option", "unknown option 'colour'; the options are type, format, sample_rate, labels, template, window, hop"),
                     ("""{"format": "s16le", "hop": 3}""", "invalid_option", "hop must be 0.1 s..window (2 s), got 3"),
                     ("not json", "invalid_option", null),
                 })
        {
            using var socket = await Connect();
            await SendText(socket, start);
            var message = await Receive(socket);
            Assert.Equal("error", message!["type"]!.GetValue<string>());
            Assert.Equal(error, message["error"]!.GetValue<string>());
            if (detail is not null) Assert.Equal(detail, message["detail"]!.GetValue<string>());
            Assert.Null(await Receive(socket));
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        }
    }
}
