using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.Layers;

/// <summary>Position-wise feed-forward block, FFN(x) = GELU(x W_1 + b_1) W_2 + b_2, named as in wav2vec2
/// checkpoints (intermediate_dense, output_dense).</summary>
public sealed class FeedForward : Module<Tensor, Tensor>
{
    public Linear IntermediateDense { get; }
    public Linear OutputDense { get; }
    readonly Dropout dropout;

    /// <param name="half">keep both weights in this 16-bit format (inference on a loaded checkpoint)</param>
    public FeedForward(int dim, int hiddenDim, float dropoutP, Generator rngForDropout, Generator? rngForInit, HalfFormat? half = null)
    {
        IntermediateDense = RegisterModule("intermediate_dense", new Linear(dim, hiddenDim, rngForInit, halfWeight: half));
        OutputDense = RegisterModule("output_dense", new Linear(hiddenDim, dim, rngForInit, halfWeight: half));
        dropout = RegisterModule("intermediate_dropout", new Dropout(dropoutP, rngForDropout));
    }

    public override Tensor Forward(Tensor x) => OutputDense.Forward(dropout.Forward(IntermediateDense.Forward(x).Gelu()));
}
