using Sentire.Models.Clap;
using Sentire.Tensors;

namespace Sentire.Models.Tests;

public sealed class EmbeddingAlignmentTests
{
    static ReferenceEmbedding Reference(params float[] mean) => new(mean, 1, ["a"]);

    [Fact]
    public void Apply_moves_the_set_mean_onto_the_reference_and_renormalises()
    {
        // a - mu_set + mu_ref = (0.6, 0.8, 0) - (0, 1, 0) + (1, 0, 0) = (1.6, -0.2, 0); |.| = sqrt(2.6)
        var alignment = new EmbeddingAlignment(Reference(1, 0, 0), [0, 1, 0], setSize: 5);
        var aligned = alignment.Apply(new Tensor([0.6f, 0.8f, 0f, 0f, 0f, 1f], 2, 3));
        double n = Math.Sqrt(2.6);
        Assert.Equal([(float)(1.6 / n), (float)(-0.2 / n), 0f], aligned.Data[..3].ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        // second row: (0, 0, 1) - (0, 1, 0) + (1, 0, 0) = (1, -1, 1) / sqrt(3)
        float third = (float)(1 / Math.Sqrt(3));
        Assert.Equal([third, -third, third], aligned.Data[3..].ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(5, alignment.SetSize);
    }

    [Fact]
    public void A_set_whose_mean_is_the_reference_changes_nothing()
    {
        var alignment = new EmbeddingAlignment(Reference(0.2f, -0.1f, 0.3f), [0.2f, -0.1f, 0.3f], setSize: 3);
        var a = new Tensor([0.48f, 0.6f, 0.64f], 1, 3);   // unit length
        Assert.Equal(a.Data.ToArray(), alignment.Apply(a).Data.ToArray(), (x, y) => Math.Abs(x - y) < 1e-6);
    }

    [Fact]
    public void The_reference_weighs_every_corpus_equally()
    {
        var reference = ReferenceEmbedding.FromCorpora(new Dictionary<string, IReadOnlyList<float[]>>
        {
            ["b"] = [[0f, 1f]],
            ["a"] = [[1f, 0f], [1f, 0f], [1f, 0f]],
        });
        Assert.Equal([0.5f, 0.5f], reference.Mean);   // the mean of the clips would be (0.75, 0.25)
        Assert.Equal(4, reference.Clips);
        Assert.Equal(["a", "b"], reference.Corpora);
    }

    [Fact]
    public void Mismatched_sizes_and_empty_sets_are_refused_with_what_was_found()
    {
        var e = Assert.Throws<ArgumentException>(() => new EmbeddingAlignment(Reference(1, 0, 0), [1, 0], setSize: 2));
        Assert.Contains("2 values, the model's reference 3", e.Message);
        Assert.Throws<ArgumentException>(() => new EmbeddingAlignment(Reference(1, 0), [1, 0], setSize: 0));
        var shape = Assert.Throws<ArgumentException>(() => new EmbeddingAlignment(Reference(1, 0), [1, 0], 1).Apply(new Tensor([1f, 0f, 0f], 1, 3)));
        Assert.Contains("(N, 2)", shape.Message);
        Assert.Throws<ArgumentException>(() => ReferenceEmbedding.FromCorpora(new Dictionary<string, IReadOnlyList<float[]>> { ["a"] = [] }));
    }
}
