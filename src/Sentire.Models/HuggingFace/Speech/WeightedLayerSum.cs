using Sentire.Tensors;
using Sentire.Tensors.Nn;

namespace Sentire.Models.HuggingFace.Speech;

/// <summary>
/// Learnable weighted sum of an encoder's hidden states for downstream heads (SUPERB, Yang et al. 2021, sec. 3;
/// Hugging Face's use_weighted_layer_sum): h = sum_l softmax(w)_l h_l over the L + 1 hidden states. Key
/// "layer_weights" (L + 1), initialised to 1 / (L + 1) as Hugging Face does (uniform weights after the softmax), so
/// the weights of a *ForSequenceClassification checkpoint load directly.
/// </summary>
public sealed class WeightedLayerSum : Module
{
    public Tensor LayerWeights { get; }

    /// <param name="hiddenStates">L + 1: the encoder's layer count plus its input.</param>
    public WeightedLayerSum(int hiddenStates)
    {
        if (hiddenStates <= 0) throw new ArgumentOutOfRangeException(nameof(hiddenStates), $"need at least one hidden state, got {hiddenStates}");
        LayerWeights = RegisterParameter("layer_weights", Tensor.Full(1f / hiddenStates, hiddenStates));
    }

    /// <summary>The softmax-normalised weights, (L + 1).</summary>
    public Tensor NormalizedWeights() => LayerWeights.Softmax(0);

    /// <param name="hiddenStates">L + 1 tensors of one shape, e.g. (B, T', D)</param>
    /// <returns>their weighted sum, same shape</returns>
    public Tensor Forward(IReadOnlyList<Tensor> hiddenStates)
    {
        if (hiddenStates.Count != LayerWeights.Length)
            throw new ArgumentException($"{hiddenStates.Count} hidden states, the layer weights expect {LayerWeights.Length}");
        var stacked = Tensor.Stack(hiddenStates, 0);                          // (L + 1, *)
        var shape = new int[stacked.Rank];
        Array.Fill(shape, 1);
        shape[0] = LayerWeights.Length;
        return (stacked * NormalizedWeights().Reshape(shape)).Sum(0);
    }
}
