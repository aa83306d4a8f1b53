using Sentire.Audio.Decoding;
using Sentire.Models.AudioTagging;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.AudioTagging;

/// <summary>
/// EfficientAT mn04_as against PyTorch (tests/fixtures/efficientat/mn04_as_samples.safetensors, written by
/// tools/golden/efficientat_fixtures.py from the published description and the shared checkpoint): front end, embedding
/// and logits on the committed sample clips, within 1e-4. Skipped when ../shared (the teacher) is absent.
/// </summary>
public sealed class EfficientAtTests
{
    const float Tolerance = 1e-4f;

    static string? TeacherPath => RepoPaths.Shared is { } shared ? Path.Combine(shared, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt") : null;

    [Fact]
    public void ArchitectureHasTheCheckpointsKeysAndSizes()
    {
        // the checkpoint: 312 state-dict entries, 993,485 values (README beside it); 46 batch norms
        var model = new EfficientAtModel(new EfficientAtConfig());
        var state = model.StateDict();
        Assert.Equal(312, state.Count);
        Assert.Equal(993_485, state.Values.Sum(t => t.Length));
        Assert.Equal([272, 1, 5, 5], state["features.13.block.1.0.weight"].ShapeArray());
        Assert.Equal([72, 272], state["features.12.block.2.conc_se_layers.0.fc1.weight"].ShapeArray());
        Assert.Equal([8, 8, 1, 1], state["features.1.block.1.0.weight"].ShapeArray());   // features.1 has no expansion
        Assert.Equal([527, 512], state["classifier.5.weight"].ShapeArray());
    }

    [Fact]
    public void MatchesPyTorchOnTheSampleClips()
    {
        if (TeacherPath is not { } path || !File.Exists(path)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var tagger = EfficientAtTagger.Load(path);
        using var golden = SafeTensors.Open(RepoPaths.Fixture("efficientat/mn04_as_samples.safetensors"));
        var clips = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").OrderBy(p => p, StringComparer.Ordinal).ToArray();
        Assert.Equal(4, clips.Length);
        foreach (var clip in clips)
        {
            var stem = Path.GetFileNameWithoutExtension(clip);
            var samples = tagger.FrontEnd.Condition(AudioFile.Read(clip));
            Assert.Equal((int)golden[$"{stem}.samples"].Item(), samples.Length);
            var mel = tagger.FrontEnd.LogMel(samples);
            var head = golden[$"{stem}.mel_head"];
            for (int m = 0; m < 128; m++)
                for (int t = 0; t < head.Dim(1); t++)
                    Near(head[m, t], mel[m, t], $"{stem} log-mel [{m}, {t}]");
            var (embedding, logits) = tagger.Run(mel);
            AllNear(golden[$"{stem}.embedding"].Data, embedding, $"{stem} embedding");
            AllNear(golden[$"{stem}.logits"].Data, logits, $"{stem} logits");
        }
    }

    [Fact]
    public void TopAudioSetClassOfTheSpeechSamplesIsSpeech()
    {
        if (TeacherPath is not { } path || !File.Exists(path)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var tagger = EfficientAtTagger.Load(path);
        var labels = AudioSetLabels.Read(Path.Combine(Path.GetDirectoryName(path)!, "audioset_class_labels_indices.csv"));
        Assert.Equal(527, labels.Count);
        foreach (var clip in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac"))
        {
            var (_, logits) = tagger.Run(AudioFile.Read(clip));
            var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ToArray();
            Assert.Equal("Speech", labels[order[0]]);
            // RAVDESS: odd actors are male, even ones female; the speaker's gender class outscores the other one
            int actor = int.Parse(Path.GetFileNameWithoutExtension(clip)[^2..], System.Globalization.CultureInfo.InvariantCulture);
            float male = logits[labels.ToList().IndexOf("Male speech, man speaking")], female = logits[labels.ToList().IndexOf("Female speech, woman speaking")];
            Assert.True(actor % 2 == 1 ? male > female : female > male, $"{clip}: male speech {male}, female speech {female}");
        }
    }

    static void Near(float expected, float actual, string what)
    {
        if (!(Math.Abs(expected - actual) <= Tolerance * (1 + Math.Abs(expected))))
            throw new Xunit.Sdk.XunitException($"{what}: {actual:G9}, expected {expected:G9}");
    }

    static void AllNear(ReadOnlySpan<float> expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++) Near(expected[i], actual[i], $"{what} [{i}]");
    }
}
