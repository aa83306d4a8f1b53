using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Models.AudioTagging;
using Sentire.Tests.Common;
using Sentire.Training.Baselines;
using Sentire.Training.Distillation;

namespace Sentire.Training.Tests.Distillation;

/// <summary>The teacher-target cache (the shared EfficientAT checkpoint on the committed sample clips) and the probe's
/// MFCC statistics.</summary>
public sealed class TeacherEmbeddingsTests
{
    static string? TeacherPath => RepoPaths.Shared is { } shared ? Path.Combine(shared, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt") : null;

    [Fact]
    public void CachesTheTeachersOutputsAndReusesThem()
    {
        if (TeacherPath is not { } teacherPath || !File.Exists(teacherPath)) { Assert.Skip("../shared/teachers/efficientat-mn04 not found (set SENTIRE_SHARED)"); return; }
        var clips = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples"), "*.flac").Order(StringComparer.Ordinal).ToArray();
        var utterances = clips.Select(p => new Utterance("demo/" + Path.GetFileNameWithoutExtension(p), p, 2.4, "demo", "en")).ToList();
        var cache = Path.Combine(Path.GetTempPath(), "sentire-teacher-" + Guid.NewGuid().ToString("N"));
        try
        {
            var tagger = EfficientAtTagger.Load(teacherPath);
            int computed = 0;
            using (var targets = TeacherEmbeddings.Open(cache, teacherPath, new CorpusSet(utterances), new Progress(() => computed++), TestContext.Current.CancellationToken))
            {
                Assert.Equal(clips.Length, targets.Count);
                foreach (var u in utterances)
                {
                    var (embedding, logits) = tagger.Run(AudioFile.Read(u.AudioPath));
                    Assert.Equal(embedding, targets.Embedding(u.Id).ToArray());
                    Assert.Equal(logits, targets.Logits(u.Id).ToArray());
                }
                Assert.Throws<KeyNotFoundException>(() => targets.Embedding("demo/absent"));
            }
            Assert.Equal(clips.Length, computed);
            // a second open reads the file: nothing is computed again
            using (var again = TeacherEmbeddings.Open(cache, teacherPath, new CorpusSet(utterances), new Progress(() => computed++), TestContext.Current.CancellationToken))
                Assert.Equal(clips.Length, again.Count);
            Assert.Equal(clips.Length, computed);
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public void MfccStatisticsAreTheMeanAndDeviationOfEachCoefficient()
    {
        var rng = new Sentire.Tensors.Generator(3);
        var samples = new float[16000];
        rng.FillNormal(samples, 0, 0.1f);
        var mfcc = new Mfcc(TeacherProbeBaseline.MfccSettings);
        var frames = mfcc.Compute(samples);
        var stats = TeacherProbeBaseline.MfccStatistics(samples, mfcc);
        Assert.Equal(2 * TeacherProbeBaseline.MfccCount, stats.Length);
        Assert.Equal(TeacherProbeBaseline.FeatureNames.Count, TeacherEmbeddings.EmbeddingSize + stats.Length);
        Assert.Equal(101, frames.Rows);                    // 1 s at a 10 ms hop, centred
        for (int c = 0; c < TeacherProbeBaseline.MfccCount; c++)
        {
            var column = Enumerable.Range(0, frames.Rows).Select(t => (double)frames[t, c]).ToArray();
            double mean = column.Average();
            Assert.Equal(mean, stats[c], 4);
            Assert.Equal(Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / column.Length), stats[TeacherProbeBaseline.MfccCount + c], 4);
        }
    }

    sealed class Progress(Action tick) : IProgress<(string Corpus, int Done, int Total)>
    {
        public void Report((string Corpus, int Done, int Total) value) => tick();
    }
}
