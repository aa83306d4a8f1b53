using Sentire.Tensors.Nn;

namespace Sentire.Tensors.Tests;

/// <summary>
/// Whole blocks assembled from the engine's modules and ops, loaded by Hugging Face state-dict names with
/// <see cref="Module.LoadStateDict"/>, against PyTorch (tests/fixtures/engine/*_block.safetensors and
/// conv_feature_encoder.safetensors from tools/golden/engine_fixtures.py): the output and the gradient of
/// every parameter and of the input for a stored random upstream gradient.
/// Tolerance: rtol 1e-4, atol 1e-5 on outputs and on every gradient (the references are float64 results
/// rounded to float32).
/// </summary>
public sealed class GoldenBlocksTests
{

    static (Dictionary<string, Tensor> State, GoldenFixture Fixture) Load(string name)
    {
        var fx = GoldenFixture.Open(name);
        var state = fx.Names.Where(n => !n.StartsWith("test.", StringComparison.Ordinal)).ToDictionary(n => n, fx.Get);
        return (state, fx);
    }

    static void CheckGradients(Module model, GoldenFixture fx, Tensor? input, string where)
    {
        foreach (var (name, p) in model.NamedParameters())
            GoldenAssert.Close(fx.Get("test.grad." + name), p.Grad, $"{where} gradient of {name}");
        if (input is not null)
            GoldenAssert.Close(fx.Get("test.grad.input"), input.Grad, $"{where} gradient of the input");
    }

    [Fact]
    public void PostNormEncoderMatchesPyTorch()
    {
        var (state, fx) = Load("encoder_block");
        var model = new Wav2Vec2StyleEncoder(layers: 2, width: 32, heads: 4, ff: 64, new Generator(1));
        var report = model.LoadStateDict(state, strict: true);
        Assert.True(report.IsClean, report.ToString());

        var x = fx.Get("test.input");
        x.RequiresGrad = true;
        var mask = fx.Get("test.mask");
        var keep = mask.Reshape(mask.Dim(0), 1, 1, mask.Dim(1));
        var y = model.Forward(x, keep);
        GoldenAssert.Close(fx.Get("test.out"), y, "encoder_block output");
        y.Backward(fx.Get("test.gout"));
        CheckGradients(model, fx, x, "encoder_block");
    }

    [Fact]
    public void LlamaDecoderMatchesPyTorch()
    {
        var (state, fx) = Load("decoder_block");
        var model = new LlamaStyleDecoder(vocab: 11, layers: 2, width: 32, heads: 4, kvHeads: 2, ff: 48, eps: 1e-6f, theta: 10000f, new Generator(1));
        var report = model.LoadStateDict(state, strict: true);
        Assert.True(report.IsClean, report.ToString());

        var idsTensor = fx.Get("test.input");
        var y = model.Forward(fx.Ints("test.input"), idsTensor.Dim(0), idsTensor.Dim(1));
        GoldenAssert.Close(fx.Get("test.out"), y, "decoder_block output");
        y.Backward(fx.Get("test.gout"));
        CheckGradients(model, fx, null, "decoder_block");
    }

    [Fact]
    public void ConvFeatureEncoderMatchesPyTorch()
    {
        var (state, fx) = Load("conv_feature_encoder");
        var model = new ConvFeatureEncoder(channels: 16, kernels: [10, 3, 3], strides: [5, 2, 2], new Generator(1));
        var report = model.LoadStateDict(state, strict: true);
        Assert.True(report.IsClean, report.ToString());

        var x = fx.Get("test.input");
        x.RequiresGrad = true;
        var y = model.Forward(x);
        GoldenAssert.Close(fx.Get("test.out"), y, "conv_feature_encoder output");
        y.Backward(fx.Get("test.gout"));
        CheckGradients(model, fx, x, "conv_feature_encoder");
    }
}

// ---- the blocks, named as the Hugging Face modules they mirror ------------------------------------------

/// <summary>Multi-head self-attention with separate q/k/v/out projections (Vaswani et al. 2017, sec. 3.2.2).</summary>
internal sealed class SelfAttention : Module
{
    readonly int heads;
    readonly Linear q, k, v, o;

    public SelfAttention(int width, int heads, Generator rng, string outName = "out_proj")
    {
        this.heads = heads;
        q = RegisterModule("q_proj", new Linear(width, width, rng));
        k = RegisterModule("k_proj", new Linear(width, width, rng));
        v = RegisterModule("v_proj", new Linear(width, width, rng));
        o = RegisterModule(outName, new Linear(width, width, rng));
    }

    /// <summary>x (B, T, D); keep: 0/1 mask broadcastable to (B, H, T, T) or null.</summary>
    public Tensor Forward(Tensor x, Tensor? keep)
    {
        int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2);
        Tensor Split(Tensor y) => y.Reshape(b, t, heads, d / heads).Transpose(1, 2);
        var a = Attention.ScaledDotProduct(Split(q.Forward(x)), Split(k.Forward(x)), Split(v.Forward(x)), keep);
        return o.Forward(a.Transpose(1, 2).Reshape(b, t, d));
    }
}

/// <summary>wav2vec 2.0 / BERT post-norm layer (Hugging Face Wav2Vec2EncoderLayer):
/// h = LN(x + Attn(x)); y = FinalLN(h + OutputDense(GELU(IntermediateDense(h)))).</summary>
internal sealed class Wav2Vec2StyleLayer : Module
{
    readonly SelfAttention attention;
    readonly LayerNorm layerNorm, finalLayerNorm;
    readonly FeedForward feedForward;

    sealed class FeedForward : Module
    {
        readonly Linear intermediate, output;

        public FeedForward(int width, int ff, Generator rng)
        {
            intermediate = RegisterModule("intermediate_dense", new Linear(width, ff, rng));
            output = RegisterModule("output_dense", new Linear(ff, width, rng));
        }

        public Tensor Forward(Tensor x) => output.Forward(intermediate.Forward(x).Gelu());
    }

    public Wav2Vec2StyleLayer(int width, int heads, int ff, Generator rng)
    {
        attention = RegisterModule("attention", new SelfAttention(width, heads, rng));
        layerNorm = RegisterModule("layer_norm", new LayerNorm(width));
        feedForward = RegisterModule("feed_forward", new FeedForward(width, ff, rng));
        finalLayerNorm = RegisterModule("final_layer_norm", new LayerNorm(width));
    }

    public Tensor Forward(Tensor x, Tensor? keep)
    {
        var h = layerNorm.Forward(x + attention.Forward(x, keep));
        return finalLayerNorm.Forward(h + feedForward.Forward(h));
    }
}

internal sealed class Wav2Vec2StyleEncoder : Module
{
    readonly ModuleList<Wav2Vec2StyleLayer> layers;

    public Wav2Vec2StyleEncoder(int layers, int width, int heads, int ff, Generator rng)
    {
        this.layers = RegisterModule("layers", new ModuleList<Wav2Vec2StyleLayer>());
        for (int i = 0; i < layers; i++) this.layers.Add(new Wav2Vec2StyleLayer(width, heads, ff, rng));
    }

    public Tensor Forward(Tensor x, Tensor? keep)
    {
        foreach (var layer in layers) x = layer.Forward(x, keep);
        return x;
    }
}

/// <summary>LLaMA decoder layer (Touvron et al. 2023; Hugging Face LlamaDecoderLayer): pre-RMSNorm, RoPE on q/k,
/// grouped-query causal attention, SwiGLU MLP down(silu(gate(x)) * up(x)); no biases.</summary>
internal sealed class LlamaStyleLayer : Module
{
    readonly int heads, kvHeads;
    readonly RmsNorm inputNorm, postNorm;
    readonly Attn selfAttn;
    readonly Mlp mlp;

    sealed class Attn : Module
    {
        public readonly Linear Q, K, V, O;

        public Attn(int width, int heads, int kvHeads, Generator rng)
        {
            int hd = width / heads;
            Q = RegisterModule("q_proj", new Linear(width, heads * hd, rng, bias: false));
            K = RegisterModule("k_proj", new Linear(width, kvHeads * hd, rng, bias: false));
            V = RegisterModule("v_proj", new Linear(width, kvHeads * hd, rng, bias: false));
            O = RegisterModule("o_proj", new Linear(heads * hd, width, rng, bias: false));
        }
    }

    sealed class Mlp : Module
    {
        readonly Linear gate, up, down;

        public Mlp(int width, int ff, Generator rng)
        {
            gate = RegisterModule("gate_proj", new Linear(width, ff, rng, bias: false));
            up = RegisterModule("up_proj", new Linear(width, ff, rng, bias: false));
            down = RegisterModule("down_proj", new Linear(ff, width, rng, bias: false));
        }

        public Tensor Forward(Tensor x) => down.Forward(gate.Forward(x).Silu() * up.Forward(x));
    }

    public LlamaStyleLayer(int width, int heads, int kvHeads, int ff, float eps, Generator rng)
    {
        this.heads = heads;
        this.kvHeads = kvHeads;
        selfAttn = RegisterModule("self_attn", new Attn(width, heads, kvHeads, rng));
        mlp = RegisterModule("mlp", new Mlp(width, ff, rng));
        inputNorm = RegisterModule("input_layernorm", new RmsNorm(width, eps));
        postNorm = RegisterModule("post_attention_layernorm", new RmsNorm(width, eps));
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin)
    {
        int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2), hd = d / heads;
        var n = inputNorm.Forward(x);
        var q = selfAttn.Q.Forward(n).Reshape(b, t, heads, hd).Transpose(1, 2).ApplyRotary(cos, sin);
        var k = selfAttn.K.Forward(n).Reshape(b, t, kvHeads, hd).Transpose(1, 2).ApplyRotary(cos, sin);
        var v = selfAttn.V.Forward(n).Reshape(b, t, kvHeads, hd).Transpose(1, 2);
        var a = Attention.ScaledDotProduct(q, k, v, causal: true);
        var h = x + selfAttn.O.Forward(a.Transpose(1, 2).Reshape(b, t, heads * hd));
        return h + mlp.Forward(postNorm.Forward(h));
    }
}

internal sealed class LlamaStyleDecoder : Module
{
    readonly Embedding embed;
    readonly ModuleList<LlamaStyleLayer> layers;
    readonly RmsNorm norm;
    readonly int headDim;
    readonly float theta;

    public LlamaStyleDecoder(int vocab, int layers, int width, int heads, int kvHeads, int ff, float eps, float theta, Generator rng)
    {
        embed = RegisterModule("embed_tokens", new Embedding(vocab, width, rng));
        this.layers = RegisterModule("layers", new ModuleList<LlamaStyleLayer>());
        for (int i = 0; i < layers; i++) this.layers.Add(new LlamaStyleLayer(width, heads, kvHeads, ff, eps, rng));
        norm = RegisterModule("norm", new RmsNorm(width, eps));
        headDim = width / heads;
        this.theta = theta;
    }

    public Tensor Forward(int[] ids, int batch, int time)
    {
        var (cos, sin) = Rotary.Tables(headDim, time, theta);
        var h = embed.Forward(ids, batch, time);
        foreach (var layer in layers) h = layer.Forward(h, cos, sin);
        return norm.Forward(h);
    }
}

/// <summary>wav2vec 2.0 feature encoder (Baevski et al. 2020, sec. 2; Hugging Face Wav2Vec2FeatureEncoder with
/// feat_extract_norm="group"): conv -> GroupNorm(C, C) -> GELU, then conv -> GELU; convolutions without bias.</summary>
internal sealed class ConvFeatureEncoder : Module
{
    readonly Layers featureExtractor;

    sealed class ConvLayer : Module
    {
        readonly Conv1d conv;
        readonly GroupNorm? norm;

        public ConvLayer(int cin, int cout, int kernel, int stride, bool groupNorm, Generator rng)
        {
            conv = RegisterModule("conv", new Conv1d(cin, cout, kernel, rng, stride: stride, bias: false));
            if (groupNorm) norm = RegisterModule("layer_norm", new GroupNorm(cout, cout));
        }

        public Tensor Forward(Tensor x)
        {
            var h = conv.Forward(x);
            return (norm?.Forward(h) ?? h).Gelu();
        }
    }

    sealed class Layers : Module
    {
        public readonly ModuleList<ConvLayer> ConvLayers;

        public Layers(int channels, int[] kernels, int[] strides, Generator rng)
        {
            ConvLayers = RegisterModule("conv_layers", new ModuleList<ConvLayer>());
            for (int i = 0; i < kernels.Length; i++)
                ConvLayers.Add(new ConvLayer(i == 0 ? 1 : channels, channels, kernels[i], strides[i], groupNorm: i == 0, rng));
        }
    }

    public ConvFeatureEncoder(int channels, int[] kernels, int[] strides, Generator rng)
    {
        featureExtractor = RegisterModule("feature_extractor", new Layers(channels, kernels, strides, rng));
    }

    public Tensor Forward(Tensor x)
    {
        foreach (var layer in featureExtractor.ConvLayers) x = layer.Forward(x);
        return x;
    }
}
