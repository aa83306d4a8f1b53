using Sentire.Tensors;

namespace Sentire.Models.Speech;

/// <summary>What every speech encoder returns, whether ours or a Hugging Face checkpoint: frames of hidden
/// states, the output of every layer (index 0 = input to the first layer), and which frames are real.</summary>
/// <param name="LastHiddenState">(B, T', D)</param>
/// <param name="HiddenStates">L + 1 tensors of (B, T', D)</param>
/// <param name="FrameMask">(B, T') 1 = real frame, 0 = padding; null when nothing is padded.</param>
public sealed record SpeechEncoderOutput(Tensor LastHiddenState, IReadOnlyList<Tensor> HiddenStates, Tensor? FrameMask);

/// <summary>What a speech encoder consumes.</summary>
public enum SpeechInput
{
    /// <summary>(B, T, n_mels) log-mel frames, lengths in frames.</summary>
    LogMel,
    /// <summary>(B, S) 16 kHz samples, lengths in samples.</summary>
    Waveform,
}

/// <summary>An encoder trained from scratch on our features, which standardises each input column with the training set's
/// statistics (kept as buffers beside its weights).</summary>
public interface IStandardizedInput
{
    /// <summary>Sets the per-column mean and standard deviation (rows: frames, columns: the encoder's input columns).</summary>
    void SetFeatureStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> std);
}

/// <summary>A speech encoder: recipes switch between ours and Hugging Face checkpoints through this interface.</summary>
public interface ISpeechEncoder
{
    SpeechInput Input { get; }
    int HiddenSize { get; }
    int LayerCount { get; }

    /// <param name="input">(B, T, n_mels) or (B, S), per <see cref="Input"/>.</param>
    /// <param name="lengths">valid length of each batch item in input units; null when none is padded.</param>
    SpeechEncoderOutput Encode(Tensor input, int[]? lengths);
}
