using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Models.AudioTagging;

namespace Sentire.Training.Distillation;

/// <summary>
/// Distillation targets from the AudioSet-pretrained teacher (EfficientAT mn04_as, <see cref="EfficientAtTagger"/>): for
/// every clip of the given corpora, its 384-d embedding (features.16 averaged over frequency and time) and its 527 AudioSet
/// logits, computed once on the whole clip (decoded by <see cref="AudioFile.Read"/>, so the Ogg Opus corpora go through
/// ffmpeg; resampled to 32 kHz) and kept on disk in a <see cref="FeatureCache"/>: one file per corpus,
/// <c>&lt;cache&gt;/&lt;corpus&gt;.&lt;key hash&gt;.features</c>, each clip a 1 x 911 row [embedding, logits]. The key covers the
/// teacher's weights (SHA-256 of the state dict's values, so a conversion of the same checkpoint reuses the cache), the
/// front end and this layout; another teacher or setting writes new files. Resumable per corpus: a corpus whose file is
/// complete is never recomputed, an interrupted one starts over (each file is written atomically). Ids are the manifest
/// ids ("nemo/SB0_neutral_12").
/// <code>
/// using var teacher = TeacherEmbeddings.Open("cache/teacher", teacherPath, CorpusSet.LoadRoot(corpora));
/// ReadOnlySpan&lt;float&gt; e = teacher.Embedding(utterance.Id);   // 384
/// ReadOnlySpan&lt;float&gt; z = teacher.Logits(utterance.Id);      // 527 (sigmoid for probabilities)
/// </code>
/// </summary>
public sealed class TeacherEmbeddings : IDisposable
{
    public const int EmbeddingSize = 384;
    public const int LogitCount = 527;
    public const int Columns = EmbeddingSize + LogitCount;
    /// <summary>Clips decoded ahead of the network (ffmpeg runs for the Opus corpora overlap the teacher).</summary>
    const int DecodeAhead = 4;

    readonly Dictionary<string, CachedFeatures> byId;
    readonly List<CachedFeatures> files;

    TeacherEmbeddings(List<CachedFeatures> files)
    {
        this.files = files;
        byId = new Dictionary<string, CachedFeatures>(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var id in file.Ids) byId[id] = file;
    }

    /// <summary>The shared teacher checkpoint, beside the corpora folder (../shared/teachers/efficientat-mn04/mn04_as_mAP_432.pt).</summary>
    public static string DefaultTeacher(string corporaRoot) =>
        Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(corporaRoot)))!, "teachers", "efficientat-mn04", "mn04_as_mAP_432.pt");

    /// <summary>Clips held.</summary>
    public int Count => byId.Count;

    /// <summary>The cache files, one per corpus.</summary>
    public IReadOnlyList<string> FilePaths => files.Select(f => f.FilePath).ToList();

    public bool Contains(string id) => byId.ContainsKey(id);

    /// <summary>The teacher's 384-d clip embedding (read in place; valid until disposal).</summary>
    public ReadOnlySpan<float> Embedding(string id) => Row(id)[..EmbeddingSize];

    /// <summary>The teacher's 527 AudioSet logits (label order of audioset_class_labels_indices.csv).</summary>
    public ReadOnlySpan<float> Logits(string id) => Row(id)[EmbeddingSize..];

    ReadOnlySpan<float> Row(string id) =>
        byId.TryGetValue(id, out var file) ? file.Values(id) : throw new KeyNotFoundException($"no teacher targets for clip '{id}' (was its corpus given to TeacherEmbeddings.Open?)");

    /// <summary>The cache key of a teacher: its weights' digest, the front end's settings and the row layout.</summary>
    public static string ConfigKey(EfficientAtTagger teacher) =>
        string.Create(CultureInfo.InvariantCulture, $"efficientat-teacher/v1/weights={WeightsDigest(teacher.Model)}/{teacher.FrontEnd.Config}/{new ResamplerOptions()}/rows=1/columns=embedding{EmbeddingSize}+logits{LogitCount}");

    /// <summary>SHA-256 (first 16 hex digits) over the state dict's keys and float32 values in order: the same for the
    /// torch.save checkpoint and any conversion of it.</summary>
    public static string WeightsDigest(Sentire.Tensors.Nn.Module model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, tensor) in model.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key + "\n"));
            hash.AppendData(MemoryMarshal.AsBytes(tensor.Data));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>Opens the targets of every clip of <paramref name="corpora"/> in <paramref name="cacheFolder"/>, computing
    /// the corpora that are missing or stale first. <paramref name="progress"/> hears (corpus, clips done, clips in it)
    /// while a corpus is being computed.</summary>
    public static TeacherEmbeddings Open(string cacheFolder, string teacherPath, CorpusSet corpora,
        IProgress<(string Corpus, int Done, int Total)>? progress = null, CancellationToken cancel = default)
    {
        if (!File.Exists(teacherPath)) throw new FileNotFoundException($"{teacherPath}: teacher checkpoint not found", teacherPath);
        var cache = new FeatureCache(cacheFolder);
        var tagger = EfficientAtTagger.Load(teacherPath);
        string key = ConfigKey(tagger);
        var files = new List<CachedFeatures>();
        try
        {
            foreach (var group in corpora.Utterances.GroupBy(u => u.Corpus).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var utterances = group.ToList();
                int done = 0;
                var ahead = new Dictionary<int, Task<AudioClip>>();
                var position = utterances.Select((u, i) => (u.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
                files.Add(cache.Open(group.Key, utterances, key + DecoderTag(utterances[0].AudioPath), u =>
                {
                    cancel.ThrowIfCancellationRequested();
                    int i = position[u.Id];
                    for (int j = i; j < Math.Min(utterances.Count, i + 1 + DecodeAhead); j++)
                        if (!ahead.ContainsKey(j))
                        {
                            var path = utterances[j].AudioPath;
                            ahead[j] = Task.Run(() => AudioFile.Read(path), cancel);
                        }
                    var clip = ahead[i].GetAwaiter().GetResult();
                    ahead.Remove(i);
                    var (embedding, logits) = tagger.Run(clip);
                    var row = new float[Columns];
                    embedding.CopyTo(row, 0);
                    logits.CopyTo(row, EmbeddingSize);
                    progress?.Report((group.Key, ++done, utterances.Count));
                    return new FeatureMatrix(1, Columns, row);
                }));
            }
            return new TeacherEmbeddings(files);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>Names the in-process Ogg Opus decoder in the key of an Opus corpus: another decoder (ffmpeg's own) gives a
    /// different waveform, so targets computed from it are not reused.</summary>
    static string DecoderTag(string firstAudioPath)
    {
        var header = new byte[64];
        using (var stream = File.OpenRead(firstAudioPath)) stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return AudioFile.Detect(header) == AudioContainer.OggOpus ? "/decoder=ogg-opus-concentus-2.2.2" : "";
    }

    public void Dispose()
    {
        foreach (var f in files) f.Dispose();
    }
}
