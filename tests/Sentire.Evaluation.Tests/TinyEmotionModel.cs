using System.Globalization;
using System.Text;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Models.Speech;
using Sentire.Models.Student;
using Sentire.Tensors;
using Sentire.Text;

namespace Sentire.Tests.Common;

/// <summary>A randomly initialised emotion model small enough to build in a test, and a tiny corpus folder of
/// synthetic tones with a manifest, for evaluation tests that must not depend on the shipped model.</summary>
internal static class TinyEmotionModel
{
    public static readonly string[] Labels = ["neutral", "happy", "sad", "angry"];

    public static EmotionRecognizer Build(ulong seed = 7) { var (c, m, t) = Parts(seed); return EmotionRecognizer.FromModel(c, m, t); }

    /// <summary>Saves the model as a package folder (for the CLI).</summary>
    public static string Save(string folder, ulong seed = 7)
    {
        var (config, model, tokenizer) = Parts(seed);
        EmotionModelPackage.Save(folder, config, model, tokenizer);
        return folder;
    }

    /// <summary>Saves a randomly initialised student over <see cref="Labels"/> with trained-looking dimensions as a
    /// package folder.</summary>
    public static string SaveStudent(string folder, ulong seed = 7)
    {
        var sizes = new TinyStudentConfig(NMels: 16, Channels: 8, Dilations: [1, 2], Categories: Labels.Length);
        var model = new TinyStudent(sizes, new Generator(seed));
        model.Eval();
        StudentPackage.Save(folder, new StudentModelConfig
        {
            Name = "tiny-student", FrontEnd = new LogMelFrontEndConfig(NMels: 16), Model = sizes, Labels = Labels, DimensionsTrained = true,
        }, model, modelCard: null);
        return folder;
    }

    static (EmotionModelConfig, ClapModel, BpeTokenizer) Parts(ulong seed)
    {
        var tokenizer = BpeTokenizer.Train(Labels.Select(l => $"The emotion is {l}."), 300);
        var config = new EmotionModelConfig
        {
            Name = "tiny",
            FrontEnd = new LogMelFrontEndConfig(NMels: 16),
            Encoder = new LogMelEncoderConfig(NMels: 16, StackFrames: 4, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxFrames: 64),
            TextEncoder = new TextEncoderConfig(tokenizer.VocabSize, HiddenSize: 16, Heads: 2, Layers: 1, FfnSize: 32, Dropout: 0f, MaxTokens: 16),
            Head = new ClapHeadConfig(ProjectionSize: 8, InitialTemperature: 0.05f),
            Labels = Labels,
            WindowSeconds = 0.5,
        };
        var model = EmotionModelPackage.Build(config, new Generator(seed + 1), new Generator(seed));
        model.Eval();
        return (config, model, tokenizer);
    }

    /// <summary>Writes corpus folders under a new root: each clip a 0.6-1.4 s tone whose pitch depends on the item, so
    /// predictions differ between clips. Returns the root and the utterances (as the manifest reader gives them).</summary>
    public static (string Root, IReadOnlyList<Utterance> Utterances) Corpus(params (string Corpus, string Speaker, string Gender, string Emotion)[] items)
    {
        var root = Directory.CreateTempSubdirectory("sentire-tiny-corpus").FullName;
        var lines = new Dictionary<string, StringBuilder>(StringComparer.Ordinal);
        for (int i = 0; i < items.Length; i++)
        {
            var (corpus, speaker, gender, emotion) = items[i];
            Directory.CreateDirectory(Path.Combine(root, corpus, "audio"));
            double seconds = 0.6 + 0.1 * (i % 9), pitch = 110 + 37 * i;
            var samples = new float[(int)(seconds * 16000)];
            for (int n = 0; n < samples.Length; n++)
                samples[n] = (float)(0.3 * Math.Sin(2 * Math.PI * pitch * n / 16000) + 0.1 * Math.Sin(2 * Math.PI * 3.1 * pitch * n / 16000));
            var stem = $"clip{i:D3}";
            WavWriter.Write(Path.Combine(root, corpus, "audio", stem + ".wav"), AudioClip.FromMono(samples, 16000));
            var sb = lines.TryGetValue(corpus, out var b) ? b : lines[corpus] = new StringBuilder();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"id\": \"{corpus}/{stem}\", \"path\": \"audio/{stem}.wav\", \"duration\": {seconds:F3}, \"corpus\": \"{corpus}\", \"language\": \"en\", \"speaker\": \"{corpus}/{speaker}\", \"gender\": \"{gender}\", \"emotion\": \"{emotion}\"}}"));
        }
        foreach (var (corpus, sb) in lines) File.WriteAllText(Path.Combine(root, corpus, ManifestReader.FileName), sb.ToString());
        return (root, CorpusSet.LoadRoot(root).Utterances);
    }
}
