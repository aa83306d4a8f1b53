using Sentire.Audio.Dsp;

namespace Sentire.Audio.Tests.Dsp;

/// <summary>Hand-computed answers for windows, mel scales and .npy, and the parallel frame path against the serial one.</summary>
public sealed class BuildingBlockTests
{
    [Fact]
    public void Windows_have_torch_and_kaldi_values()
    {
        Assert.Equal([0f, 0.5f, 1f, 0.5f], Window.Create(WindowKind.Hann, 4, periodic: true), new FloatTolerance(1e-7f));
        Assert.Equal([0f, 0.75f, 0.75f, 0f], Window.Create(WindowKind.Hann, 4, periodic: false), new FloatTolerance(1e-7f));
        Assert.Equal([0.08f, 0.54f, 1f, 0.54f], Window.Create(WindowKind.Hamming, 4, periodic: true), new FloatTolerance(1e-7f));
        // povey = symmetric Hann^0.85: 0.75^0.85 = 0.78320...
        Assert.Equal(Math.Pow(0.75, 0.85), Window.Create(WindowKind.Povey, 4, periodic: false)[1], 6);
        // Kaldi Blackman, N = 3: 0.42 − 0.5 cos(π) + 0.08 cos(2π) = 1 at the centre, 0.42 − 0.5 + 0.08 = 0 at the ends.
        Assert.Equal([0f, 1f, 0f], Window.Create(WindowKind.Blackman, 3, periodic: false), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Mel_scales_have_their_reference_points()
    {
        Assert.Equal(15.0, MelFilterbank.HzToMel(1000, MelScale.Slaney), 12);       // 1000 Hz / (200/3)
        Assert.Equal(3.0, MelFilterbank.HzToMel(200, MelScale.Slaney), 12);
        Assert.Equal(2595 * Math.Log10(1 + 1000 / 700.0), MelFilterbank.HzToMel(1000, MelScale.Htk), 12);
        Assert.Equal(1127 * Math.Log(1 + 1000 / 700.0), MelFilterbank.HzToMel(1000, MelScale.Kaldi), 12);
        foreach (var scale in new[] { MelScale.Htk, MelScale.Slaney, MelScale.Kaldi })
            Assert.Equal(4321.0, MelFilterbank.MelToHz(MelFilterbank.HzToMel(4321, scale), scale), 9);
    }

    [Fact]
    public void Npy_round_trips_and_states_what_is_wrong()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sentire-npy-{Guid.NewGuid():N}.npy");
        try
        {
            float[] data = [1.5f, -2f, 3.25f, 0f, 1e-8f, 7f];
            Npy.Write(path, data, 2, 3);
            var read = Npy.Read(path);
            Assert.Equal([2, 3], read.Shape);
            Assert.Equal(data, read.Data);
            Assert.Equal(0, (new FileInfo(path).Length - 6 * 4) % 64); // header padded to 64 bytes
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
            var error = Assert.Throws<InvalidDataException>(() => Npy.Read(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Parallel_frames_of_a_long_signal_equal_frames_computed_alone()
    {
        // 40 s of a chirp: 4001 frames at hop 160, above the parallel threshold.
        const int rate = 16000, hop = 160, nFft = 400;
        var signal = new float[40 * rate];
        for (var n = 0; n < signal.Length; n++) signal[n] = (float)Math.Sin(2 * Math.PI * (100 + 50.0 * n / rate) * n / rate);
        var options = new MelSpectrogramOptions { NFft = nFft, HopLength = hop, NMels = 80 };
        var whole = new MelSpectrogram(options).Compute(signal);
        Assert.True(whole.Rows > 2000);
        var single = new MelSpectrogram(options with { Center = false });
        foreach (var t in new[] { 2, 255, 256, 257, 2047, 2048, whole.Rows - 3 })
        {
            // Centred frame t covers samples t·hop − n_fft/2 … + n_fft.
            var alone = single.Compute(signal.AsMemory(t * hop - nFft / 2, nFft));
            Assert.Equal(1, alone.Rows);
            Assert.Equal(alone.Row(0).ToArray(), whole.Row(t).ToArray());
        }
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float value) => 0;
    }
}
