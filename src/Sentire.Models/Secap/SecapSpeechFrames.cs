using Sentire.Audio.Dsp;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.Secap;

/// <summary>
/// The frozen speech encoder's frames of a whole clip, what the Q-Former cross-attends to. The log-mel frames are cut
/// into consecutive windows of the length the encoder was trained on (the last one shorter), each encoded alone, and
/// the output frames concatenated: (T', D), T' the sum over windows of the encoder's output length (ceil(frames / 4)
/// for the transformer's 40 ms frames, ceil(frames / 32) for the MobileNet's 320 ms ones). Clips are cut at <c>maxSeconds</c>.
/// </summary>
public static class SecapSpeechFrames
{
    /// <summary>The audio encoder of the emotion package in <paramref name="folder"/> as SECap's frozen speech encoder:
    /// any encoder of log-mel frames (our transformer or MobileNet); a waveform encoder (a Hugging Face tower) is refused.</summary>
    public static ISpeechEncoder SpeechEncoderOf(string folder, ISpeechEncoder encoder) =>
        encoder.Input == SpeechInput.LogMel ? encoder : throw new NotSupportedException(
            $"{folder}: SECap reads the frames of a log-mel speech encoder; this package's audio encoder ({encoder.GetType().Name}) reads the waveform");

    public static FeatureMatrix Encode(ISpeechEncoder encoder, FeatureMatrix logMel, int windowFrames, int maxFrames)
    {
        int rows = Math.Min(logMel.Rows, maxFrames), bins = logMel.Columns;
        if (rows == 0) throw new ArgumentException("cannot encode a clip without log-mel frames");
        var pieces = new List<float[]>();
        int total = 0;
        using (Autograd.NoGrad())
            for (int start = 0; start < rows; start += windowFrames)
            {
                int length = Math.Min(windowFrames, rows - start);
                var mel = new Tensor(logMel.Data.AsSpan(start * bins, length * bins).ToArray(), 1, length, bins);
                var hidden = encoder.Encode(mel, null).LastHiddenState;                       // (1, T'_w, D)
                pieces.Add(hidden.Data.ToArray());
                total += hidden.Dim(1);
            }
        var frames = new FeatureMatrix(total, encoder.HiddenSize);
        int offset = 0;
        foreach (var p in pieces) { p.CopyTo(frames.Data, offset); offset += p.Length; }
        return frames;
    }

    /// <summary>Right-padded batch (B, S, D) of frame matrices and its mask (B, S).</summary>
    public static (Tensor Frames, Tensor Mask) Batch(IReadOnlyList<FeatureMatrix> clips)
    {
        int b = clips.Count, s = clips.Max(c => c.Rows), d = clips[0].Columns;
        var frames = Tensor.Zeros(b, s, d);
        var mask = Tensor.Zeros(b, s);
        for (int i = 0; i < b; i++)
        {
            clips[i].Data.AsSpan(0, clips[i].Rows * d).CopyTo(frames.Data.Slice(i * s * d));
            mask.Data.Slice(i * s, clips[i].Rows).Fill(1f);
        }
        return (frames, mask);
    }
}
