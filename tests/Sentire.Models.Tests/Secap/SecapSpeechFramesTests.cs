using Sentire.Audio.Dsp;
using Sentire.Models.Secap;
using Sentire.Models.Speech;
using Sentire.Tensors;

namespace Sentire.Models.Tests.Secap;

public sealed class SecapSpeechFramesTests
{
    [Fact]
    public void MobileNetFramesAreEachWindowEncodedAloneAndConcatenated()
    {
        var encoder = new MobileNetEncoder(new MobileNetEncoderConfig(NMels: 40, ProsodyChannels: 2), rngForInit: new Generator(1));
        encoder.Eval();
        Assert.Same(encoder, SecapSpeechFrames.SpeechEncoderOf("models/x", encoder));

        // 470 frames in windows of 200, cut at 450: windows of 200, 200 and 50 frames -> 7 + 7 + 2 frames of 384.
        var logMel = new FeatureMatrix(470, 42, Tensor.Normal(new Generator(2), 0, 1, 470 * 42).Data.ToArray());
        var frames = SecapSpeechFrames.Encode(encoder, logMel, windowFrames: 200, maxFrames: 450);
        Assert.Equal((16, 384), (frames.Rows, frames.Columns));

        // Known answer: the last window (frames 400..449) encoded on its own is the last 2 rows.
        var last = new Tensor(logMel.Data.AsSpan(400 * 42, 50 * 42).ToArray(), 1, 50, 42);
        var expected = encoder.Encode(last, null).LastHiddenState;
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected.Data[i], frames.Data[14 * 384 + i], 1e-6f);
    }

    [Fact]
    public void AWaveformEncoderIsRefusedNamingThePackage()
    {
        var error = Assert.Throws<NotSupportedException>(() => SecapSpeechFrames.SpeechEncoderOf("models/wav2vec2-emotion", new WaveformEncoder()));
        Assert.Contains("models/wav2vec2-emotion", error.Message);
        Assert.Contains("WaveformEncoder", error.Message);
        Assert.Contains("log-mel", error.Message);
    }

    sealed class WaveformEncoder : ISpeechEncoder
    {
        public SpeechInput Input => SpeechInput.Waveform;
        public int HiddenSize => 8;
        public int LayerCount => 1;
        public SpeechEncoderOutput Encode(Tensor input, int[]? lengths) => throw new InvalidOperationException("never encoded by the test");
    }
}
