using Sentire.Audio.Decoding;
using Sentire.Models.Analysis;
using Sentire.Models.Clap;
using Sentire.Models.Dimensions;

namespace Sentire.Models.Student;

/// <summary>
/// The packaged student behind the same interface as the teacher:
/// <code>
/// var student = StudentRecognizer.Load("models/emotion-student-tiny");
/// var prediction = student.Analyze(AudioFile.Read("clip.wav"));          // its 8 labels
/// var two = student.Analyze(clip, ["happy", "sad"]);                       // a subset, renormalised
/// </code>
/// The student is not zero-shot: it scores only its own labels. A subset S gets p(k | S) = p(k) / sum_{j in S} p(j),
/// which is the softmax over S's logits. Files follow the same too-short, silent and long-file rules as the teacher
/// (<see cref="FileSegmentation"/>); the overall prediction of a long recording is the mean of its segments'
/// probabilities and dimensions.
/// </summary>
public sealed class StudentRecognizer : IEmotionAnalyzer
{
    readonly Dictionary<string, int> index;

    StudentRecognizer(EmotionStudent student)
    {
        Student = student;
        index = student.Config.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
    }

    public EmotionStudent Student { get; }
    public StudentModelConfig Config => Student.Config;
    public string Name => Config.Name;
    public IReadOnlyList<string> Labels => Config.Labels;
    public int SampleRate => Config.FrontEnd.SampleRate;
    public bool HasDimensions => Config.DimensionsTrained;
    public string? DimensionsProblem => HasDimensions ? null : $"{Config.Name}: its teacher had no dimensional head, so the student's dimension head is untrained";

    public static StudentRecognizer Load(string folder) => new(EmotionStudent.Load(folder));

    public static StudentRecognizer FromStudent(EmotionStudent student) => new(student);

    public EmotionPrediction Analyze(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        var samples = Student.FrontEnd.Condition(clip);
        return Predict(samples, 0, samples.Length, Columns(labels, promptTemplate));
    }

    public FileAnalysis AnalyzeFile(string path, IReadOnlyList<string>? labels = null, string? promptTemplate = null, Tensors.TensorArena? arena = null)
    {
        var columns = Columns(labels, promptTemplate);
        return FileSegmentation.AnalyzeFile(path, Student.FrontEnd.Conditioner, (samples, _) => Predict(samples, 0, samples.Length, columns), () => new Timeline(this, columns), arena);
    }

    public FileAnalysis AnalyzeClip(AudioClip clip, IReadOnlyList<string>? labels = null, string? promptTemplate = null)
    {
        var columns = Columns(labels, promptTemplate);
        return FileSegmentation.Analyze(clip.Source, Student.FrontEnd.Condition(clip), SampleRate, (samples, _) => Predict(samples, 0, samples.Length, columns),
            () => new Timeline(this, columns), clip.Truncation);
    }

    /// <summary>Segments scored one by one; the overall prediction is the mean of their probabilities and dimensions,
    /// summed in double in time order as <see cref="Enumerable.Average{TSource}(IEnumerable{TSource}, Func{TSource, float})"/>.</summary>
    sealed class Timeline(StudentRecognizer recognizer, int[] columns) : ISegmentTimeline
    {
        double[]? probabilities, dimensions;
        int count;

        public EmotionPrediction Add(Audio.Segmentation.Segment segment, float[] samples)
        {
            var output = recognizer.Forward(samples, 0, samples.Length);
            probabilities ??= new double[output.Probabilities.Length];
            dimensions ??= new double[output.Dimensions.Length];
            for (var k = 0; k < probabilities.Length; k++) probabilities[k] = count == 0 ? output.Probabilities[k] : probabilities[k] + output.Probabilities[k];
            for (var k = 0; k < dimensions.Length; k++) dimensions[k] = count == 0 ? output.Dimensions[k] : dimensions[k] + output.Dimensions[k];
            count++;
            return recognizer.Prediction(segment.StartSeconds, segment.EndSeconds, output, columns);
        }

        public EmotionPrediction Overall(double durationSeconds)
        {
            if (probabilities is null || dimensions is null) throw new InvalidOperationException("no segment was scored");
            var mean = new StudentPrediction(probabilities.Select(v => (float)(v / count)).ToArray(), dimensions.Select(v => (float)(v / count)).ToArray());
            return recognizer.Prediction(0, durationSeconds, mean, columns);
        }
    }

    EmotionPrediction Predict(float[] samples, int start, int end, int[] columns) =>
        Prediction((double)start / SampleRate, (double)end / SampleRate, Forward(samples, start, end), columns);

    StudentPrediction Forward(float[] samples, int start, int end) =>
        Student.Predict(Student.FrontEnd.LogMel(samples.AsSpan(start, end - start).ToArray()));

    EmotionPrediction Prediction(double start, double end, StudentPrediction output, int[] columns)
    {
        double total = columns.Sum(k => (double)output.Probabilities[k]);
        var emotions = columns.Select(k => new EmotionScore(Labels[k], output.Probabilities[k] / total)).OrderByDescending(s => s.Probability).ToList();
        var d = output.Dimensions;
        return new EmotionPrediction(start, end, emotions, HasDimensions ? new EmotionDimensions(d[0], d[1], d[2]) : null);
    }

    public string? RequestProblem(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        try { Columns(labels, promptTemplate); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>The logit columns of the requested labels; unknown labels and prompt templates are errors, since the
    /// student has no text side.</summary>
    int[] Columns(IReadOnlyList<string>? labels, string? promptTemplate)
    {
        if (promptTemplate is not null)
            throw new ArgumentException($"{Name} is a fixed-label student, not a zero-shot model: it takes no prompt template");
        if (labels is null) return Enumerable.Range(0, Labels.Count).ToArray();
        Analysis.LabelList.EnsureValid(labels);
        var unknown = labels.Where(l => !index.ContainsKey(l)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"{Name} is a fixed-label student, not a zero-shot model: it knows only {string.Join(", ", Labels)}, not {string.Join(", ", unknown)}");
        return labels.Select(l => index[l]).ToArray();
    }
}
