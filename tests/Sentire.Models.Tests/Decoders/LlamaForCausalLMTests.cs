using Sentire.Models.Decoders;
using Sentire.Models.Generation;
using Sentire.Models.HuggingFace;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Decoders;

public sealed class LlamaForCausalLMTests
{
    public static TheoryData<string> Models => new(LlamaFixture.Names);

    [Theory]
    [MemberData(nameof(Models))]
    public void LogitsOfALeftPaddedBatchMatchTheReference(string name)
    {
        var fx = LlamaFixture.Open(name);
        var lm = fx.Load();
        using var _ = Autograd.NoGrad();
        fx.AssertLogits(lm.Forward(lm.EmbedTokens(fx.Ids), fx.Mask), 1e-4f);
    }

    [Fact]
    public void ConfigIsReadWithFamilyDefaults()
    {
        var qwen = LlamaConfig.Load(RepoPaths.Fixture("llama/qwen2_bf16"));
        Assert.Equal("qwen2", qwen.ModelType);
        Assert.True(qwen.AttentionBias);
        Assert.False(qwen.OutputBias);
        Assert.Equal([2, 3], qwen.EosTokenIds);
        Assert.Null(qwen.SlidingWindow);
        var llama3 = LlamaConfig.Load(RepoPaths.Fixture("llama/llama3_rope"));
        Assert.Equal(24, llama3.HeadDim);
        Assert.Equal(new RopeScaling(RopeScalingType.Llama3, 8, 1, 4, 16), llama3.RopeScaling);
        Assert.True(llama3.OutputBias);
        var tied = LlamaForCausalLM.Load(RepoPaths.Fixture("llama/llama_tied"));
        Assert.DoesNotContain(tied.NamedParameters(), p => p.Key.StartsWith("lm_head", StringComparison.Ordinal));
        Assert.Contains(tied.NamedParameters(), p => p.Key == "model.layers.1.self_attn.q_proj.weight");
    }

    [Fact]
    public void RopeScalingFrequenciesMatchTransformers()
    {
        var expected = SafeTensors.Read(RepoPaths.Fixture("llama/rope.safetensors"));
        var baseConfig = new LlamaConfig { HiddenSize = 64, NumAttentionHeads = 4, NumKeyValueHeads = 4, HeadDim = 16, MaxPositionEmbeddings = 64 };
        void Check(string key, LlamaConfig config, int seqLen)
        {
            var actual = LlamaRotary.InverseFrequencies(config, seqLen);
            var e = expected[key].Data;
            for (int i = 0; i < e.Length; i++)
                Assert.True(MathF.Abs(e[i] - actual[i]) <= 1e-6f * MathF.Abs(e[i]), $"{key}[{i}]: {actual[i]} vs {e[i]}");
        }
        Check("linear", baseConfig with { RopeScaling = new RopeScaling(RopeScalingType.Linear, 2) }, 10);
        var dynamic = baseConfig with { RopeScaling = new RopeScaling(RopeScalingType.Dynamic, 2) };
        Check("dynamic.short", dynamic, 40);
        Check("dynamic.long", dynamic, 100);
        Check("llama3", baseConfig with { RopeTheta = 500000, RopeScaling = new RopeScaling(RopeScalingType.Llama3, 8, 1, 4, 16) }, 10);
    }

    [Fact]
    public void UnsupportedModelTypesAndMismatchedCheckpointsAreRejectedClearly()
    {
        var dir = Directory.CreateTempSubdirectory("llama-test").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type": "gpt2"}""");
            var e = Assert.Throws<NotSupportedException>(() => LlamaConfig.Load(dir));
            Assert.Contains("gpt2", e.Message);
            Assert.Contains("config.json", e.Message);

            // llama_tied's weights under a config that expects an untied head
            foreach (var f in Directory.GetFiles(RepoPaths.Fixture("llama/llama_tied"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), true);
            var json = File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
            File.WriteAllText(Path.Combine(dir, "config.json"), json);
            var missing = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.Load(dir));
            Assert.Contains("lm_head.weight", missing.Message);
            Assert.Contains(dir, missing.Message);

            File.WriteAllText(Path.Combine(dir, "config.json"), json.Replace("\"intermediate_size\": 128", "\"intermediate_size\": 96").Replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true"));
            var shape = Assert.Throws<InvalidDataException>(() => LlamaForCausalLM.Load(dir));
            Assert.Contains("[128, 64], expected [96, 64]", shape.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void CachedStepsGiveTheLogitsOfTheFullSequence(string name)
    {
        var fx = LlamaFixture.Open(name);
        var lm = fx.Load();
        using var _ = Autograd.NoGrad();
        var embeds = lm.EmbedTokens(fx.Ids);
        var full = lm.Forward(embeds, fx.Mask);
        // prefix of 4 positions, then 1, then 2 through the cache
        var cache = lm.NewCache(3, 7);
        var parts = new[] { (0, 4), (4, 1), (5, 2) }.Select(p => lm.Forward(embeds.Narrow(1, p.Item1, p.Item2), fx.Mask.Narrow(1, p.Item1, p.Item2), cache)).ToList();
        Assert.Equal(7, cache.Length);
        var stepped = Tensor.Concat(parts, 1);
        for (int b = 0; b < 3; b++)
            for (int t = fx.Pads(b); t < 7; t++)
                for (int v = 0; v < lm.Config.VocabSize; v++)
                    Assert.True(MathF.Abs(full[b, t, v] - stepped[b, t, v]) <= 1e-4f * (1 + MathF.Abs(full[b, t, v])), $"[{b}, {t}, {v}]: {stepped[b, t, v]} vs {full[b, t, v]}");
        Assert.Throws<InvalidOperationException>(() => lm.Forward(embeds.Narrow(1, 0, 1), null, cache));   // full
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void LeftPaddingGivesTheLogitsOfTheUnpaddedRow(string name)
    {
        var fx = LlamaFixture.Open(name);
        var lm = fx.Load();
        using var _ = Autograd.NoGrad();
        var padded = lm.Forward(lm.EmbedTokens(fx.Ids), fx.Mask);
        for (int b = 1; b < 3; b++)
        {
            int pads = fx.Pads(b);
            var alone = lm.Forward(lm.EmbedTokens([fx.Ids[b][pads..]]));
            for (int t = pads; t < 7; t++)
                for (int v = 0; v < lm.Config.VocabSize; v++)
                    Assert.True(MathF.Abs(alone[0, t - pads, v] - padded[b, t, v]) <= 1e-4f * (1 + MathF.Abs(alone[0, t - pads, v])));
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void GreedyTokensMatchTheReferenceWithAndWithoutCache(string name)
    {
        var fx = LlamaFixture.Open(name);
        var lm = fx.Load();
        var embeds = lm.EmbedTokens(fx.Ids);
        var options = new GenerationOptions { MaxNewTokens = fx.Greedy[0].Length, StopOnEos = false };
        var cached = TextGenerator.Generate(lm, embeds, fx.Mask, options);
        var recomputed = TextGenerator.Generate(lm, embeds, fx.Mask, options with { UseCache = false });
        Assert.Equal(fx.Greedy, cached);
        Assert.Equal(fx.Greedy, recomputed);
    }

    [Fact]
    public void GenerationStopsAtEosAndLeavesItOut()
    {
        var fx = LlamaFixture.Open("llama3_rope");
        var lm = fx.Load();
        // greedy row 1 is 12, 47, 77, ...: declaring 77 an end token stops that row after two tokens
        var tokens = TextGenerator.Generate(lm, lm.EmbedTokens(fx.Ids), fx.Mask, new GenerationOptions { MaxNewTokens = 6, EosTokenIds = [77] });
        Assert.Equal(fx.Greedy[1][..2], tokens[1]);
        Assert.Equal(fx.Greedy[0], tokens[0]);
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, 1e-4f)]
    [InlineData(WeightPrecision.Float16, 2e-2f)]
    public void HalfPrecisionWeightsGiveTheFloat32Logits(WeightPrecision precision, float tol)
    {
        // qwen2_bf16 is stored in bfloat16, so keeping bf16 in memory loses nothing: only summation order differs.
        var fx = LlamaFixture.Open("qwen2_bf16");
        var lm = fx.Load(precision);
        Assert.DoesNotContain(lm.NamedParameters(), p => p.Key.EndsWith("proj.weight", StringComparison.Ordinal));
        using var _ = Autograd.NoGrad();
        fx.AssertLogits(lm.Forward(lm.EmbedTokens(fx.Ids), fx.Mask), tol);
        if (precision == WeightPrecision.BFloat16)
            Assert.Equal(fx.Greedy, TextGenerator.Generate(lm, lm.EmbedTokens(fx.Ids), fx.Mask, new GenerationOptions { MaxNewTokens = 6, StopOnEos = false }));
    }

    [Theory]
    [InlineData(WeightPrecision.Float32)]
    [InlineData(WeightPrecision.BFloat16)]
    public void GradientReachesInputEmbeddingsThroughAFrozenModel(WeightPrecision precision)
    {
        var fx = LlamaFixture.Open("llama3_rope");
        var lm = fx.Load(precision);
        lm.Freeze();
        Tensor embeds;
        using (Autograd.NoGrad()) embeds = lm.EmbedTokens(fx.Ids).Detach();
        embeds.RequiresGrad = true;
        var weights = Tensor.Normal(new Generator(3), 0, 1, 3, 7, lm.Config.VocabSize);
        float Loss(Tensor x) => (lm.Forward(x, fx.Mask) * weights).Sum().Item();
        (lm.Forward(embeds, fx.Mask) * weights).Sum().Backward();
        Assert.NotNull(embeds.Grad);
        Assert.All(lm.Parameters(), p => Assert.Null(p.Grad));
        // central differences on a few elements of the real positions (float64 would be exact; float32 needs a wide step)
        foreach (var (b, t, d) in new[] { (0, 0, 0), (0, 6, 5), (1, 3, 17), (2, 6, 63) })
        {
            const float h = 1e-2f;
            var plus = embeds.Detach().Clone(); plus[b, t, d] += h;
            var minus = embeds.Detach().Clone(); minus[b, t, d] -= h;
            float numeric;
            using (Autograd.NoGrad()) numeric = (Loss(plus) - Loss(minus)) / (2 * h);
            float analytic = embeds.Grad![b, t, d];
            Assert.True(MathF.Abs(numeric - analytic) <= 2e-2f * (1 + MathF.Abs(numeric)), $"d loss / d embeds[{b}, {t}, {d}]: {analytic} vs finite difference {numeric}");
        }
    }

    [Fact]
    public void SlidingWindowHidesKeysOlderThanTheWindow()
    {
        // A Mistral-style config with a window of 3 over 5 tokens: position 4 must not see positions 0 and 1, so changing
        // token 0 leaves the last logits unchanged, while without the window it changes them.
        var config = new LlamaConfig { ModelType = "mistral", VocabSize = 16, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1,
            NumAttentionHeads = 2, NumKeyValueHeads = 1, HeadDim = 8, SlidingWindow = 3 };
        var lm = new LlamaForCausalLM(config, new Generator(4));
        using var _ = Autograd.NoGrad();
        Tensor Last(LlamaForCausalLM m, int first) => m.Forward(m.EmbedTokens([[first, 3, 4, 5, 6]])).Narrow(1, 4, 1);
        var a = Last(lm, 1).Data.ToArray(); var b = Last(lm, 9).Data.ToArray();
        Assert.Equal(a, b);
        var full = new LlamaForCausalLM(config with { SlidingWindow = null }, new Generator(4));
        Assert.NotEqual(Last(full, 1).Data.ToArray(), Last(full, 9).Data.ToArray());
        // the cache path applies the same window
        var cache = lm.NewCache(1, 5);
        lm.Forward(lm.EmbedTokens([[9, 3, 4, 5]]), null, cache);
        var stepped = lm.Forward(lm.EmbedTokens([[6]]), null, cache).Data.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - stepped[i]) <= 1e-5f * (1 + MathF.Abs(a[i])));
    }
}
