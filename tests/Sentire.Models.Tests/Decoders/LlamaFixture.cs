using Sentire.Models.Decoders;
using Sentire.Tensors;
using Sentire.Tensors.Serialization;
using Sentire.Tests.Common;

namespace Sentire.Models.Tests.Decoders;

/// <summary>A model of tests/fixtures/llama (tools/golden/llama_fixtures.py) with its expected outputs.</summary>
internal sealed class LlamaFixture
{
    public static readonly string[] Names = ["llama_tied", "qwen2_bf16", "llama3_rope"];

    public string Folder { get; }
    public int[][] Ids { get; }
    public Tensor Mask { get; }
    public Tensor Logits { get; }
    public int[][] Greedy { get; }

    LlamaFixture(string name)
    {
        Folder = RepoPaths.Fixture("llama/" + name);
        var expected = SafeTensors.Read(RepoPaths.Fixture($"llama/{name}.expected.safetensors"));
        Ids = Rows(expected["ids"]);
        Mask = expected["mask"];
        Logits = expected["logits"];
        Greedy = Rows(expected["greedy"]);
    }

    public static LlamaFixture Open(string name) => new(name);

    public LlamaForCausalLM Load(WeightPrecision precision = WeightPrecision.Float32)
    {
        var lm = LlamaForCausalLM.Load(Folder, new LoadOptions { Precision = precision });
        lm.Eval();
        return lm;
    }

    static int[][] Rows(Tensor t)
    {
        int rows = t.Dim(0), cols = t.Dim(1);
        return Enumerable.Range(0, rows).Select(r => t.Data.Slice(r * cols, cols).ToArray().Select(v => checked((int)v)).ToArray()).ToArray();
    }

    /// <summary>Real (unpadded) positions of row b.</summary>
    public int Pads(int b) => Ids[b].Length - (int)Mask.Data.Slice(b * Ids[b].Length, Ids[b].Length).ToArray().Sum();

    /// <summary>|expected - actual| &lt;= tol (1 + |expected|) on the real positions of (B, T, V) logits.</summary>
    public void AssertLogits(Tensor actual, float tol)
    {
        Assert.Equal(Logits.ShapeArray(), actual.ShapeArray());
        int b = Logits.Dim(0), t = Logits.Dim(1), v = Logits.Dim(2);
        for (int r = 0; r < b; r++)
            for (int i = Pads(r); i < t; i++)
                for (int j = 0; j < v; j++)
                {
                    float e = Logits[r, i, j], a = actual[r, i, j];
                    if (MathF.Abs(e - a) > tol * (1 + MathF.Abs(e)))
                        Assert.Fail($"{Folder}: logits[{r}, {i}, {j}] = {a}, expected {e}");
                }
    }
}
