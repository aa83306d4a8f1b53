using System.Diagnostics;
using System.Text.Json;
using Sentire.Models.Decoders;
using Sentire.Models.Generation;
using Sentire.Tensors;
using Sentire.Tensors.Kernels;
using Sentire.Tensors.Serialization;

namespace Sentire.Bench;

/// <summary>
/// Greedy generation with a LLaMA-family decoder of the Qwen2-0.5B shape (24 layers, hidden 896, 14 heads and 2
/// key/value heads of 64, intermediate 4864, vocabulary 151936, tied embeddings, q/k/v biases: 494M parameters),
/// random weights N(0, 0.02). The model is written once as a Hugging Face folder (config.json + BF16
/// model.safetensors), loaded back (float32, and bfloat16 kept in memory), and timed generating --new tokens after a
/// --prompt-token prompt, batch 1: with the KV cache, and without it (the whole sequence re-run each step, fewer
/// tokens: --nocache-new). Then tools/bench/llama_torch.py loads the same folder into a PyTorch decoder and times the
/// same generations with as many threads as the engine; the ratios are of medians taken in this run.
/// Args: [--layers 24] [--prompt 16] [--new 16] [--nocache-new 8] [--iters 3] [--warmup 1] [--folder DIR] [--reuse] [--no-python]
/// (--reuse: keep the checkpoint a previous run wrote to DIR with the same --layers)
/// </summary>
public sealed class DecoderBench : IBenchmark
{
    public string Name => "decoder";
    public string Description => "0.5B LLaMA/Qwen2-shaped decoder: generation tokens/s with and without KV cache vs PyTorch";

    sealed record Options(int Layers, int Prompt, int New, int NoCacheNew, int Iters, int Warmup, string Folder, bool Python, bool Reuse);

    public int Run(string[] args)
    {
        var o = Parse(args);
        var config = new LlamaConfig
        {
            ModelType = "qwen2", VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864, NumHiddenLayers = o.Layers,
            NumAttentionHeads = 14, NumKeyValueHeads = 2, HeadDim = 64, RmsNormEps = 1e-6f, RopeTheta = 1000000,
            MaxPositionEmbeddings = 32768, TieWordEmbeddings = true, AttentionBias = true,
        };
        Console.WriteLine($"decoder: qwen2 shape, {o.Layers} layers, hidden 896, 14/2 heads, ff 4864, vocab 151936; prompt {o.Prompt} tokens, batch 1");
        Console.WriteLine($"engine: gemm {Gemm.BackendName}, {Parallelism.MaxThreads} threads, {Environment.ProcessorCount} cores");
        if (o.Reuse && File.Exists(Path.Combine(o.Folder, "model.safetensors"))) Console.WriteLine($"reusing {o.Folder}");
        else WriteCheckpoint(config, o.Folder);

        var prompt = Enumerable.Range(0, o.Prompt).Select(i => (int)((i * 7919L + 13) % config.VocabSize)).ToArray();
        var results = new List<(string Name, double Seconds, double CpuSeconds)>();
        int[]? ourTokens = null;
        foreach (var precision in new[] { WeightPrecision.Float32, WeightPrecision.BFloat16 })
        {
            var lm = LlamaForCausalLM.Load(o.Folder, new LoadOptions { Precision = precision });
            lm.Eval();
            long parameters = lm.ParameterCount();
            GC.Collect();
            Console.WriteLine($"{precision}: loaded, {parameters / 1e6:F1}M float32 parameters, managed heap {GC.GetTotalMemory(false) / (1 << 20)} MiB");
            var cached = Time(o, () => Generate(lm, prompt, o.New, true), out var tokens, out var cachedCpu);
            if (precision == WeightPrecision.Float32) ourTokens = tokens;
            results.Add(($"ours {precision}, KV cache", cached, cachedCpu));
            Console.WriteLine($"ours {precision,-8} cache    {o.New} tokens: median {cached,7:F2} s  {o.New / cached,6:F2} tokens/s  (cpu {cachedCpu:F2} s)");
            if (precision == WeightPrecision.Float32)
            {
                var full = Time(o, () => Generate(lm, prompt, o.NoCacheNew, false), out var fullTokens, out var fullCpu);
                results.Add(("ours Float32, no cache", full, fullCpu));
                Console.WriteLine($"ours {precision,-8} no cache {o.NoCacheNew} tokens: median {full,7:F2} s  {o.NoCacheNew / full,6:F2} tokens/s  (cpu {fullCpu:F2} s); same tokens as cached: {fullTokens.SequenceEqual(tokens[..o.NoCacheNew])}");
            }
            else Console.WriteLine($"bf16 greedy tokens equal float32's: {tokens.SequenceEqual(ourTokens!)}");
        }
        GC.Collect();

        if (!o.Python) return 0;
        var torch = RunPyTorch(o, prompt);
        if (torch is null) return 0;
        var t = torch.Value;
        Console.WriteLine($"pytorch  cache    {o.New} tokens: median {t.Cache,7:F2} s  {o.New / t.Cache,6:F2} tokens/s  (cpu {t.CacheCpu:F2} s); same greedy tokens as ours: {t.Tokens.SequenceEqual(ourTokens!)}");
        Console.WriteLine($"pytorch  no cache {o.NoCacheNew} tokens: median {t.NoCache,7:F2} s  {o.NoCacheNew / t.NoCache,6:F2} tokens/s  (cpu {t.NoCacheCpu:F2} s)");
        Console.WriteLine($"tokens/s ratio ours/pytorch: float32 cache {t.Cache / results[0].Seconds:F2}, float32 no cache {t.NoCache / results[1].Seconds:F2}, bf16 cache vs pytorch float32 cache {t.Cache / results[2].Seconds:F2}");
        Console.WriteLine($"cpu-time ratio pytorch/ours (> 1: ours cheaper): float32 cache {t.CacheCpu / results[0].CpuSeconds:F2}, float32 no cache {t.NoCacheCpu / results[1].CpuSeconds:F2}, bf16 cache {t.CacheCpu / results[2].CpuSeconds:F2}");
        Console.WriteLine($"cache speed-up: ours {o.New / results[0].Seconds / (o.NoCacheNew / results[1].Seconds):F2}x, pytorch {o.New / t.Cache / (o.NoCacheNew / t.NoCache):F2}x");
        return 0;
    }

    static int[] Generate(LlamaForCausalLM lm, int[] prompt, int n, bool cache) =>
        TextGenerator.Generate(lm, lm.EmbedTokens([prompt]), null, new GenerationOptions { MaxNewTokens = n, StopOnEos = false, UseCache = cache })[0];

    /// <summary>Random N(0, 0.02) weights written as BF16, with the config.json transformers would write.</summary>
    static void WriteCheckpoint(LlamaConfig c, string folder)
    {
        Directory.CreateDirectory(folder);
        var json = new Dictionary<string, object>
        {
            ["model_type"] = c.ModelType, ["architectures"] = new[] { "Qwen2ForCausalLM" }, ["vocab_size"] = c.VocabSize,
            ["hidden_size"] = c.HiddenSize, ["intermediate_size"] = c.IntermediateSize, ["num_hidden_layers"] = c.NumHiddenLayers,
            ["num_attention_heads"] = c.NumAttentionHeads, ["num_key_value_heads"] = c.NumKeyValueHeads, ["rms_norm_eps"] = c.RmsNormEps,
            ["rope_theta"] = c.RopeTheta, ["max_position_embeddings"] = c.MaxPositionEmbeddings, ["tie_word_embeddings"] = c.TieWordEmbeddings,
            ["torch_dtype"] = "bfloat16",
        };
        File.WriteAllText(Path.Combine(folder, "config.json"), JsonSerializer.Serialize(json));
        var sw = Stopwatch.StartNew();
        var lm = new LlamaForCausalLM(c, new Generator(0));
        foreach (var (name, p) in lm.NamedParameters())
            if (name.EndsWith(".bias", StringComparison.Ordinal)) new Generator((ulong)name.Length).FillNormal(p.Data, 0, 0.02f);
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), lm.StateDict(), new Dictionary<string, string> { ["format"] = "pt" }, SafeTensorsDType.BF16);
        Console.WriteLine($"wrote {folder} ({new FileInfo(Path.Combine(folder, "model.safetensors")).Length / (1 << 20)} MiB, {sw.Elapsed.TotalSeconds:F0} s)");
    }

    /// <summary>Median wall seconds of <paramref name="body"/> after warm-up; <paramref name="cpu"/> the median process CPU
    /// seconds (all threads), less disturbed than wall time on a shared machine.</summary>
    static double Time(Options o, Func<int[]> body, out int[] tokens, out double cpu)
    {
        int[] last = [];
        for (int i = 0; i < o.Warmup; i++) last = body();
        var (ms, cpuMs) = BenchKit.Time(o.Iters, () => last = body());
        tokens = last;
        cpu = BenchKit.Median(cpuMs) / 1000;
        return BenchKit.Median(ms) / 1000;
    }

    static Options Parse(string[] args)
    {
        var o = new Options(24, 16, 16, 8, 3, 1, Path.Combine(Path.GetTempPath(), "sentire-decoder-bench"), true, false);
        for (int i = 0; i < args.Length; i++)
        {
            o = args[i] switch
            {
                "--layers" => o with { Layers = BenchKit.IntAfter(args, ref i) },
                "--prompt" => o with { Prompt = BenchKit.IntAfter(args, ref i) },
                "--new" => o with { New = BenchKit.IntAfter(args, ref i) },
                "--nocache-new" => o with { NoCacheNew = BenchKit.IntAfter(args, ref i) },
                "--iters" => o with { Iters = BenchKit.IntAfter(args, ref i) },
                "--warmup" => o with { Warmup = BenchKit.IntAfter(args, ref i) },
                "--folder" when i + 1 < args.Length => o with { Folder = args[++i] },
                "--no-python" => o with { Python = false },
                "--reuse" => o with { Reuse = true },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        if (o.NoCacheNew > o.New) throw new ArgumentException($"--nocache-new ({o.NoCacheNew}) must not exceed --new ({o.New})");
        return o;
    }

    static (double Cache, double NoCache, double CacheCpu, double NoCacheCpu, int[] Tokens)? RunPyTorch(Options o, int[] prompt)
    {
        const string python = "/usr/bin/python3";
        string? script = BenchKit.FindScript("llama_torch.py");
        if (!File.Exists(python) || script is null)
        {
            Console.WriteLine("pytorch: skipped (/usr/bin/python3 or tools/bench/llama_torch.py not found)");
            return null;
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { script, o.Folder, "--prompt", string.Join(",", prompt), "--new", $"{o.New}", "--nocache-new", $"{o.NoCacheNew}",
                     "--iters", $"{o.Iters}", "--warmup", $"{o.Warmup}", "--threads", $"{Parallelism.MaxThreads}" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.WriteLine($"pytorch: {script} exited with {p.ExitCode}: {stderr.Trim()}");
            return null;
        }
        using var json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        return (BenchKit.Median(r.GetProperty("cache_s").EnumerateArray().Select(e => e.GetDouble())),
            BenchKit.Median(r.GetProperty("nocache_s").EnumerateArray().Select(e => e.GetDouble())),
            BenchKit.Median(r.GetProperty("cache_cpu_s").EnumerateArray().Select(e => e.GetDouble())),
            BenchKit.Median(r.GetProperty("nocache_cpu_s").EnumerateArray().Select(e => e.GetDouble())),
            r.GetProperty("cache_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }
}
