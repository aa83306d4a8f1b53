using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sentire.Audio.Dsp;
using Sentire.IO;
using Sentire.Models.Clap;
using Sentire.Models.Speech;

namespace Sentire.Training.Distillation;

/// <summary>The teacher's answer for one clip: category probabilities in its label order, and arousal/valence/dominance
/// when the teacher has a dimensional head (null otherwise).</summary>
public sealed record TeacherOutput(float[] Probabilities, float[]? Dimensions);

/// <summary>A model the student learns from.</summary>
public interface IEmotionTeacher
{
    IReadOnlyList<string> Labels { get; }
    LogMelFrontEndConfig FrontEnd { get; }
    /// <summary>Identifies the teacher's weights: cached outputs of another teacher are never reused.</summary>
    string WeightsHash { get; }
    string Name { get; }
    TeacherOutput Predict(FeatureMatrix logMel);
}

/// <summary>A packaged Emo-CLAP model (<see cref="EmotionRecognizer"/>) as teacher: zero-shot probabilities over its own
/// labels, and arousal/valence/dominance when the package has a dimensional head.</summary>
public sealed class ClapTeacher(EmotionRecognizer recognizer, string name, string weightsHash) : IEmotionTeacher
{
    /// <summary>Loads a teacher folder; its hash covers config.json, model.safetensors and dimensions.safetensors (when present).</summary>
    public static ClapTeacher Load(string folder)
    {
        var recognizer = EmotionRecognizer.Load(folder);
        var files = new[] { EmotionModelPackage.ConfigFile, EmotionModelPackage.WeightsFile, EmotionModelPackage.DimensionsFile }
            .Select(f => Path.Combine(folder, f)).Where(File.Exists).ToArray();
        return new(recognizer, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), TeacherCache.HashFiles(files));
    }

    public IReadOnlyList<string> Labels => recognizer.Labels;
    public LogMelFrontEndConfig FrontEnd => recognizer.Config.FrontEnd;
    public string WeightsHash => weightsHash;
    public string Name => name;
    /// <summary>Why the teacher has no dimensions (null when it has them).</summary>
    public string? DimensionsProblem => recognizer.DimensionsProblem;

    public TeacherOutput Predict(FeatureMatrix logMel)
    {
        var encoding = recognizer.Encode(logMel);
        var probabilities = recognizer.Score(encoding.Embedding, recognizer.Labels, recognizer.Config.PromptTemplate);
        return new(probabilities, recognizer.Dimensions(encoding.Pooled) is { } d ? [(float)d.Arousal, (float)d.Valence, (float)d.Dominance] : null);
    }
}

/// <summary>
/// The teacher's outputs over every distillation clip, computed once and kept on disk as CSV
/// (<c>teacher-HASH.csv</c>: id, one probability per label, arousal, valence, dominance; empty dimensions when the
/// teacher has none). The file name carries the teacher's weights hash, so a retrained teacher starts a new file;
/// the file is rewritten atomically after every chunk, so an interrupted pass resumes where it stopped.
/// </summary>
public static class TeacherCache
{
    const int ChunkSize = 128;
    static readonly string[] DimensionColumns = ["arousal", "valence", "dominance"];

    public static string PathFor(string folder, IEmotionTeacher teacher) => Path.Combine(folder, $"teacher-{teacher.WeightsHash}.csv");

    /// <summary>SHA-256 over the files' bytes in order, first 16 hex digits.</summary>
    public static string HashFiles(params string[] paths)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"{path}: teacher file not found", path);
            using var stream = File.OpenRead(path);
            int n;
            while ((n = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    /// <summary>Outputs for every clip, reading the cache and computing (and saving) only what is missing.</summary>
    public static Dictionary<string, TeacherOutput> Ensure(string folder, IEmotionTeacher teacher, IReadOnlyList<(string Id, FeatureMatrix LogMel)> clips,
        IProgress<(int Done, int Total)>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(folder);
        var path = PathFor(folder, teacher);
        var outputs = File.Exists(path) ? Read(path, teacher.Labels) : new Dictionary<string, TeacherOutput>(StringComparer.Ordinal);
        var missing = clips.Where(c => !outputs.ContainsKey(c.Id)).ToList();
        int done = clips.Count - missing.Count;
        progress?.Report((done, clips.Count));
        for (int start = 0; start < missing.Count; start += ChunkSize)
        {
            foreach (var (id, logMel) in missing.Skip(start).Take(ChunkSize))
            {
                cancel.ThrowIfCancellationRequested();
                outputs[id] = teacher.Predict(logMel);
                progress?.Report((++done, clips.Count));
            }
            Write(path, teacher.Labels, outputs);
        }
        return outputs;
    }

    public static void Write(string path, IReadOnlyList<string> labels, IReadOnlyDictionary<string, TeacherOutput> outputs)
    {
        var sb = new StringBuilder("id");
        foreach (var l in labels) sb.Append(",p_").Append(l);
        foreach (var d in DimensionColumns) sb.Append(',').Append(d);
        sb.Append('\n');
        foreach (var (id, o) in outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (id.Contains(',')) throw new ArgumentException($"clip id '{id}' contains a comma");
            sb.Append(id);
            foreach (var p in o.Probabilities) sb.Append(',').Append(p.ToString("R", CultureInfo.InvariantCulture));
            for (int d = 0; d < DimensionColumns.Length; d++)
                sb.Append(',').Append(o.Dimensions is null ? "" : o.Dimensions[d].ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    public static Dictionary<string, TeacherOutput> Read(string path, IReadOnlyList<string> labels)
    {
        var result = new Dictionary<string, TeacherOutput>(StringComparer.Ordinal);
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty teacher cache");
        int columns = 1 + labels.Count + DimensionColumns.Length;
        var expected = string.Join(',', new[] { "id" }.Concat(labels.Select(l => "p_" + l)).Concat(DimensionColumns));
        if (header != expected) throw new InvalidDataException($"{path}: header '{header}', expected '{expected}'");
        int lineNumber = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            var f = line.Split(',');
            if (f.Length != columns) throw new InvalidDataException($"{path}:{lineNumber}: {f.Length} fields, expected {columns}");
            var probabilities = f.AsSpan(1, labels.Count).ToArray().Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            float[]? dims = f[^1].Length == 0 ? null : f[^DimensionColumns.Length..].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            result[f[0]] = new TeacherOutput(probabilities, dims);
        }
        return result;
    }
}
