namespace Sentire.Audio.Dsp;

/// <summary>
/// Discrete Fourier transform of a real signal of length n, returning the n/2 + 1 non-negative
/// frequency bins (numpy/torch <c>rfft</c> convention, unscaled). An even n packs the signal into a
/// complex one of half the length, z[j] = x[2j] + i·x[2j+1], and untangles Z = FFT_{n/2}(z):
/// E[k] = (Z[k] + conj Z[n/2−k])/2, O[k] = (Z[k] − conj Z[n/2−k])/(2i), X[k] = E[k] + W_n^k·O[k].
/// An odd n runs the full complex transform. Immutable; the caller owns the scratch.
/// </summary>
public sealed class RealFft
{
    readonly ComplexFft _complex;
    readonly float[] _twRe = [], _twIm = []; // W_n^k for k ≤ n/2 (even n)

    public RealFft(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be at least 1.");
        Size = size;
        if (size % 2 == 0 && size >= 2)
        {
            var half = size / 2;
            _complex = new ComplexFft(half);
            _twRe = new float[half + 1];
            _twIm = new float[half + 1];
            for (var k = 0; k <= half; k++)
            {
                var (sin, cos) = Math.SinCos(-2.0 * Math.PI * k / size);
                _twRe[k] = (float)cos;
                _twIm[k] = (float)sin;
            }
            ScratchLength = 2 * half + _complex.ScratchLength;
        }
        else
        {
            _complex = new ComplexFft(size);
            ScratchLength = 2 * size + _complex.ScratchLength;
        }
    }

    public int Size { get; }

    /// <summary>Number of output bins, n/2 + 1.</summary>
    public int BinCount => Size / 2 + 1;

    /// <summary>Floats of scratch that the transforms need.</summary>
    public int ScratchLength { get; }

    /// <summary>X[k] for k = 0..n/2 of the real signal <paramref name="input"/> (length n).</summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> outRe, Span<float> outIm, Span<float> scratch)
    {
        if (input.Length != Size) throw new ArgumentException($"Real FFT of size {Size} got an input of length {input.Length}.");
        if (outRe.Length < BinCount || outIm.Length < BinCount)
            throw new ArgumentException($"Real FFT of size {Size} writes {BinCount} bins, got spans of {outRe.Length} and {outIm.Length}.");
        if (scratch.Length < ScratchLength) throw new ArgumentException($"Real FFT of size {Size} needs {ScratchLength} floats of scratch, got {scratch.Length}.");
        if (Size % 2 == 1 || Size < 2)
        {
            ForwardOdd(input, outRe, outIm, scratch);
            return;
        }
        var h = Size / 2;
        Span<float> zr = scratch[..h], zi = scratch.Slice(h, h);
        for (var j = 0; j < h; j++)
        {
            zr[j] = input[2 * j];
            zi[j] = input[2 * j + 1];
        }
        _complex.Forward(zr, zi, scratch[(2 * h)..]);
        for (var k = 0; k <= h; k++)
        {
            // Z[h] ≡ Z[0] (period h).
            int a = k == h ? 0 : k, b = k == 0 ? 0 : h - k;
            float zkr = zr[a], zki = zi[a], zmr = zr[b], zmi = -zi[b]; // zm = conj Z[h−k]
            float er = 0.5f * (zkr + zmr), ei = 0.5f * (zki + zmi);
            // O = (Z − conj Z')/(2i) = (d_i − i·d_r)/2 with d = Z − conj Z'
            float dr = zkr - zmr, di = zki - zmi;
            float or = 0.5f * di, oi = -0.5f * dr;
            float wr = _twRe[k], wi = _twIm[k];
            outRe[k] = er + or * wr - oi * wi;
            outIm[k] = ei + or * wi + oi * wr;
        }
    }

    /// <summary>
    /// Real signal (length n) from its n/2 + 1 bins, unscaled like <see cref="ComplexFft.Inverse"/>:
    /// Inverse(Forward(x)) = n·x. The imaginary parts of bin 0 (and of bin n/2 for even n) are ignored.
    /// </summary>
    public void Inverse(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> output, Span<float> scratch)
    {
        if (output.Length != Size) throw new ArgumentException($"Real FFT of size {Size} got an output of length {output.Length}.");
        if (inRe.Length < BinCount || inIm.Length < BinCount)
            throw new ArgumentException($"Real FFT of size {Size} reads {BinCount} bins, got spans of {inRe.Length} and {inIm.Length}.");
        if (scratch.Length < ScratchLength) throw new ArgumentException($"Real FFT of size {Size} needs {ScratchLength} floats of scratch, got {scratch.Length}.");
        if (Size % 2 == 1 || Size < 2)
        {
            InverseOdd(inRe, inIm, output, scratch);
            return;
        }
        var h = Size / 2;
        Span<float> zr = scratch[..h], zi = scratch.Slice(h, h);
        for (var k = 0; k < h; k++)
        {
            // E = (X[k] + conj X[h−k]), O = (X[k] − conj X[h−k])·W_n^{−k}; Z = E + i·O (the 1/2 folds into the ×n of the inverse).
            float xr = inRe[k], xi = k == 0 ? 0 : inIm[k];
            float yr = inRe[h - k], yi = k == 0 ? 0 : -inIm[h - k]; // bin n/2 is real
            float er = xr + yr, ei = xi + yi;
            float dr = xr - yr, di = xi - yi;
            float wr = _twRe[k], wi = -_twIm[k];
            float or = dr * wr - di * wi, oi = dr * wi + di * wr;
            zr[k] = er - oi;
            zi[k] = ei + or;
        }
        _complex.Inverse(zr, zi, scratch[(2 * h)..]);
        for (var j = 0; j < h; j++)
        {
            output[2 * j] = zr[j];
            output[2 * j + 1] = zi[j];
        }
    }

    void ForwardOdd(ReadOnlySpan<float> input, Span<float> outRe, Span<float> outIm, Span<float> scratch)
    {
        var n = Size;
        Span<float> re = scratch[..n], im = scratch.Slice(n, n);
        input.CopyTo(re);
        im.Clear();
        _complex.Forward(re, im, scratch[(2 * n)..]);
        re[..BinCount].CopyTo(outRe);
        im[..BinCount].CopyTo(outIm);
    }

    void InverseOdd(ReadOnlySpan<float> inRe, ReadOnlySpan<float> inIm, Span<float> output, Span<float> scratch)
    {
        var n = Size;
        Span<float> re = scratch[..n], im = scratch.Slice(n, n);
        re[0] = inRe[0];
        im[0] = 0;
        for (var k = 1; k < BinCount; k++)
        {
            re[k] = inRe[k]; im[k] = inIm[k];
            re[n - k] = inRe[k]; im[n - k] = -inIm[k];
        }
        _complex.Inverse(re, im, scratch[(2 * n)..]);
        re.CopyTo(output);
    }
}
