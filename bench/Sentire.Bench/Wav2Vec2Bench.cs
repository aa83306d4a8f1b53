using System.Diagnostics;
using System.Text.Json;
using Sentire.Models.HuggingFace.Speech;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;
using Sentire.Tensors.Serialization;

namespace Sentire.Bench;

/// <summary>
/// A wav2vec2-base-sized Hugging Face encoder (group-norm feature encoder, 768 wide, 12 post-norm layers, 12 heads,
/// FF 3072, positional conv 128/16; 94.4 M parameters) on 10 s of audio, ours against torchaudio 0.13's
/// wav2vec2_model in the same run. tools/bench/wav2vec2_torch.py builds the model with seeded random weights, writes
/// it as a Hugging Face checkpoint folder (which we load with <see cref="PretrainedSpeechEncoder.Load"/>, so both
/// sides hold the same weights) with the input and its hidden states, and times its forward; then this bench checks
/// our hidden states against torchaudio's and times ours: median wall and CPU time of the forward that returns every
/// hidden state (grad mode off), on the ordinary heap and inside one <see cref="TensorArena"/> scope, and of the
/// convolutional feature encoder alone. Memory: each process's resident set once the model is loaded, and its peak
/// while the timed forwards run (sampled every 5 ms from /proc/self/statm on both sides).
/// <c>--size large</c>: wav2vec2-large's layout (layer-norm feature encoder with bias, 1024 wide, 24 pre-norm layers,
/// 16 heads, FF 4096; 315 M parameters). <c>--dtype f16</c> (or bf16): the checkpoint is written in that type (every weight
/// rounded to it first, so torchaudio's float32 forward is the reference) and loaded with <see cref="Models.HuggingFace.HalfWeights.Keep"/>:
/// the linear weights stay 16-bit in memory.
/// Args: [--size base|large] [--dtype f32|f16|bf16] [--seconds 10] [--iters 5] [--warmup 1] [--dir DIR] (default: a temporary folder, deleted afterwards)
/// </summary>
public sealed class Wav2Vec2Bench : IBenchmark
{
    public string Name => "wav2vec2";
    public string Description => "wav2vec2-base (or --size large) HF encoder on 10 s of audio vs torchaudio";

    sealed record Options(double Seconds, int Iters, int Warmup, string? Dir, string Size = "base", string DType = "f32");

    public int Run(string[] args)
    {
        var o = Parse(args);
        var dir = o.Dir ?? Directory.CreateTempSubdirectory("sentire-wav2vec2-bench").FullName;
        try
        {
            Console.WriteLine($"wav2vec2-{o.Size}-sized encoder, {o.DType} checkpoint, {o.Seconds} s of 16 kHz audio; engine: gemm {Gemm.BackendName}, {Parallelism.MaxThreads} threads, {Environment.ProcessorCount} cores");
            var torch = RunPyTorch(o, dir);
            if (torch is null) return 1;

            var model = PretrainedSpeechEncoder.Load(dir, Models.HuggingFace.HalfWeights.Keep);
            GC.Collect();
            double loadedMb = BenchKit.RssMb();
            Console.WriteLine($"weights: stored {o.DType}, in memory {TensorStores.FormatShares(model.ParameterElementsByType())}, {model.ParameterBytes() / 1048576.0:F0} MiB of parameters");
            var io = SafeTensors.Read(Path.Combine(dir, "input.safetensors"));
            var input = io["input"];
            Console.WriteLine($"model: {model.ParameterCount() / 1e6:F1} M parameters, {model.Config.OutputFrames(input.Dim(1))} frames");

            IReadOnlyList<Tensor> hidden;
            using (Autograd.NoGrad()) hidden = model.Encode(input, null).HiddenStates;
            double worst = 0, scale = 0;
            for (int l = 0; l < hidden.Count; l++)
            {
                var e = io[$"hidden.{l}"].Data;
                var a = hidden[l].Data;
                for (int i = 0; i < e.Length; i++)
                {
                    worst = Math.Max(worst, Math.Abs(a[i] - e[i]));
                    scale = Math.Max(scale, Math.Abs(e[i]));
                }
            }
            Console.WriteLine($"check: max |ours - torchaudio| over all {hidden.Count} hidden states {worst:G3} (max |value| {scale:G3})");

            var sampler = new BenchKit.RssSampler();
            var plain = Measure(o, () =>
            {
                using var _ = Autograd.NoGrad();
                model.Encode(input, null);
            });
            double peakMb = sampler.MaxMb;
            var arena = new TensorArena();
            var pooled = Measure(o, () =>
            {
                using var scope = arena.Enter();
                foreach (var h in model.Encode(input, null).HiddenStates) scope.Keep(h);
            });
            var features = Measure(o, () =>
            {
                using var _ = Autograd.NoGrad();
                model.FeatureExtractor.Forward(input);
            });
            var t = torch;
            Console.WriteLine($"ours            median {plain.Median,8:F0} ms (cpu {plain.Cpu:F0}; runs {string.Join(", ", plain.Runs.Select(r => r.ToString("F0")))})");
            Console.WriteLine($"ours, arena     median {pooled.Median,8:F0} ms (cpu {pooled.Cpu:F0})");
            Console.WriteLine($"  of which the convolutional feature encoder: median {features.Median:F0} ms (cpu {features.Cpu:F0})");
            Console.WriteLine($"torchaudio      median {t.Median,8:F0} ms (cpu {t.Cpu:F0}; runs {string.Join(", ", t.Runs.Select(r => r.ToString("F0")))})");
            Console.WriteLine($"ratio ours/torchaudio, wall: {plain.Median / t.Median:F2} (arena {pooled.Median / t.Median:F2}); cpu: {plain.Cpu / t.Cpu:F2}; real-time factor ours {o.Seconds * 1000 / plain.Median:F1}x");
            Console.WriteLine($"RSS: ours loaded {loadedMb:F0} MB, peak while timed {peakMb:F0} MB; torchaudio loaded {t.LoadedMb:F0} MB, peak while timed {t.PeakMb:F0} MB");
            return 0;
        }
        finally
        {
            if (o.Dir is null) Directory.Delete(dir, recursive: true);
        }
    }

    static Options Parse(string[] args)
    {
        var o = new Options(10, 5, 1, null);
        for (int i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--seconds" => o with { Seconds = double.Parse(BenchKit.ValueAfter(args, ref i), System.Globalization.CultureInfo.InvariantCulture) },
                "--iters" => o with { Iters = int.Parse(BenchKit.ValueAfter(args, ref i), System.Globalization.CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(BenchKit.ValueAfter(args, ref i), System.Globalization.CultureInfo.InvariantCulture) },
                "--dir" => o with { Dir = BenchKit.ValueAfter(args, ref i) },
                "--dtype" => o with { DType = BenchKit.ValueAfter(args, ref i) is "f32" or "f16" or "bf16" ? args[i] : throw new ArgumentException("--dtype is f32, f16 or bf16") },
                "--size" => o with { Size = BenchKit.ValueAfter(args, ref i) is "base" or "large" ? args[i] : throw new ArgumentException("--size is base or large") },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        return o;
    }

    sealed record Timing(double Median, double Cpu, double[] Runs, double PeakMb = 0, double LoadedMb = 0);

    static Timing Measure(Options o, Action body)
    {
        for (int i = 0; i < o.Warmup; i++) body();
        var (ms, cpu) = BenchKit.Time(o.Iters, body);
        return new Timing(BenchKit.Median(ms), BenchKit.Median(cpu), ms);
    }

    static Timing? RunPyTorch(Options o, string dir)
    {
        const string python = "/usr/bin/python3";
        string? script = BenchKit.FindScript("wav2vec2_torch.py");
        if (!File.Exists(python) || script is null)
        {
            Console.Error.WriteLine("wav2vec2: needs /usr/bin/python3 with torchaudio and tools/bench/wav2vec2_torch.py (it writes the shared weights)");
            return null;
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, dir, "--size", o.Size, "--dtype", o.DType, "--seconds", $"{o.Seconds}", "--iters", $"{o.Iters}", "--warmup", $"{o.Warmup}", "--threads", $"{Parallelism.MaxThreads}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"wav2vec2: {script} exited with {p.ExitCode}: {stderr.Result.Trim()}");
            return null;
        }
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return new Timing(r.GetProperty("median_ms").GetDouble(), r.GetProperty("cpu_ms").GetDouble(),
            r.GetProperty("runs_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            r.GetProperty("rss_peak_mb").GetDouble(), r.GetProperty("rss_loaded_mb").GetDouble());
    }
}
