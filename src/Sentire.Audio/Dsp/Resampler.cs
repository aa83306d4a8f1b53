namespace Sentire.Audio.Dsp;

/// <summary>
/// Resampler filter settings; the defaults are those of ffmpeg's libswresample (filter_size 32, cutoff 0.97,
/// Kaiser β = 9, 1024 phases when the ratio needs interpolation), so `-ar` output is reproduced closely.
/// </summary>
public sealed record ResamplerOptions
{
    /// <summary>Filter length in zero crossings of the lower rate's sinc: taps = ⌈filter_size / factor⌉.</summary>
    public int FilterSize { get; init; } = 32;
    /// <summary>−6 dB point of the low-pass when down-sampling, as a fraction of the output Nyquist frequency
    /// (up-sampling keeps the full input band, as swresample).</summary>
    public double Cutoff { get; init; } = 0.97;
    public double KaiserBeta { get; init; } = 9.0;
    /// <summary>Ratios whose reduced output rate exceeds this use this many phases, linearly interpolated.</summary>
    public int MaxPhases { get; init; } = 1024;

    /// <summary>Twice the taps (filter_size 64): ffmpeg's default response with a sharper transition band.</summary>
    public static ResamplerOptions HighQuality { get; } = new() { FilterSize = 64 };
}

/// <summary>
/// Band-limited resampling by a Kaiser-windowed sinc (J. O. Smith, "Digital Audio Resampling", and ffmpeg's
/// libswresample/resample.c): with out/in = L/M in lowest terms, output k sits at input position k·M/L =
/// n + φ/L and is y[k] = Σ_i x[n − c + i]·h_φ[i], h_φ[i] = sinc(π·f·(i − c − φ/L))·I0(β·√(1 − (2(i − c − φ/L)/T)²)),
/// f = min(1, cutoff·L/M), T = ⌈filter_size/f⌉ rounded up to even taps, c = (T − 1)/2. Polyphase: one precomputed filter per
/// phase φ when L ≤ <see cref="ResamplerOptions.MaxPhases"/> (exact for every common rate pair), otherwise
/// MaxPhases phases with linear interpolation between neighbours (any rate). All phases are scaled by the sum
/// of phase 0 (unit DC gain); edges are mirrored as swresample does (x[−j] = x[j], x[N + j] = x[N − 1 − j]).
/// </summary>
public sealed class Resampler
{
    const int ParallelOutputThreshold = 1 << 16;
    const int OutputsPerChunk = 1 << 14;

    readonly float[] _filters; // [phase, tap], Phases + 1 rows (the last one for interpolation)
    readonly int _center;
    readonly long _up, _down;    // L, M
    readonly bool _interpolated;

    public Resampler(int inputRate, int outputRate, ResamplerOptions? options = null)
    {
        options ??= new ResamplerOptions();
        if (inputRate <= 0 || outputRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputRate), $"Sample rates must be positive, got {inputRate} → {outputRate} Hz.");
        if (options.FilterSize < 1 || !(options.Cutoff is > 0 and <= 1) || options.KaiserBeta < 0 || options.MaxPhases < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"Invalid resampler options {options}.");
        InputRate = inputRate;
        OutputRate = outputRate;
        var gcd = Gcd(inputRate, outputRate);
        _up = outputRate / gcd;
        _down = inputRate / gcd;
        _interpolated = _up > options.MaxPhases;
        Phases = _interpolated ? options.MaxPhases : (int)_up;
        // As swresample: the cutoff narrows only a down-sampling filter; the tap count is rounded up to even.
        var factor = Math.Min(1.0, (double)outputRate * options.Cutoff / inputRate);
        var taps = Math.Max((int)Math.Ceiling(options.FilterSize / factor), 1);
        Taps = taps + (taps & 1);
        _center = (Taps - 1) / 2;
        _filters = BuildFilters(factor, options.KaiserBeta);
    }

    public int InputRate { get; }
    public int OutputRate { get; }
    public int Taps { get; }
    public int Phases { get; }

    /// <summary>⌈N·out/in⌉ samples.</summary>
    public int OutputLength(int inputLength) => checked((int)((inputLength * _up + _down - 1) / _down));

    public float[] Process(ReadOnlySpan<float> input)
    {
        var output = new float[OutputLength(input.Length)];
        Process(input, output);
        return output;
    }

    /// <summary>Resamples <paramref name="input"/> into <paramref name="output"/> (length <see cref="OutputLength"/>).</summary>
    public void Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length != OutputLength(input.Length))
            throw new ArgumentException($"Resampling {input.Length} samples {InputRate} → {OutputRate} Hz gives {OutputLength(input.Length)} samples, output span has {output.Length}.");
        if (input.Length == 0) return;
        if (_up == _down)
        {
            input.CopyTo(output);
            return;
        }
        if (output.Length < ParallelOutputThreshold)
        {
            RunOutputs(input, output, 0);
            return;
        }
        unsafe
        {
            fixed (float* inPtr = input, outPtr = output)
            {
                nint inAddress = (nint)inPtr, outAddress = (nint)outPtr;
                int inLength = input.Length, outLength = output.Length;
                var chunks = (outLength + OutputsPerChunk - 1) / OutputsPerChunk;
                Parallel.For(0, chunks, chunk =>
                {
                    var first = chunk * OutputsPerChunk;
                    var count = Math.Min(OutputsPerChunk, outLength - first);
                    RunOutputs(new ReadOnlySpan<float>((float*)inAddress, inLength), new Span<float>((float*)outAddress + first, count), first);
                });
            }
        }
    }

    void RunOutputs(ReadOnlySpan<float> input, Span<float> output, long firstOutput)
    {
        var taps = Taps;
        var edge = new float[taps]; // once per chunk
        for (var j = 0; j < output.Length; j++)
        {
            var (start, remainder) = Input(firstOutput + j);
            ReadOnlySpan<float> window;
            if (start >= 0 && start + taps <= input.Length) window = input.Slice((int)start, taps);
            else
            {
                FillMirrored(input, 0, input.Length, start, edge);
                window = edge;
            }
            output[j] = Output(window, remainder);
        }
    }

    /// <summary>First input sample of output k's window, and its phase (in units of 1/L input samples).</summary>
    (long Start, long Remainder) Input(long output)
    {
        var position = output * _down; // in units of 1/L input samples
        return (position / _up - _center, position % _up);
    }

    /// <summary>y = Σ_i window[i] h_φ[i] for the window of T input samples and the phase <paramref name="remainder"/>/L.</summary>
    float Output(ReadOnlySpan<float> window, long remainder)
    {
        var taps = Taps;
        if (!_interpolated)
            return System.Numerics.Tensors.TensorPrimitives.Dot(window, _filters.AsSpan((int)remainder * taps, taps));
        // Phase position remainder/L in [0, 1) → between table phases p and p + 1.
        var exact = (double)remainder * Phases / _up;
        var phase = (int)exact;
        var weight = (float)(exact - phase);
        var a = System.Numerics.Tensors.TensorPrimitives.Dot(window, _filters.AsSpan(phase * taps, taps));
        var b = System.Numerics.Tensors.TensorPrimitives.Dot(window, _filters.AsSpan((phase + 1) * taps, taps));
        return a + (b - a) * weight;
    }

    /// <summary>Samples start..start+taps−1 of an input of <paramref name="n"/> samples with swresample's edges: x[−j] = x[j]
    /// before the start; after the end (N + 1)/2 mirrored samples x[N + j] = x[N − 1 − j] (at most taps/2), then zeros.
    /// <paramref name="held"/> holds input samples from <paramref name="heldStart"/> on, every one the window reads.</summary>
    static void FillMirrored(ReadOnlySpan<float> held, long heldStart, long n, long start, Span<float> window)
    {
        var reflection = (Math.Min(n, window.Length) + 1) / 2;
        for (var i = 0; i < window.Length; i++)
        {
            var index = start + i;
            if (index < 0) index = -index;
            if (index >= n)
            {
                var beyond = index - n;
                index = beyond < reflection ? n - 1 - beyond : -1;
            }
            window[i] = index >= 0 && index < n ? held[(int)(index - heldStart)] : 0f;
        }
    }

    /// <summary>A resampler for a signal that arrives in chunks: <see cref="ResamplerStream.Push"/> each chunk,
    /// then <see cref="ResamplerStream.Finish"/>; the outputs together are <see cref="Process(ReadOnlySpan{float})"/> of the
    /// whole signal.</summary>
    public ResamplerStream Stream() => new(this);

    /// <summary>See <see cref="Stream"/>. Holds the input from one window before the next output's.</summary>
    public sealed class ResamplerStream
    {
        readonly Resampler resampler;
        readonly Decoding.SampleHistory input = new();
        readonly float[] edge, output = new float[8192];
        long next;
        bool finished;

        internal ResamplerStream(Resampler resampler)
        {
            this.resampler = resampler;
            edge = new float[resampler.Taps];
        }

        /// <summary>Resamples what <paramref name="samples"/> completes, handing it to <paramref name="sink"/>.</summary>
        public void Push(ReadOnlySpan<float> samples, Decoding.SampleSink sink)
        {
            if (finished) throw new InvalidOperationException("the stream has finished");
            input.Append(samples);
            Produce(sink, ended: false);
        }

        /// <summary>The input has ended: the last outputs (<see cref="OutputLength"/> of the whole input in all).</summary>
        public void Finish(Decoding.SampleSink sink)
        {
            if (finished) return;
            Produce(sink, ended: true);
            finished = true;
        }

        void Produce(Decoding.SampleSink sink, bool ended)
        {
            var r = resampler;
            long n = input.End, taps = r.Taps;
            var total = ended ? r.OutputLength((int)n) : long.MaxValue;
            var count = 0;
            for (; next < total; next++)
            {
                var (start, remainder) = r.Input(next);
                if (!ended && start + taps > n) break;
                ReadOnlySpan<float> window;
                if (r._up == r._down) window = input.Slice((int)(start + r._center), (int)(start + r._center + 1));
                else if (start >= 0 && start + taps <= n) window = input.Slice((int)start, (int)(start + taps));
                else
                {
                    FillMirrored(input.Slice(input.Start, input.End), input.Start, n, start, edge);
                    window = edge;
                }
                output[count++] = r._up == r._down ? window[0] : r.Output(window, remainder);
                if (count == output.Length) { sink(output); count = 0; }
            }
            if (count > 0) sink(output.AsSpan(0, count));
            // the next window, and the mirrored samples before it that the last windows read
            input.DropBefore((int)Math.Max(0, Math.Min(n, r.Input(next).Start - taps)));
        }
    }

    float[] BuildFilters(double factor, double beta)
    {
        var taps = Taps;
        var filters = new float[(Phases + 1) * taps];
        var values = new double[taps];
        double norm = 0;
        for (var phase = 0; phase <= Phases; phase++)
        {
            var fraction = (double)phase / Phases;
            for (var i = 0; i < taps; i++)
            {
                var offset = i - _center - fraction;
                var x = Math.PI * offset * factor;
                var sinc = x == 0 ? 1.0 : Math.Sin(x) / x;
                var w = 2.0 * offset / taps;
                values[i] = sinc * BesselI0(beta * Math.Sqrt(Math.Max(1 - w * w, 0)));
            }
            if (phase == 0) norm = values.Sum();
            for (var i = 0; i < taps; i++) filters[phase * taps + i] = (float)(values[i] / norm);
        }
        return filters;
    }

    /// <summary>Modified Bessel function of the first kind, order 0: Σ_k ((x/2)^k / k!)², summed until terms vanish.</summary>
    internal static double BesselI0(double x)
    {
        double sum = 1, term = 1, quarter = x * x / 4;
        for (var k = 1; k < 500 && term > 1e-17 * sum; k++)
        {
            term *= quarter / ((double)k * k);
            sum += term;
        }
        return sum;
    }

    static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
