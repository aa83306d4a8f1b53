using Sentire.Text;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>The captioner's BPE tokenizer (byte fallback, so any text encodes), trained on the training split's captions
/// and the instructions of both languages; shared by the caption LM and the Q-Former's text mode.</summary>
public static class SecapTokenizer
{
    public static BpeTokenizer Train(IReadOnlyList<CaptionClip> clips, int vocabSize)
    {
        var texts = clips.Where(c => c.Split == CaptionDataset.Train).SelectMany(c => c.TrainingCaptions)
            .Concat(CaptionInstructions.English).Concat(CaptionInstructions.Chinese).ToList();
        return BpeTokenizer.Train(texts, vocabSize);
    }
}
