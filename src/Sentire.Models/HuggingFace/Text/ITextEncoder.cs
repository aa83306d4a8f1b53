using Sentire.Models.Layers;
using Sentire.Tensors;
using Sentire.Text;

namespace Sentire.Models.HuggingFace.Text;

/// <summary>
/// A transformer text encoder: a right-padded batch of token ids and its mask to per-token states. Implemented by
/// the pretrained BERT/RoBERTa encoders; Sentire's own Clap TextEncoder has the same shape of computation and can
/// implement it too.
/// </summary>
public interface ITextEncoder
{
    /// <summary>D, the size of each token state.</summary>
    int HiddenSize { get; }

    /// <summary>Token states (B, T, D) of <paramref name="batch"/>; padding (mask 0) is never attended to.</summary>
    Tensor EncodeTokens(TokenBatch batch);

    /// <summary>The first token's state (B, D): [CLS] for BERT, &lt;s&gt; for RoBERTa.</summary>
    Tensor EncodeFirstToken(TokenBatch batch) => Pooling.FirstToken(EncodeTokens(batch));
}

/// <summary>What a BERT-style encoder returns for a batch (Hugging Face's BaseModelOutputWithPooling).</summary>
/// <param name="LastHiddenState">(B, T, D), the last layer's token states.</param>
/// <param name="HiddenStates">the embedding output, then each layer's output: L + 1 tensors of (B, T, D).</param>
/// <param name="PoolerOutput">(B, D) tanh(W h_first + b) when the checkpoint has a pooler, else null.</param>
/// <param name="Mask">(B, T), 1 for real tokens and 0 for padding.</param>
public sealed record TextEncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor> HiddenStates, Tensor? PoolerOutput, Tensor Mask)
{
    /// <summary>(B, D) the first token's last hidden state.</summary>
    public Tensor FirstToken => Pooling.FirstToken(LastHiddenState);

    /// <summary>(B, D) the mean of the last hidden states over real tokens.</summary>
    public Tensor MeanPooled => Pooling.MaskedMean(LastHiddenState, Mask);
}
