namespace Sentire.Audio.Dsp;

/// <summary>
/// Complex discrete Fourier transform of one fixed size, X[k] = Σ_j x[j]·e^{-2πi·jk/n}, on split
/// real/imaginary spans. Sizes whose prime factors are all ≤ <see cref="MaxDirectRadix"/> use a mixed-radix
/// Stockham autosort FFT (radix 4, 2, 3, 5 butterflies written out, other primes by a direct small DFT);
/// other sizes use Bluestein's chirp-z algorithm (L. Bluestein, "A linear filtering approach to the
/// computation of the discrete Fourier transform", 1970) over a power-of-two convolution. So a 400-point
/// transform is exact, as in torch.stft, not a zero-padded 512-point one.
/// </summary>
/// <remarks>
/// Stockham decimation in frequency, one stage per factor p of the current length L = p·m with stride s:
/// y[r + s(pq + k)] = W_L^{qk} · Σ_j x[r + s(q + jm)]·W_p^{jk}, for q &lt; m, r &lt; s, k &lt; p;
/// the next stage runs on length m with stride s·p, and the output ends in natural order.
/// A plan is immutable and safe to share between threads; the caller supplies the scratch
/// (<see cref="ScratchLength"/> floats) so transforms in a frame loop allocate nothing.
/// </remarks>
public sealed class ComplexFft
{
    /// <summary>Largest prime factor handled by a direct butterfly; beyond it Bluestein is cheaper.</summary>
    public const int MaxDirectRadix = 61;

    readonly Stage[] _stages;
    readonly Bluestein? _bluestein;

    public ComplexFft(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "FFT size must be at least 1.");
        Size = size;
        var factors = Factorize(size);
        if (factors.Count > 0 && factors.Max() > MaxDirectRadix)
        {
            _stages = [];
            _bluestein = new Bluestein(size);
            ScratchLength = _bluestein.ScratchLength;
        }
        else
        {
            _stages = BuildStages(size, factors);
            ScratchLength = 2 * size;
        }
    }

    public int Size { get; }

    /// <summary>Floats of scratch that <see cref="Forward"/> and <see cref="Inverse"/> need.</summary>
    public int ScratchLength { get; }

    /// <summary>In-place forward transform (sign −1, unscaled).</summary>
    public void Forward(Span<float> re, Span<float> im, Span<float> scratch)
    {
        CheckLengths(re, im, scratch);
        if (_bluestein is not null) _bluestein.Forward(re, im, scratch);
        else RunStockham(re, im, scratch);
    }

    /// <summary>In-place inverse transform (sign +1, unscaled: divide by <see cref="Size"/> to invert
    /// <see cref="Forward"/>), as conj(F(conj x)).</summary>
    public void Inverse(Span<float> re, Span<float> im, Span<float> scratch)
    {
        CheckLengths(re, im, scratch);
        Negate(im);
        Forward(re, im, scratch);
        Negate(im);
    }

    static void Negate(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++) values[i] = -values[i];
    }

    void CheckLengths(Span<float> re, Span<float> im, Span<float> scratch)
    {
        if (re.Length != Size || im.Length != Size)
            throw new ArgumentException($"FFT of size {Size} got spans of length {re.Length} (re) and {im.Length} (im).");
        if (scratch.Length < ScratchLength)
            throw new ArgumentException($"FFT of size {Size} needs {ScratchLength} floats of scratch, got {scratch.Length}.");
    }

    void RunStockham(Span<float> re, Span<float> im, Span<float> scratch)
    {
        var n = Size;
        Span<float> workRe = scratch[..n], workIm = scratch.Slice(n, n);
        var inRe = re; var inIm = im; var outRe = workRe; var outIm = workIm;
        var stride = 1;
        foreach (var stage in _stages)
        {
            stage.Run(inRe, inIm, outRe, outIm, stride);
            stride *= stage.Radix;
            var swapRe = inRe; inRe = outRe; outRe = swapRe;
            var swapIm = inIm; inIm = outIm; outIm = swapIm;
        }
        // After an odd number of stages the result sits in the scratch.
        if (_stages.Length % 2 == 1)
        {
            workRe.CopyTo(re);
            workIm.CopyTo(im);
        }
    }

    /// <summary>Prime factors with pairs of 2 merged into 4 (radix-4 first: fewest passes).</summary>
    static List<int> Factorize(int n)
    {
        var factors = new List<int>();
        while (n % 4 == 0) { factors.Add(4); n /= 4; }
        while (n % 2 == 0) { factors.Add(2); n /= 2; }
        for (var p = 3; (long)p * p <= n; p += 2)
            while (n % p == 0) { factors.Add(p); n /= p; }
        if (n > 1) factors.Add(n);
        return factors;
    }

    static Stage[] BuildStages(int n, List<int> factors)
    {
        var stages = new Stage[factors.Count];
        var length = n;
        for (var i = 0; i < factors.Count; i++)
        {
            stages[i] = new Stage(factors[i], length);
            length /= factors[i];
        }
        return stages;
    }

    /// <summary>One Stockham pass of radix p over length L = p·m: its twiddles W_L^{qk} (q &lt; m, 1 ≤ k &lt; p).</summary>
    sealed class Stage
    {
        readonly int _m;
        readonly float[] _twRe, _twIm;   // [q·(p−1) + k−1]
        readonly float[] _rootRe, _rootIm; // W_p^j for the generic radix

        public Stage(int radix, int length)
        {
            Radix = radix;
            _m = length / radix;
            _twRe = new float[_m * (radix - 1)];
            _twIm = new float[_m * (radix - 1)];
            for (var q = 0; q < _m; q++)
                for (var k = 1; k < radix; k++)
                {
                    var (sin, cos) = Math.SinCos(-2.0 * Math.PI * ((long)q * k % length) / length);
                    _twRe[q * (radix - 1) + k - 1] = (float)cos;
                    _twIm[q * (radix - 1) + k - 1] = (float)sin;
                }
            _rootRe = new float[radix];
            _rootIm = new float[radix];
            for (var j = 0; j < radix; j++)
            {
                var (sin, cos) = Math.SinCos(-2.0 * Math.PI * j / radix);
                _rootRe[j] = (float)cos;
                _rootIm[j] = (float)sin;
            }
        }

        public int Radix { get; }

        public void Run(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            switch (Radix)
            {
                case 2: Radix2(xr, xi, yr, yi, s); break;
                case 3: Radix3(xr, xi, yr, yi, s); break;
                case 4: Radix4(xr, xi, yr, yi, s); break;
                case 5: Radix5(xr, xi, yr, yi, s); break;
                default: RadixGeneric(xr, xi, yr, yi, s); break;
            }
        }

        void Radix2(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            var m = _m;
            for (var q = 0; q < m; q++)
            {
                float wr = _twRe[q], wi = _twIm[q];
                int in0 = s * q, in1 = s * (q + m), out0 = s * 2 * q, out1 = out0 + s;
                for (var r = 0; r < s; r++)
                {
                    float ar = xr[in0 + r], ai = xi[in0 + r], br = xr[in1 + r], bi = xi[in1 + r];
                    yr[out0 + r] = ar + br;
                    yi[out0 + r] = ai + bi;
                    float dr = ar - br, di = ai - bi;
                    yr[out1 + r] = dr * wr - di * wi;
                    yi[out1 + r] = dr * wi + di * wr;
                }
            }
        }

        void Radix3(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            const float half = 0.5f, sin60 = 0.866025403784438647f; // W_3 = −1/2 − i·√3/2
            var m = _m;
            for (var q = 0; q < m; q++)
            {
                float w1r = _twRe[2 * q], w1i = _twIm[2 * q], w2r = _twRe[2 * q + 1], w2i = _twIm[2 * q + 1];
                int in0 = s * q, in1 = s * (q + m), in2 = s * (q + 2 * m), out0 = s * 3 * q;
                for (var r = 0; r < s; r++)
                {
                    float a0r = xr[in0 + r], a0i = xi[in0 + r];
                    float tr = xr[in1 + r] + xr[in2 + r], ti = xi[in1 + r] + xi[in2 + r];
                    float dr = xr[in1 + r] - xr[in2 + r], di = xi[in1 + r] - xi[in2 + r];
                    float cr = a0r - half * tr, ci = a0i - half * ti;
                    // b1 = c − i·(√3/2)·d, b2 = c + i·(√3/2)·d
                    float b1r = cr + sin60 * di, b1i = ci - sin60 * dr;
                    float b2r = cr - sin60 * di, b2i = ci + sin60 * dr;
                    yr[out0 + r] = a0r + tr;
                    yi[out0 + r] = a0i + ti;
                    yr[out0 + s + r] = b1r * w1r - b1i * w1i;
                    yi[out0 + s + r] = b1r * w1i + b1i * w1r;
                    yr[out0 + 2 * s + r] = b2r * w2r - b2i * w2i;
                    yi[out0 + 2 * s + r] = b2r * w2i + b2i * w2r;
                }
            }
        }

        void Radix4(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            var m = _m;
            for (var q = 0; q < m; q++)
            {
                float w1r = _twRe[3 * q], w1i = _twIm[3 * q];
                float w2r = _twRe[3 * q + 1], w2i = _twIm[3 * q + 1];
                float w3r = _twRe[3 * q + 2], w3i = _twIm[3 * q + 2];
                int in0 = s * q, in1 = s * (q + m), in2 = s * (q + 2 * m), in3 = s * (q + 3 * m), out0 = s * 4 * q;
                for (var r = 0; r < s; r++)
                {
                    float a0r = xr[in0 + r], a0i = xi[in0 + r], a1r = xr[in1 + r], a1i = xi[in1 + r];
                    float a2r = xr[in2 + r], a2i = xi[in2 + r], a3r = xr[in3 + r], a3i = xi[in3 + r];
                    float t0r = a0r + a2r, t0i = a0i + a2i, t1r = a0r - a2r, t1i = a0i - a2i;
                    float t2r = a1r + a3r, t2i = a1i + a3i, t3r = a1r - a3r, t3i = a1i - a3i;
                    // b1 = t1 − i·t3, b3 = t1 + i·t3
                    float b1r = t1r + t3i, b1i = t1i - t3r;
                    float b2r = t0r - t2r, b2i = t0i - t2i;
                    float b3r = t1r - t3i, b3i = t1i + t3r;
                    yr[out0 + r] = t0r + t2r;
                    yi[out0 + r] = t0i + t2i;
                    yr[out0 + s + r] = b1r * w1r - b1i * w1i;
                    yi[out0 + s + r] = b1r * w1i + b1i * w1r;
                    yr[out0 + 2 * s + r] = b2r * w2r - b2i * w2i;
                    yi[out0 + 2 * s + r] = b2r * w2i + b2i * w2r;
                    yr[out0 + 3 * s + r] = b3r * w3r - b3i * w3i;
                    yi[out0 + 3 * s + r] = b3r * w3i + b3i * w3r;
                }
            }
        }

        void Radix5(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            // c1 = cos 2π/5, c2 = cos 4π/5, s1 = sin 2π/5, s2 = sin 4π/5.
            const float c1 = 0.309016994374947424f, c2 = -0.809016994374947424f;
            const float s1 = 0.951056516295153572f, s2 = 0.587785252292473129f;
            var m = _m;
            for (var q = 0; q < m; q++)
            {
                int tw = 4 * q;
                int in0 = s * q, in1 = s * (q + m), in2 = s * (q + 2 * m), in3 = s * (q + 3 * m), in4 = s * (q + 4 * m);
                int out0 = s * 5 * q;
                for (var r = 0; r < s; r++)
                {
                    float a0r = xr[in0 + r], a0i = xi[in0 + r];
                    float t1r = xr[in1 + r] + xr[in4 + r], t1i = xi[in1 + r] + xi[in4 + r];
                    float t2r = xr[in2 + r] + xr[in3 + r], t2i = xi[in2 + r] + xi[in3 + r];
                    float t3r = xr[in1 + r] - xr[in4 + r], t3i = xi[in1 + r] - xi[in4 + r];
                    float t4r = xr[in2 + r] - xr[in3 + r], t4i = xi[in2 + r] - xi[in3 + r];
                    float r1r = a0r + c1 * t1r + c2 * t2r, r1i = a0i + c1 * t1i + c2 * t2i;
                    float r2r = a0r + c2 * t1r + c1 * t2r, r2i = a0i + c2 * t1i + c1 * t2i;
                    float i1r = s1 * t3r + s2 * t4r, i1i = s1 * t3i + s2 * t4i;
                    float i2r = s2 * t3r - s1 * t4r, i2i = s2 * t3i - s1 * t4i;
                    // b1 = r1 − i·i1, b4 = r1 + i·i1, b2 = r2 − i·i2, b3 = r2 + i·i2
                    yr[out0 + r] = a0r + t1r + t2r;
                    yi[out0 + r] = a0i + t1i + t2i;
                    Store(yr, yi, out0 + s + r, r1r + i1i, r1i - i1r, tw);
                    Store(yr, yi, out0 + 2 * s + r, r2r + i2i, r2i - i2r, tw + 1);
                    Store(yr, yi, out0 + 3 * s + r, r2r - i2i, r2i + i2r, tw + 2);
                    Store(yr, yi, out0 + 4 * s + r, r1r - i1i, r1i + i1r, tw + 3);
                }
            }
        }

        void RadixGeneric(ReadOnlySpan<float> xr, ReadOnlySpan<float> xi, Span<float> yr, Span<float> yi, int s)
        {
            int p = Radix, m = _m;
            Span<float> ar = stackalloc float[p], ai = stackalloc float[p];
            for (var q = 0; q < m; q++)
                for (var r = 0; r < s; r++)
                {
                    for (var j = 0; j < p; j++)
                    {
                        ar[j] = xr[r + s * (q + j * m)];
                        ai[j] = xi[r + s * (q + j * m)];
                    }
                    for (var k = 0; k < p; k++)
                    {
                        float sr = 0, si = 0;
                        for (int j = 0, jk = 0; j < p; j++, jk = (jk + k) % p)
                        {
                            sr += ar[j] * _rootRe[jk] - ai[j] * _rootIm[jk];
                            si += ar[j] * _rootIm[jk] + ai[j] * _rootRe[jk];
                        }
                        var o = r + s * (p * q + k);
                        if (k == 0) { yr[o] = sr; yi[o] = si; }
                        else Store(yr, yi, o, sr, si, q * (p - 1) + k - 1);
                    }
                }
        }

        void Store(Span<float> yr, Span<float> yi, int index, float br, float bi, int twiddle)
        {
            float wr = _twRe[twiddle], wi = _twIm[twiddle];
            yr[index] = br * wr - bi * wi;
            yi[index] = br * wi + bi * wr;
        }
    }

    /// <summary>
    /// Bluestein: with jk = (j² + k² − (k−j)²)/2, X[k] = w_k · Σ_j (x_j w_j)·conj(w_{k−j}), w_j = e^{−πi j²/n},
    /// a linear convolution done by a power-of-two FFT of length ≥ 2n − 1.
    /// </summary>
    sealed class Bluestein
    {
        readonly int _n;
        readonly ComplexFft _inner;
        readonly float[] _chirpRe, _chirpIm;           // w_j, j < n
        readonly float[] _kernelRe, _kernelIm;         // FFT of conj(w) laid out circularly, divided by the inner size

        public Bluestein(int n)
        {
            _n = n;
            var m = 1;
            while (m < 2 * n - 1) m <<= 1;
            _inner = new ComplexFft(m);
            _chirpRe = new float[n];
            _chirpIm = new float[n];
            for (var j = 0; j < n; j++)
            {
                // j² mod 2n keeps the angle small and exact for large j.
                var (sin, cos) = Math.SinCos(-Math.PI * ((long)j * j % (2L * n)) / n);
                _chirpRe[j] = (float)cos;
                _chirpIm[j] = (float)sin;
            }
            _kernelRe = new float[m];
            _kernelIm = new float[m];
            for (var j = 0; j < n; j++)
            {
                _kernelRe[j] = _chirpRe[j];
                _kernelIm[j] = -_chirpIm[j];
                if (j > 0)
                {
                    _kernelRe[m - j] = _chirpRe[j];
                    _kernelIm[m - j] = -_chirpIm[j];
                }
            }
            var scratch = new float[_inner.ScratchLength];
            _inner.Forward(_kernelRe, _kernelIm, scratch);
            for (var i = 0; i < m; i++)
            {
                _kernelRe[i] /= m;
                _kernelIm[i] /= m;
            }
            ScratchLength = 2 * m + _inner.ScratchLength;
        }

        public int ScratchLength { get; }

        public void Forward(Span<float> re, Span<float> im, Span<float> scratch)
        {
            var m = _inner.Size;
            Span<float> ar = scratch[..m], ai = scratch.Slice(m, m), innerScratch = scratch[(2 * m)..];
            for (var j = 0; j < _n; j++)
            {
                ar[j] = re[j] * _chirpRe[j] - im[j] * _chirpIm[j];
                ai[j] = re[j] * _chirpIm[j] + im[j] * _chirpRe[j];
            }
            ar[_n..].Clear();
            ai[_n..].Clear();
            _inner.Forward(ar, ai, innerScratch);
            for (var i = 0; i < m; i++)
            {
                float xr = ar[i], xi = ai[i];
                ar[i] = xr * _kernelRe[i] - xi * _kernelIm[i];
                ai[i] = xr * _kernelIm[i] + xi * _kernelRe[i];
            }
            _inner.Inverse(ar, ai, innerScratch);
            for (var k = 0; k < _n; k++)
            {
                re[k] = ar[k] * _chirpRe[k] - ai[k] * _chirpIm[k];
                im[k] = ar[k] * _chirpIm[k] + ai[k] * _chirpRe[k];
            }
        }
    }
}
