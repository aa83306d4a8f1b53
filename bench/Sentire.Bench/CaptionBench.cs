using System.Diagnostics;
using Sentire.Audio.Decoding;
using Sentire.Models.Generation;
using Sentire.Models.Secap;
using Sentire.Tensors;

namespace Sentire.Bench;

/// <summary>
/// Caption latency of a packaged SECap model on a 3 s clip: speech encoder (log-mel + frozen encoder), Q-Former +
/// projection, and greedy decoding of a fixed number of tokens (EOS ignored so every run decodes the same length)
/// with the KV cache against recomputing the whole sequence per token. Medians over iterations.
/// Args: [--model models/secap-small] [--tokens 32] [--iters 7] [--warmup 1] [--lang en]
/// </summary>
public sealed class CaptionBench : IBenchmark
{
    public string Name => "caption";
    public string Description => "SECap caption latency for a 3 s clip: encoder, Q-Former, decoding tokens/s with vs without KV cache";

    public int Run(string[] args)
    {
        string model = "models/secap-small", lang = "en";
        int tokens = 32, iters = 7, warmup = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--model": model = args[i + 1]; break;
                case "--tokens": tokens = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--iters": iters = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--lang": lang = args[i + 1]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        var captioner = EmotionCaptioner.Load(model);
        // A deterministic 3 s test signal: a 180 Hz glottal-like pulse train with vibrato, amplitude-modulated at 4 Hz.
        const int rate = 16000, seconds = 3;
        var samples = new float[rate * seconds];
        double phase = 0;
        for (int n = 0; n < samples.Length; n++)
        {
            double t = (double)n / rate, f0 = 180 + 20 * Math.Sin(2 * Math.PI * 5 * t);
            phase += f0 / rate;
            samples[n] = (float)(0.3 * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 4 * t)) * Math.Pow(Math.Sin(Math.PI * (phase % 1)), 8));
        }
        var clip = new AudioClip(samples, rate, 1, "synthetic-3s");
        Console.WriteLine($"model {model}: LM {captioner.LanguageModel.Config.NumHiddenLayers} layers x {captioner.LanguageModel.Config.HiddenSize}, Q-Former {captioner.Config.QFormer.NumHiddenLayers} layers x {captioner.Config.QFormer.HiddenSize}, {captioner.Config.QFormer.NumQueryTokens} queries; {tokens} new tokens; {Environment.ProcessorCount} cores");

        Audio.Dsp.FeatureMatrix frames = captioner.Frames(clip);
        double encoder = Median(iters, warmup, () => frames = captioner.Frames(clip));
        var (f, m) = SecapSpeechFrames.Batch([frames]);
        double qformer = Median(iters, warmup, () => { using var _ = Autograd.NoGrad(); captioner.Model.LEmbedding(f, m); });
        var baseOptions = new GenerationOptions { MaxNewTokens = tokens, StopOnEos = false, RepetitionPenalty = 1f };
        double cached = Median(iters, warmup, () => captioner.CaptionFrames(frames, lang, new CaptionOptions { Decoding = baseOptions with { UseCache = true } }));
        double recomputed = Median(iters, warmup, () => captioner.CaptionFrames(frames, lang, new CaptionOptions { Decoding = baseOptions with { UseCache = false } }));
        Console.WriteLine($"speech encoder (log-mel + encoder, 3 s)   median {encoder,8:F1} ms");
        Console.WriteLine($"Q-Former + projection                     median {qformer,8:F1} ms");
        Console.WriteLine($"caption, KV cache ({tokens} tokens)            median {cached,8:F1} ms   {tokens / (cached - qformer) * 1000,7:F1} tokens/s");
        Console.WriteLine($"caption, no cache ({tokens} tokens)            median {recomputed,8:F1} ms   {tokens / (recomputed - qformer) * 1000,7:F1} tokens/s");
        Console.WriteLine($"KV cache speed-up (same run)              {recomputed / cached:F2}x");
        return 0;
    }

    static double Median(int iters, int warmup, Action action)
    {
        for (int i = 0; i < warmup; i++) action();
        var times = new double[iters];
        for (int i = 0; i < iters; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[iters / 2];
    }
}
