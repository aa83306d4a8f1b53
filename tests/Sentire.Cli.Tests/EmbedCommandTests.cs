using System.Text.Json;
using Sentire.Audio.Decoding;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Cli.Tests;

/// <summary>`sentire embed` end to end through Program.Main on the golden Hugging Face fixture checkpoints
/// (tests/fixtures/hf-speech, tools/golden/hf_speech_fixtures.py).</summary>
public sealed class EmbedCommandTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("sentire-embed").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static string Encoder(string name) => RepoPaths.Fixture($"hf-speech/{name}");

    /// <summary>Fixture clip <paramref name="index"/> written as a 16-bit WAV (exact: the clips are 16-bit PCM).</summary>
    string ClipWav(int index, string name)
    {
        var pcm = SafeTensors.Read(RepoPaths.Fixture("hf-speech/clips.safetensors"))[$"clip{index}"].Data.ToArray();
        for (int i = 0; i < pcm.Length; i++) pcm[i] /= 32768f;
        var path = Path.Combine(dir, name);
        WavWriter.Write(path, AudioClip.FromMono(pcm, 16000));
        return path;
    }

    static void AssertClose(Tensor expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = expected.Data;
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(actual[i] - e[i]) <= 1e-4f + 1e-4f * MathF.Abs(e[i]), $"{what}: element {i} is {actual[i]}, expected {e[i]}");
    }

    [Fact]
    public void AllLayersOfEveryFileMatchTheReference()
    {
        var a = ClipWav(0, "first.wav");
        var b = ClipWav(2, "second.wav");
        var outPath = Path.Combine(dir, "emb.safetensors");
        var (exit, _, err) = CliRunner.Run("embed", a, b, "--encoder", Encoder("wavlm"), "--out", outPath);
        Assert.True(exit == 0, err);

        var expected = SafeTensors.Read(RepoPaths.Fixture("hf-speech/wavlm.expected.safetensors"));
        using var file = SafeTensors.Open(outPath);
        Assert.Equal(["first", "second"], file.Keys.Order());
        var first = file.Get("first");
        Assert.Equal([3, 49, 32], first.Shape.ToArray());
        for (int l = 0; l < 3; l++)
        {
            AssertClose(expected[$"clip0.hidden.{l}"], first.Data.Slice(l * 49 * 32, 49 * 32), $"first layer {l}");
            AssertClose(expected[$"clip2.hidden.{l}"], file.Get("second").Data.Slice(l * 47 * 32, 47 * 32), $"second layer {l}");
        }
        Assert.Equal("wavlm", file.Metadata["model_type"]);
        Assert.Equal("hidden_state,frame,feature", file.Metadata["layout"]);
        Assert.Equal("50", file.Metadata["frame_rate_hz"]);
        Assert.Equal(a, JsonDocument.Parse(file.Metadata["files"]).RootElement.GetProperty("first").GetString());
    }

    [Fact]
    public void OneLayerAndBadFilesAreReportedPerFile()
    {
        var good = ClipWav(1, "clip.wav");
        var sameStem = Path.Combine(Directory.CreateDirectory(Path.Combine(dir, "other")).FullName, "clip.wav");
        File.Copy(good, sameStem);
        var broken = Path.Combine(dir, "broken.flac");
        File.WriteAllBytes(broken, "fLaC"u8.ToArray());
        var tiny = Path.Combine(dir, "tiny.wav");
        WavWriter.Write(tiny, AudioClip.FromMono(new float[200], 16000));
        var outPath = Path.Combine(dir, "one.safetensors");

        var (exit, _, err) = CliRunner.Run("embed", good, broken, tiny, sameStem, "/no/such.wav", "--encoder", Encoder("wav2vec2-large"), "--layer", "2", "--out", outPath);
        Assert.Equal(1, exit);
        Assert.Contains($"{broken}: error:", err);
        Assert.Contains($"{tiny}: error:", err);
        Assert.Contains("shorter than one encoder frame", err);
        Assert.Contains("/no/such.wav: error:", err);

        var expected = SafeTensors.Read(RepoPaths.Fixture("hf-speech/wav2vec2-large.expected.safetensors"))["clip1.hidden.2"];
        using var file = SafeTensors.Open(outPath);
        Assert.Equal(["clip", "clip_2"], file.Keys.Order());
        Assert.Equal([45, 32], file.ShapeOf("clip"));
        AssertClose(expected, file.Get("clip").Data, "clip layer 2");
        AssertClose(expected, file.Get("clip_2").Data, "clip_2 layer 2");
    }

    [Fact]
    public void ShortChunksKeepTheOnePassFrameGrid()
    {
        // 0.64 s windows with 0.1 s (5 frames) of context: the 1 s clip is encoded in three windows.
        var clip = ClipWav(0, "long.wav");
        var outPath = Path.Combine(dir, "chunked.safetensors");
        var (exit, _, err) = CliRunner.Run("embed", clip, "--encoder", Encoder("wav2vec2-base"), "--layer", "0", "--chunk-seconds", "0.64", "--out", outPath);
        Assert.True(exit == 0, err);
        using var file = SafeTensors.Open(outPath);
        var chunked = file.Get("long");
        Assert.Equal([49, 32], chunked.Shape.ToArray());
        // The first window (31 frames, hop 22, context 5) owns frames 0 .. 26: there it equals encoding the first 0.64 s alone.
        var first = Path.Combine(dir, "first.wav");
        var pcm = SafeTensors.Read(RepoPaths.Fixture("hf-speech/clips.safetensors"))["clip0"].Data[..10240].ToArray();
        for (int i = 0; i < pcm.Length; i++) pcm[i] /= 32768f;
        WavWriter.Write(first, AudioClip.FromMono(pcm, 16000));
        var firstOut = Path.Combine(dir, "first.safetensors");
        Assert.Equal(0, CliRunner.Run("embed", first, "--encoder", Encoder("wav2vec2-base"), "--layer", "0", "--out", firstOut).Exit);
        using var alone = SafeTensors.Open(firstOut);
        AssertClose(new Tensor(alone.Get("first").Data[..(27 * 32)].ToArray(), 27, 32), chunked.Data[..(27 * 32)], "first window");
        Assert.NotEqual(alone.Get("first").Data[27 * 32 + 5], chunked.Data[27 * 32 + 5]);   // frame 27 comes from the second window
    }

    [Fact]
    public void UsageErrorsExitWithTwoAndSayWhy()
    {
        var clip = ClipWav(0, "a.wav");
        var outPath = Path.Combine(dir, "x.safetensors");
        var (exit, _, err) = CliRunner.Run("embed", clip, "--encoder", Encoder("hubert"), "--layer", "7", "--out", outPath);
        Assert.Equal(2, exit);
        Assert.Contains("--layer '7': expected all or a number from 0 to 2", err);

        (exit, _, err) = CliRunner.Run("embed", clip, "--encoder", Path.Combine(dir, "nowhere"), "--out", outPath);
        Assert.Equal(2, exit);
        Assert.Contains("checkpoint folder not found", err);

        (exit, _, err) = CliRunner.Run("embed", clip, "--encoder", Encoder("hubert"), "--out", Path.Combine(dir, "x.npy"));
        Assert.Equal(2, exit);
        Assert.Contains("expected a .safetensors file", err);
        Assert.False(File.Exists(outPath));
    }
}
