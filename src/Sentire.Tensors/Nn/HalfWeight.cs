namespace Sentire.Tensors.Nn;

/// <summary>
/// A module's weight matrix kept in 16 bits for inference (a checkpoint stored in F16 or BF16 keeps its size in
/// memory): a state-dict entry like a parameter, loaded by <see cref="Module.LoadStateDict"/> and counted by
/// <see cref="Module.ParameterCount"/>, but never trained and absent from <see cref="Module.StateDict"/>. Products use
/// the <see cref="HalfMatrix"/> kernels, which widen tiles of it to float32 and accumulate in float32.
/// </summary>
public sealed class HalfWeight
{
    HalfMatrix? value;

    public HalfWeight(int rows, int cols, HalfFormat format)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a half-precision weight needs positive sizes, got [{rows}, {cols}]");
        Rows = rows;
        Cols = cols;
        Format = format;
    }

    public int Rows { get; }
    public int Cols { get; }
    public HalfFormat Format { get; }
    public int[] Shape => [Rows, Cols];
    public long Elements => (long)Rows * Cols;

    /// <summary>The loaded matrix; an error before <see cref="Load"/>.</summary>
    public HalfMatrix Value => value ?? throw new InvalidOperationException($"this {Format} weight [{Rows}, {Cols}] has not been loaded");

    /// <summary>Rounds <paramref name="weight"/> (Rows, Cols) to <see cref="Format"/>: exact for values read from a checkpoint of that format.</summary>
    public void Load(Tensor weight)
    {
        if (weight.Rank != 2 || weight.Dim(0) != Rows || weight.Dim(1) != Cols)
            throw new ArgumentException($"half-precision weight: found {weight.ShapeString}, expected [{Rows}, {Cols}]");
        value = HalfMatrix.FromTensor(weight, Format);
    }
}
