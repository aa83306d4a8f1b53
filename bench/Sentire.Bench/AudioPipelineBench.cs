using System.Diagnostics;
using System.Globalization;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;

namespace Sentire.Bench;

/// <summary>
/// Feature front end over the shared corpora: decode + resample to 16 kHz + 80-bin log-mel (n_fft 400, hop 160)
/// for every file, against the reference pipeline of `ffmpeg -ar 16000` decode + torchaudio MelSpectrogram +
/// AmplitudeToDB on the same files in the same run. Both sides get the same number of workers (default: all
/// cores): files in parallel here; a thread pool of ffmpeg processes with torch.set_num_threads(1) there.
/// usage: audio-pipeline [--corpora DIR] [--limit N] [--repeat R] [--workers W] [--python /usr/bin/python3]
/// </summary>
public sealed class AudioPipelineBench : IBenchmark
{
    public string Name => "audio-pipeline";
    public string Description => "decode + resample 16 kHz + 80-bin log-mel of ../shared/corpora vs ffmpeg + torchaudio";

    const string ReferenceScript = """
        import subprocess, sys, time
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np, torch, torchaudio
        torch.set_num_threads(1)
        workers = int(sys.argv[1])
        files = [line.rstrip("\n") for line in sys.stdin if line.strip()]
        mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=80)
        to_db = torchaudio.transforms.AmplitudeToDB("power")
        def one(path):
            raw = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "f32le", "-ac", "1", "-ar", "16000", "pipe:"],
                                 check=True, capture_output=True).stdout
            wave = torch.from_numpy(np.frombuffer(raw, dtype=np.float32).copy())
            with torch.no_grad():
                return to_db(mel(wave)).shape[-1]
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            frames = sum(pool.map(one, files))
        print(f"{time.perf_counter() - start:.3f} {frames}")
        """;

    public int Run(string[] args)
    {
        var corpora = Arg(args, "--corpora") ?? FindCorpora();
        var limit = int.Parse(Arg(args, "--limit") ?? "0", CultureInfo.InvariantCulture);
        var repeat = int.Parse(Arg(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        var workers = int.Parse(Arg(args, "--workers") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var python = Arg(args, "--python") ?? "/usr/bin/python3";
        if (corpora is null || !Directory.Exists(corpora))
        {
            Console.Error.WriteLine($"audio-pipeline: corpora folder not found ({corpora ?? "../shared/corpora"}); pass --corpora DIR.");
            return 2;
        }
        var files = Directory.EnumerateFiles(corpora, "*.flac", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (limit > 0) files = files.Take(limit).ToArray();
        Console.WriteLine($"audio-pipeline: {files.Length} files under {corpora}, {workers} workers, {repeat} repeats, {Environment.ProcessorCount} cores");

        var options = new MelSpectrogramOptions { SampleRate = 16000, NFft = 400, HopLength = 160, NMels = 80 };
        var logMel = new LogMelSpectrogram(options);
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        double audioSeconds = 0;
        var ours = new List<double>();
        var reference = new List<double>();
        long ourFrames = 0, referenceFrames = 0;
        for (var r = 0; r < repeat; r++)
        {
            // Ours: decode, mix down + resample, log-mel; files in parallel.
            var watch = Stopwatch.StartNew();
            long frames = 0;
            double seconds = 0;
            var gate = new object();
            Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = workers }, path =>
            {
                var clip = AudioFile.Read(path);
                var samples = conditioner.Apply(clip);
                var features = logMel.Compute(samples);
                lock (gate)
                {
                    frames += features.Rows;
                    seconds += clip.DurationSeconds;
                }
            });
            ours.Add(watch.Elapsed.TotalSeconds);
            ourFrames = frames;
            audioSeconds = seconds;

            var (elapsed, count) = RunReference(python, files, workers);
            reference.Add(elapsed);
            referenceFrames = count;
            Console.WriteLine($"  run {r + 1}: sentire {ours[^1]:F2} s, ffmpeg + torchaudio {elapsed:F2} s");
        }
        if (ourFrames != referenceFrames)
            Console.WriteLine($"  warning: frame counts differ (sentire {ourFrames}, reference {referenceFrames})");
        double oursMedian = Median(ours), referenceMedian = Median(reference);
        Console.WriteLine($"audio: {audioSeconds / 3600:F2} h, {ourFrames} frames");
        Console.WriteLine($"sentire  decode+resample+logmel: median {oursMedian:F2} s ({audioSeconds / oursMedian:F0}× real time)");
        Console.WriteLine($"ffmpeg+torchaudio reference:     median {referenceMedian:F2} s ({audioSeconds / referenceMedian:F0}× real time)");
        Console.WriteLine($"ratio reference / sentire: {referenceMedian / oursMedian:F2}× (>1: sentire faster)");
        return 0;
    }

    static (double Seconds, long Frames) RunReference(string python, string[] files, int workers)
    {
        var script = Path.Combine(Path.GetTempPath(), $"sentire-audio-bench-{Environment.ProcessId}.py");
        File.WriteAllText(script, ReferenceScript);
        try
        {
            var start = new ProcessStartInfo(python, [script, workers.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
            var stderr = process.StandardError.ReadToEndAsync();
            foreach (var file in files) process.StandardInput.WriteLine(file);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"reference pipeline ({python}) failed with exit code {process.ExitCode}: {stderr.Result}");
            var parts = output.Trim().Split(' ');
            return (double.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(script);
        }
    }

    static string? FindCorpora()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpora"));
        return null;
    }

    static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
