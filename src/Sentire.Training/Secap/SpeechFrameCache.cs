using Sentire.Audio.Corpus;
using Sentire.Audio.Decoding;
using Sentire.Audio.Dsp;
using Sentire.Models.Clap;
using Sentire.Models.Secap;
using Sentire.Models.Speech;
using Sentire.Training.Captions;

namespace Sentire.Training.Secap;

/// <summary>
/// Frozen speech-encoder frames of every captioned clip, computed once per (encoder weights, window, length cap) through
/// <see cref="FeatureCache"/> under the run folder and read from memory-mapped files afterwards, so stage 1, stage 2 and
/// evaluation never run the encoder again.
/// </summary>
public static class SpeechFrameCache
{
    public static Dictionary<string, FeatureMatrix> Load(string cacheFolder, string encoderFolder, IReadOnlyList<CaptionClip> clips,
        double maxSeconds, IProgress<(int Done, int Total)>? progress)
    {
        var (config, model, _) = EmotionModelPackage.Load(encoderFolder);
        var encoder = SecapSpeechFrames.SpeechEncoderOf(encoderFolder, model.AudioEncoder);
        var frontEnd = new LogMelFrontEnd(config.FrontEnd);
        int window = (int)Math.Round(config.WindowSeconds * config.FrontEnd.FramesPerSecond);
        int maxFrames = (int)Math.Round(maxSeconds * config.FrontEnd.FramesPerSecond);
        var weights = new FileInfo(Path.Combine(encoderFolder, EmotionModelPackage.WeightsFile));
        string key = $"secap-frames v1; encoder {weights.Length} {weights.LastWriteTimeUtc.Ticks}; window {window}; max {maxFrames}";

        var cache = new FeatureCache(cacheFolder);
        var result = new Dictionary<string, FeatureMatrix>(StringComparer.Ordinal);
        int done = 0;
        foreach (var corpus in clips.GroupBy(c => c.Corpus))
        {
            var utterances = corpus.Select(c => new Utterance(c.Id, c.AudioPath, 0, c.Corpus, c.Language)).ToList();
            using var features = cache.Open(corpus.Key, utterances, key, u =>
            {
                progress?.Report((Interlocked.Increment(ref done), clips.Count));
                return SecapSpeechFrames.Encode(encoder, frontEnd.LogMel(AudioFile.Read(u.AudioPath)), window, maxFrames);
            });
            foreach (var u in utterances) result[u.Id] = features.Read(u.Id);
            done = result.Count;
            progress?.Report((done, clips.Count));
        }
        return result;
    }
}
