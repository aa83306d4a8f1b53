using Sentire.Audio.Dsp;

namespace Sentire.Audio.Tests.Dsp;

public sealed class FftTests
{
    /// <summary>Direct O(n²) DFT in double precision: the reference every size is checked against.</summary>
    static (double[] Re, double[] Im) NaiveDft(double[] re, double[] im, int sign)
    {
        var n = re.Length;
        var outRe = new double[n];
        var outIm = new double[n];
        for (var k = 0; k < n; k++)
            for (var j = 0; j < n; j++)
            {
                var angle = sign * 2.0 * Math.PI * ((long)j * k % n) / n;
                outRe[k] += re[j] * Math.Cos(angle) - im[j] * Math.Sin(angle);
                outIm[k] += re[j] * Math.Sin(angle) + im[j] * Math.Cos(angle);
            }
        return (outRe, outIm);
    }

    static double[] RandomSignal(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
    }

    // 1..8 small cases, radix 4/2/3/5 mixes, 400 (torch's n_fft), generic primes 7/59, Bluestein primes 67/1031 and 2·127.
    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    [InlineData(12)] [InlineData(30)] [InlineData(59)] [InlineData(64)] [InlineData(67)] [InlineData(200)] [InlineData(254)]
    [InlineData(400)] [InlineData(512)] [InlineData(1031)]
    public void Complex_forward_and_inverse_match_direct_DFT(int n)
    {
        var re = RandomSignal(n, n);
        var im = RandomSignal(n, n + 1000);
        var fft = new ComplexFft(n);
        var scratch = new float[fft.ScratchLength];
        foreach (var sign in new[] { -1, 1 })
        {
            var (expectedRe, expectedIm) = NaiveDft(re, im, sign);
            float[] gotRe = re.Select(v => (float)v).ToArray(), gotIm = im.Select(v => (float)v).ToArray();
            if (sign < 0) fft.Forward(gotRe, gotIm, scratch);
            else fft.Inverse(gotRe, gotIm, scratch);
            // float32 rounding error grows like sqrt(n)·log n (coefficients are of size sqrt(n)).
            var tolerance = 1e-6 * Math.Sqrt(n) * Math.Log2(n + 2);
            for (var k = 0; k < n; k++)
            {
                Assert.True(Math.Abs(gotRe[k] - expectedRe[k]) < tolerance, $"n={n} sign={sign} re[{k}]: {gotRe[k]} vs {expectedRe[k]}");
                Assert.True(Math.Abs(gotIm[k] - expectedIm[k]) < tolerance, $"n={n} sign={sign} im[{k}]: {gotIm[k]} vs {expectedIm[k]}");
            }
        }
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(5)] [InlineData(16)] [InlineData(400)] [InlineData(401)] [InlineData(512)] [InlineData(134)]
    public void Real_forward_matches_direct_DFT_and_inverse_round_trips(int n)
    {
        var signal = RandomSignal(n, 7 * n);
        var (expectedRe, expectedIm) = NaiveDft(signal, new double[n], -1);
        var fft = new RealFft(n);
        var input = signal.Select(v => (float)v).ToArray();
        var re = new float[fft.BinCount];
        var im = new float[fft.BinCount];
        var scratch = new float[fft.ScratchLength];
        fft.Forward(input, re, im, scratch);
        var tolerance = 1e-6 * Math.Sqrt(n) * Math.Log2(n + 2);
        for (var k = 0; k < fft.BinCount; k++)
        {
            Assert.True(Math.Abs(re[k] - expectedRe[k]) < tolerance, $"n={n} re[{k}]: {re[k]} vs {expectedRe[k]}");
            Assert.True(Math.Abs(im[k] - expectedIm[k]) < tolerance, $"n={n} im[{k}]: {im[k]} vs {expectedIm[k]}");
        }
        var back = new float[n];
        fft.Inverse(re, im, back, scratch);
        for (var j = 0; j < n; j++)
            Assert.True(Math.Abs(back[j] / n - input[j]) < 1e-5 * Math.Log2(n + 2), $"n={n} x[{j}]: {back[j] / n} vs {input[j]}");
    }

    [Fact]
    public void Pure_tone_lands_in_its_bin()
    {
        const int n = 400, bin = 37;
        var signal = Enumerable.Range(0, n).Select(j => (float)Math.Cos(2 * Math.PI * bin * j / n)).ToArray();
        var fft = new RealFft(n);
        var re = new float[fft.BinCount];
        var im = new float[fft.BinCount];
        fft.Forward(signal, re, im, new float[fft.ScratchLength]);
        Assert.Equal(n / 2.0, re[bin], 3);
        for (var k = 0; k < fft.BinCount; k++)
            if (k != bin) Assert.True(Math.Abs(re[k]) + Math.Abs(im[k]) < 1e-3, $"bin {k} leaked {re[k]} + {im[k]}i");
    }
}
