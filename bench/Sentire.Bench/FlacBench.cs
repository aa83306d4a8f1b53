using System.Diagnostics;
using Sentire.Audio.Decoding;

namespace Sentire.Bench;

/// <summary>
/// FLAC decode speed on every corpus file (../shared/corpora, or SENTIRE_SHARED), files read into memory first:
/// Sentire single-threaded with and without the MD5 check, and ffmpeg decoding the same files to s16le
/// (100 files per process, output to /dev/null). <c>--verify</c> also compares every file with ffmpeg's samples.
/// Single-threaded times are CPU seconds (steadier than wall time on a shared machine); ffmpeg's are the CPU
/// seconds of its processes. Usage: flac-decode [--verify] [--no-ffmpeg] [--repeat N] [--file LONG.flac (one file, decoder against decoder)].
/// </summary>
public sealed class FlacBench : IBenchmark
{
    public string Name => "flac-decode";
    public string Description => "FLAC decode of all corpus files vs ffmpeg (--verify: bit-exactness on every file)";

    public int Run(string[] args)
    {
        bool verify = args.Contains("--verify");
        bool quick = args.Contains("--no-ffmpeg");
        int repeat = args.SkipWhile(a => a != "--repeat").Skip(1).Select(int.Parse).FirstOrDefault(3);
        var single = args.SkipWhile(a => a != "--file").Skip(1).FirstOrDefault();
        if (single is not null) return CompareOnOneFile(single, repeat);
        var corpora = FindCorpora();
        if (corpora is null) { Console.Error.WriteLine("no ../shared/corpora (set SENTIRE_SHARED)"); return 2; }
        var files = Directory.GetFiles(corpora, "*.flac", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var bytes = files.Select(File.ReadAllBytes).ToArray();
        long compressed = bytes.Sum(b => (long)b.Length);

        // Warm-up (JIT tiers), then timed passes.
        long frames = 0; double audioSeconds = 0;
        foreach (var b in bytes.Take(50)) FlacDecoder.DecodeInt(b, "warm-up");
        for (int i = 0; i < bytes.Length; i++)
        {
            var pcm = FlacDecoder.DecodeInt(bytes[i], files[i]);
            frames += pcm.Frames;
            audioSeconds += (double)pcm.Frames / pcm.Info.SampleRate;
        }
        double Median(Func<double> run) => Enumerable.Range(0, repeat).Select(_ => run()).Order().ElementAt(repeat / 2);
        // On a shared machine the process's CPU time is steadier than wall time; single-threaded runs report CPU time.
        double Time(Action action) { var cpu = Process.GetCurrentProcess().TotalProcessorTime; action(); return (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds; }
        double Wall(Action action) { var watch = Stopwatch.StartNew(); action(); return watch.Elapsed.TotalSeconds; }

        var withMd5 = Median(() => Time(() => { for (int i = 0; i < bytes.Length; i++) FlacDecoder.DecodeInt(bytes[i], files[i]); }));
        var withoutMd5 = Median(() => Time(() => { for (int i = 0; i < bytes.Length; i++) FlacDecoder.DecodeInt(bytes[i], files[i], verifyMd5: false); }));
        var toFloat = Median(() => Time(() => { for (int i = 0; i < bytes.Length; i++) FlacDecoder.Decode(bytes[i], files[i]); }));
        var parallel = Median(() => Wall(() => Parallel.For(0, bytes.Length, i => FlacDecoder.Decode(bytes[i], files[i]))));

        Console.WriteLine($"{files.Length} files, {compressed / 1e6:0.0} MB FLAC, {frames} samples, {audioSeconds / 3600:0.00} h of audio; median of {repeat}");
        void Report(string what, double seconds) =>
            Console.WriteLine($"  {what,-38} {seconds,7:0.000} s  {audioSeconds / seconds,8:0}x real time  {frames / seconds / 1e6,6:0.0} M samples/s");
        Report("sentire int, MD5 checked (1 thread)", withMd5);
        Report("sentire int, no MD5 (1 thread)", withoutMd5);
        Report("sentire float clip, MD5 (1 thread)", toFloat);
        Report($"sentire float clip, MD5 ({Environment.ProcessorCount} threads, wall)", parallel);
        if (quick) return 0;

        var ffmpeg = FfmpegDecoder.Default;
        if (!ffmpeg.IsAvailable) { Console.WriteLine("  ffmpeg not installed: no comparison"); return 0; }
        var ffmpegSeconds = Median(() => ChildCpuSeconds(() => RunFfmpegToNull(ffmpeg.Executable!, files)));
        Report("ffmpeg -f s16le (1 process at a time)", ffmpegSeconds);
        Console.WriteLine($"  ratio ffmpeg / sentire (int, MD5, 1 thread): {ffmpegSeconds / withMd5:0.00}");

        if (!verify) return 0;
        var expected = ffmpeg.DecodeIntegers(files, 16);
        int mismatches = 0;
        for (int i = 0; i < files.Length; i++)
            if (!FlacDecoder.DecodeInt(bytes[i], files[i]).Samples.AsSpan().SequenceEqual(expected[i]))
            {
                mismatches++;
                Console.WriteLine($"  MISMATCH {files[i]}");
            }
        Console.WriteLine($"verify: {files.Length - mismatches} of {files.Length} files bit-identical to ffmpeg -f s16le");
        return mismatches == 0 ? 0 : 1;
    }

    /// <summary>Decoder against decoder on one long file, where ffmpeg's start-up and per-file probing no longer count.</summary>
    static int CompareOnOneFile(string path, int repeat)
    {
        var bytes = File.ReadAllBytes(path);
        FlacDecoder.DecodeInt(bytes, path);
        var seconds = new List<double>();
        var ffmpegSeconds = new List<double>();
        long frames = 0; int rate = 0;
        for (int r = 0; r < repeat; r++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var pcm = FlacDecoder.DecodeInt(bytes, path);
            seconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            (frames, rate) = (pcm.Frames, pcm.Info.SampleRate);
            if (FfmpegDecoder.Default.IsAvailable)
                ffmpegSeconds.Add(ChildCpuSeconds(() => RunFfmpegToNull(FfmpegDecoder.Default.Executable!, [path])));
        }
        double audio = (double)frames / rate;
        double ours = seconds.Order().ElementAt(repeat / 2);
        Console.WriteLine($"{path}: {bytes.Length / 1e6:0.0} MB, {audio / 3600:0.00} h; CPU seconds, median of {repeat}");
        Console.WriteLine($"  sentire int, MD5 checked   {ours,7:0.000} s  {audio / ours,8:0}x real time");
        if (ffmpegSeconds.Count == 0) return 0;
        double theirs = ffmpegSeconds.Order().ElementAt(repeat / 2);
        Console.WriteLine($"  ffmpeg -f s16le /dev/null  {theirs,7:0.000} s  {audio / theirs,8:0}x real time");
        Console.WriteLine($"  ratio ffmpeg / sentire: {theirs / ours:0.00}");
        return 0;
    }

    static void RunFfmpegToNull(string ffmpeg, string[] files)
    {
        foreach (var batch in files.Chunk(100))
        {
            var arguments = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error", "-y" };
            foreach (var file in batch) arguments.AddRange(["-i", file]);
            for (int i = 0; i < batch.Length; i++) arguments.AddRange(["-map", $"{i}:a:0", "-f", "s16le", "/dev/null"]);
            var result = ExternalProcess.Run(ffmpeg, arguments);
            if (result.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {result.LastErrorLine}");
        }
    }

    /// <summary>CPU seconds (user + system) used by child processes that finished during <paramref name="action"/>
    /// (getrusage(RUSAGE_CHILDREN) on Linux; wall time elsewhere).</summary>
    static double ChildCpuSeconds(Action action)
    {
        if (!OperatingSystem.IsLinux()) { var watch = Stopwatch.StartNew(); action(); return watch.Elapsed.TotalSeconds; }
        double before = ChildrenCpu();
        action();
        return ChildrenCpu() - before;
    }

    static double ChildrenCpu()
    {
        const int RusageChildren = -1;
        if (getrusage(RusageChildren, out var usage) != 0) throw new InvalidOperationException("getrusage failed");
        return usage.UserSeconds + usage.UserMicroseconds / 1e6 + usage.SystemSeconds + usage.SystemMicroseconds / 1e6;
    }

    /// <summary>The leading fields of struct rusage on 64-bit Linux: two struct timevals, then 14 longs.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NvCsw, NivCsw;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int getrusage(int who, out Rusage usage);

    static string? FindCorpora()
    {
        var shared = Environment.GetEnvironmentVariable("SENTIRE_SHARED");
        if (shared is null)
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && shared is null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Sentire.slnx"))) shared = Path.Combine(dir.FullName, "..", "shared");
        var corpora = shared is null ? null : Path.Combine(shared, "corpora");
        return corpora is not null && Directory.Exists(corpora) ? Path.GetFullPath(corpora) : null;
    }
}
