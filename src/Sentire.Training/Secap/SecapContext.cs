using Sentire.Audio.Dsp;
using Sentire.Models.Secap;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>What every SECap stage shares: the caption data, its tokenizer and the cached speech frames.</summary>
public sealed class SecapContext(IReadOnlyList<CaptionClip> clips, CaptionTokenizer tokenizer, IReadOnlyDictionary<string, FeatureMatrix> frames, int encoderHiddenSize)
{
    public IReadOnlyList<CaptionClip> Clips { get; } = clips;
    public CaptionTokenizer Tokenizer { get; } = tokenizer;
    public IReadOnlyDictionary<string, FeatureMatrix> Frames { get; } = frames;
    public int EncoderHiddenSize { get; } = encoderHiddenSize;

    /// <summary>Per-dimension mean and standard deviation over every frame of <paramref name="clips"/>.</summary>
    public (float[] Mean, float[] Std) FrameStatistics(IEnumerable<CaptionClip> clips)
    {
        var sum = new double[EncoderHiddenSize];
        var sumSq = new double[EncoderHiddenSize];
        long n = 0;
        foreach (var c in clips)
        {
            var f = Frames[c.Id];
            for (int r = 0; r < f.Rows; r++)
            {
                var row = f.Row(r);
                for (int d = 0; d < row.Length; d++) { sum[d] += row[d]; sumSq[d] += (double)row[d] * row[d]; }
                n++;
            }
        }
        var mean = sum.Select(s => (float)(s / n)).ToArray();
        var std = sumSq.Select((s, d) => (float)Math.Sqrt(Math.Max(s / n - (double)mean[d] * mean[d], 1e-6))).ToArray();
        return (mean, std);
    }

    /// <summary>BOS + tokens + EOS, cut to <paramref name="maxTokens"/> (keeping BOS).</summary>
    public int[] Encode(string text, int maxTokens)
    {
        var ids = Tokenizer.Encode(text, addBos: true, addEos: true);
        return ids.Length <= maxTokens ? ids : ids[..maxTokens];
    }
}
