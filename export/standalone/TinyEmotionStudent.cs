// TinyEmotionStudent: the Sentire tiny speech-emotion student with no dependencies beyond System.*.
// Copy this one file and a weights file written by `sentire export standalone` into any .NET 8+ project:
//
//     var student = TinyEmotionStudent.Load("emotion-student-tiny.bin");
//     var (probabilities, dimensions) = student.Predict(samples);   // 16 kHz mono float samples in [-1, 1]
//     // probabilities[i] belongs to student.Labels[i]; dimensions = arousal, valence, dominance in [0, 1]
//
// It reproduces Sentire's engine (log-mel front end and TinyStudent) to 1e-4 (tested). Research use only: the weights
// carry the terms of the corpora they were distilled on (see the model card).
using System.Buffers.Binary;
using System.Text;

namespace Sentire.Standalone;

/// <summary>The tiny emotion student: log-mel front end, convolution stem, depthwise-separable blocks, two heads.</summary>
public sealed class TinyEmotionStudent
{
    const string Magic = "SENTSTUD";
    const int FormatVersion = 1;

    readonly int sampleRate, nFft, hop, nMels, channels, stemKernel, stemStride, blockKernel, categories, dimensionCount;
    readonly float logFloor;
    readonly int[] dilations;
    readonly float[] mean, std, stemW, stemB, headCW, headCB, headDW, headDB;
    readonly float[][] dwW, dwB, pwW, pwB;
    readonly float[] window;     // periodic Hann, n_fft long
    readonly float[] melBank;    // (n_mels, n_fft/2 + 1), HTK mel scale, no normalisation
    readonly double[] twiddleRe, twiddleIm;

    public IReadOnlyList<string> Labels { get; }
    public IReadOnlyList<string> DimensionNames { get; } = ["arousal", "valence", "dominance"];
    public int SampleRate => sampleRate;

    TinyEmotionStudent(BinaryReader r)
    {
        int ReadInt() => r.ReadInt32();
        float[] ReadFloats(int n)
        {
            var bytes = r.ReadBytes(n * 4);
            if (bytes.Length != n * 4) throw new InvalidDataException($"weights file ends early: {n} floats expected");
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
            return values;
        }
        (sampleRate, nFft, hop, nMels) = (ReadInt(), ReadInt(), ReadInt(), ReadInt());
        logFloor = r.ReadSingle();
        (channels, stemKernel, stemStride, blockKernel) = (ReadInt(), ReadInt(), ReadInt(), ReadInt());
        dilations = new int[ReadInt()];
        for (int i = 0; i < dilations.Length; i++) dilations[i] = ReadInt();
        (categories, dimensionCount) = (ReadInt(), ReadInt());
        var labels = new string[ReadInt()];
        for (int i = 0; i < labels.Length; i++) labels[i] = Encoding.UTF8.GetString(r.ReadBytes(ReadInt()));
        Labels = labels;
        mean = ReadFloats(nMels);
        std = ReadFloats(nMels);
        stemW = ReadFloats(channels * nMels * stemKernel);
        stemB = ReadFloats(channels);
        (dwW, dwB, pwW, pwB) = (new float[dilations.Length][], new float[dilations.Length][], new float[dilations.Length][], new float[dilations.Length][]);
        for (int i = 0; i < dilations.Length; i++)
            (dwW[i], dwB[i], pwW[i], pwB[i]) = (ReadFloats(channels * blockKernel), ReadFloats(channels), ReadFloats(channels * channels), ReadFloats(channels));
        (headCW, headCB) = (ReadFloats(categories * channels), ReadFloats(categories));
        (headDW, headDB) = (ReadFloats(dimensionCount * channels), ReadFloats(dimensionCount));

        window = new float[nFft];
        for (int n = 0; n < nFft; n++) window[n] = (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * n / nFft));
        (twiddleRe, twiddleIm) = (new double[nFft], new double[nFft]);
        for (int j = 0; j < nFft; j++) (twiddleRe[j], twiddleIm[j]) = (Math.Cos(-2 * Math.PI * j / nFft), Math.Sin(-2 * Math.PI * j / nFft));
        melBank = MelFilterbank(nFft / 2 + 1, nMels, sampleRate);
    }

    public static TinyEmotionStudent Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var magic = Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
        if (magic != Magic) throw new InvalidDataException($"{path}: not a TinyEmotionStudent weights file (magic '{magic}', expected '{Magic}')");
        int version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"{path}: format version {version}, this class reads {FormatVersion}");
        return new TinyEmotionStudent(r);
    }

    /// <summary>Category probabilities (in <see cref="Labels"/> order) and arousal/valence/dominance of 16 kHz mono audio.</summary>
    public (float[] Probabilities, float[] Dimensions) Predict(float[] samples)
    {
        var (logits, dims) = Forward(LogMel(samples, out int frames), frames);
        float max = logits.Max();
        var p = logits.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = p.Sum();
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return (p, dims);
    }

    /// <summary>
    /// torchaudio MelSpectrogram + log, frames x n_mels row-major: 1) reflect-pad n_fft/2 on both sides, 2) frame every
    /// hop samples and apply the periodic Hann window, 3) power spectrum |FFT|^2 of bins 0..n_fft/2, 4) HTK mel
    /// filterbank, 5) ln(mel + floor).
    /// </summary>
    public float[] LogMel(float[] samples, out int frames)
    {
        int pad = nFft / 2, bins = nFft / 2 + 1;
        if (samples.Length <= pad) throw new ArgumentException($"reflect padding needs more than {pad} samples, got {samples.Length}");
        frames = 1 + samples.Length / hop;                             // (length + 2 pad - n_fft) / hop + 1 with pad = n_fft / 2
        var result = new float[frames * nMels];
        var re = new double[nFft];
        var im = new double[nFft];
        var power = new float[bins];
        int last = samples.Length - 1;
        for (int t = 0; t < frames; t++)
        {
            // 1) and 2)
            for (int n = 0; n < nFft; n++)
            {
                int i = t * hop - pad + n;
                i = i < 0 ? -i : i > last ? 2 * last - i : i;
                re[n] = samples[i] * window[n];
                im[n] = 0;
            }
            // 3)
            var (fr, fi) = Fft(re, im, 1);
            for (int k = 0; k < bins; k++) power[k] = (float)(fr[k] * fr[k] + fi[k] * fi[k]);
            // 4) and 5)
            for (int m = 0; m < nMels; m++)
            {
                float acc = 0;
                for (int k = 0; k < bins; k++) acc += melBank[m * bins + k] * power[k];
                result[t * nMels + m] = MathF.Log(acc + logFloor);
            }
        }
        return result;
    }

    /// <summary>Mixed-radix Cooley-Tukey FFT of a length dividing n_fft (stride = n_fft / length into the twiddle table).</summary>
    (double[] Re, double[] Im) Fft(double[] re, double[] im, int stride)
    {
        int n = re.Length;
        if (n == 1) return (re, im);
        int p = 2;
        while (n % p != 0) p++;
        int m = n / p;
        var outRe = new double[n];
        var outIm = new double[n];
        if (p == n)                                                    // prime length: direct DFT
        {
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n; j++)
                {
                    int w = (int)((long)j * k % n) * stride;
                    outRe[k] += re[j] * twiddleRe[w] - im[j] * twiddleIm[w];
                    outIm[k] += re[j] * twiddleIm[w] + im[j] * twiddleRe[w];
                }
            return (outRe, outIm);
        }
        // X[k + q m] = sum_r W_n^(r (k + q m)) Y_r[k], Y_r = FFT of x[r], x[r + p], x[r + 2p], ...
        var subs = new (double[] Re, double[] Im)[p];
        for (int r = 0; r < p; r++)
        {
            var sr = new double[m];
            var si = new double[m];
            for (int j = 0; j < m; j++) (sr[j], si[j]) = (re[j * p + r], im[j * p + r]);
            subs[r] = Fft(sr, si, stride * p);
        }
        for (int k = 0; k < n; k++)
            for (int r = 0; r < p; r++)
            {
                int w = (int)((long)r * k % n) * stride;
                var (yr, yi) = (subs[r].Re[k % m], subs[r].Im[k % m]);
                outRe[k] += yr * twiddleRe[w] - yi * twiddleIm[w];
                outIm[k] += yr * twiddleIm[w] + yi * twiddleRe[w];
            }
        return (outRe, outIm);
    }

    /// <summary>torchaudio.functional.melscale_fbanks(htk, norm=None, f_min=0, f_max=sr/2): triangles between mel points.</summary>
    static float[] MelFilterbank(int bins, int mels, int sampleRate)
    {
        static double HzToMel(double hz) => 2595.0 * Math.Log10(1.0 + hz / 700.0);
        static double MelToHz(double mel) => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0);
        int nyquist = sampleRate / 2;
        double melMax = HzToMel(nyquist);
        var points = new double[mels + 2];
        for (int i = 0; i < points.Length; i++) points[i] = MelToHz(melMax * i / (mels + 1));
        var bank = new float[mels * bins];
        for (int f = 0; f < bins; f++)
        {
            double hz = (double)nyquist * f / (bins - 1);
            for (int m = 0; m < mels; m++)
            {
                double down = (hz - points[m]) / (points[m + 1] - points[m]), up = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
                bank[m * bins + f] = (float)Math.Max(0.0, Math.Min(down, up));
            }
        }
        return bank;
    }

    /// <summary>
    /// The network on log-mel (frames x n_mels, row-major): x = (mel - mu) / sigma; h = ReLU(stem(x)); for each block
    /// h += ReLU(pointwise(ReLU(depthwise_d(h)))); z = mean over time; logits = W_c z + b_c; dims = sigmoid(W_d z + b_d).
    /// </summary>
    public (float[] Logits, float[] Dimensions) Forward(float[] logMel, int frames)
    {
        // x: (n_mels, frames) normalised
        var x = new float[nMels * frames];
        for (int t = 0; t < frames; t++)
            for (int m = 0; m < nMels; m++) x[m * frames + t] = (logMel[t * nMels + m] - mean[m]) / std[m];
        int outFrames = (frames + 2 * (stemKernel / 2) - stemKernel) / stemStride + 1;
        var h = new float[channels * outFrames];
        Conv(x, nMels, frames, stemW, stemB, channels, stemKernel, stemStride, stemKernel / 2, 1, depthwise: false, h, outFrames);
        Relu(h);
        var y = new float[h.Length];
        var u = new float[h.Length];
        for (int b = 0; b < dilations.Length; b++)
        {
            int d = dilations[b];
            Conv(h, channels, outFrames, dwW[b], dwB[b], channels, blockKernel, 1, d * (blockKernel / 2), d, depthwise: true, y, outFrames);
            Relu(y);
            Conv(y, channels, outFrames, pwW[b], pwB[b], channels, 1, 1, 0, 1, depthwise: false, u, outFrames);
            Relu(u);
            for (int i = 0; i < h.Length; i++) h[i] += u[i];
        }
        var z = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float s = 0;
            for (int t = 0; t < outFrames; t++) s += h[c * outFrames + t];
            z[c] = s / outFrames;
        }
        var logits = Linear(z, headCW, headCB, categories);
        var dims = Linear(z, headDW, headDB, dimensionCount);
        for (int i = 0; i < dims.Length; i++) dims[i] = 1f / (1f + MathF.Exp(-dims[i]));
        return (logits, dims);
    }

    /// <summary>y[o, t] = b[o] + sum_{c, j} W[o, c, j] x[c, t stride - pad + j dilation] (zero outside), groups = 1 or depthwise.</summary>
    static void Conv(float[] x, int cin, int length, float[] w, float[] bias, int cout, int kernel, int stride, int pad, int dilation, bool depthwise, float[] y, int lout)
    {
        for (int o = 0; o < cout; o++)
            for (int t = 0; t < lout; t++)
            {
                float acc = bias[o];
                int c0 = depthwise ? o : 0, c1 = depthwise ? o + 1 : cin;
                for (int c = c0; c < c1; c++)
                {
                    int wBase = (o * (depthwise ? 1 : cin) + (c - c0)) * kernel;
                    for (int j = 0; j < kernel; j++)
                    {
                        int i = t * stride - pad + j * dilation;
                        if ((uint)i < (uint)length) acc += w[wBase + j] * x[c * length + i];
                    }
                }
                y[o * lout + t] = acc;
            }
    }

    static void Relu(float[] v)
    {
        for (int i = 0; i < v.Length; i++) if (v[i] < 0) v[i] = 0;
    }

    static float[] Linear(float[] z, float[] w, float[] b, int outputs)
    {
        var y = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            float acc = b[o];
            for (int c = 0; c < z.Length; c++) acc += w[o * z.Length + c] * z[c];
            y[o] = acc;
        }
        return y;
    }
}
