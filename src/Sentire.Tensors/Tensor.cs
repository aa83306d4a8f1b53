using System.Runtime.CompilerServices;

namespace Sentire.Tensors;

/// <summary>
/// A float32 tensor: contiguous row-major storage, a shape, and (when it takes part in autograd) the
/// node of the tape that made it. Storage is always contiguous, which keeps every kernel a plain loop
/// over a span; <see cref="Reshape"/> shares storage, every other shape change copies once.
/// Matrix products take transposed operands as flags, so the common "x @ W^T" never copies.
/// Ops live in the partial files beside this one (Tensor.*.cs), each forward next to its backward.
/// </summary>
public sealed partial class Tensor
{
    readonly float[] data;
    readonly int[] shape;

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Whether gradients flow into this tensor. Leaves set it; ops derive it from their inputs.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient (same shape); set by <see cref="Backward"/> on leaves that require grad.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The tape entry that produced this tensor, or null for a leaf or a tensor made without grad.</summary>
    internal Node? Node { get; private set; }

    /// <summary>Wraps <paramref name="storage"/> (not copied) as a tensor of the given shape.</summary>
    public Tensor(float[] storage, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(storage);
        this.shape = (int[])shape.Clone();
        Length = CheckedCount(this.shape);
        if (storage.Length < Length)
            throw new ArgumentException($"storage holds {storage.Length} floats but shape [{string.Join(", ", shape)}] needs {Length}");
        data = storage;
    }

    /// <summary>Shape, outermost dimension first.</summary>
    public ReadOnlySpan<int> Shape => shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Dim(int dim) => shape[NormalizeDim(dim, shape.Length)];

    /// <summary>The elements, row-major.</summary>
    public Span<float> Data => data.AsSpan(0, Length);

    /// <summary>The storage array itself (may be shared with views); for kernels.</summary>
    internal float[] Storage => data;

    /// <summary>Copy of the shape, for callers that need an array.</summary>
    public int[] ShapeArray() => (int[])shape.Clone();

    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => data[FlatIndex(index)];
        set => data[FlatIndex(index)] = value;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item() => Length == 1 ? data[0] : throw new InvalidOperationException($"Item() needs a one-element tensor, got shape {ShapeString}");

    public string ShapeString => "[" + string.Join(", ", shape) + "]";

    public override string ToString() => $"Tensor{ShapeString}{(RequiresGrad ? " requires_grad" : "")}";

    // ---- factories --------------------------------------------------------------------------

    /// <summary>Uninitialised storage: every caller overwrites all elements. Inside a <see cref="TensorArena"/>
    /// scope the storage comes from the arena's pool.</summary>
    internal static Tensor Empty(params int[] shape)
    {
        int n = CheckedCount(shape);
        return new(TensorArena.Current?.Rent(n) ?? GC.AllocateUninitializedArray<float>(n), shape);
    }

    public static Tensor Zeros(params int[] shape) => new(new float[CheckedCount(shape)], shape);

    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.Data.Fill(value);
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    public static Tensor Scalar(float value) => new([value]);

    /// <summary>Copies <paramref name="values"/> into a new tensor of the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = Empty(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape [{string.Join(", ", shape)}] ({t.Length} elements)");
        values.CopyTo(t.Data);
        return t;
    }

    /// <summary>0, 1, ..., n-1.</summary>
    public static Tensor Arange(int n)
    {
        var t = Empty(n);
        for (int i = 0; i < n; i++) t.data[i] = i;
        return t;
    }

    public static Tensor Uniform(Generator rng, float low, float high, params int[] shape)
    {
        var t = Empty(shape);
        rng.FillUniform(t.Data, low, high);
        return t;
    }

    public static Tensor Normal(Generator rng, float mean, float std, params int[] shape)
    {
        var t = Empty(shape);
        rng.FillNormal(t.Data, mean, std);
        return t;
    }

    /// <summary>1 with probability <paramref name="p"/>, else 0.</summary>
    public static Tensor Bernoulli(Generator rng, float p, params int[] shape)
    {
        var t = Empty(shape);
        rng.FillBernoulli(t.Data, p);
        return t;
    }

    /// <summary>A new leaf with the same values and no history.</summary>
    public Tensor Clone()
    {
        var t = Empty(shape);
        Data.CopyTo(t.Data);
        return t;
    }

    /// <summary>The same storage without history: gradients stop here.</summary>
    public Tensor Detach() => new(data, shape);

    // ---- helpers shared by the op files ---------------------------------------------------------

    /// <summary>Records <paramref name="backward"/> as the way to send this tensor's gradient to <paramref name="inputs"/>,
    /// when grad mode is on and any input requires grad. Returns this for chaining.</summary>
    internal Tensor Record(string op, Tensor[] inputs, Action<Tensor> backward)
    {
        if (!Autograd.IsEnabled) return this;
        bool any = false;
        foreach (var x in inputs) any |= x.RequiresGrad;
        if (!any) return this;
        RequiresGrad = true;
        Node = new Node(op, inputs, backward);
        return this;
    }

    internal static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if ((uint)d >= (uint)rank) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for a tensor of rank {rank}");
        return d;
    }

    internal static int CheckedCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", shape.ToArray())}]");
            n *= s;
            if (n > Array.MaxLength) throw new ArgumentException($"shape [{string.Join(", ", shape.ToArray())}] has more elements than one array can hold");
        }
        return (int)n;
    }

    /// <summary>Row-major strides of a contiguous tensor of this shape.</summary>
    internal static int[] StridesOf(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    int FlatIndex(int[] index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"{index.Length} indices for a tensor of rank {shape.Length}");
        int flat = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"index {index[i]} out of range for dimension {i} of size {shape[i]}");
            flat = flat * shape[i] + index[i];
        }
        return flat;
    }
}
