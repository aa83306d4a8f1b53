using System.Globalization;
using Sentire.Audio.Conditioning;
using Sentire.Audio.Decoding;
using Sentire.Models.Clap;
using Sentire.Tensors;

namespace Sentire.Bench;

/// <summary>
/// The model work of one live-stream window (<c>WS /v1/stream</c>, default 2 s window and 0.5 s hop) on the default
/// model, three ways in the same run, alternating window by window over the sample clips:
/// 1. <c>Analyze</c> of the window's samples on the ordinary heap (the service before it ran in arenas);
/// 2. the same inside a <see cref="TensorArena"/> scope (what a serving worker does);
/// 3. the stream's incremental front end (<c>StreamFrontEnd</c>: frames shared by overlapping windows computed once)
///    and <c>AnalyzeFrames</c>, inside the arena: what <c>/v1/stream</c> runs now.
/// <code>dotnet bench/Sentire.Bench/bin/Release/net10.0/Sentire.Bench.dll stream-window [--windows 200] [--model DIR]</code>
/// </summary>
public sealed class StreamWindowBench : IBenchmark
{
    public string Name => "stream-window";
    public string Description => "model time of one live-stream window: heap vs TensorArena vs incremental front end + arena";

    public int Run(string[] args)
    {
        int windows = 200;
        string? model = null;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--windows": windows = BenchKit.IntAfter(args, ref i); break;
                case "--model": model = BenchKit.ValueAfter(args, ref i); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        var root = ServeBench.FindRoot();
        var recognizer = EmotionRecognizer.Load(model ?? Path.Combine(root, "models", "emotion-clap-small"));
        var conditioner = new Conditioner(new ConditioningOptions { SampleRate = 16000 });
        var speech = Directory.GetFiles(Path.Combine(root, "samples"), "*.flac").Order(StringComparer.Ordinal)
            .SelectMany(f => conditioner.Apply(AudioFile.Read(f))).ToArray();
        const int window = 32000, hop = 8000;
        int count = (speech.Length - window) / hop + 1;
        var arena = new TensorArena();
        var stream = recognizer.StreamFrontEnd(window, hop) ?? throw new InvalidOperationException("the model has no incremental front end");
        var heap = new List<double>();
        var inArena = new List<double>();
        var incremental = new List<double>();
        for (int n = -20; n < windows; n++)   // the first 20 warm up
        {
            int k = (n + 20) % count;
            if (k == 0) stream = recognizer.StreamFrontEnd(window, hop)!;   // a new stream when the speech wraps round
            var slice = speech.AsSpan(k * hop, window).ToArray();
            var a = BenchKit.Time(1, () => recognizer.Analyze(AudioClip.FromMono(slice, 16000))).WallMs[0];
            var b = BenchKit.Time(1, () => { using var s = arena.Enter(); recognizer.Analyze(AudioClip.FromMono(slice, 16000)); }).WallMs[0];
            var c = BenchKit.Time(1, () => { using var s = arena.Enter(); recognizer.AnalyzeFrames(stream.Window(slice, (long)k * hop), 0, 2); }).WallMs[0];
            if (n < 0) continue;
            heap.Add(a);
            inArena.Add(b);
            incremental.Add(c);
        }
        double m0 = BenchKit.Median(heap), m1 = BenchKit.Median(inArena), m2 = BenchKit.Median(incremental);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stream-window: {windows} windows of 2 s (hop 0.5 s) over the sample clips, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine("| path | median ms | p95 ms | vs heap |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, times, median) in new[] { ("Analyze, ordinary heap", heap, m0), ("Analyze, TensorArena", inArena, m1), ("incremental front end + AnalyzeFrames, TensorArena", incremental, m2) })
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {median:F1} | {P95(times):F1} | {m0 / median:F2}x |"));
        return 0;
    }

    static double P95(List<double> values)
    {
        var s = values.Order().ToArray();
        return s[Math.Min(s.Length - 1, (int)Math.Ceiling(0.95 * s.Length) - 1)];
    }
}
