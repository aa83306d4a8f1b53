using System.Diagnostics;
using System.Globalization;
using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Models.Student;

namespace Sentire.Bench;

/// <summary>
/// Tiny student against its teacher on the same audio: real-time factor and peak memory of analysing a long recording
/// cut into 10 s segments (per segment: log-mel, model, probabilities and dimensions),
/// segments spread over all cores. Each model runs in its own child process so its peak working set is its own;
/// the parent prints both and the ratio. Audio: the demo clips in samples/ tiled to the requested length. Segments
/// run one per core with single-threaded kernels inside (SENTIRE_THREADS=1 unless set).
/// usage: student [--student-seconds S (3600)] [--teacher-seconds S (600)] [--repeat R (3)]
///        [--student DIR] [--teacher DIR]      (--only student|teacher runs one side in this process)
/// </summary>
public sealed class StudentBench : IBenchmark
{
    public string Name => "student";
    public string Description => "tiny student vs its teacher: seconds per hour of audio and peak memory";

    const double SegmentSeconds = 10;

    public int Run(string[] args)
    {
        string root = FindRoot();
        var studentDir = Arg(args, "--student") ?? Path.Combine(root, "models", "emotion-student-tiny");
        var teacherDir = Arg(args, "--teacher") ?? Path.Combine(root, "models", "emotion-clap-small");
        int repeat = int.Parse(Arg(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        if (Arg(args, "--only") is { } only)
            return RunOne(only, only == "student" ? studentDir : teacherDir, double.Parse(Arg(args, "--seconds") ?? "60", CultureInfo.InvariantCulture), repeat, root);

        var studentSeconds = Arg(args, "--student-seconds") ?? "3600";
        var teacherSeconds = Arg(args, "--teacher-seconds") ?? "600";
        Console.WriteLine($"{Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var student = Child(["--only", "student", "--student", studentDir, "--seconds", studentSeconds, "--repeat", repeat.ToString(CultureInfo.InvariantCulture)]);
        var teacher = Child(["--only", "teacher", "--teacher", teacherDir, "--seconds", teacherSeconds, "--repeat", repeat.ToString(CultureInfo.InvariantCulture)]);
        if (student is null || teacher is null) return 1;
        Console.WriteLine();
        Console.WriteLine("| model | parameters | audio per run | median wall time | wall seconds per hour of audio | real-time factor | CPU seconds per hour of audio | peak working set |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in new[] { student, teacher })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Parameters:N0} | {r.AudioSeconds:F0} s | {r.MedianSeconds:F2} s | {r.SecondsPerHour:F2} s | {r.AudioSeconds / r.MedianSeconds:F0}x | {r.CpuSecondsPerHour:F1} s | {r.PeakMegabytes:F0} MB |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| **ratio teacher / student** | {(double)teacher.Parameters / student.Parameters:F0}x | | | **{teacher.SecondsPerHour / student.SecondsPerHour:F1}x** | | {teacher.CpuSecondsPerHour / student.CpuSecondsPerHour:F1}x | {teacher.PeakMegabytes / student.PeakMegabytes:F1}x |"));
        Console.WriteLine($"goal: the student analyses an hour of audio in under 10 s on 2 cores: {(student.SecondsPerHour < 10 ? "met" : "NOT met")} ({student.SecondsPerHour:F2} s)");
        return 0;
    }

    sealed record Result(string Name, long Parameters, double AudioSeconds, double MedianSeconds, double PeakMegabytes, double CpuSeconds)
    {
        public double SecondsPerHour => MedianSeconds * 3600 / AudioSeconds;
        /// <summary>CPU time per hour of audio (all threads): on a shared machine the wall time inflates, this much less.</summary>
        public double CpuSecondsPerHour => CpuSeconds * 3600 / AudioSeconds;
    }

    static Result? Child(string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        // Segments run in parallel, one per core; each segment's GEMMs then run on one thread (no nested pools).
        start.Environment["SENTIRE_THREADS"] = Environment.GetEnvironmentVariable("SENTIRE_THREADS") ?? "1";
        if (!Environment.ProcessPath!.EndsWith("Sentire.Bench", StringComparison.Ordinal)) start.ArgumentList.Add(typeof(StudentBench).Assembly.Location);
        start.ArgumentList.Add("student");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string? result = null;
        for (var line = process.StandardOutput.ReadLine(); line is not null; line = process.StandardOutput.ReadLine())
        {
            Console.WriteLine("  " + line);
            if (line.StartsWith("RESULT ", StringComparison.Ordinal)) result = line;
        }
        process.WaitForExit();
        if (process.ExitCode != 0 || result is null) { Console.Error.WriteLine($"student bench child {string.Join(' ', args)} failed ({process.ExitCode})"); return null; }
        var f = result.Split(' ');
        var c = CultureInfo.InvariantCulture;
        return new Result(f[1], long.Parse(f[2], c), double.Parse(f[3], c), double.Parse(f[4], c), double.Parse(f[5], c), double.Parse(f[6], c));
    }

    static int RunOne(string which, string folder, double seconds, int repeat, string root)
    {
        // Audio: the demo clips back to back, repeated to the requested length and cut into 10 s segments; each segment
        // is made when it is analysed, so the peak working set is the model's, not that of an hour of samples.
        var loop = Directory.GetFiles(Path.Combine(root, "samples"), "*.flac").Order().SelectMany(p => AudioFile.Read(p).ToMono().Samples).ToArray();
        const int rate = 16000;
        long total = (long)(seconds * rate);
        int segment = (int)(SegmentSeconds * rate);
        var starts = Enumerable.Range(0, (int)((total + segment - 1) / segment)).Select(i => (long)i * segment).ToArray();
        float[] Segment(long start)
        {
            var samples = new float[(int)Math.Min(segment, total - start)];
            for (int n = 0; n < samples.Length; n++) samples[n] = loop[(start + n) % loop.Length];
            return samples;
        }
        Action<long> analyse;
        long parameters;
        if (which == "student")
        {
            var student = EmotionStudent.Load(folder);
            parameters = student.Model.ParameterCount();
            analyse = start => student.Predict(student.FrontEnd.LogMel(Segment(start)));
        }
        else
        {
            var teacher = EmotionRecognizer.Load(folder);
            parameters = EmotionModelPackage.Load(folder).Model.ParameterCount();
            analyse = start =>
            {
                var samples = Segment(start);
                teacher.AnalyzeSamples(samples, 0, samples.Length);
            };
        }
        analyse(0);                                                     // warm-up: JIT, prompt cache, buffers
        var times = new List<double>();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        for (int r = 0; r < repeat; r++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.ForEach(starts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, analyse);
            times.Add(clock.Elapsed.TotalSeconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{which}: run {r + 1}: {seconds:F0} s of audio in {times[^1]:F2} s"));
        }
        times.Sort();
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / repeat;
        if (which == "student")
        {
            // Where the time goes: the log-mel front end alone over the same segments.
            var frontEnd = new Models.Speech.LogMelFrontEnd(EmotionStudent.Load(folder).Config.FrontEnd);
            var clock = Stopwatch.StartNew();
            Parallel.ForEach(starts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                start => frontEnd.LogMel(Segment(start)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"student: of which log-mel front end alone: {clock.Elapsed.TotalSeconds:F2} s"));
        }
        double peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {(which == "student" ? "student" : "teacher")} {parameters} {seconds} {times[times.Count / 2]} {peak} {cpu}"));
        return 0;
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }

    static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
