using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.HuggingFace.Speech;

/// <summary>
/// Chunked inference for recordings too long for one pass (self-attention costs T'^2 time and memory: 10 minutes
/// are 30,000 frames). The waveform is cut into windows of <see cref="ChunkSeconds"/> that overlap by twice
/// <see cref="ContextSeconds"/>; each window is encoded alone and keeps only its central frames, so every kept
/// frame has at least <see cref="ContextSeconds"/> of real audio on each side (except at the recording's ends).
/// Defaults: 20 s windows (1,000 frames, the length range the released models were trained on) and 3.2 s of
/// context each side, the chunk_length_s / 6 stride of Hugging Face's ASR pipeline, and more than the 1.28 s half
/// width of wav2vec 2.0's positional convolution. Window starts are multiples of the frame stride (320 samples), so
/// window frames fall on the one-pass frame grid and the stitched output has exactly the one-pass frame count.
/// A recording no longer than one window is encoded in one pass (identical to <see cref="Wav2Vec2Model.Encode"/>).
/// </summary>
public sealed record SpeechChunking(double ChunkSeconds = 20, double ContextSeconds = 3.2)
{
    public static SpeechChunking Default { get; } = new();

    /// <summary>Window and context in samples, rounded down to whole frames of <paramref name="config"/>.</summary>
    public (int Window, int Context) Samples(SpeechEncoderConfig config, int sampleRate)
    {
        int stride = config.FrameStride;
        int window = (int)(ChunkSeconds * sampleRate) / stride * stride;
        int context = (int)(ContextSeconds * sampleRate) / stride * stride;
        // The last window is longer than twice the context, which must therefore cover one receptive field.
        if (window - 2 * context < stride || 2 * context < config.ReceptiveField)
            throw new ArgumentException($"chunking needs a window longer than twice the context plus one frame and a context of at least half a receptive field ({config.ReceptiveField} samples); got {ChunkSeconds} s windows, {ContextSeconds} s context");
        return (window, context);
    }

    /// <summary>One-pass-shaped output (B = 1, no frame mask) for <paramref name="samples"/>.</summary>
    public SpeechEncoderOutput Encode(Wav2Vec2Model model, ReadOnlySpan<float> samples)
    {
        var (window, context) = Samples(model.Config, model.SampleRate);
        int stride = model.Config.FrameStride;
        if (samples.Length <= window) return model.Encode(Tensor.FromArray(samples, 1, samples.Length), null);

        int total = model.Config.OutputFrames(samples.Length);
        int hop = window - 2 * context;
        var pieces = new List<Tensor>[model.LayerCount + 1];
        for (int l = 0; l < pieces.Length; l++) pieces[l] = [];
        int next = 0;                                                   // first global frame not yet taken
        for (int start = 0; next < total; start += hop)
        {
            int length = Math.Min(window, samples.Length - start);
            bool last = start + length >= samples.Length;
            var output = model.Encode(Tensor.FromArray(samples.Slice(start, length), 1, length), null);
            int offset = start / stride;                                // global index of the window's frame 0
            int frames = output.LastHiddenState.Dim(1);
            int end = last ? total : Math.Min(offset + frames, (start + hop + context) / stride);
            if (end - next <= 0 || next - offset < 0 || end - offset > frames)
                throw new InvalidOperationException($"chunk at sample {start} covers frames {offset}..{offset + frames}, needed {next}..{end}");
            for (int l = 0; l < pieces.Length; l++) pieces[l].Add(output.HiddenStates[l].Narrow(1, next - offset, end - next));
            next = end;
        }
        var hidden = pieces.Select(p => p.Count == 1 ? p[0] : Tensor.Concat(p, 1)).ToList();
        return new SpeechEncoderOutput(hidden[^1], hidden, null);
    }
}
